"""A story comes down when the date its storyteller agreed to has passed."""

import io
from datetime import timedelta

import pytest
from django.core.management import call_command

from consent import services
from consent.exceptions import ConsentRequired
from consent.models import ConsentEntry
from consent.selectors import today
from stories.models import StoryPage

from tests.conftest import approve, publish_until

pytestmark = pytest.mark.django_db


def expire_consents():
    out = io.StringIO()
    call_command("expire_consents", stdout=out)
    return out.getvalue()


def test_a_grant_is_still_good_on_its_last_day(client, ending_today):
    story, _grant = ending_today

    output = expire_consents()

    assert "0 approval(s) ended." in output
    assert StoryPage.objects.get(pk=story.pk).live
    assert client.get(story.url).status_code == 200


def test_the_sweep_takes_down_a_story_whose_grant_has_passed(client, ending_today, next_day):
    story, grant = ending_today

    output = expire_consents()

    assert "1 approval(s) ended." in output
    assert not StoryPage.objects.get(pk=story.pk).live
    expiry = ConsentEntry.objects.filter(story=story).last()
    assert expiry.decision == ConsentEntry.Decision.EXPIRED
    assert expiry.method == ConsentEntry.Method.SYSTEM
    assert expiry.content_hash == grant.content_hash
    assert expiry.revision_id == grant.revision_id
    assert str(expiry.receipt_id) in output
    response = client.get(story.url)
    assert response.status_code == 410
    assert "Story ending-today" not in response.content.decode()


def test_the_sweep_is_idempotent(client, ending_today, next_day):
    story, _grant = ending_today
    expire_consents()
    entries = list(ConsentEntry.objects.values_list("pk", flat=True))

    output = expire_consents()

    assert "0 approval(s) ended." in output
    assert list(ConsentEntry.objects.values_list("pk", flat=True)) == entries
    assert client.get(story.url).status_code == 410


def test_the_sweep_leaves_grants_that_are_still_valid_alone(client, make_story, amara, next_day):
    open_ended, _ = publish_until(make_story, amara, "open-ended", None)
    next_month, _ = publish_until(make_story, amara, "next-month", today() + timedelta(days=30))
    entries = ConsentEntry.objects.count()

    output = expire_consents()

    assert "0 approval(s) ended." in output
    assert ConsentEntry.objects.count() == entries
    for story in (open_ended, next_month):
        assert StoryPage.objects.get(pk=story.pk).live
        assert client.get(story.url).status_code == 200


def test_only_the_story_whose_grant_passed_comes_down(client, ending_today, make_story, lucia):
    story, _grant = ending_today
    other, _ = publish_until(make_story, lucia, "lucias-story", None)

    services.expire_due_grants(on_day=today() + timedelta(days=1))

    assert not StoryPage.objects.get(pk=story.pk).live
    assert StoryPage.objects.get(pk=other.pk).live
    assert not ConsentEntry.objects.filter(
        story=other, decision=ConsentEntry.Decision.EXPIRED
    ).exists()


def test_a_renewed_approval_keeps_the_story_up(client, ending_today, amara, next_day):
    story, _grant = ending_today
    # Before the sweep runs, the storyteller agrees to the same words with no end date.
    approve(story, amara, valid_until=None)
    entries = ConsentEntry.objects.count()

    expire_consents()

    assert ConsentEntry.objects.count() == entries
    assert StoryPage.objects.get(pk=story.pk).live
    assert client.get(story.url).status_code == 200


def test_serving_refuses_a_story_whose_grant_passed_before_the_sweep(
    client, ending_today, next_day
):
    story, _grant = ending_today
    entries = ConsentEntry.objects.count()

    response = client.get(story.url)

    assert response.status_code == 410
    assert "Story ending-today" not in response.content.decode()
    # Nothing has been swept yet: the page row is still live and the ledger unchanged.
    assert StoryPage.objects.get(pk=story.pk).live
    assert ConsentEntry.objects.count() == entries


def test_an_expired_story_cannot_be_published_again(ending_today, editor, next_day):
    story, _grant = ending_today
    expire_consents()

    with pytest.raises(ConsentRequired, match="ended"):
        StoryPage.objects.get(pk=story.pk).get_latest_revision().publish(user=editor)

    assert not StoryPage.objects.get(pk=story.pk).live


def test_a_new_grant_from_the_storyteller_brings_an_expired_story_back(
    client, ending_today, amara, next_day
):
    story, _grant = ending_today
    expire_consents()

    approve(story, amara, valid_until=today() + timedelta(days=90))
    StoryPage.objects.get(pk=story.pk).get_latest_revision().publish()

    assert client.get(story.url).status_code == 200
    assert "0 approval(s) ended." in expire_consents()
