"""The redaction guard: no story is public while it carries its storyteller's private words.

The words are the storyteller's own list (relatives' names, a home town, a workplace) and
their legal name. The one rule, publication_verdict, refuses any version containing one,
whichever door it comes through; the reason tells the editor where, never what. A word
added after publication takes the story down at once.
"""

import io
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from wagtail.models import Revision, TaskState

from consent import services
from consent.exceptions import ConsentRequired
from consent.models import ConsentEntry, Notification, Storyteller
from consent.selectors import publication_verdict
from stories.cache import purge_all
from stories.models import ContentWarning, StoryPage, Topic

from tests.conftest import approve
from tests.integration.consent.test_publish_doors import (
    click_publish,
    make_alias,
    partner_index,  # noqa: F401 (a fixture)
    schedule,
    sign_off,
    submit_for_review,
)
from tests.portal_flow import PortalClient, approve_in_portal, page_form, text_of

pytestmark = pytest.mark.django_db

TOWN = "Brindisi"
REASON_SUMMARY = "The summary contains one of Amara's private words."


def words_for(storyteller, *words, legal_name=None):
    """Give a storyteller private words (and a legal name) the way the admin saves them."""
    storyteller = Storyteller.objects.get(pk=storyteller.pk)
    storyteller.private_terms = "\n".join(words)
    if legal_name is not None:
        storyteller.legal_name = legal_name
    storyteller.save()
    return storyteller


def verdict_for(story):
    return publication_verdict(StoryPage.objects.get(pk=story.pk).get_latest_revision_as_object())


def is_live(story):
    return StoryPage.objects.get(pk=story.pk).live


@pytest.fixture
def approved_with_town(make_story, amara):
    """Amara approved words that name her home town; the town is not on her list yet."""
    story = make_story(amara, slug="the-harbour", summary=f"I grew up near {TOWN}, by the sea.")
    approve(story, amara)
    return StoryPage.objects.get(pk=story.pk)


# 1. What counts as a private word, and what the editor is told


def test_a_private_word_refuses_the_version_and_names_the_field_not_the_word(
    approved_with_town, amara
):
    assert verdict_for(approved_with_town).allowed
    words_for(amara, TOWN)

    verdict = verdict_for(approved_with_town)

    assert not verdict.allowed
    assert verdict.code == "private_term"
    assert verdict.reason == REASON_SUMMARY
    assert TOWN.lower() not in verdict.reason.lower()


@pytest.mark.parametrize(
    ("word", "text", "found"),
    [
        ("Brindisi", "They found me in BRÍNDISI, at night.", True),
        ("Lucía", "lucia said nothing", True),
        ("Lucia", "LUCÍA said nothing", True),
        ("Straße", "on the STRASSE by the station", True),
        ("O'Brien", "Mrs O’Brien kept my papers", True),
        ("Okonkwo Street", "we lived on okonkwo\n  street for a year", True),
        ("Ana", "Ana-Maria was there", True),
        ("Ana", "a banana and some bread", False),
        ("Ana", "Anatomy books", False),
        ("Okonkwo Street", "Okonkwo Streetlight Company", False),
    ],
)
def test_matching_ignores_case_and_accents_but_only_finds_whole_words(
    make_story, amara, word, text, found
):
    story = make_story(amara, summary=text)
    words_for(amara, word)

    assert (verdict_for(story).code == "private_term") is found


@pytest.mark.parametrize(
    "body",
    [
        "<p>The ferry to Brin<b>disi</b> left at dawn.</p>",
        "<p>The ferry to Br&iacute;ndisi left at dawn.</p>",
        '<p>See <a href="https://example.org/brindisi/port">the port</a>.</p>',
        "<p>We reached the coast</p><p>Brindisi</p>",
    ],
    ids=["split-by-markup", "entity", "link-address", "own-paragraph"],
)
def test_a_word_in_the_story_is_found_however_the_markup_hides_it(make_story, amara, body):
    story = make_story(amara, body=body)
    words_for(amara, TOWN)

    verdict = verdict_for(story)

    assert verdict.code == "private_term"
    assert verdict.reason == "The story contains one of Amara's private words."


