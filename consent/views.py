"""The storyteller portal at /my/: thin views over the consent services."""

import json
from functools import wraps

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth import views as auth_views
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from wagtail.models import Revision

from accounts.sign_in_forms import NewPasswordForm, ResetRequestForm, SignInForm
from stories.models import StoryPage

from . import selectors, services
from .diff import reader_view, story_changes
from .exceptions import PrivateWordsFound
from .export import WHAT_IS_EXPORTED
from .models import ConsentEntry, Storyteller
from .portal_forms import (
    UNTIL_DATE,
    UNTIL_WITHDRAWN,
    ApproveForm,
    ChangesForm,
    ContactForm,
    EditStoryForm,
    PrivateWordForm,
    WelcomeForm,
    WithdrawForm,
)
from .receipts import kantara_receipt

SIGN_IN_BACKEND = "accounts.backends.SignInNameOrEmailBackend"
# Set for the first page after the welcome, which then shows her sign-in name prominently.
JUST_WELCOMED = "sayso_just_welcomed"


def storyteller_required(view):
    """Only signed-in storytellers; everyone else gets the login page or a plain refusal."""

    @wraps(view)
    @never_cache
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect(f"{reverse('portal:login')}?next={request.path}")
        storyteller = Storyteller.objects.filter(user=request.user).first()
        if storyteller is None:
            raise PermissionDenied
        request.storyteller = storyteller
        return view(request, *args, **kwargs)

    return wrapper


def _own_story(request, pk):
    """One of the signed-in storyteller's stories; anyone else's is simply not found."""
    return get_object_or_404(StoryPage, pk=pk, storyteller=request.storyteller)


def _story_revision(story, revision_id):
    return get_object_or_404(Revision.page_revisions, pk=revision_id, object_id=str(story.pk))


def _initial_scope(story, storyteller):
    grant = selectors.latest_grant(storyteller, story) or selectors.latest_grant(storyteller)
    initial = {"byline": story.byline_kind, "until": UNTIL_WITHDRAWN, "channels": ["website"]}
    if grant is not None:
        initial.update(
            channels=grant.channels,
            image_allowed="yes" if grant.image_allowed else "no",
            until=UNTIL_DATE if grant.valid_until else UNTIL_WITHDRAWN,
            valid_until=grant.valid_until,
        )
    return initial


@storyteller_required
def home(request):
    stories = StoryPage.objects.filter(storyteller=request.storyteller).order_by("-pk")
    rows = [(story, selectors.story_status(story)) for story in stories]
    return render(
        request,
        "consent/portal/home.html",
        {
            "rows": rows,
            "what_is_exported": WHAT_IS_EXPORTED.values(),
            "sign_in_name": request.user.get_username(),
            "just_welcomed": request.session.pop(JUST_WELCOMED, False),
        },
    )


@storyteller_required
def story_detail(request, pk, approve_form=None, changes_form=None):
    story = _own_story(request, pk)
    revision = selectors.version_to_read(story)
    status = selectors.story_status(story)
    context = {"story": story, "status": status, "revision": revision}
    if revision is not None:
        version = revision.as_object()
        context["version"] = version
        # The story's words are in the preview above; every other thing readers get is listed.
        context["details"] = [row for row in reader_view(version) if row.key != "body"]
        previous = selectors.last_approved_revision(story)
        if previous is not None:
            # Her approval is bound to a hash: when the version she approved no longer gives
            # it, something it points to changed underneath (a photo's file replaced).
            replaced = selectors.revision_content_hash(previous) != selectors.approved_content_hash(
                story, previous
            )
            if previous.pk != revision.pk or replaced:
                context["changes"] = story_changes(
                    previous.as_object(), version, changed_underneath=replaced
                )
                context["compared_with"] = previous
        waiting = selectors.open_review_revision(story)
        if waiting is not None and waiting.pk == revision.pk:
            initial = _initial_scope(version, request.storyteller)
            initial.update(revision=revision.pk, content_hash=selectors.content_hash(version))
            context["approve_form"] = approve_form or ApproveForm(initial=initial, story=version)
            context["changes_form"] = changes_form or ChangesForm(initial={"revision": revision.pk})
    return render(request, "consent/portal/story.html", context)


