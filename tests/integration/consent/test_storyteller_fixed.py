"""A withdrawal is final, whoever edits the page afterwards (issue 10, item 2).

Each test is an editor's attempt to get round her decision: changing the story's storyteller
(admin form, ORM, API, an old revision), copying it, making and converting an alias, moving
it, or pointing it to a new storyteller account. After any of them she still finds every
story of hers in the portal and can withdraw it.
"""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from wagtail.models import Page

from consent import services
from consent.exceptions import ConsentRequired
from consent.models import ConsentEntry
from consent.selectors import publication_verdict, storyteller_is_fixed
from stories.models import StoryIndexPage, StoryPage

from tests.conftest import (
    admin_edit_form,
    admin_edit_url,
    consent_in_person,
    make_storyteller,
    website_scope,
    words_on,
)
from tests.integration.consent.test_publish_doors import (
    api_client,
    is_live,
    reload,
)

pytestmark = pytest.mark.django_db

FIXED = "The storyteller can't be changed"
WITHDRAWN_COPY = "This story was withdrawn by its storyteller, so it can't be copied."


@pytest.fixture
def withdrawn_story(published_story, amara):
    services.withdraw_story(story=published_story, user=amara.user)
    return reload(published_story)


@pytest.fixture
def other_account(db):
    """An account an editor creates to point the story at."""
    return make_storyteller("Amara two", "amara-two")


@pytest.fixture
def elsewhere(home):
    return home.add_child(instance=StoryIndexPage(title="Elsewhere", slug="elsewhere"))


# -- changing the storyteller ----------------------------------------------------------------


def test_before_she_is_asked_the_storyteller_can_still_be_corrected(
    client, editor, make_story, amara, lucia
):
    story = make_story(amara)
    client.force_login(editor)
    assert not storyteller_is_fixed(story)

    data = admin_edit_form(client, story, storyteller=str(lucia.pk))
    response = client.post(admin_edit_url(story), data)

    assert response.status_code == 302
    assert reload(story).get_latest_revision_as_object().storyteller == lucia


def test_once_a_review_was_started_for_her_the_admin_form_shows_it_fixed_and_ignores_changes(
    client, editor, make_story, amara, other_account
):
    story = make_story(amara)
    client.force_login(editor)
    data = admin_edit_form(client, story)
    data["action-submit"] = "action-submit"
    client.post(admin_edit_url(story), data)
    assert services.open_review(story) is not None
    assert not ConsentEntry.objects.filter(story=story).exists()

    page = client.get(admin_edit_url(story))
    data = admin_edit_form(client, story)
    data["storyteller"] = str(other_account.pk)
    client.post(admin_edit_url(story), data)

    html = page.content.decode()
    assert 'name="storyteller"' in html and "disabled" in html.split('name="storyteller"')[1][:200]
    assert FIXED in words_on(page)
    assert reload(story).get_latest_revision_as_object().storyteller == amara
    assert reload(story).storyteller == amara


def test_orm_refuses_to_change_the_storyteller_of_a_story_she_decided_about(
    withdrawn_story, other_account
):
    story = withdrawn_story
    story.storyteller = other_account

    with pytest.raises(ValidationError, match=FIXED):
        story.full_clean()
    with pytest.raises(ConsentRequired, match=FIXED):
        story.save()
    with pytest.raises(ValidationError, match=FIXED):
        story.save_revision()
    assert reload(story).storyteller_id != other_account.pk


def test_api_cannot_change_the_storyteller(
    client, editor, make_story, amara, withdrawn_story, other_account
):
    api = api_client(client, editor)
    not_asked_yet = make_story(amara, slug="not-asked-yet")

    def patch(story):
        return api.patch(
            f"/api/v3/pages/{story.pk}/",
            {"meta": {"type": "stories.StoryPage"}, "storyteller": other_account.pk},
            content_type="application/json",
        )

    response = patch(withdrawn_story)

    # The API's page update doesn't take a storyteller at all (so not even for a story
    # nobody asked yet); if it ever does, the model's guard still refuses a fixed one.
    assert patch(not_asked_yet).status_code == 200
    assert reload(not_asked_yet).get_latest_revision_as_object().storyteller == amara
    assert response.status_code == 200
    assert reload(withdrawn_story).get_latest_revision_as_object().storyteller == (
        withdrawn_story.storyteller
    )
    assert reload(withdrawn_story).storyteller == withdrawn_story.storyteller


def test_withdrawn_story_pointed_to_a_new_account_cannot_be_brought_back(
    withdrawn_story, other_account, editor
):
    # The new account "approves" — but it can't become the story's storyteller at all.
    story = withdrawn_story
    story.storyteller = other_account
    with pytest.raises(ConsentRequired):
        story.save()
    with pytest.raises(services.NotTheStoryteller):
        services.approve_story(
            story=withdrawn_story,
            revision=withdrawn_story.get_latest_revision(),
            user=other_account.user,
            scope=website_scope(byline="pseudonym"),
        )
    assert publication_verdict(reload(withdrawn_story)).code == "withdrawn"


# -- copies -----------------------------------------------------------------------------------


def copy_in_admin(client, story, parent, slug):
    url = reverse("wagtailadmin_pages:copy", args=[story.pk])
    data = {"new_title": "A story (copy)", "new_slug": slug, "new_parent_page": parent.pk}
    return client.post(url, data, follow=True)


def test_an_admin_copy_keeps_its_storyteller_for_good(
    client, editor, published_story, story_index, amara, other_account
):
    client.force_login(editor)

    copy_in_admin(client, published_story, story_index, "the-copy")

    copy = StoryPage.objects.get(slug="the-copy")
    assert copy.storyteller == amara
    assert copy.copied_from_id == published_story.pk
    assert storyteller_is_fixed(copy)
    copy.storyteller = other_account
    with pytest.raises(ConsentRequired, match=FIXED):
        copy.save()
    page = client.get(admin_edit_url(copy))
    assert FIXED in words_on(page)


