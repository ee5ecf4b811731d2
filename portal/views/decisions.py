"""A storyteller's decision, one thing per page: read → decide → the choices → check → done.

Her answers in progress live in her session, bound to the exact version she read (its id
and the hash of what readers would get). Every page checks that binding: if the story
changed meanwhile she starts again, with a plain message, and nothing is recorded. Each
page can only be reached once the pages before it are answered; the record itself is made
by the consent services (one transaction, the story locked, the hash checked again there).

Saying no to part of a version — its photo, or the name it gives her — is her decision
too: it is recorded as her request for changes and goes back to the editors, never refused.
"""

from dataclasses import dataclass
from functools import partial, wraps

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import formats
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from wagtail.models import Revision

from consent import selectors, services
from consent.exceptions import PrivateWordsFound, StoryChanged
from consent.forms import UNTIL_CHOICES, UNTIL_DATE, UNTIL_WITHDRAWN
from consent.models import Channel, ConsentEntry
from stories.models import StoryPage

from ..access import own_entry, own_story, portal_view, story_revision
from ..decision_forms import (
    APPROVE,
    BYLINES,
    CHANGES,
    EDIT,
    PHOTO_BLURRED,
    PHOTO_CHOICES,
    PHOTO_HIDDEN,
    PHOTO_SHOWN,
    WITHDRAW,
    WITHDRAW_EVERYWHERE,
    ChangesMessageForm,
    DecideForm,
    NameForm,
    PhotoForm,
    PlacesForm,
    StopPlacesForm,
    UntilForm,
    WithdrawWhereForm,
    error_links,
    parse_day,
)
from .stories import private_words_message

SESSION_KEY = "sayso_decisions"
DECIDED_KEY = "sayso_decided"
TEMPLATES = "portal/decide/"

STORY_CHANGED = _(
    "Your story changed while you were deciding, so we stopped. Nothing was recorded. "
    "Please read it again, then decide."
)


@dataclass
class Decision:
    """Her answers so far, and the version (id and hash) they are about."""

    story: StoryPage
    revision: Revision
    content_hash: str
    answers: dict

    @property
    def version(self):
        if not hasattr(self, "_version"):
            self._version = self.revision.as_object()
        return self._version

    @property
    def has_photo(self):
        return bool(self.version.image_id)

    def steps(self):
        """The approval's questions, in order; the photo only when this version has one."""
        steps = ["places", "name"]
        if self.has_photo:
            steps.append("photo")
        steps.append("until")
        return steps

    def first_unanswered(self):
        return next((step for step in self.steps() if step not in self.answers), None)

    def may_open(self, step):
        """A step opens once every step before it is answered (no skipping by address)."""
        steps = self.steps()
        if step not in steps:
            return False
        return all(earlier in self.answers for earlier in steps[: steps.index(step)])

    def photo_answer(self):
        return self.answers.get("photo", {}).get("photo")

    def photo_in_version(self):
        if not self.has_photo:
            return None
        return PHOTO_BLURRED if self.version.image_blurred else PHOTO_SHOWN

    def requests(self):
        """What she asked for that this version doesn't do: each goes to the editors."""
        asked = []
        byline = self.answers.get("name", {}).get("byline")
        if byline and byline != self.version.byline_kind:
            asked.append(
                {
                    StoryPage.Byline.ANONYMOUS: _("Please don't name me: make it anonymous."),
                    StoryPage.Byline.PSEUDONYM: _("Please name me by the name I chose."),
                    StoryPage.Byline.FIRST_NAME: _("Please name me by my first name."),
                }[byline]
            )
        photo = self.answers.get("photo", {}).get("photo")
        if photo and photo != self.photo_in_version():
            asked.append(
                {
                    PHOTO_HIDDEN: _("Please remove my photo."),
                    PHOTO_BLURRED: _("Please blur my photo."),
                    PHOTO_SHOWN: _("Please show my photo clearly, not blurred."),
                }[photo]
            )
        return asked

    def scope(self):
        until = self.answers["until"]
        return services.Scope(
            channels=tuple(self.answers["places"]["channels"]),
            byline=self.answers["name"]["byline"],
            image_allowed=self.photo_answer() in (PHOTO_SHOWN, PHOTO_BLURRED),
            valid_until=parse_day(until["valid_until"]) if until["until"] == UNTIL_DATE else None,
        )

    def summary(self):
        """Her answers in words, each with the page that changes it (check your answers)."""
        rows = []
        labels = dict(Channel.choices)
        places = self.answers["places"]["channels"]
        rows.append(("places", _("Where it may appear"), ", ".join(str(labels[c]) for c in places)))
        rows.append(("name", _("How it names you"), str(BYLINES[self.answers["name"]["byline"]])))
        if self.has_photo:
            rows.append(("photo", _("Your photo"), str(PHOTO_CHOICES[self.photo_answer()])))
        until = self.answers["until"]
        if until["until"] == UNTIL_DATE:
            day = formats.date_format(parse_day(until["valid_until"]), "j F Y")
            text = _("Until %(day)s, or until you withdraw it") % {"day": day}
        else:
            text = str(UNTIL_CHOICES[UNTIL_WITHDRAWN])
        rows.append(("until", _("For how long"), text))
        return rows

    def request_message(self):
        """Her request, in words the editors read (and she sees on her receipt)."""
        lines = self.requests()
        lines.append("")
        lines.append(_("My other answers:"))
        lines.extend(f"{label}: {text}" for step, label, text in self.summary())
        return "\n".join(lines)


