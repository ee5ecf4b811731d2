"""Shared fixtures: a small site tree, people in each role, and stories in known states."""

import io
from datetime import timedelta
from decimal import Decimal

import pytest
from bs4 import BeautifulSoup
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.core.files.images import ImageFile
from django.test import Client
from django.urls import reverse
from django.utils.text import slugify
from PIL import Image as PILImage
from wagtail.models import GroupPagePermission, Page, Site, Workflow
from wagtail.test.utils.form_data import querydict_from_html, rich_text

from compensation.models import Work
from compensation.services import record_agreement
from consent import services
from consent.selectors import today
from consent.signals import DEFAULT_WORKFLOW_NAME
from images.models import SaysoImage
from stories.models import (
    STORY_RICH_TEXT_FEATURES,
    CampaignIndexPage,
    ContentWarning,
    HomePage,
    StoryIndexPage,
    StoryPage,
    Topic,
)

PASSWORD = "a-long-test-passphrase"


@pytest.fixture
def home(db):
    root = Page.get_first_root_node()
    for page in root.get_children():
        page.delete()
    home = root.add_child(instance=HomePage(title="Sayso", slug="home"))
    Site.objects.all().delete()
    Site.objects.create(hostname="localhost", root_page=home, is_default_site=True)
    return home


@pytest.fixture
def story_index(home):
    index = home.add_child(instance=StoryIndexPage(title="Stories", slug="stories"))
    return index


@pytest.fixture
def campaign_index(home):
    return home.add_child(instance=CampaignIndexPage(title="Campaigns", slug="campaigns"))


@pytest.fixture
def review_workflow(db):
    return Workflow.objects.get(name=DEFAULT_WORKFLOW_NAME)


def _user(username, groups=(), **fields):
    user = get_user_model().objects.create_user(username=username, password=PASSWORD, **fields)
    for name in groups:
        user.groups.add(Group.objects.get(name=name))
    return user


@pytest.fixture
def editor(db):
    return _user("editor", groups=["Editors", "Moderators"])


@pytest.fixture
def page_editor(story_index):
    """An editor who may open the admin and edit stories, but not manage storytellers."""
    group = Group.objects.create(name="Page editors only")
    group.permissions.add(Permission.objects.get(codename="access_admin"))
    for permission in ("add_page", "change_page", "publish_page"):
        GroupPagePermission.objects.create(
            group=group,
            page=story_index,
            permission=Permission.objects.get(
                content_type__app_label="wagtailcore", codename=permission
            ),
        )
    user = _user("pat")
    user.groups.add(group)
    return user


@pytest.fixture
def superuser(db):
    return _user("admin", is_staff=True, is_superuser=True)


def signed_in_client(user):
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def editor_client(editor):
    return signed_in_client(editor)


@pytest.fixture
def superuser_client(superuser):
    """Named apart from pytest-django's admin_client, whose "admin" would clash with ours."""
    return signed_in_client(superuser)


def make_storyteller(pseudonym, username):
    storyteller = services.create_storyteller(pseudonym=pseudonym, username=username)
    storyteller.user.set_password(PASSWORD)
    storyteller.user.save()
    return storyteller


def storyteller_fixture(pseudonym, username, groups=()):
    """A fixture named for the storyteller: she is made (in these groups) when a test asks."""

    @pytest.fixture(name=username)
    def storyteller(db):
        person = make_storyteller(pseudonym, username)
        for name in groups:
            person.user.groups.add(Group.objects.get(name=name))
        return person

    return storyteller


amara = storyteller_fixture("Amara", "amara")
lucia = storyteller_fixture("Lucía", "lucia")


def new_photo(colour=(180, 120, 60), title="A photo"):
    """A new picture of one colour: each colour is a different file (and file hash)."""
    buffer = io.BytesIO()
    PILImage.new("RGB", (120, 80), colour).save(buffer, format="JPEG")
    image = SaysoImage(title=title, file=ImageFile(buffer, name="photo.jpg"))
    image._set_image_file_metadata()
    image.save()
    return image


@pytest.fixture
def make_photo(db):
    """new_photo, for tests that have the database."""
    return new_photo


@pytest.fixture
def photo(make_photo):
    return make_photo()


STORY_FEE = Decimal("150.00")


@pytest.fixture
def make_story(story_index, editor):
    """Create a draft story with one revision by the editor, and its payment agreement.

    The organisation's payment rule is on in every test, as it is by default in production:
    a story is published only once payment for it is agreed (or its storyteller declined
    payment). So a story made here comes with the agreement an editor would record when
    drafting it with its storyteller; pass ``agreement=False`` for one without.
    """

    def make(storyteller, slug="a-story", agreement=True, **fields):
        values = {
            "title": "A story",
            "summary": "A short summary.",
            "body": "<p>The words the storyteller will read.</p>",
            "byline_kind": StoryPage.Byline.PSEUDONYM,
            "byline_name": storyteller.pseudonym,
        }
        values.update(fields)
        story = story_index.add_child(
            instance=StoryPage(slug=slug, storyteller=storyteller, live=False, **values)
        )
        story.save_revision(user=editor)
        if agreement:
            record_agreement(
                storyteller=storyteller,
                story=story,
                work=Work.STORY,
                amount=STORY_FEE,
                currency="GBP",
                agreed_by=editor,
            )
        return StoryPage.objects.get(pk=story.pk)

    return make


