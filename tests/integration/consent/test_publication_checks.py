"""Publication checks are configured callables that fail closed (SAYSO_PUBLICATION_CHECKS).

Consent's rule is mandatory: the project refuses to start without it, or with a check it can't
import. At run time, a check that raises or can't be imported keeps every page private and is
logged. The payment rule is only an entry in the list: the configuration is what is obeyed.
"""

import logging

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.test import override_settings

from consent.exceptions import ConsentRequired
from consent.publication import CONSENT_CHECK, check_publication_checks
from consent.selectors import publication_verdict
from stories.models import CampaignPage, StoryPage

from tests.conftest import admin_edit_url as edit_url
from tests.conftest import approve
from tests.conftest import words_on as admin_text
from tests.integration.consent.test_publish_doors import click_publish, is_live
from tests.integration.workspace.test_workspace import campaign_in_review, press_story  # noqa: F401  (fixtures)

pytestmark = pytest.mark.django_db

PAYMENT_CHECK = "compensation.publication.payment_agreed"
ADVISORY_CHECK = "advisory.publication.advisory_group_approved"
CONFIGURED = [CONSENT_CHECK, PAYMENT_CHECK, ADVISORY_CHECK]
BROKEN_CHECK = "tests.integration.consent.test_publication_checks.a_check_that_breaks"
COULD_NOT_CHECK = "Sayso could not check Amara's approval of this version."


class CheckBroke(Exception):
    pass


def a_check_that_breaks(page, **context):
    """A rule whose dependency failed (a database it reads is down, say)."""
    raise CheckBroke("the payments service is unreachable")


def error_ids():
    return [error.id for error in check_publication_checks()]


# -- the project refuses to start when the rules are misconfigured ---------------------------


def test_the_configured_checks_pass_the_system_check():
    assert error_ids() == []
    call_command("check")  # raises SystemCheckError on any Error


@override_settings(SAYSO_PUBLICATION_CHECKS=[PAYMENT_CHECK, ADVISORY_CHECK])
def test_the_project_refuses_to_start_without_consents_check():
    assert error_ids() == ["consent.E002"]
    with pytest.raises(SystemCheckError, match="consent.E002"):
        call_command("check")


@override_settings(SAYSO_PUBLICATION_CHECKS=[])
def test_the_project_refuses_to_start_with_no_checks_at_all():
    assert error_ids() == ["consent.E002"]


@override_settings(SAYSO_PUBLICATION_CHECKS=[CONSENT_CHECK, "compensation.publication.nothing"])
def test_the_project_refuses_to_start_with_a_check_it_cannot_import():
    assert error_ids() == ["consent.E003"]
    with pytest.raises(SystemCheckError, match="compensation.publication.nothing"):
        call_command("check")


@override_settings(SAYSO_PUBLICATION_CHECKS=[CONSENT_CHECK, "no_such_app.rules.check"])
def test_the_project_refuses_to_start_with_a_check_from_a_missing_module():
    assert error_ids() == ["consent.E003"]


@override_settings(SAYSO_PUBLICATION_CHECKS=[CONSENT_CHECK, "consent.publication.SETTING"])
def test_the_project_refuses_to_start_with_a_check_that_is_not_callable():
    assert error_ids() == ["consent.E003"]


@override_settings(SAYSO_PUBLICATION_CHECKS=CONSENT_CHECK)
def test_the_project_refuses_to_start_when_the_setting_is_not_a_list():
    assert error_ids() == ["consent.E001"]


# -- at run time a broken check keeps the story private (fail closed) ------------------------


def test_a_raising_check_keeps_an_approved_story_from_the_publish_button(
    client, editor, make_story, amara, caplog
):
    story = make_story(amara)
    approve(story, amara)
    client.force_login(editor)
    assert 'name="action-publish"' in client.get(edit_url(story)).content.decode()

    broken = override_settings(SAYSO_PUBLICATION_CHECKS=[*CONFIGURED, BROKEN_CHECK])
    with broken, caplog.at_level(logging.ERROR, logger="consent.selectors"):
        hidden = client.get(edit_url(story))
        forced = click_publish(client, story)

    assert 'name="action-publish"' not in hidden.content.decode()
    assert f"Publishing is not available. {COULD_NOT_CHECK}" in admin_text(hidden)
    assert forced.status_code == 200
    assert "The page could not be saved due to validation errors." in admin_text(forced)
    assert COULD_NOT_CHECK in admin_text(forced)
    assert not is_live(story)
    failures = [r for r in caplog.records if BROKEN_CHECK in r.getMessage()]
    assert failures and all(r.exc_info[0] is CheckBroke for r in failures)

    # The same approval publishes as soon as the broken rule is gone: it was the only obstacle.
    published = click_publish(client, story)
    assert "Page 'A story' has been published." in admin_text(published)
    assert is_live(story)