@require_POST
@storyteller_required
def approve(request, pk):
    story = _own_story(request, pk)
    form = ApproveForm(request.POST, story=story.get_latest_revision_as_object())
    if not form.is_valid():
        return story_detail.__wrapped__(request, pk, approve_form=form)
    revision = _story_revision(story, form.cleaned_data["revision"])
    # What they read must be what they approve, to the byte: an autosave or an editor's
    # change in between gives a different hash.
    if selectors.revision_content_hash(revision) != form.cleaned_data["content_hash"]:
        messages.warning(
            request, _("The story changed while you were reading it. Please read it again.")
        )
        return redirect("portal:story", pk=story.pk)
    try:
        entry = services.approve_story(
            story=story, revision=revision, user=request.user, scope=form.scope()
        )
    except PrivateWordsFound as refusal:
        # The message names the parts, never the word (messages may travel in a cookie).
        messages.error(request, private_words_message(refusal.fields, approving=True))
        return redirect("portal:story", pk=story.pk)
    messages.success(request, _("Thank you. You approved your story."))
    return redirect("portal:receipt", receipt_id=entry.receipt_id)


@require_POST
@storyteller_required
def request_changes(request, pk):
    story = _own_story(request, pk)
    form = ChangesForm(request.POST)
    if not form.is_valid():
        return story_detail.__wrapped__(request, pk, changes_form=form)
    from .sanitise import clean_plain_text

    revision = _story_revision(story, form.cleaned_data["revision"])
    entry = services.request_changes(
        story=story,
        revision=revision,
        user=request.user,
        message=clean_plain_text(form.cleaned_data["message"]),
    )
    messages.success(request, _("Your message was sent to the editors."))
    return redirect("portal:receipt", receipt_id=entry.receipt_id)


@storyteller_required
def edit(request, pk):
    story = _own_story(request, pk)
    draft = story.get_latest_revision_as_object()
    if request.method == "POST":
        form = EditStoryForm(request.POST, story=draft)
        if form.is_valid():
            try:
                entry = services.edit_story(
                    story=story,
                    user=request.user,
                    title=form.cleaned_data["title"],
                    summary=form.cleaned_data["summary"],
                    body=form.cleaned_data["body"],
                    scope=form.scope(),
                )
            except PrivateWordsFound as refusal:
                for name in refusal.fields:
                    form.add_error(
                        name if name in form.fields else None,
                        private_words_message([name], approving=False),
                    )
            else:
                messages.success(
                    request, _("Your changes are saved. The editors will see your new version.")
                )
                return redirect("portal:receipt", receipt_id=entry.receipt_id)
    else:
        initial = _initial_scope(draft, request.storyteller)
        initial.update(title=draft.title, summary=draft.summary, body=draft.body)
        form = EditStoryForm(initial=initial, story=draft)
    return render(request, "consent/portal/edit.html", {"story": story, "form": form})


@storyteller_required
def withdraw(request, pk):
    story = _own_story(request, pk)
    if request.method == "POST":
        form = WithdrawForm(request.POST)
        if form.is_valid():
            entry = services.withdraw_story(story=story, user=request.user)
            messages.success(request, _("Done. Your story is no longer on the website."))
            return redirect("portal:receipt", receipt_id=entry.receipt_id)
    else:
        form = WithdrawForm()
    return render(request, "consent/portal/withdraw.html", {"story": story, "form": form})


# What the storyteller calls the parts of their story.
STORY_PARTS = {
    "title": gettext_lazy("title"),
    "summary": gettext_lazy("summary"),
    "body": gettext_lazy("story"),
    "slug": gettext_lazy("web address"),
    "image": gettext_lazy("photo description"),
}


def private_words_message(fields, *, approving):
    """Tell the storyteller where one of their private words is, in their own terms."""
    from django.utils.text import get_text_list

    parts = get_text_list([str(STORY_PARTS.get(name, _("details"))) for name in fields], _("and"))
    if approving:
        return _(
            "One of the words you asked us never to publish is in the %(parts)s, so this can't "
            "be approved as it is. Ask for changes, or edit it yourself."
        ) % {"parts": parts}
    return _(
        "This has one of the words you asked us never to publish. Take it out, or remove it "
        "from your list of words that must never appear."
    )


@storyteller_required
def private_words(request):
    """The storyteller's own list of words that must never appear in a published story."""
    storyteller = request.storyteller
    form = PrivateWordForm()
    if request.method == "POST":
        if "remove" in request.POST:
            services.change_private_terms(storyteller, remove=[request.POST["remove"]])
            messages.success(request, _("Removed from your list."))
            return redirect("portal:private_words")
        form = PrivateWordForm(request.POST)
        if form.is_valid():
            taken_down = services.change_private_terms(storyteller, add=[form.cleaned_data["word"]])
            messages.success(request, _("Added. No story with it can go on the website."))
            if taken_down:
                messages.warning(
                    request,
                    _(
                        "One of your stories on the website had it, so we took that story off "
                        "the website just now. The editors have been told."
                    ),
                )
            return redirect("portal:private_words")
    return render(
        request,
        "consent/portal/private_words.html",
        {"words": storyteller.private_term_list(), "form": form},
    )