def website_scope(**overrides):
    values = {"channels": ("website",), "byline": StoryPage.Byline.PSEUDONYM}
    values.update(overrides)
    return services.Scope(**values)


def approve(story, storyteller, revision=None, **scope):
    """The storyteller approves a version (the latest by default) for the website."""
    revision = revision or story.get_latest_revision()
    return services.approve_story(
        story=story, revision=revision, user=user_of(storyteller), scope=website_scope(**scope)
    )


@pytest.fixture
def in_review(make_story_in_review, amara):
    """Amara's story, sent to her to read and decide on by the editor.

    Its words are ones no message or page outside her story may carry (see story_text in the
    portal tests). The browser journeys override it with words they read on screen.
    """
    return make_story_in_review(
        amara,
        slug="in-review",
        title="Crossing the northern border",
        summary="How I got away from the orchard.",
        body="<p>They took my passport at the orchard gate in Brindisi.</p>",
    )


@pytest.fixture
def published_story(make_story, amara):
    """A story Amara approved for the website, published."""
    story = make_story(amara, slug="published")
    approve(story, amara)
    story.get_latest_revision().publish()
    return StoryPage.objects.get(pk=story.pk)


def publish_until(make_story, storyteller, slug, valid_until):
    story = make_story(storyteller, slug=slug, title=f"Story {slug}")
    grant = approve(story, storyteller, valid_until=valid_until)
    story.get_latest_revision().publish()
    return StoryPage.objects.get(pk=story.pk), grant


@pytest.fixture
def ending_today(make_story, amara):
    """A published story whose storyteller agreed to it until the end of today."""
    from consent.selectors import today

    return publish_until(make_story, amara, "ending-today", today())


@pytest.fixture
def next_day(monkeypatch):
    """Move the clock to tomorrow (no time-travel library: Django's clock is patched)."""
    from django.utils import timezone

    real_now = timezone.now
    monkeypatch.setattr(timezone, "now", lambda: real_now() + timedelta(days=1))


@pytest.fixture(autouse=True)
def _fresh_page_cache():
    """Each test starts with no cached public pages (the cache outlives a test's database)."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


# -- Shared by the portal, consent, accounts and browser tests --------------------------------
# (Written once here rather than in each module: stories sent to read and in every state, the
# other decisions besides approve(), the admin's edit form, and a portal test client.)


def user_of(person):
    """The user behind a storyteller, or the user itself."""
    return getattr(person, "user", person)


def ask_for_changes(story, person, message="Please change this.", revision=None):
    """Someone (the storyteller, if all is well) asks for changes to a version (the latest)."""
    return services.request_changes(
        story=story,
        revision=revision or story.get_latest_revision(),
        user=user_of(person),
        message=message,
    )


def consent_in_person(story, editor, witness_name="A colleague", **scope):
    """An editor records consent the storyteller gave in person to the latest version."""
    return services.record_in_person_consent(
        story=story,
        revision=story.get_latest_revision(),
        editor=editor,
        witness_name=witness_name,
        scope=website_scope(**scope),
    )


def edit_as_storyteller(story, storyteller, body, title="A story", summary="A short summary."):
    """The storyteller writes her own version in the portal's editor, for the website."""
    return services.edit_story(
        story=story,
        user=user_of(storyteller),
        title=title,
        summary=summary,
        body=body,
        scope=website_scope(),
    )


@pytest.fixture
def in_review_with_photo(make_story_in_review, amara, photo):
    """Amara's story with her photo, shown clearly and naming her, sent to her to read."""
    return make_story_in_review(
        amara,
        slug="the-orchard",
        title="The orchard gate",
        body="<p>They took my <b>passport</b> at the orchard gate.</p>",
        image=photo,
        image_alt="A field at dawn",
    )


@pytest.fixture
def story_in_state(make_story, review_workflow, editor):
    """Make one of a storyteller's stories in a consent state an editor or she can find it in:
    draft, waiting (sent to her), changes (she asked for some), approved, published,
    withdrawn (by her), or ended (its approval ran out yesterday)."""

    def make(storyteller, state, *, title, slug):
        story = make_story(storyteller, slug=slug, title=title)
        if state in ("waiting", "changes"):
            review_workflow.start(story, editor)
        if state == "changes":
            ask_for_changes(story, storyteller, "Please leave out the name of the town.")
        if state in ("approved", "published", "withdrawn", "ended"):
            approve(story, storyteller, **({"valid_until": today()} if state == "ended" else {}))
        if state in ("published", "withdrawn", "ended"):
            story.get_latest_revision().publish()
        if state == "withdrawn":
            services.withdraw_story(story=story, user=storyteller.user)
        if state == "ended":
            services.expire_due_grants(on_day=today() + timedelta(days=1))
        return story

    return make