def test_the_legal_name_is_always_guarded_as_a_whole(make_story, amara):
    words_for(amara, legal_name="Adaeze Okonkwo")
    named = make_story(amara, slug="named", body="<p>My name is ADAEZE OKONKWO.</p>")
    first_name_only = make_story(amara, slug="first-name", body="<p>Call me Adaeze.</p>")

    assert verdict_for(named).code == "private_term"
    # She may choose to be known by her first name; only the whole legal name is guarded.
    assert verdict_for(first_name_only).code != "private_term"


def set_region(story, value):
    story.region = value


def set_warning(story, value):
    story.content_warnings = [ContentWarning.objects.create(name=f"Events in {value}")]


def set_topic(story, value):
    story.topics = [Topic.objects.create(name=f"Life in {value}", slug="life")]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda s, w: setattr(s, "title", f"Leaving {w}"), "title"),
        (lambda s, w: setattr(s, "seo_title", f"Leaving {w}"), "title for search engines"),
        (lambda s, w: setattr(s, "search_description", f"From {w}"), "search description"),
        (lambda s, w: setattr(s, "slug", f"leaving-{w.lower()}"), "web address (slug)"),
        (lambda s, w: setattr(s, "summary", f"From {w}."), "summary"),
        (lambda s, w: setattr(s, "body", f"<p>From {w}.</p>"), "story"),
        (lambda s, w: setattr(s, "byline_name", w), "name shown"),
        (lambda s, w: setattr(s, "image_alt", f"The road to {w}"), "photo description"),
        (set_warning, "content warnings"),
        (set_topic, "topics"),
        (lambda s, w: set_region(s, "IT"), "country"),
    ],
    ids=lambda value: value if isinstance(value, str) else None,
)
def test_every_field_a_reader_sees_is_checked_and_named_in_the_reason(
    make_story, amara, photo, change, field
):
    story = make_story(amara, image=photo, image_alt="A field")
    draft = story.get_latest_revision_as_object()
    # Changed first: a warning or topic holding a private word can't be created any more.
    change(draft, TOWN)
    words_for(amara, TOWN, "Italy")

    verdict = publication_verdict(draft)

    assert verdict.code == "private_term"
    assert verdict.reason == f"The {field} contains one of Amara's private words."


def test_several_fields_are_named_together(make_story, amara):
    story = make_story(amara, title=f"Leaving {TOWN}", summary=f"From {TOWN}.")
    words_for(amara, TOWN)

    assert verdict_for(story).reason == "The title and summary contain Amara's private words."


def test_another_storytellers_words_do_not_block_her_story(make_story, amara, lucia):
    story = make_story(amara, summary=f"I grew up near {TOWN}.")
    approve(story, amara)
    words_for(lucia, TOWN)

    assert verdict_for(story).allowed


# 2. Every door refuses a version with a private word


def test_the_editors_publish_button_refuses_and_says_which_field(
    client, editor, approved_with_town, amara
):
    words_for(amara, TOWN)
    client.force_login(editor)

    response = click_publish(client, approved_with_town)

    assert "The page could not be saved due to validation errors." in text_of(response)
    assert REASON_SUMMARY in text_of(response)
    assert not is_live(approved_with_town)


def test_the_model_save_guard_refuses(approved_with_town, amara, editor):
    words_for(amara, TOWN)

    with pytest.raises(ConsentRequired, match=REASON_SUMMARY):
        approved_with_town.get_latest_revision().publish(user=editor)

    assert not is_live(approved_with_town)
    story = StoryPage.objects.get(pk=approved_with_town.pk)
    story.live = True
    with pytest.raises(ConsentRequired, match=REASON_SUMMARY):
        story.save()


def test_publish_scheduled_refuses_and_reports_without_the_word(make_story, amara, editor):
    story = make_story(amara, slug="scheduled", summary=f"I grew up near {TOWN}.")
    scheduled = schedule(story, editor, timezone.now() - timedelta(hours=1))
    approve(story, amara)
    words_for(amara, TOWN)
    errors = io.StringIO()

    call_command("publish_scheduled", stdout=io.StringIO(), stderr=errors)

    assert not is_live(story)
    assert f"Not published: story {story.pk} (A story): {REASON_SUMMARY}" in errors.getvalue()
    assert TOWN not in errors.getvalue()
    scheduled.refresh_from_db()
    assert scheduled.approved_go_live_at is None