@storyteller_required
def history(request):
    entries = (
        ConsentEntry.objects.filter(storyteller=request.storyteller)
        .select_related("story")
        .order_by("-sequence")
    )
    return render(request, "consent/portal/history.html", {"entries": entries})


def _own_entry(request, receipt_id):
    return get_object_or_404(
        ConsentEntry.objects.select_related("story", "storyteller"),
        receipt_id=receipt_id,
        storyteller=request.storyteller,
    )


@storyteller_required
def receipt(request, receipt_id):
    entry = _own_entry(request, receipt_id)
    return render(request, "consent/portal/receipt.html", {"entry": entry})


@storyteller_required
def receipt_json(request, receipt_id):
    entry = _own_entry(request, receipt_id)
    response = HttpResponse(
        json.dumps(kantara_receipt(entry), indent=2, ensure_ascii=False),
        content_type="application/json; charset=utf-8",
    )
    response["Content-Disposition"] = (
        f'attachment; filename="sayso-receipt-{entry.receipt_id}.json"'
    )
    return response


@storyteller_required
def contact(request):
    storyteller = request.storyteller
    if request.method == "POST":
        form = ContactForm(request.POST)
        if form.is_valid():
            with transaction.atomic():
                storyteller.contact_preference = form.cleaned_data["contact_preference"]
                storyteller.save(update_fields=["contact_preference"])
                request.user.email = form.cleaned_data["email"]
                request.user.save(update_fields=["email"])
            messages.success(request, _("Saved."))
            return redirect("portal:home")
    else:
        form = ContactForm(
            initial={
                "contact_preference": storyteller.contact_preference,
                "email": request.user.email,
            }
        )
    return render(request, "consent/portal/contact.html", {"form": form})


@never_cache
def welcome(request, token):
    """Opening an invitation: choose a name and a password, then you're in."""
    invitation = services.find_invitation(token)
    if invitation is None:
        return render(request, "consent/portal/welcome_invalid.html", status=410)
    storyteller = invitation.storyteller
    if request.method == "POST":
        form = WelcomeForm(request.POST, storyteller=storyteller)
        if form.is_valid():
            try:
                user = services.accept_invitation(
                    invitation=invitation,
                    pseudonym=form.cleaned_data["pseudonym"],
                    password=form.cleaned_data["password1"],
                    sign_in_name=form.cleaned_data["sign_in_name"],
                )
            except ValueError:
                return render(request, "consent/portal/welcome_invalid.html", status=410)
            except ValidationError as taken:
                # Someone took a name that reads the same between her form and her save.
                form.add_error("sign_in_name", taken)
            else:
                login(request, user, backend=SIGN_IN_BACKEND)
                messages.success(request, _("Welcome. This is your own space on Sayso."))
                request.session[JUST_WELCOMED] = True
                return redirect("portal:home")
    else:
        form = WelcomeForm(initial={"pseudonym": storyteller.pseudonym}, storyteller=storyteller)
    return render(request, "consent/portal/welcome.html", {"form": form})


@csrf_exempt
def quick_exit(request):
    """End the session and go somewhere neutral, at once. Works with or without JavaScript."""
    logout(request)
    response = HttpResponseRedirect(settings.SAYSO_QUICK_EXIT_URL)
    response["Cache-Control"] = "no-store"
    response["Clear-Site-Data"] = '"cache", "storage"'
    return response


class PortalLoginView(auth_views.LoginView):
    template_name = "consent/portal/login.html"
    authentication_form = SignInForm
    redirect_authenticated_user = True

    def get_success_url(self):
        return self.get_redirect_url() or reverse("portal:home")


class PortalLogoutView(auth_views.LogoutView):
    next_page = reverse_lazy("portal:login")


class PortalPasswordResetView(auth_views.PasswordResetView):
    template_name = "consent/portal/password_reset.html"
    form_class = ResetRequestForm
    email_template_name = "consent/portal/password_reset_email.txt"
    subject_template_name = "consent/portal/password_reset_subject.txt"
    success_url = reverse_lazy("portal:password_reset_done")


class PortalPasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "consent/portal/password_reset_confirm.html"
    form_class = NewPasswordForm
    success_url = reverse_lazy("portal:login")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        if context.get("validlink"):
            context["sign_in_name"] = self.user.get_username()
        return context

    def form_valid(self, form):
        messages.success(
            self.request,
            _("Your new password is set. Sign in with your sign-in name or email and it."),
        )
        return super().form_valid(form)


def password_reset_done(request):
    return render(request, "consent/portal/password_reset_done.html")
