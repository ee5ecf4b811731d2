"""Page types: the home page, campaigns and stories."""

import logging
import re
import secrets

from django.core.exceptions import ValidationError
from django.db import models
from django.forms import CheckboxSelectMultiple, Select
from django.http import Http404
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField
from modelcluster.fields import ParentalKey, ParentalManyToManyField
from wagtail.admin.panels import FieldPanel, MultiFieldPanel
from wagtail.fields import RichTextField
from wagtail.models import Orderable, Page
from wagtail.search import index
from wagtail.snippets.models import register_snippet

from compensation.panels import CompensationStatusPanel
from consent.models import Byline, Channel
from core.text.sanitise import STORY_RICH_TEXT_FEATURES
from images.embeds import bind_file_hashes

from . import guard
from .forms import (
    CampaignCopyForm,
    CampaignPageForm,
    PublicPageForm,
    StoryCopyForm,
    StoryPageForm,
)
from .guard import StoryGone  # noqa: F401  (stories.middleware answers it with 410)
from .panels import ConsentStatusPanel, ScopedStoriesPanel

# STORY_RICH_TEXT_FEATURES (core.text.sanitise): what a storyteller can also write in the portal.
INTRO_RICH_TEXT_FEATURES = ["bold", "italic", "link"]

# The admin's rich-text editor tags every block with a random data-block-key and adds one to
# text that has none (the portal's, the seed's), so unchanged words came back from the
# editor's form with a new hash and the Publish button refused approved words. The key is
# editor bookkeeping that carries no words, so consent is bound to the text without it.
_BLOCK_KEY = re.compile(r'\sdata-block-key="[^"]*"')

logger = logging.getLogger(__name__)


class _NoPrivateWordsMixin:
    """Pages other than stories (and names stories share) show nobody's private words.

    A story is checked against its own storyteller's words (publication_verdict). Every
    other public string, the home page's, an index's, a campaign's, a topic's or a warning's,
    is checked against every storyteller's words and legal name by the one rule,
    consent.selectors.public_page_verdict: save() refuses to make such a page live (so the
    Publish button, a schedule, a bulk action, the API and copies all meet it), and serve()
    re-checks the page exactly as a reader gets it, before any cache can store it.
    """

    public_html_fields = ("intro",)
    # The model fields public_strings() reads: the whitelist the save guard is keyed on.
    public_fields = ("title", "seo_title", "search_description", "slug", "intro")

    def public_strings(self):
        """Every string of this page a reader can see, by field name."""
        return {
            "title": self.title,
            "seo_title": self.seo_title,
            "search_description": self.search_description,
            "slug": self.slug,
            "intro": getattr(self, "intro", ""),
        }

    def save(self, *args, **kwargs):
        update_fields = kwargs.get("update_fields")
        if self.live and guard.changes_what_readers_see(self, update_fields):
            from consent.exceptions import PrivateWordsFound
            from consent.selectors import public_page_verdict

            verdict = public_page_verdict(self)
            if not verdict.allowed:
                raise PrivateWordsFound(verdict.reason, verdict.extra["fields"])
        return super().save(*args, **kwargs)

    def serve(self, request, *args, **kwargs):
        from consent.selectors import public_page_verdict
        from core.text.redaction import without_exempt

        # Story cards are marked so the check leaves them to their own storyteller's verdict
        # (publicly_consented chose them); the mark is new for every render.
        request.sayso_exempt_mark = secrets.token_hex(16)
        response = super().serve(request, *args, **kwargs)
        if getattr(request, "is_preview", False):
            return response  # an editor's preview in the admin, not a reader's page
        if hasattr(response, "render"):
            response.render()
        rendered = without_exempt(
            response.content.decode(response.charset or "utf-8"), request.sayso_exempt_mark
        )
        if not public_page_verdict(self, rendered=rendered).allowed:
            logger.warning("Withheld page %s: it holds a storyteller's private words", self.pk)
            raise Http404
        return response


