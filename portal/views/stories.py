"""Her stories in the portal: read, approve, ask for changes, edit, withdraw, and the words
that must never appear."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.text import get_text_list
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.views import JUST_WELCOMED
from consent import selectors, services
from consent.exceptions import PrivateWordsFound, StoryWithdrawn
from consent.export import WHAT_IS_EXPORTED
from consent.forms import UNTIL_DATE, UNTIL_WITHDRAWN
from core.text.diff import reader_view, story_changes
from stories.models import StoryPage

from ..access import own_story, portal_view
from ..forms import EditStoryForm, PrivateWordForm


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


@portal_view
def home(request):
    stories = StoryPage.objects.filter(storyteller=request.storyteller).order_by("-pk")
    rows = [(story, selectors.story_status(story)) for story in stories]
    return render(
        request,
        "portal/home.html",
        {
            "rows": rows,
            "what_is_exported": WHAT_IS_EXPORTED.values(),
            "sign_in_name": request.user.get_username(),
            "just_welcomed": request.session.pop(JUST_WELCOMED, False),
        },
    )


@portal_view
def story_detail(request, pk):
    story = own_story(request, pk)
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
            # What she reads here is what she decides about: the next pages are bound to it.
            context["decide_version"] = {
                "revision": revision.pk,
                "content_hash": selectors.content_hash(version),
            }
    context["can_edit"] = not selectors.is_withdrawn(story)
    return render(request, "portal/story.html", context)


@portal_view
def edit(request, pk):
    story = own_story(request, pk)
    if selectors.is_withdrawn(story):
        # Saving counts as approval: on a withdrawn story it would bring the story back.
        return render(request, "portal/edit_withdrawn.html", {"story": story}, status=403)
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
                    photo=form.photo_choice(),
                )
            except StoryWithdrawn:
                return render(request, "portal/edit_withdrawn.html", {"story": story}, status=403)
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
    return render(request, "portal/edit.html", {"story": story, "form": form})


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


@portal_view
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
        "portal/private_words.html",
        {"words": storyteller.private_term_list(), "form": form},
    )