def test_copy_in_code_cannot_hand_the_story_to_someone_else(
    published_story, story_index, other_account
):
    with pytest.raises(ConsentRequired, match=FIXED):
        published_story.copy(
            to=story_index, update_attrs={"slug": "stolen", "storyteller": other_account}
        )
    assert not StoryPage.objects.filter(slug="stolen").exists()


def test_a_withdrawn_story_cannot_be_copied_through_the_admin(
    client, editor, withdrawn_story, story_index
):
    client.force_login(editor)

    response = client.post(
        reverse("wagtailadmin_pages:copy", args=[withdrawn_story.pk]),
        {"new_title": "Again", "new_slug": "again", "new_parent_page": story_index.pk},
        follow=True,
    )

    assert response.status_code == 200
    assert WITHDRAWN_COPY in words_on(response)
    assert not StoryPage.objects.filter(slug="again").exists()


def test_a_withdrawn_story_cannot_be_copied_in_code_or_through_the_api(
    client, editor, withdrawn_story, story_index
):
    with pytest.raises(ConsentRequired, match=WITHDRAWN_COPY):
        withdrawn_story.copy(to=story_index, update_attrs={"slug": "again"})
    api = api_client(client, editor)
    response = api.post(
        f"/api/v3/pages/{withdrawn_story.pk}/actions/copy/",
        {"slug": "again", "keep_live": False},
        content_type="application/json",
    )

    assert response.status_code == 403
    assert not StoryPage.objects.filter(slug="again").exists()


def test_a_copy_made_before_she_withdrew_stays_governed_by_the_withdrawal(
    client, editor, published_story, story_index, amara
):
    client.force_login(editor)
    copy_in_admin(client, published_story, story_index, "early-copy")
    copy = StoryPage.objects.get(slug="early-copy")
    services.withdraw_story(story=published_story, user=amara.user)

    with pytest.raises(ConsentRequired, match="This story was withdrawn"):
        consent_in_person(copy, editor, "A colleague")
    with pytest.raises(ConsentRequired):
        copy.get_latest_revision().publish(user=editor)
    assert not is_live(copy)


# -- aliases and their conversion ------------------------------------------------------------


def test_a_converted_alias_of_a_withdrawn_story_cannot_be_published_without_her(
    client, editor, published_story, elsewhere, amara
):
    alias = published_story.create_alias(parent=elsewhere)
    services.withdraw_story(story=published_story, user=amara.user)
    client.force_login(editor)

    response = client.post(reverse("wagtailadmin_pages:convert_alias", args=[alias.pk]))

    assert response.status_code == 302
    converted = reload(alias)
    assert converted.alias_of_id is None
    assert converted.copied_from_id == published_story.pk
    assert converted.storyteller == amara
    assert storyteller_is_fixed(converted)
    with pytest.raises(ConsentRequired):
        converted.get_latest_revision().publish(user=editor)
    with pytest.raises(ConsentRequired, match="This story was withdrawn"):
        consent_in_person(converted, editor, "A colleague")
    assert not is_live(converted)


def test_converting_a_live_alias_through_the_api_is_refused(
    client, editor, published_story, elsewhere
):
    alias = published_story.create_alias(parent=elsewhere)
    assert alias.live
    api = api_client(client, editor)

    response = api.post(f"/api/v3/pages/{alias.pk}/actions/convert_alias/")

    assert response.status_code == 403
    assert reload(alias).alias_of_id == published_story.pk


# -- moving -----------------------------------------------------------------------------------


def test_moving_a_withdrawn_story_changes_nothing(client, editor, withdrawn_story, elsewhere):
    client.force_login(editor)
    url = reverse("wagtailadmin_pages:move_confirm", args=[withdrawn_story.pk, elsewhere.pk])

    response = client.post(url)

    assert response.status_code == 302
    moved = reload(withdrawn_story)
    assert moved.get_parent().pk == elsewhere.pk
    assert publication_verdict(moved).code == "withdrawn"
    with pytest.raises(ConsentRequired, match="Amara withdrew this story"):
        moved.get_latest_revision().publish(user=editor)


# -- she still finds and withdraws every story of hers ---------------------------------------


def test_after_every_editor_action_she_finds_and_withdraws_each_story(
    client, editor, published_story, story_index, elsewhere, amara
):
    client.force_login(editor)
    copy_in_admin(client, published_story, story_index, "kept-copy")
    copy = StoryPage.objects.get(slug="kept-copy")
    alias = published_story.create_alias(parent=elsewhere)
    moved_target = elsewhere.add_child(instance=StoryIndexPage(title="Deeper", slug="deeper"))
    client.post(reverse("wagtailadmin_pages:move_confirm", args=[copy.pk, moved_target.pk]))
    client.logout()
    client.force_login(amara.user)

    home = client.get(reverse("portal:home")).content.decode()

    for story in (published_story, copy, alias):
        assert reverse("portal:story", args=[story.pk]) in home
    for story in (published_story, copy):
        response = client.post(reverse("portal:withdraw", args=[story.pk]), {"where": "everywhere"})
        assert response.status_code == 302
        latest = ConsentEntry.objects.filter(story=story).order_by("-sequence").first()
        assert latest.decision == ConsentEntry.Decision.WITHDRAWN
        assert latest.storyteller == amara
    assert not is_live(published_story)
    assert not Page.objects.get(pk=alias.pk).live
