"""Campaign review by the survivor advisory group, in the portal at /my/campaigns/."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from advisory import selectors, services
from advisory.exceptions import CampaignChangedWhileRead
from core.text.sanitise import clean_plain_text

from ..access import portal_view, waiting_review
from ..forms import AskForChangesForm, CampaignDecisionForm


@portal_view(advisory_members=True)
def campaigns(request):
    rows = [
        (review, review.revision.as_object())
        for review in selectors.reviews_waiting_for(request.user)
    ]
    return render(request, "portal/campaigns.html", {"rows": rows})


@portal_view(advisory_members=True)
def campaign(request, pk, approve_form=None, changes_form=None):
    review = waiting_review(request, pk)
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
    return render(request, "portal/campaign.html", context)


def _decide(request, pk, form_class, decide, done_message):
    review = waiting_review(request, pk)
    form = form_class(request.POST)
    if not form.is_valid() or form.cleaned_data["review"] != review.pk:
        key = "changes_form" if form_class is AskForChangesForm else "approve_form"
        return campaign.__wrapped__(request, pk, **{key: form})
    try:
        decide(
            review=review,
            user=request.user,
            comment=clean_plain_text(form.cleaned_data["comment"]),
            read_hash=form.cleaned_data["content_hash"],
        )
    except CampaignChangedWhileRead:
        messages.warning(
            request, _("The campaign changed while you were reading it. Please read it again.")
        )
        return redirect("portal:advisory_campaign", pk=pk)
    messages.success(request, done_message)
    return redirect("portal:advisory_campaigns")


@require_POST
@portal_view(advisory_members=True)
def approve(request, pk):
    return _decide(
        request,
        pk,
        CampaignDecisionForm,
        services.approve_campaign,
        _("Thank you. You approved this campaign."),
    )


@require_POST
@portal_view(advisory_members=True)
def ask_for_changes(request, pk):
    return _decide(
        request,
        pk,
        AskForChangesForm,
        services.ask_for_changes,
        _("Thank you. Your comments were sent to the editors."),
    )