class _ApprovedWordingMixin:
    """Names that appear on published stories can't be reworded under them.

    Storytellers approved their story with these words shown; renaming one would change
    what readers see without their say-so (and the story would stop matching its consent).
    """

    def clean(self):
        super().clean()
        if self.pk is None:
            return
        previous = type(self).objects.filter(pk=self.pk).values_list("name", flat=True).first()
        if (
            previous is not None
            and previous != self.name
            and self.stories.filter(live=True).exists()
        ):
            raise ValidationError(
                {
                    "name": _(
                        "Published stories show this wording, approved by their storytellers. "
                        "Add a new one instead and change the stories through review."
                    )
                }
            )


class _SharedNameMixin:
    """A name every story using it shows: it may hold nobody's private words (see
    _NoPrivateWordsMixin); refused in the editor's form and at save."""

    public_html_fields = ()

    def public_strings(self):
        return {"name": self.name}

    def _private_words_verdict(self):
        from consent.selectors import public_page_verdict

        return public_page_verdict(self)

    def clean(self):
        super().clean()
        verdict = self._private_words_verdict()
        if not verdict.allowed:
            raise ValidationError(
                {
                    field: _("This contains a storyteller's private words. Readers would see it.")
                    for field in verdict.extra["fields"]
                }
            )

    def save(self, *args, **kwargs):
        from consent.exceptions import PrivateWordsFound

        verdict = self._private_words_verdict()
        if not verdict.allowed:
            raise PrivateWordsFound(verdict.reason, verdict.extra["fields"])
        return super().save(*args, **kwargs)


@register_snippet
class ContentWarning(_SharedNameMixin, _ApprovedWordingMixin, models.Model):
    """A managed warning shown to readers before a story's text."""

    name = models.CharField(_("name"), max_length=80, unique=True)
    description = models.CharField(_("description"), max_length=255, blank=True)

    panels = [FieldPanel("name"), FieldPanel("description")]

    class Meta:
        ordering = ["name"]
        verbose_name = _("content warning")

    def __str__(self):
        return self.name


@register_snippet
class Topic(_SharedNameMixin, _ApprovedWordingMixin, models.Model):
    name = models.CharField(_("name"), max_length=80, unique=True)
    slug = models.SlugField(_("slug"), max_length=80, unique=True)

    panels = [FieldPanel("name"), FieldPanel("slug")]

    class Meta:
        ordering = ["name"]
        verbose_name = _("topic")

    def __str__(self):
        return self.name

    def public_strings(self):
        return {"name": self.name, "slug": self.slug}


class _ShowsNoStorytellersPhoto:
    """A page that isn't a story never shows a storyteller's photo (see stories.photos)."""

    def clean(self):
        super().clean()
        from .photos import other_page_photo_errors

        errors = other_page_photo_errors(self)
        if errors:
            raise ValidationError(errors)


