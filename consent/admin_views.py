"""Admin views for editors: invitation links, decisions recorded in person, and confirming
storytellers' requests for erasure."""

from django import forms
from django.apps import apps
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST
from wagtail.admin.views.generic import CreateView, EditView

from core.redirects import safe_next

from . import erasure, services
from .exceptions import ConsentRequired
from .forms import UNTIL_WITHDRAWN, ScopeForm
from .models import ConsentEntry, ErasureRequest, Notification, Storyteller


class StorytellerCreateView(CreateView):
    """After creating a storyteller, go straight to making their invitation link."""

    def get_success_url(self):
        return reverse("consent_invite", args=[self.object.pk])


class StorytellerEditView(EditView):
    """Saving private words can take published stories down; the editor is told which.

    Above the form: where her account stands, and a button for a new invitation link.
    """

    template_name = "consent/admin/storyteller_edit.html"

    def get_context_data(self, **kwargs):
        from .selectors import account_status

        context = super().get_context_data(**kwargs)
        context["storyteller"] = self.object
        context["account_status"] = account_status(self.object)
        context["can_invite"] = self.request.user.has_perm("consent.change_storyteller")
        return context

    def save_instance(self):
        instance = super().save_instance()
        taken_down = getattr(instance, "stories_taken_down", [])
        if taken_down:
            messages.warning(
                self.request,
                ngettext(
                    "%(count)d published story contained one of %(name)s's private words, so "
                    "it was taken off the website: %(titles)s.",
                    "%(count)d published stories contained %(name)s's private words, so they "
                    "were taken off the website: %(titles)s.",
                    len(taken_down),
                )
                % {
                    "count": len(taken_down),
                    "name": instance.pseudonym,
                    "titles": ", ".join(f"“{story.title}”" for story in taken_down),
                },
            )
        return instance


def invite(request, pk):
    """Make a single-use invitation link, shown once, to hand over in person.

    Each new link ends every earlier unused one (services.create_invitation).
    """
    from .selectors import account_status

    if not request.user.has_perm("consent.change_storyteller"):
        # A plain 403 page, not Wagtail's redirect to the dashboard: the editor learns why.
        return TemplateResponse(
            request,
            "consent/admin/not_allowed.html",
            {"reason": _("Only editors who manage storytellers can make invitation links.")},
            status=403,
        )
    storyteller = get_object_or_404(Storyteller, pk=pk)
    context = {
        "storyteller": storyteller,
        "account_status": account_status(storyteller),
        "next": safe_next(request),
    }
    if request.method == "POST":
        invitation, token = services.create_invitation(
            storyteller=storyteller, created_by=request.user
        )
        context["invitation"] = invitation
        context["link"] = request.build_absolute_uri(reverse("portal:welcome", args=[token]))
    response = TemplateResponse(request, "consent/admin/invite.html", context)
    response["Cache-Control"] = "no-store"
    return response


class InPersonConsentForm(ScopeForm):
    """An editor records what a storyteller decided in person, before a named witness."""

    decision = forms.ChoiceField(
        label=_("What did the storyteller decide?"),
        choices=[
            (ConsentEntry.Decision.GRANTED, _("They approved this version")),
            (ConsentEntry.Decision.WITHDRAWN, _("They withdrew the story")),
        ],
        widget=forms.RadioSelect,
    )
    witness_name = forms.CharField(label=_("Witness's name"), max_length=120)
    field_order = ["decision", "witness_name"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # A withdrawal needs no scope; the scope fields only matter for an approval.
        for name in ("channels", "byline", "until"):
            self.fields[name].required = False

    def clean(self):
        data = super().clean()
        if data.get("decision") == ConsentEntry.Decision.GRANTED:
            for name in ("channels", "byline", "until"):
                if not data.get(name):
                    self.add_error(name, _("Needed for an approval."))
        return data


def record_in_person(request, pk):
    """Record a decision the storyteller made in person (the portal is the usual way)."""
    story = get_object_or_404(apps.get_model("stories", "StoryPage"), pk=pk)
    if not story.permissions_for_user(request.user).can_edit():
        raise PermissionDenied
    revision = story.get_latest_revision()
    version = story.get_latest_revision_as_object()
    form = InPersonConsentForm(
        request.POST or None,
        story=version,
        initial={"byline": version.byline_kind, "until": UNTIL_WITHDRAWN},
    )
    if request.method == "POST" and form.is_valid():
        try:
            if form.cleaned_data["decision"] == ConsentEntry.Decision.WITHDRAWN:
                services.withdraw_story(
                    story=story,
                    recorded_by=request.user,
                    witness_name=form.cleaned_data["witness_name"],
                )
            else:
                services.record_in_person_consent(
                    story=story,
                    revision=revision,
                    editor=request.user,
                    witness_name=form.cleaned_data["witness_name"],
                    scope=form.scope(),
                )
        except ConsentRequired as refusal:
            form.add_error(None, str(refusal))
        else:
            messages.success(request, _("Recorded in the consent ledger."))
            return redirect("wagtailadmin_pages:edit", story.pk)
    return TemplateResponse(
        request,
        "consent/admin/record_in_person.html",
        {"story": story, "version": version, "form": form},
    )


@require_POST
def mark_notifications_read(request):
    Notification.objects.filter(recipient=request.user, read_at__isnull=True).update(
        read_at=timezone.now()
    )
    return redirect("wagtailadmin_home")


# Erasure requests


def _require_confirmer(user):
    if not user.has_perm(erasure.CONFIRM_PERMISSION):
        raise PermissionDenied


def erasure_requests(request):
    """The storytellers' requests for erasure waiting for confirmation, and the done ones."""
    _require_confirmer(request.user)
    requests = ErasureRequest.objects.select_related("storyteller", "story", "confirmed_by")
    return TemplateResponse(
        request,
        "consent/admin/erasure_requests.html",
        {
            "pending": requests.filter(confirmed_at__isnull=True),
            "done": requests.filter(confirmed_at__isnull=False).order_by("-confirmed_at")[:50],
        },
    )


def confirm_erasure(request, pk):
    """Show what erasure will delete, and do it when the editor confirms."""
    _require_confirmer(request.user)
    erasure_request = get_object_or_404(
        ErasureRequest.objects.select_related("storyteller", "story"),
        pk=pk,
        confirmed_at__isnull=True,
        story__isnull=False,
    )
    story = erasure_request.story.specific
    if request.method == "POST":
        try:
            done = erasure.confirm_erasure(erasure_request=erasure_request, editor=request.user)
        except erasure.ErasureNotPossible as refusal:
            messages.error(request, str(refusal))
        else:
            if done is None:
                messages.warning(
                    request,
                    _(
                        "The storyteller approved this story again after asking, so their "
                        "request lapsed. Nothing was erased."
                    ),
                )
            else:
                messages.success(request, _("Erased. The consent ledger keeps only tombstones."))
        return redirect("consent_erasure_requests")
    return TemplateResponse(
        request,
        "consent/admin/confirm_erasure.html",
        {
            "erasure_request": erasure_request,
            "story": story,
            "possible": erasure.may_be_erased(story) and not erasure.has_lapsed(erasure_request),
            "preview": erasure.what_erasure_deletes(erasure_request),
        },
    )
