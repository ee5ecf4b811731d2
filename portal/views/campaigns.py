"""Campaign review by the survivor advisory group, in the portal at /my/campaigns/."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
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


# Her two answers to a campaign: the form each is sent with (and its name on the campaign
# page, where it is shown again with its errors), what records it, and her thanks.
ANSWERS = {
    "approve": (
        "approve_form",
        CampaignDecisionForm,
        services.approve_campaign,
        gettext_lazy("Thank you. You approved this campaign."),
    ),
    "changes": (
        "changes_form",
        AskForChangesForm,
        services.ask_for_changes,
        gettext_lazy("Thank you. Your comments were sent to the editors."),
    ),
}


@require_POST
@portal_view(advisory_members=True)
def answer_campaign(request, pk, answer):
    """Her answer to the campaign she read: she approves it, or asks for changes."""
    form_key, form_class, record, thanks = ANSWERS[answer]
    review = waiting_review(request, pk)
    form = form_class(request.POST)
    if not form.is_valid() or form.cleaned_data["review"] != review.pk:
        return campaign.__wrapped__(request, pk, **{form_key: form})
    try:
        record(
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
    messages.success(request, thanks)
    return redirect("portal:advisory_campaigns")