class HomePage(_NoPrivateWordsMixin, _ShowsNoStorytellersPhoto, Page):
    intro = RichTextField(_("introduction"), features=INTRO_RICH_TEXT_FEATURES, blank=True)
    featured_campaign = models.ForeignKey(
        "stories.CampaignPage",
        verbose_name=_("featured campaign"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    base_form_class = PublicPageForm
    content_panels = [*Page.content_panels, FieldPanel("intro"), FieldPanel("featured_campaign")]

    parent_page_types = ["wagtailcore.Page"]

    def route(self, request, path_components):
        # Home's children can only be the two indexes (subpage_types): look them up by type
        # directly, sparing Wagtail's generic lookup-then-.specific round trip on every
        # uncached story or campaign view.
        if path_components:
            for model in (StoryIndexPage, CampaignIndexPage):
                child = model.objects.child_of(self).filter(slug=path_components[0]).first()
                if child is not None:
                    child._cached_parent_obj = self
                    return child.route(request, path_components[1:])
        return super().route(request, path_components)

    def get_context(self, request, *args, **kwargs):
        from consent.selectors import publicly_consented

        from .views import public_stories

        context = super().get_context(request, *args, **kwargs)
        context["recent_stories"] = publicly_consented(public_stories()[:6])
        featured = self.featured_campaign
        context["featured_campaign"] = featured if featured and featured.live else None
        return context

    subpage_types = ["stories.StoryIndexPage", "stories.CampaignIndexPage"]
    max_count = 1

    class Meta:
        verbose_name = _("home page")


class StoryIndexPage(_NoPrivateWordsMixin, _ShowsNoStorytellersPhoto, Page):
    intro = RichTextField(_("introduction"), features=INTRO_RICH_TEXT_FEATURES, blank=True)

    base_form_class = PublicPageForm
    content_panels = [*Page.content_panels, FieldPanel("intro")]

    parent_page_types = ["stories.HomePage"]
    subpage_types = ["stories.StoryPage"]
    max_count = 1

    STORIES_PER_PAGE = 12

    class Meta:
        verbose_name = _("story index")

    def route(self, request, path_components):
        # One query for the story with its photo and its storyteller's private words, then
        # one each for what its consent hash and template need, instead of Wagtail's
        # generic child lookup plus .specific.
        if len(path_components) == 1:
            story = (
                StoryPage.objects.child_of(self)
                .filter(slug=path_components[0])
                .select_related("image", "storyteller")
                .prefetch_related("content_warnings", "topics", "image__renditions")
                .first()
            )
            if story is None:
                raise Http404
            story._cached_parent_obj = self
            return story.route(request, [])
        return super().route(request, path_components)

    def get_context(self, request, *args, **kwargs):
        from django.core.paginator import Paginator
        from django_countries import countries

        from consent.selectors import publicly_consented

        from .views import public_stories

        context = super().get_context(request, *args, **kwargs)
        topic = request.GET.get("topic", "")[:80]
        region = request.GET.get("region", "")[:2].upper()
        # One verdict for every story here, before filtering and paging: the filters then
        # name only what readers may see (not the topic or country of a story whose
        # consent lapsed before the sweep), and every page holds a full page of stories.
        shown = publicly_consented(public_stories().child_of(self))
        stories = [
            story
            for story in shown
            if (not topic or any(t.slug == topic for t in story.topics.all()))
            and (not region or _region_code(story) == region)
        ]
        page = Paginator(stories, self.STORIES_PER_PAGE).get_page(request.GET.get("page"))
        codes = {_region_code(story) for story in shown} - {""}
        topics = {t.pk: t for story in shown for t in story.topics.all()}
        context.update(
            stories=page,
            topics=sorted(topics.values(), key=lambda t: t.name),
            regions=sorted(((code, countries.name(code)) for code in codes), key=lambda r: r[1]),
            selected_topic=topic,
            selected_region=region,
        )
        return context


def _region_code(story):
    return str(story.region.code or "") if story.region else ""


class StoryPage(Page):
    """A storyteller's story: public only while their consent covers exactly these words."""

    Byline = Byline  # consent.models.Byline: what she agrees to is what the page shows

    storyteller = models.ForeignKey(
        "consent.Storyteller",
        verbose_name=_("storyteller"),
        on_delete=models.PROTECT,
        related_name="stories",
        help_text=_("Never shown to the public. Only this person can approve the story."),
    )
    summary = models.TextField(_("summary"), max_length=400)
    body = RichTextField(_("story"), features=STORY_RICH_TEXT_FEATURES)
    content_warnings = ParentalManyToManyField(
        ContentWarning, verbose_name=_("content warnings"), blank=True, related_name="stories"
    )
    byline_kind = models.CharField(
        _("how the storyteller is named"),
        max_length=20,
        choices=Byline.choices,
        default=Byline.ANONYMOUS,
    )
    byline_name = models.CharField(
        _("name shown"),
        max_length=80,
        blank=True,
        help_text=_("The pseudonym or first name the storyteller chose. Empty when anonymous."),
    )
    image = models.ForeignKey(
        "images.SaysoImage",
        verbose_name=_("photo"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    image_alt = models.CharField(_("photo description"), max_length=255, blank=True)
    image_blurred = models.BooleanField(
        _("show the photo blurred"),
        default=False,
        help_text=_("The storyteller asked for this: readers only ever get a blurred copy."),
    )
    topics = ParentalManyToManyField(
        Topic, verbose_name=_("topics"), blank=True, related_name="stories"
    )
    region = CountryField(_("country"), blank=True, blank_label=_("(not given)"))
    # The story this one was copied from, or the alias converted into it. Its id is kept even
    # if that story is deleted (no constraint): a copy keeps its storyteller for good, and an
    # in-person grant can't bring back words whose origin she withdrew.
    copied_from = models.ForeignKey(
        "self",
        verbose_name=_("copied from"),
        null=True,
        blank=True,
        editable=False,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )

    content_panels = [
        ConsentStatusPanel(),
        CompensationStatusPanel(),
        *Page.content_panels,
        FieldPanel("storyteller"),
        FieldPanel("summary"),
        FieldPanel("body"),
        # Tick boxes, not a multiple select that needs Ctrl-click to choose more than one.
        FieldPanel("content_warnings", widget=CheckboxSelectMultiple),
        MultiFieldPanel(
            [FieldPanel("byline_kind"), FieldPanel("byline_name")], heading=_("Byline")
        ),
        MultiFieldPanel(
            [FieldPanel("image"), FieldPanel("image_alt"), FieldPanel("image_blurred")],
            heading=_("Photo"),
        ),
        FieldPanel("topics", widget=CheckboxSelectMultiple),
        FieldPanel("region"),
    ]

    search_fields = [
        *Page.search_fields,
        index.SearchField("summary"),
        index.SearchField("body"),
        index.FilterField("region"),
    ]

    base_form_class = StoryPageForm
    copy_form_class = StoryCopyForm
    parent_page_types = ["stories.StoryIndexPage"]
    subpage_types = []

    class Meta:
        verbose_name = _("story")
        verbose_name_plural = _("stories")

    @property
    def byline(self):
        """The name readers see, exactly as the storyteller chose it."""
        if self.byline_kind == self.Byline.ANONYMOUS:
            return _("Anonymous")
        return self.byline_name

    @property
    def consent_story(self):
        """The story whose consent governs this page: the original, for an alias."""
        if self.alias_of_id:
            return self.alias_of.specific
        return self

    # The model fields public_content() reads: the whitelist consent is bound to, and the
    # fields whose change the save guard checks (stories.guard).
    public_fields = (
        "title",
        "seo_title",
        "search_description",
        "slug",
        "summary",
        "body",
        "content_warnings",
        "byline_kind",
        "byline_name",
        "image",
        "image_alt",
        "image_blurred",
        "topics",
        "region",
    )

    def public_content(self):
        """Every field a reader can see, as plain data: the whitelist consent is bound to."""
        image = None
        if self.image_id:
            image = {
                "id": self.image_id,
                "file_hash": self.image.file_hash,
                "alt": self.image_alt,
            }
            if self.image_blurred:
                # Only when set, so consent given before blurring existed stays bound to
                # exactly the same content.
                image["blurred"] = True
        return {
            "title": self.title,
            "seo_title": self.seo_title,
            "search_description": self.search_description,
            "slug": self.slug,
            "summary": self.summary,
            # Pictures in the text by their file's content, not only their id.
            "body": bind_file_hashes(_BLOCK_KEY.sub("", self.body)),
            "content_warnings": sorted(w.name for w in self.content_warnings.all()),
            "byline_kind": self.byline_kind,
            "byline_name": "" if self.byline_kind == self.Byline.ANONYMOUS else self.byline_name,
            "image": image,
            "topics": sorted(t.name for t in self.topics.all()),
            "region": str(self.region.code if self.region else ""),
        }

    def clean(self):
        super().clean()
        if self.byline_kind != self.Byline.ANONYMOUS and not self.byline_name.strip():
            raise ValidationError(
                {"byline_name": _("Give the pseudonym or first name the storyteller chose.")}
            )
        if self.image_id and not self.image_alt.strip():
            raise ValidationError(
                {"image_alt": _("Describe the photo for people who can't see it.")}
            )
        stored = self._stored_row()
        if stored and stored["storyteller_id"] != self.storyteller_id:
            from consent.selectors import storyteller_is_fixed

            if storyteller_is_fixed(self, stored):
                raise ValidationError({"storyteller": STORYTELLER_FIXED_MESSAGE})
        from .photos import story_photo_errors

        errors = story_photo_errors(self)
        if errors:
            raise ValidationError(errors)

    def _stored_row(self):
        if self.pk is None:
            return None
        return (
            StoryPage.objects.filter(pk=self.pk)
            .values("storyteller_id", "copied_from_id", "alias_of_id")
            .first()
        )

    def save(self, *args, **kwargs):
        # The last word on invariants 2 and 3: whatever door a publish comes through (the
        # editor, a workflow, a bulk action, the scheduler, the API, a copy or an alias), the
        # row that becomes live must carry words the storyteller approved last, and no door
        # can hand her story to another storyteller once she has been asked about it.
        from django.db import transaction

        update_fields = kwargs.get("update_fields")
        with transaction.atomic():
            update_fields = self._keep_storyteller_and_origin(update_fields)
            if update_fields is not None:
                kwargs["update_fields"] = update_fields
            if self.live and guard.changes_what_readers_see(self, update_fields):
                guard.refuse_unless_publishable(self)
            if self._state.adding and self.alias_of_id:
                # Every way of making an alias (admin, create_alias, a parent's recursive
                # alias) saves it here first.
                from consent.erasure import refuse_copy_of_story_under_erasure

                refuse_copy_of_story_under_erasure(self)
            return super().save(*args, **kwargs)

    def _keep_storyteller_and_origin(self, update_fields):
        """What an old revision or a converted alias carries can't change who the story is for.

        A revision saved before the story was copied carries no origin, and converting an
        alias clears alias_of: the row keeps its origin (the alias becomes a copy of its
        original), and a storyteller that is fixed stays.
        """
        stored = self._stored_row()
        if stored is None:
            return update_fields
        origin = stored["copied_from_id"] or (
            stored["alias_of_id"] if self.alias_of_id is None else None
        )
        if origin and self.copied_from_id != origin:
            self.copied_from_id = origin
            if update_fields is not None and "copied_from" not in update_fields:
                update_fields = [*update_fields, "copied_from"]
        if stored["storyteller_id"] != self.storyteller_id and (
            update_fields is None or "storyteller" in update_fields
        ):
            from consent.exceptions import ConsentRequired
            from consent.selectors import storyteller_is_fixed

            if storyteller_is_fixed(self, stored):
                raise ConsentRequired(str(STORYTELLER_FIXED_MESSAGE))
        return update_fields

    def copy(self, *args, keep_live=True, **kwargs):
        from consent.erasure import refuse_copy_of_story_under_erasure

        refuse_copy_of_story_under_erasure(self)
        # Consent was given for this page, not for a copy of it: a copy always starts as a
        # draft that its storyteller must approve.
        return super().copy(*args, keep_live=False, **kwargs)

    def copy_all_child_relations(self, target, exclude=None, **kwargs):
        # Every copy door (the admin's copy view, the API, copy() in code) builds the copy
        # through this, after applying the caller's changes to it: the one place to make a
        # copy keep its storyteller, remember where it came from, and refuse withdrawn words.
        if target.alias_of_id is None:
            from consent.exceptions import ConsentRequired
            from consent.selectors import is_withdrawn
            from consent.services import withdrawn_origin

            origin = self.consent_story
            if is_withdrawn(origin) or withdrawn_origin(origin):
                raise ConsentRequired(str(WITHDRAWN_COPY_MESSAGE))
            if target.storyteller_id != self.storyteller_id:
                raise ConsentRequired(str(STORYTELLER_FIXED_MESSAGE))
            target.copied_from_id = origin.pk
        return super().copy_all_child_relations(target, exclude=exclude, **kwargs)

    def create_alias(self, *args, **kwargs):
        from consent.erasure import refuse_copy_of_story_under_erasure

        refuse_copy_of_story_under_erasure(self)
        return super().create_alias(*args, **kwargs)

    # Every way a reader or the index reaches the story asks the one guard (stories.guard).
    def route(self, request, path_components):
        guard.refuse_route_if_gone(self, path_components)
        return super().route(request, path_components)

    def serve(self, request, *args, **kwargs):
        response = super().serve(request, *args, **kwargs)
        guard.refuse_to_serve(self, response)
        return response

    def is_gone(self):
        """True when the story was public once and its storyteller's consent has ended."""
        return guard.is_gone(self)

    def get_indexed_instance(self):
        if not guard.may_be_indexed(self):
            return None
        return super().get_indexed_instance()


STORYTELLER_FIXED_MESSAGE = _(
    "The storyteller can't be changed: they have been asked to review this story, or have "
    "decided about it, or it is a copy of their story. Only they can decide about it. "
    "Start a new story for someone else."
)
WITHDRAWN_COPY_MESSAGE = _(
    "This story was withdrawn by its storyteller, so it can't be copied. Only they can bring "
    "it back."
)


class CampaignIndexPage(_NoPrivateWordsMixin, _ShowsNoStorytellersPhoto, Page):
    intro = RichTextField(_("introduction"), features=INTRO_RICH_TEXT_FEATURES, blank=True)

    base_form_class = PublicPageForm
    content_panels = [*Page.content_panels, FieldPanel("intro")]

    parent_page_types = ["stories.HomePage"]
    subpage_types = ["stories.CampaignPage"]
    max_count = 1

    class Meta:
        verbose_name = _("campaign index")


class CampaignPage(_NoPrivateWordsMixin, _ShowsNoStorytellersPhoto, Page):
    intro = RichTextField(_("introduction"), features=INTRO_RICH_TEXT_FEATURES, blank=True)
    image = models.ForeignKey(
        "images.SaysoImage",
        verbose_name=_("image"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    image_alt = models.CharField(_("image description"), max_length=255, blank=True)
    channel = models.CharField(
        _("where this campaign runs"),
        max_length=20,
        choices=Channel.choices,
        default=Channel.WEBSITE,
        help_text=_("Only stories whose storytellers agreed to this place can be added."),
    )
    requires_advisory_review = models.BooleanField(
        _("needs the survivor advisory group's review"),
        default=False,
        help_text=_(
            "It can't be published until a member of the advisory group approves it. Once "
            "set, every later version of the campaign needs their approval too."
        ),
    )
    # Set by save() whenever the requirement is on, and never unset by anything: unticking
    # the box, reverting to an old version, purging old versions (purge_revisions), copying
    # or moving the campaign all leave it, so none of them can drop the group's review.
    advisory_review_pinned = models.BooleanField(default=False, editable=False)

    content_panels = [
        *Page.content_panels,
        FieldPanel("intro"),
        MultiFieldPanel([FieldPanel("image"), FieldPanel("image_alt")], heading=_("Image")),
        FieldPanel("channel"),
        FieldPanel("requires_advisory_review"),
        ScopedStoriesPanel("campaign_stories", heading=_("Stories"), label=_("Story")),
    ]

    search_fields = [*Page.search_fields, index.SearchField("intro")]

    base_form_class = CampaignPageForm
    copy_form_class = CampaignCopyForm
    parent_page_types = ["stories.CampaignIndexPage"]
    subpage_types = []

    class Meta:
        verbose_name = _("campaign")

    # What public_content() reads, and what decides whether the group's review applies.
    public_fields = (
        *_NoPrivateWordsMixin.public_fields,
        "image",
        "image_alt",
        "channel",
        "requires_advisory_review",
        "advisory_review_pinned",
    )

    def public_strings(self):
        return {**super().public_strings(), "image_alt": self.image_alt}

    def public_content(self):
        """Everything a reader sees on the campaign: what the advisory group approves."""
        return {
            "title": self.title,
            "seo_title": self.seo_title,
            "search_description": self.search_description,
            "slug": self.slug,
            "intro": _BLOCK_KEY.sub("", self.intro),
            # The file's own hash: replacing the picture's file (the image's edit view) after
            # the group approved it changes what readers see, so it needs their approval.
            "image": (
                {"id": self.image_id, "file_hash": self.image.file_hash, "alt": self.image_alt}
                if self.image_id
                else None
            ),
            "channel": self.channel,
            "stories": [item.story_id for item in self.campaign_stories.all()],
        }

    def save(self, *args, **kwargs):
        # Like the story guard: whatever door the publish comes through, a campaign that
        # needs the advisory group's review goes live only with the content they approved.
        update_fields = kwargs.get("update_fields")
        needs_review = self.needs_advisory_review()
        if self.live and needs_review and guard.changes_what_readers_see(self, update_fields):
            from consent.selectors import publication_verdict

            # The advisory group's rule is an entry in SAYSO_PUBLICATION_CHECKS.
            verdict = publication_verdict(self)
            if not verdict.allowed:
                raise verdict.refusal()
        if needs_review and not self.advisory_review_pinned:
            self.advisory_review_pinned = True
            if update_fields is not None:
                kwargs["update_fields"] = [*update_fields, "advisory_review_pinned"]
        return super().save(*args, **kwargs)

    def copy(self, *args, keep_live=True, **kwargs):
        # The group approved this campaign, not a copy of it: a copy of one that needs their
        # review starts as a draft (and inherits the requirement, advisory_review_pinned).
        if self.needs_advisory_review():
            keep_live = False
        return super().copy(*args, keep_live=keep_live, **kwargs)

    def needs_advisory_review(self):
        """Once a campaign needs the advisory group's review, it always does.

        Otherwise unticking the box in the same edit as Publish would skip the review. The
        row's sticky flag is the durable record (a version rebuilt from an old revision may
        predate it); saved versions still count for campaigns from before the flag existed.
        """
        if self.requires_advisory_review or self.advisory_review_pinned:
            return True
        if self.pk is None:
            return False
        from wagtail.models import Revision

        page_ids = [self.pk, self.alias_of_id] if self.alias_of_id else [self.pk]
        return (
            CampaignPage.objects.filter(pk__in=page_ids)
            .filter(models.Q(requires_advisory_review=True) | models.Q(advisory_review_pinned=True))
            .exists()
            or Revision.page_revisions.filter(
                object_id=str(self.pk), content__requires_advisory_review=True
            ).exists()
        )

    def stories_readers_would_get(self):
        """The campaign's live stories whose consent holds now and covers its channel, in order.

        What the advisory group is shown; readers get these only as far as the group's
        approval covers them (public_stories).
        """
        from .campaigns import consent_covers
        from .views import public_stories

        order = [item.story_id for item in self.campaign_stories.all()]
        stories = {story.pk: story for story in public_stories().filter(pk__in=order)}
        return consent_covers((stories[pk] for pk in order if pk in stories), self.channel)

    def public_stories(self):
        """The campaign's stories a reader may see right now, in the editor's order.

        Only stories whose consent holds at this moment and covers the campaign's channel:
        a withdrawal, an expiry or a narrower new grant takes a story out of every campaign.
        A campaign the advisory group reviews shows only the stories they were shown, as
        they were shown: one hidden while they read, or changed since, waits for a new review.
        """
        from consent.selectors import content_hash

        stories = self.stories_readers_would_get()
        if not self.needs_advisory_review():
            return stories
        from advisory.selectors import approved_stories

        approved = approved_stories(self)
        return [story for story in stories if approved.get(str(story.pk)) == content_hash(story)]


class CampaignStory(Orderable):
    campaign = ParentalKey(CampaignPage, on_delete=models.CASCADE, related_name="campaign_stories")
    story = models.ForeignKey(
        StoryPage, verbose_name=_("story"), on_delete=models.CASCADE, related_name="+"
    )

    # A plain list of the stories in scope, not the page chooser: the chooser would offer
    # every story, whatever its storyteller agreed to (CampaignStoryForm narrows the list).
    panels = [FieldPanel("story", widget=Select)]

    class Meta(Orderable.Meta):
        verbose_name = _("campaign story")


class PendingPurge(models.Model):
    """A purge of cached pages that failed (the cache or the stamp file refused) and is owed.

    Recorded in the transaction of the change that asked for it, so a withdrawal commits
    whatever the cache does; while one exists no cached copy is served (stories/cache.py).
    """

    created_at = models.DateTimeField(auto_now_add=True)
    reason = models.CharField(max_length=500, blank=True)
    attempts = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["pk"]

    def __str__(self):
        return f"{self.created_at:%Y-%m-%d %H:%M:%S} {self.reason}"


class EdgePurge(models.Model):
    """A purge owed to the edge cache (Varnish in front of the app servers).

    Recorded in the transaction of the change that asked for it and sent once it commits;
    kept until every edge acknowledged, and retried by a task and by the sweeps meanwhile
    (stories/edge.py). No addresses: ``urls`` empty with ``everything`` means the whole site.
    """

    created_at = models.DateTimeField(auto_now_add=True)
    everything = models.BooleanField(default=False)
    urls = models.JSONField(default=list, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["pk"]

    def __str__(self):
        what = "the whole site" if self.everything else f"{len(self.urls)} address(es)"
        return f"{self.created_at:%Y-%m-%d %H:%M:%S} {what}"
