"""Withdrawal is as easy as consent, takes effect at once, and only the storyteller can undo it."""

import pytest
from wagtail.search.backends import get_search_backend

from consent import services
from consent.exceptions import ConsentRequired, NotTheStoryteller
from consent.models import ConsentEntry
from images.models import SaysoRendition
from stories.models import CampaignPage, CampaignStory, StoryIndexPage, StoryPage

from tests.conftest import approve, consent_in_person

pytestmark = pytest.mark.django_db

UNIQUE_WORD = "quillwort"


@pytest.fixture
def live_story(make_story, amara, photo):
    """Amara's published story, with a photo and a word found nowhere else."""
    story = make_story(
        amara,
        slug="the-harbour",
        title="The harbour at night",
        body=f"<p>The {UNIQUE_WORD} grew by the harbour wall.</p>",
        image=photo,
        image_alt="A harbour wall.",
    )
    approve(story, amara, image_allowed=True)
    story.get_latest_revision().publish()
    return StoryPage.objects.get(pk=story.pk)


@pytest.fixture
def alias(live_story, home):
    """The same story shown in a second place (an alias follows its original)."""
    elsewhere = home.add_child(instance=StoryIndexPage(title="Elsewhere", slug="elsewhere"))
    return live_story.create_alias(parent=elsewhere)


def search_results():
    return list(get_search_backend().search(UNIQUE_WORD, StoryPage))


def withdraw(story, storyteller, capture):
    """The storyteller withdraws, and the transaction commits."""
    with capture(execute=True):
        return services.withdraw_story(story=story, user=storyteller.user)


def assert_gone(client, url):
    response = client.get(url)
    assert response.status_code == 410
    html = response.content.decode()
    assert "no longer available" in html
    return html


# Withdrawing a published story


def test_withdrawal_is_recorded_in_the_ledger(
    live_story, amara, django_capture_on_commit_callbacks
):
    live_revision_id = live_story.live_revision_id

    entry = withdraw(live_story, amara, django_capture_on_commit_callbacks)

    latest = ConsentEntry.objects.filter(story=live_story).last()
    assert latest == entry
    assert latest.decision == ConsentEntry.Decision.WITHDRAWN
    assert latest.method == ConsentEntry.Method.PORTAL
    assert latest.storyteller == amara
    assert latest.revision_id == live_revision_id


def test_withdrawal_unpublishes_the_story_and_its_aliases_at_once(live_story, alias, amara):
    services.withdraw_story(story=live_story, user=amara.user)

    assert not StoryPage.objects.get(pk=live_story.pk).live
    assert not StoryPage.objects.get(pk=alias.pk).live


def test_the_public_url_answers_gone_and_names_no_one(
    client, live_story, alias, amara, django_capture_on_commit_callbacks
):
    assert client.get(live_story.url).status_code == 200
    assert client.get(alias.url).status_code == 200

    withdraw(live_story, amara, django_capture_on_commit_callbacks)

    for url in (live_story.url, alias.url):
        html = assert_gone(client, url)
        assert "Amara" not in html
        assert "The harbour at night" not in html
        assert "harbour" not in html.lower()
        assert UNIQUE_WORD not in html


def test_the_gone_page_is_not_cached(client, live_story, amara):
    services.withdraw_story(story=live_story, user=amara.user)

    response = client.get(live_story.url)

    assert response.status_code == 410
    assert "no-store" in response["Cache-Control"]


def test_withdrawal_removes_the_story_from_search(
    live_story, alias, amara, django_capture_on_commit_callbacks
):
    assert {page.pk for page in search_results()} >= {live_story.pk}

    withdraw(live_story, amara, django_capture_on_commit_callbacks)

    assert search_results() == []


def test_the_story_stays_out_of_search_when_it_is_saved_again(
    live_story, amara, editor, django_capture_on_commit_callbacks
):
    withdraw(live_story, amara, django_capture_on_commit_callbacks)

    # Any later save (an editor tidying the draft, a revision) re-indexes pages in Wagtail.
    with django_capture_on_commit_callbacks(execute=True):
        story = StoryPage.objects.get(pk=live_story.pk)
        story.save()
        story.save_revision(user=editor)

    assert search_results() == []


def test_withdrawal_deletes_the_photo_renditions(
    live_story, amara, photo, django_capture_on_commit_callbacks
):
    rendition = photo.get_rendition("width-50")
    storage, name = rendition.file.storage, rendition.file.name
    assert storage.exists(name)

    withdraw(live_story, amara, django_capture_on_commit_callbacks)

    assert not SaysoRendition.objects.filter(image=photo).exists()
    assert not storage.exists(name)