def test_the_workflow_finishing_does_not_publish_and_tells_the_editors(
    client, editor, make_story, amara
):
    story = make_story(amara, summary=f"I grew up near {TOWN}.")
    client.force_login(editor)
    review = submit_for_review(client, story)
    approve(story, amara, revision=review.revision)
    words_for(amara, TOWN)

    sign_off(client, story)

    assert not is_live(story)
    assert Notification.objects.filter(
        recipient=editor, story=story, kind=Notification.Kind.PRIVATE_WORDS
    ).exists()


def test_the_storyteller_cannot_approve_her_own_private_word_and_is_told_why(
    make_story, amara, review_workflow, editor
):
    story = make_story(amara, summary=f"I grew up near {TOWN}.")
    review_workflow.start(story, editor)
    words_for(amara, TOWN)
    client = PortalClient()
    client.force_login(amara.user)
    response = approve_in_portal(client, story, channels=("print",))

    assert not ConsentEntry.objects.filter(story_id=story.pk).exists()
    assert (
        "One of the words you asked us never to publish is in the summary, so this can't be "
        "approved as it is. Ask for changes, or edit it yourself." in text_of(response)
    )
    state = StoryPage.objects.get(pk=story.pk).current_workflow_task_state
    assert state.status == TaskState.STATUS_IN_PROGRESS  # still hers to decide
    with pytest.raises(ConsentRequired, match=REASON_SUMMARY):
        services.approve_story(
            story=story,
            revision=story.get_latest_revision(),
            user=amara.user,
            scope=services.Scope(channels=("print",), byline="pseudonym"),
        )


def test_the_storyteller_editing_in_a_private_word_is_stopped_and_loses_nothing(
    make_story, amara, review_workflow, editor
):
    story = make_story(amara)
    review_workflow.start(story, editor)
    words_for(amara, TOWN)
    client = PortalClient()
    client.force_login(amara.user)
    edit_url = reverse("portal:edit", args=[story.pk])
    data = page_form(client.get(edit_url))
    data["summary"] = [f"I grew up near {TOWN}."]
    revisions = Revision.page_revisions.filter(object_id=str(story.pk)).count()

    response = client.post(edit_url, data)

    assert response.status_code == 200
    assert "This has one of the words you asked us never to publish." in text_of(response)
    assert f"I grew up near {TOWN}." in response.content.decode()  # what she typed is kept
    assert Revision.page_revisions.filter(object_id=str(story.pk)).count() == revisions
    assert not ConsentEntry.objects.filter(story_id=story.pk).exists()


def test_an_editor_cannot_record_in_person_consent_to_a_private_word(
    client, editor, make_story, amara
):
    story = make_story(amara, summary=f"I grew up near {TOWN}.")
    words_for(amara, TOWN)
    client.force_login(editor)

    response = client.post(
        reverse("consent_record_in_person", args=[story.pk]),
        {
            "decision": "granted",
            "witness_name": "Grace",
            "channels": ["website"],
            "byline": "pseudonym",
            "until": "withdrawn",
        },
    )

    assert response.status_code == 200
    assert REASON_SUMMARY in text_of(response)
    assert not ConsentEntry.objects.filter(story_id=story.pk).exists()


# 3. A word added after publication: the story leaves the website at once


@pytest.fixture
def published_with_town(approved_with_town, client):
    approved_with_town.get_latest_revision().publish()
    story = StoryPage.objects.get(pk=approved_with_town.pk)
    for url in (story.url, "/", "/stories/", "/feed/", "/sitemap.xml", f"/search/?q={TOWN}"):
        assert client.get(url).status_code == 200  # and now cached
    assert f"/stories/{story.slug}/" in client.get("/stories/").content.decode()
    return story


PUBLIC_LISTINGS = ["/", "/stories/", "/feed/", "/sitemap.xml", f"/search/?q={TOWN}"]


def assert_gone_from_every_public_place(client, story):
    assert not is_live(story)
    response = client.get(f"/stories/{story.slug}/")
    assert response.status_code == 404
    assert TOWN not in response.content.decode()
    for url in PUBLIC_LISTINGS:
        assert f"/stories/{story.slug}/" not in client.get(url).content.decode(), url