def _flows(request):
    return request.session.get(SESSION_KEY, {})


def _save_flow(request, decision):
    flows = _flows(request)
    flows[str(decision.story.pk)] = {
        "revision": decision.revision.pk,
        "hash": decision.content_hash,
        "answers": decision.answers,
    }
    request.session[SESSION_KEY] = flows


def _end_flow(request, story):
    flows = _flows(request)
    if flows.pop(str(story.pk), None) is not None:
        request.session[SESSION_KEY] = flows


def _decision_for(request, story):
    """Her decision in progress about the version waiting for her, or why there is none.

    Returns (decision, None) or (None, a redirect to the story): no decision started, or
    the version waiting for her is no longer the one she read (a new one, an autosave).
    """
    saved = _flows(request).get(str(story.pk))
    story_page = redirect("portal:story", pk=story.pk)
    if saved is None:
        messages.info(request, _("Read your story first, then choose what to do."))
        return None, story_page
    revision = selectors.open_review_revision(story)
    if (
        revision is None
        or revision.pk != saved["revision"]
        or selectors.revision_content_hash(revision) != saved["hash"]
    ):
        _end_flow(request, story)
        messages.warning(request, STORY_CHANGED)
        return None, story_page
    return Decision(story, revision, saved["hash"], saved["answers"]), None


def offered_decisions(story, *, in_review):
    """What she can do with the story now: approving and asking for changes only while a
    version waits for her; editing never on a withdrawn story (saving would bring it back)."""
    withdrawn = selectors.is_withdrawn(story)
    offered = []
    if in_review:
        offered += [APPROVE, CHANGES]
    if not withdrawn:
        offered += [EDIT, WITHDRAW]
    return offered


def _posted(request):
    # An empty POST is still a POST: its form must say what is missing.
    return request.POST if request.method == "POST" else None


def _render(request, template, context, form=None):
    if form is not None:
        context["form"] = form
        context["error_links"] = error_links(form) if form.is_bound else []
    return render(request, TEMPLATES + template, context)


@require_POST
@portal_view
def start(request, pk):
    """From the story page: start deciding about exactly the version she just read."""
    story = own_story(request, pk)
    try:
        revision_id = int(request.POST.get("revision", ""))
    except ValueError:
        raise Http404 from None
    revision = story_revision(story, revision_id)
    # The page she had open may show a version the editors have since replaced: she is no
    # longer asked about it, so nothing starts from it.
    if (
        selectors.open_review_revision(story) is None
        or selectors.replaced_while_reading(story, revision)
        or selectors.revision_content_hash(revision) != request.POST.get("content_hash")
    ):
        _end_flow(request, story)
        messages.warning(request, STORY_CHANGED)
        return redirect("portal:story", pk=story.pk)
    _save_flow(request, Decision(story, revision, request.POST["content_hash"], {}))
    return redirect("portal:decide", pk=story.pk)


@portal_view
def decide(request, pk):
    """What would you like to do? One choice, then its own pages."""
    story = own_story(request, pk)
    in_review = selectors.open_review_revision(story) is not None
    if in_review:
        decision, elsewhere = _decision_for(request, story)
        if elsewhere:
            return elsewhere
    offered = offered_decisions(story, in_review=in_review)
    form = DecideForm(_posted(request), offered=offered)
    if request.method == "POST" and form.is_valid():
        chosen = form.cleaned_data["decision"]
        return redirect(
            {
                APPROVE: "portal:approve_places",
                CHANGES: "portal:request_changes",
                EDIT: "portal:edit",
                WITHDRAW: "portal:withdraw",
            }[chosen],
            pk=story.pk,
        )
    return _render(request, "decide.html", {"story": story}, form)