def test_a_raising_check_takes_a_live_story_off_the_site(client, published_story, caplog):
    assert client.get(published_story.url).status_code == 200
    cache.clear()  # serving re-checks; a page already cached is the purge's business

    broken = override_settings(SAYSO_PUBLICATION_CHECKS=[*CONFIGURED, BROKEN_CHECK])
    with broken, caplog.at_level(logging.ERROR, logger="consent.selectors"):
        gone = client.get(published_story.url)

    # As for a story whose consent ended between sweeps: the public gets the neutral 410.
    assert gone.status_code == 410
    assert "Story published" not in gone.content.decode()
    assert any(BROKEN_CHECK in r.getMessage() for r in caplog.records)


@override_settings(SAYSO_PUBLICATION_CHECKS=[CONSENT_CHECK, "compensation.publication.nothing"])
def test_a_check_that_cannot_be_imported_at_run_time_refuses(make_story, amara, editor, caplog):
    story = make_story(amara)
    approve(story, amara)

    with caplog.at_level(logging.ERROR, logger="consent.selectors"):
        verdict = publication_verdict(StoryPage.objects.get(pk=story.pk))
        with pytest.raises(ConsentRequired, match=COULD_NOT_CHECK):
            story.get_latest_revision().publish(user=editor)

    assert (verdict.allowed, verdict.code, verdict.reason) == (False, "unchecked", COULD_NOT_CHECK)
    assert not is_live(story)
    assert any("can't be loaded" in r.getMessage() for r in caplog.records)


@override_settings(SAYSO_PUBLICATION_CHECKS=[PAYMENT_CHECK, ADVISORY_CHECK])
def test_without_consents_check_at_run_time_nothing_is_publishable(make_story, amara, caplog):
    story = make_story(amara)
    approve(story, amara)

    with caplog.at_level(logging.ERROR, logger="consent.selectors"):
        verdict = publication_verdict(StoryPage.objects.get(pk=story.pk))

    assert (verdict.allowed, verdict.code) == (False, "unchecked")


# -- the configuration is what is obeyed -----------------------------------------------------


def test_removing_the_payment_check_lets_a_story_without_agreement_publish(
    client, editor, make_story, amara
):
    story = make_story(amara, slug="unpaid", agreement=False)
    approve(story, amara)
    client.force_login(editor)
    refused = click_publish(client, story)
    assert "No payment is agreed with Amara for this story yet." in admin_text(refused)
    assert not is_live(story)

    with override_settings(SAYSO_PUBLICATION_CHECKS=[CONSENT_CHECK, ADVISORY_CHECK]):
        published = click_publish(client, story)

    assert "Page 'A story' has been published." in admin_text(published)
    assert is_live(story)


def test_the_checks_run_in_the_configured_order_and_the_first_refusal_answers(make_story, amara):
    # No consent yet and no payment agreed: consent's rule comes first, so it answers.
    story = make_story(amara, slug="unpaid", agreement=False)

    assert publication_verdict(story).code == "waiting"
    with override_settings(SAYSO_PUBLICATION_CHECKS=[PAYMENT_CHECK, CONSENT_CHECK]):
        assert publication_verdict(story).code == "no_payment_agreed"


def test_without_the_advisory_check_a_campaign_needing_review_still_cannot_go_live(
    campaign_in_review,  # noqa: F811
):
    # Nothing approves it any more, so it fails closed: a rule taken out of the list is no
    # way round the group's review.
    with override_settings(SAYSO_PUBLICATION_CHECKS=[CONSENT_CHECK, PAYMENT_CHECK]):
        verdict = publication_verdict(campaign_in_review)
        with pytest.raises(ConsentRequired):
            campaign_in_review.get_latest_revision().publish()

    assert (verdict.allowed, verdict.code) == (False, "unchecked")
    assert not CampaignPage.objects.get(pk=campaign_in_review.pk).live
    advised = publication_verdict(campaign_in_review)
    assert (advised.allowed, advised.code) == (False, "advisory_review")
