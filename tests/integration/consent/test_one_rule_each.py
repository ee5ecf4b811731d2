"""Each rule lives once: the story guard, the ledger fold, the ledgers' admin policy.

The story guard (stories.guard) decides from each page type's whitelist of public fields
which saves need a verdict; the ledger is read by one fold (consent.selectors.latest_decision)
with small named queries on it; every ledger's admin permissions come from core.permissions.
"""

import pytest
from django.test import override_settings
from wagtail.permissions import policy_registry

from compensation.models import CompensationResponse, Payment
from consent import services
from consent.exceptions import ConsentRequired
from consent.models import ConsentEntry
from consent.publication import CONSENT_CHECK
from consent.selectors import consent_has_ended, grants_in_force, is_withdrawn
from core.permissions import LedgerPolicy
from stories import guard
from stories.models import CampaignPage, StoryPage

from tests.conftest import approve

pytestmark = pytest.mark.django_db

BROKEN = [CONSENT_CHECK, "tests.integration.consent.test_publication_checks.a_check_that_breaks"]


def reload(story):
    return StoryPage.objects.get(pk=story.pk)


# -- the story guard: derived from the public fields ------------------------------------------


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("title", "Another title"),
        ("seo_title", "Another search title"),
        ("search_description", "Other words for search engines"),
        ("slug", "another-address"),
        ("summary", "Words she never read."),
        ("body", "<p>Words she never read.</p>"),
        ("byline_kind", "first_name"),
        ("region", "GB"),
    ],
)
def test_saving_only_a_public_field_of_a_live_story_meets_the_guard(published_story, field, value):
    setattr(published_story, field, value)
    if field == "byline_kind":
        published_story.byline_name = "Someone else"

    with pytest.raises(ConsentRequired, match="Waiting for Amara's approval of this version."):
        published_story.save(update_fields=[field])

    assert getattr(reload(published_story), field) != value


@pytest.mark.parametrize(
    "fields",
    [
        ["numchild"],
        ["locked", "locked_at", "locked_by"],
        ["latest_revision", "latest_revision_created_at", "has_unpublished_changes"],
        ["draft_title"],
        ["url_path"],
        ["wagtail_admin_comments"],
    ],
)
def test_wagtails_bookkeeping_saves_need_no_verdict(published_story, fields):
    # With every verdict refusing (a broken check), only a save the guard skips can pass.
    with override_settings(SAYSO_PUBLICATION_CHECKS=BROKEN):
        published_story.save(update_fields=fields)
        with pytest.raises(ConsentRequired):
            published_story.save()

    assert reload(published_story).live


def test_who_governs_and_whether_it_is_live_are_guarded_too(published_story):
    for fields in (["live"], ["storyteller"], ["alias_of_id"], ["live_revision"]):
        assert guard.changes_what_readers_see(published_story, fields), fields


def test_a_field_name_the_guard_cannot_read_is_checked_not_skipped(published_story):
    assert guard.changes_what_readers_see(published_story, ["no_such_field"])
    assert guard.changes_what_readers_see(published_story, None)


def test_every_field_readers_see_is_in_the_whitelist_the_guard_reads(published_story):
    assert set(published_story.public_content()) <= set(StoryPage.public_fields)
    for name in StoryPage.public_fields:
        StoryPage._meta.get_field(name)  # each names a real field


def test_every_campaign_field_readers_see_is_in_its_whitelist():
    campaign = CampaignPage(title="A campaign", slug="a-campaign")
    # Its stories are rows of their own (CampaignStory), not a field a save can write alone.
    assert set(campaign.public_content()) - {"stories"} <= set(CampaignPage.public_fields)
    assert set(campaign.public_strings()) <= set(CampaignPage.public_fields)


# -- one fold over a story's ledger ------------------------------------------------------------


def test_the_named_queries_agree_with_the_one_fold_through_a_storys_life(published_story, amara):
    story = published_story
    first = ConsentEntry.objects.get(story=story)
    assert (is_withdrawn(story), consent_has_ended(story)) == (False, False)
    assert grants_in_force([story.pk]) == {story.pk: first}

    services.withdraw_story(story=reload(story), user=amara.user)

    assert (is_withdrawn(story), consent_has_ended(story)) == (True, True)
    assert grants_in_force([story.pk]) == {}

    again = approve(reload(story), amara)

    assert (is_withdrawn(story), consent_has_ended(story)) == (False, False)
    assert grants_in_force([story.pk]) == {story.pk: again}


def test_an_expiry_ends_consent_without_being_a_withdrawal(published_story, amara):
    story = reload(published_story)
    grant = ConsentEntry.objects.get(story=story)
    # What the expiry sweep records (services._expire_story_grants) when the date passes.
    services._append(
        story,
        decision=ConsentEntry.Decision.EXPIRED,
        method=ConsentEntry.Method.SYSTEM,
        revision_id=grant.revision_id,
        digest=grant.content_hash,
    )

    assert (is_withdrawn(story), consent_has_ended(story)) == (False, True)
    assert grants_in_force([story.pk]) == {}


# -- one admin policy for every ledger -------------------------------------------------------


@pytest.mark.parametrize(
    ("model", "allowed"),
    [
        (ConsentEntry, {"view"}),
        (CompensationResponse, {"view"}),
        (Payment, {"view", "add"}),
    ],
)
def test_no_ledger_entry_can_be_changed_or_deleted_in_the_admin_even_by_a_superuser(
    superuser, model, allowed
):
    policy = policy_registry.get_by_type(model)

    assert isinstance(policy, LedgerPolicy)
    assert {
        action
        for action in ("view", "add", "change", "delete")
        if policy.user_has_permission(superuser, action)
    } == allowed


# -- one rule for what an in-person record needs -----------------------------------------------


def test_every_in_person_record_names_its_witness_through_one_rule(editor, published_story, amara):
    from compensation import services as payment_services
    from compensation.services import PaymentRefused
    from core.in_person import witness_named

    assert witness_named("  Sam Okafor ") == "Sam Okafor"
    with pytest.raises(ValueError, match="Name the witness who was there."):
        services.withdraw_story(story=published_story, recorded_by=editor, witness_name="  ")
    with pytest.raises(PaymentRefused, match="Name the witness who was there."):
        payment_services.choose_not_to_be_paid(
            storyteller=amara, story=published_story, recorded_by=editor, witness_name=" "
        )
    assert reload(published_story).live