# -- Shared factories: stories in review or published, a campaign, a storyteller told by email


@pytest.fixture
def make_story_in_review(make_story, review_workflow, editor):
    """Create a story (as make_story does) and send it to its storyteller to read and decide."""

    def make(storyteller, **fields):
        story = make_story(storyteller, **fields)
        review_workflow.start(story, editor)
        return StoryPage.objects.get(pk=story.pk)

    return make


@pytest.fixture
def portal_client():
    """A test client that refuses jargon on every portal page (tests.portal_flow)."""
    from tests.portal_flow import PortalClient

    return PortalClient()


def admin_edit_url(page):
    return reverse("wagtailadmin_pages:edit", args=[page.pk])


def admin_edit_form(client, page, **typed):
    """What the editor's browser submits from a page's admin edit form, with `typed` filled in
    (a story's body as the rich-text editor sends it)."""
    response = client.get(admin_edit_url(page))
    assert response.status_code == 200
    data = querydict_from_html(response.content.decode(), form_id="page-edit-form")
    for name, value in typed.items():
        data[name] = (
            rich_text(value, features=STORY_RICH_TEXT_FEATURES) if name == "body" else value
        )
    return data


def words_on(response):
    """The words on a page, as a reader of the screen would get them."""
    soup = BeautifulSoup(response.content, "html.parser")
    return " ".join(soup.get_text(" ").split())


def warn_and_tag(story, warning, topic):
    """A new version of the story with a new content warning and a new topic; returned."""
    draft = story.get_latest_revision_as_object()
    draft.content_warnings = [ContentWarning.objects.create(name=warning)]
    draft.topics = [Topic.objects.create(name=topic, slug=slugify(topic))]
    return draft.save_revision(user=story.get_latest_revision().user)


@pytest.fixture
def make_published_story(make_story):
    """Create a story its storyteller approved for the website as written, and publish it.

    Her grant names the story's byline and allows its photo when it has one; ``scope`` adds
    to or overrides what she chose (``valid_until``, ``channels``...).
    """

    def make(storyteller, scope=None, **fields):
        return publish_as_written(make_story(storyteller, **fields), storyteller, **(scope or {}))

    return make


def publish_as_written(story, storyteller, **scope):
    """The storyteller approves the story as written (its byline, its photo if it has one)."""
    chosen = {"byline": story.byline_kind, "image_allowed": bool(story.image_id)}
    approve(story, storyteller, **{**chosen, **scope})
    story.get_latest_revision().publish()
    return StoryPage.objects.get(pk=story.pk)


@pytest.fixture
def make_campaign(campaign_index):
    """A live website campaign, "Fair work", listing these stories in this order."""

    from stories.models import CampaignPage, CampaignStory

    def make(*stories, title="Fair work", slug="fair-work"):
        campaign = CampaignPage(title=title, slug=slug, intro="<p>Intro</p>")
        campaign.campaign_stories = [
            CampaignStory(story=story, sort_order=order) for order, story in enumerate(stories)
        ]
        campaign_index.add_child(instance=campaign)
        campaign.save_revision().publish()
        return campaign

    return make


@pytest.fixture
def make_campaign_in_advisory_review(campaign_index, editor):
    """A draft website campaign of these stories, sent by the editor to the advisory group."""
    from advisory.signals import CAMPAIGN_WORKFLOW_NAME
    from stories.models import CampaignPage, CampaignStory

    def make(*stories, title, slug):
        campaign = campaign_index.add_child(
            instance=CampaignPage(
                title=title,
                slug=slug,
                channel="website",
                requires_advisory_review=True,
                live=False,
            )
        )
        for order, story in enumerate(stories):
            CampaignStory.objects.create(campaign=campaign, story=story, sort_order=order)
        campaign = CampaignPage.objects.get(pk=campaign.pk)
        campaign.save_revision(user=editor)
        Workflow.objects.get(name=CAMPAIGN_WORKFLOW_NAME).start(campaign, editor)
        return CampaignPage.objects.get(pk=campaign.pk)

    return make


@pytest.fixture
def amara_by_email(amara):
    """Amara, who chose to be told by email, at amara@example.org."""
    amara.user.email = "amara@example.org"
    amara.user.save()
    amara.contact_preference = amara.Contact.EMAIL
    amara.save()
    return amara


def publish_scheduled():
    """Run Wagtail's publish_scheduled, as cron does; return what it wrote to stderr."""
    from django.core.management import call_command

    errors = io.StringIO()
    call_command("publish_scheduled", stdout=io.StringIO(), stderr=errors)
    return errors.getvalue()