def test_withdrawal_removes_the_story_from_campaign_listings(
    client, campaign_index, live_story, amara, editor
):
    campaign = CampaignPage(title="Fair work", slug="fair-work")
    campaign.campaign_stories = [CampaignStory(story=live_story, sort_order=0)]
    campaign_index.add_child(instance=campaign)
    campaign.save_revision(user=editor).publish()
    assert "The harbour at night" in client.get(campaign.url).content.decode()

    services.withdraw_story(story=live_story, user=amara.user)

    html = client.get(campaign.url).content.decode()
    assert "The harbour at night" not in html
    assert "There are no stories in this campaign right now." in html


# Bringing it back


def test_a_withdrawn_story_cannot_be_published_again(live_story, amara, editor):
    services.withdraw_story(story=live_story, user=amara.user)

    with pytest.raises(ConsentRequired, match="Amara withdrew this story"):
        live_story.get_latest_revision().publish(user=editor)

    assert not StoryPage.objects.get(pk=live_story.pk).live


def test_an_editor_cannot_bring_it_back_by_recording_consent_in_person(
    client, live_story, amara, editor
):
    services.withdraw_story(story=live_story, user=amara.user)
    entries_before = ConsentEntry.objects.count()

    with pytest.raises(ConsentRequired):
        consent_in_person(live_story, editor, "Grace Okafor", image_allowed=True)
    with pytest.raises(ConsentRequired):
        live_story.get_latest_revision().publish(user=editor)

    assert ConsentEntry.objects.count() == entries_before
    assert client.get(live_story.url).status_code == 410


def test_a_new_grant_from_the_storyteller_brings_it_back(
    client, live_story, amara, django_capture_on_commit_callbacks
):
    withdraw(live_story, amara, django_capture_on_commit_callbacks)

    approve(live_story, amara, image_allowed=True)
    with django_capture_on_commit_callbacks(execute=True):
        live_story.get_latest_revision().publish()

    response = client.get(live_story.url)
    assert response.status_code == 200
    assert UNIQUE_WORD in response.content.decode()
    assert [page.pk for page in search_results()] == [live_story.pk]


def test_another_storyteller_cannot_withdraw_the_story(client, live_story, lucia):
    with pytest.raises(NotTheStoryteller):
        services.withdraw_story(story=live_story, user=lucia.user)

    assert StoryPage.objects.get(pk=live_story.pk).live
    assert not ConsentEntry.objects.filter(decision=ConsentEntry.Decision.WITHDRAWN).exists()
    assert client.get(live_story.url).status_code == 200


# Withdrawal recorded by an editor, in person


def test_an_editor_can_record_a_withdrawal_in_person_with_a_witness(client, live_story, editor):
    entry = services.withdraw_story(
        story=live_story, recorded_by=editor, witness_name="  Grace Okafor "
    )

    entry.refresh_from_db()
    assert entry.decision == ConsentEntry.Decision.WITHDRAWN
    assert entry.method == ConsentEntry.Method.IN_PERSON
    assert entry.recorded_by == editor
    assert entry.witness_name == "Grace Okafor"
    assert not StoryPage.objects.get(pk=live_story.pk).live
    assert_gone(client, live_story.url)


def test_an_in_person_withdrawal_needs_a_witness(client, live_story, editor):
    with pytest.raises(ValueError, match="witness"):
        services.withdraw_story(story=live_story, recorded_by=editor, witness_name=" ")

    assert StoryPage.objects.get(pk=live_story.pk).live
    assert client.get(live_story.url).status_code == 200


def test_another_storyteller_cannot_record_an_in_person_withdrawal(client, live_story, lucia):
    with pytest.raises(NotTheStoryteller):
        services.withdraw_story(story=live_story, recorded_by=lucia.user, witness_name="Someone")

    assert StoryPage.objects.get(pk=live_story.pk).live
    assert client.get(live_story.url).status_code == 200


# Stories that were never public do not announce that they exist


def test_a_draft_withdrawn_before_it_went_live_answers_not_found(client, make_story, amara):
    story = make_story(amara, slug="never-live")
    approve(story, amara)

    services.withdraw_story(story=story, user=amara.user)

    assert ConsentEntry.objects.filter(
        story=story, decision=ConsentEntry.Decision.WITHDRAWN
    ).exists()
    assert client.get("/stories/never-live/").status_code == 404


def test_a_never_published_story_answers_not_found(client, make_story, amara):
    make_story(amara, slug="still-a-draft")

    assert client.get("/stories/still-a-draft/").status_code == 404