# The approval's questions: (form, what the form's answer is called, its template).
STEP_FORMS = {"places": PlacesForm, "name": NameForm, "photo": PhotoForm, "until": UntilForm}


def _initial_answers(decision, step, storyteller):
    """What to show ticked before she answers: her earlier answer, else her last agreement
    for this story (or any), else what this version does. Never a date in the past."""
    if step in decision.answers:
        return decision.answers[step]
    grant = selectors.latest_grant(storyteller, decision.story) or selectors.latest_grant(
        storyteller
    )
    version = decision.version
    if step == "places":
        return {"channels": grant.channels if grant else [Channel.WEBSITE]}
    if step == "name":
        return {"byline": version.byline_kind}
    if step == "photo":
        return {"photo": decision.photo_in_version()}
    if grant and grant.valid_until and grant.valid_until > selectors.today():
        return {"until": UNTIL_DATE, "valid_until": grant.valid_until.isoformat()}
    return {"until": UNTIL_WITHDRAWN}


def _stored_answer(step, cleaned):
    if step == "until":
        day = cleaned["valid_until"]
        return {"until": cleaned["until"], "valid_until": day.isoformat() if day else ""}
    return dict(cleaned)


def _next_page(decision, step, request):
    changing = request.GET.get("change") or request.POST.get("change")
    if changing and decision.first_unanswered() is None:
        return "portal:approve_check"
    steps = decision.steps()
    following = steps[steps.index(step) + 1 :]
    return f"portal:approve_{following[0]}" if following else "portal:approve_check"


def _previous_page(decision, step, story):
    steps = decision.steps()
    index = steps.index(step)
    if index == 0:
        return reverse("portal:decide", args=[story.pk])
    return reverse(f"portal:approve_{steps[index - 1]}", args=[story.pk])


def _approval_step(step):
    @portal_view
    def view(request, pk):
        story = own_story(request, pk)
        decision, elsewhere = _decision_for(request, story)
        if elsewhere:
            return elsewhere
        if not decision.may_open(step):
            first = decision.first_unanswered()
            if first is None:  # a photo question for a version without a photo
                return redirect("portal:approve_check", pk=story.pk)
            return redirect(f"portal:approve_{first}", pk=story.pk)
        form_class = STEP_FORMS[step]
        if request.method == "POST":
            form = form_class(request.POST)
            if form.is_valid():
                decision.answers[step] = _stored_answer(step, form.cleaned_data)
                _save_flow(request, decision)
                return redirect(_next_page(decision, step, request), pk=story.pk)
        else:
            form = form_class(initial=_initial_answers(decision, step, request.storyteller))
        context = {
            "story": story,
            "decision": decision,
            "version": decision.version,
            "back_url": _previous_page(decision, step, story),
            "changing": bool(request.GET.get("change") or request.POST.get("change")),
        }
        return _render(request, f"{step}.html", context, form)

    view.__name__ = f"approve_{step}"
    return view


approve_places = _approval_step("places")
approve_name = _approval_step("name")
approve_photo = _approval_step("photo")
approve_until = _approval_step("until")


def _records_her_decision(page):
    """A page that records her decision, about the version she read and once only.

    ``page(request, story, decision)`` asks and records; sent twice (a double click, going
    back and sending again) she gets the receipt of the first, and if the story changed
    meanwhile nothing is recorded.
    """

    @portal_view
    @wraps(page)
    def view(request, pk):
        story = own_story(request, pk)
        decided = request.session.get(DECIDED_KEY, {}).get(str(story.pk))
        if request.method == "POST" and decided and str(story.pk) not in _flows(request):
            return redirect("portal:decided", pk=story.pk, receipt_id=decided)
        decision, elsewhere = _decision_for(request, story)
        if elsewhere:
            return elsewhere
        try:
            return page(request, story, decision)
        except StoryChanged:
            _end_flow(request, story)
            messages.warning(request, STORY_CHANGED)
            return redirect("portal:story", pk=story.pk)

    return view