def test_a_word_the_storyteller_adds_in_the_portal_takes_her_published_story_down(
    client, published_with_town, amara, editor, django_capture_on_commit_callbacks
):
    portal = PortalClient()
    portal.force_login(amara.user)
    ledger_before = list(ConsentEntry.objects.values_list("pk", flat=True))

    with django_capture_on_commit_callbacks(execute=True):
        response = portal.post(reverse("portal:private_words"), {"word": "brindisi"}, follow=True)

    assert "Added. No story with it can go on the website." in text_of(response)
    assert "we took that story off the website just now" in text_of(response)
    assert_gone_from_every_public_place(client, published_with_town)
    assert Notification.objects.filter(
        recipient=editor, story=published_with_town, kind=Notification.Kind.PRIVATE_WORDS
    ).exists()
    # Her consent stands (nothing was withdrawn); the editors fix the words and ask again.
    assert list(ConsentEntry.objects.values_list("pk", flat=True)) == ledger_before
    assert verdict_for(published_with_town).reason == REASON_SUMMARY


def test_a_word_an_editor_adds_in_the_admin_takes_the_story_down_and_the_admin_says_so(
    client, published_with_town, amara, editor
):
    admin = PortalClient()
    admin.force_login(editor)
    edit_url = reverse("storytellers:edit", args=[amara.pk])
    data = page_form(admin.get(edit_url), edit_url)
    data["private_terms"] = [TOWN]

    response = admin.post(edit_url, data, follow=True)

    assert "1 published story contained one of Amara's private words" in text_of(response)
    assert_gone_from_every_public_place(client, published_with_town)


def test_a_word_added_after_publication_takes_the_storys_aliases_down_too(
    client,
    published_with_town,
    amara,
    editor,
    partner_index,  # noqa: F811
    django_capture_on_commit_callbacks,
):
    admin = PortalClient()
    admin.force_login(editor)
    make_alias(admin, published_with_town, partner_index, slug=published_with_town.slug)
    alias = StoryPage.objects.get(alias_of=published_with_town)
    assert alias.live and client.get(alias.url).status_code == 200

    with django_capture_on_commit_callbacks(execute=True):
        words_for(amara, TOWN)

    assert not StoryPage.objects.get(pk=alias.pk).live
    assert client.get(alias.url).status_code == 404
    notes = Notification.objects.filter(recipient=editor, kind=Notification.Kind.PRIVATE_WORDS)
    assert [note.story_id for note in notes] == [published_with_town.pk]  # told once


def test_after_the_word_is_taken_out_and_approved_again_the_story_can_return(
    published_with_town, amara, editor
):
    words_for(amara, TOWN)
    assert not is_live(published_with_town)
    draft = StoryPage.objects.get(pk=published_with_town.pk).get_latest_revision_as_object()
    draft.summary = "I grew up near the sea."
    revision = draft.save_revision(user=editor)
    approve(published_with_town, amara, revision=revision)

    revision.publish(user=editor)

    assert is_live(published_with_town)


def test_a_private_word_reaching_the_page_only_through_the_template_is_never_served(
    client, make_story, amara
):
    # The link is stored as a page id; only the rendered page shows its address.
    target = make_story(amara, slug="okonkwo-street", title="Another story")
    story = make_story(
        amara,
        slug="linked",
        body=f'<p>Read <a linktype="page" id="{target.pk}">this one</a> too.</p>',
    )
    approve(story, amara)
    story.get_latest_revision().publish()
    assert client.get("/stories/linked/").status_code == 200
    words_for(amara, "Okonkwo Street")
    assert is_live(story)  # the stored words are clean; the rendered page is not
    purge_all()

    response = client.get("/stories/linked/")

    assert response.status_code == 410
    assert "okonkwo" not in response.content.decode().lower()


# 4. Cheap enough to run on every uncached story view


def test_checking_private_words_costs_no_extra_query_on_public_pages(
    client, make_story, amara, photo, django_assert_max_num_queries
):
    from tests.integration.stories.test_public_site import publish_consented

    words_for(amara, "Okonkwo", "Enugu", legal_name="Adaeze Okonkwo")
    publish_consented(make_story, amara, "s0", image=photo, image_alt="A field")
    publish_consented(make_story, amara, "s1")
    for url in ("/stories/s0/", "/", "/stories/", "/feed/"):
        client.get(url)  # warm Wagtail's own caches

    # The same bounds as for storytellers without private words (test_public_site.py).
    for url, bound in (("/stories/s0/", 10), ("/", 10), ("/stories/", 13), ("/feed/", 5)):
        purge_all()
        with django_assert_max_num_queries(bound):
            response = client.get(url)
        assert response.status_code == 200, url
        assert "/stories/s0/" in response.content.decode() or url == "/stories/s0/"
