"""Campaign review by the survivor advisory group, in the portal at /my/campaigns/."""

from functools import wraps

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from consent.models import Storyteller
from consent.sanitise import clean_plain_text

from . import selectors, services
from .exceptions import CampaignChangedWhileRead
from .forms import AskForChangesForm, CampaignDecisionForm


def member_or_storyteller_required(view):
    """Signed-in advisory members and storytellers; the admin's people are refused here."""

    @wraps(view)
    @never_cache
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect(f"{reverse('portal:login')}?next={request.path}")
        request.storyteller = Storyteller.objects.filter(user=request.user).first()
        request.advisory_member = selectors.is_advisory_member(request.user)
        if request.storyteller is None and not request.advisory_member:
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper


def _waiting_review(request, pk):
    """The review of campaign pk waiting on this member; anyone else finds nothing."""
    review = selectors.review_waiting_on(pk, request.user)
    if review is None:
        raise Http404
    return review


@member_or_storyteller_required
def campaigns(request):
    rows = [
        (review, review.revision.as_object())
        for review in selectors.reviews_waiting_for(request.user)
    ]
    return render(request, "advisory/portal/campaigns.html", {"rows": rows})


@member_or_storyteller_required
def campaign(request, pk, approve_form=None, changes_form=None):
    review = _waiting_review(request, pk)
    version = review.revision.as_object()
    shown = selectors.review_content(version)
    initial = {"review": review.pk, "content_hash": selectors.review_hash(shown)}
    context = {
        "review": review,
        "version": version,
        # Exactly the stories the hash covers, in the campaign's order.
        "stories": [
            story
            for story in version.stories_readers_would_get()
            if str(story.pk) in shown["stories"]
        ],
        "approve_form": approve_form or CampaignDecisionForm(initial=initial),
        "changes_form": changes_form or AskForChangesForm(initial=initial),
    }
    return render(request, "advisory/portal/campaign.html", context)


def _decide(request, pk, form_class, decide, done_message):
    review = _waiting_review(request, pk)
    form = form_class(request.POST)
    if not form.is_valid() or form.cleaned_data["review"] != review.pk:
        key = "changes_form" if form_class is AskForChangesForm else "approve_form"
        return campaign.__wrapped__(request, pk, **{key: form})
    # What they read must be what they approve: an editor's change in between, or a story
    # withdrawn or approved again meanwhile, differs.
    read_hash = form.cleaned_data["content_hash"]
    changed = _("The campaign changed while you were reading it. Please read it again.")
    if selectors.review_hash(selectors.review_content(review.revision.as_object())) != read_hash:
        messages.warning(request, changed)
        return redirect("portal:advisory_campaign", pk=pk)
    try:
        decide(
            review=review,
            user=request.user,
            comment=clean_plain_text(form.cleaned_data["comment"]),
            read_hash=read_hash,
        )
    except CampaignChangedWhileRead:
        messages.warning(request, changed)
        return redirect("portal:advisory_campaign", pk=pk)
    messages.success(request, done_message)
    return redirect("portal:advisory_campaigns")


@require_POST
@member_or_storyteller_required
def approve(request, pk):
    return _decide(
        request,
        pk,
        CampaignDecisionForm,
        services.approve_campaign,
        _("Thank you. You approved this campaign."),
    )


@require_POST
@member_or_storyteller_required
def ask_for_changes(request, pk):
    return _decide(
        request,
        pk,
        AskForChangesForm,
        services.ask_for_changes,
        _("Thank you. Your comments were sent to the editors."),
    )