def _finish(request, story, entry):
    _end_flow(request, story)
    decided = request.session.get(DECIDED_KEY, {})
    decided[str(story.pk)] = str(entry.receipt_id)
    request.session[DECIDED_KEY] = decided
    return redirect("portal:decided", pk=story.pk, receipt_id=entry.receipt_id)


@_records_her_decision
def approve_check(request, story, decision):
    """Check your answers, then record them: an approval, or her request to the editors."""
    first = decision.first_unanswered()
    if first is not None:
        return redirect(f"portal:approve_{first}", pk=story.pk)
    requests = decision.requests()
    if request.method == "POST":
        if requests:
            record = partial(services.request_changes, message=decision.request_message())
        else:
            record = partial(services.approve_story, scope=decision.scope())
        try:
            entry = record(
                story=story,
                revision=decision.revision,
                user=request.user,
                expected_hash=decision.content_hash,
            )
        except PrivateWordsFound as refusal:
            _end_flow(request, story)
            # The message names the parts, never the word (messages may travel in a cookie).
            messages.error(request, private_words_message(refusal.fields, approving=True))
            return redirect("portal:story", pk=story.pk)
        return _finish(request, story, entry)
    context = {
        "story": story,
        "decision": decision,
        "version": decision.version,
        "rows": decision.summary(),
        "requests": requests,
        "back_url": reverse(f"portal:approve_{decision.steps()[-1]}", args=[story.pk]),
    }
    return _render(request, "check.html", context)


@_records_her_decision
def request_changes(request, story, decision):
    """Ask for changes to the version she read: one question, in her own words."""
    form = ChangesMessageForm(_posted(request))
    if request.method == "POST" and form.is_valid():
        entry = services.request_changes(
            story=story,
            revision=decision.revision,
            user=request.user,
            message=form.cleaned_data["message"],
            expected_hash=decision.content_hash,
        )
        return _finish(request, story, entry)
    context = {"story": story, "back_url": reverse("portal:decide", args=[story.pk])}
    return _render(request, "changes.html", context, form)


@portal_view
def decided(request, pk, receipt_id):
    """Done: what she decided, what happens next, and her receipt."""
    story = own_story(request, pk)
    entry = own_entry(request, receipt_id)
    if entry.story_id != story.pk:
        raise Http404
    return render(
        request,
        TEMPLATES + "done.html",
        {"story": story, "entry": entry, "narrowed": _narrowed(entry)},
    )


def _narrowed(entry):
    """True when this grant keeps the same words as her grant before it, in fewer places."""
    if not entry.is_grant:
        return False
    previous = (
        ConsentEntry.objects.filter(
            story_id=entry.story_id,
            decision=ConsentEntry.Decision.GRANTED,
            sequence__lt=entry.sequence,
        )
        .order_by("-sequence")
        .first()
    )
    return (
        previous is not None
        and previous.content_hash == entry.content_hash
        and set(entry.channels) < set(previous.channels)
    )


@portal_view
def withdraw(request, pk):
    """Take the story down everywhere, or stop some of its places and keep the others."""
    story = own_story(request, pk)
    can_narrow = services.places_she_can_stop(story) is not None
    form = WithdrawWhereForm(_posted(request), can_narrow=can_narrow)
    if request.method == "POST" and form.is_valid():
        if form.cleaned_data["where"] == WITHDRAW_EVERYWHERE:
            entry = services.withdraw_story(story=story, user=request.user)
            return _finish(request, story, entry)
        return redirect("portal:withdraw_places", pk=story.pk)
    context = {
        "story": story,
        "withdrawn": selectors.is_withdrawn(story),
        "back_url": reverse("portal:story", args=[story.pk]),
    }
    return _render(request, "withdraw.html", context, form)


@portal_view
def withdraw_places(request, pk):
    """Which places stop: her agreement narrows at once, the places she keeps stay."""
    story = own_story(request, pk)
    grant = services.places_she_can_stop(story)
    if grant is None:
        return redirect("portal:withdraw", pk=story.pk)
    form = StopPlacesForm(_posted(request), places=grant.channels)
    if request.method == "POST" and form.is_valid():
        try:
            entry = services.narrow_consent(
                story=story, user=request.user, stop=form.cleaned_data["stop"]
            )
        except (ValueError, services.ConsentRequired):
            # Her agreement changed between the two pages (another tab): ask again.
            return redirect("portal:withdraw", pk=story.pk)
        return _finish(request, story, entry)
    context = {"story": story, "back_url": reverse("portal:withdraw", args=[story.pk])}
    return _render(request, "withdraw_places.html", context, form)
