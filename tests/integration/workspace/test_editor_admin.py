"""The editors' side of consent in the Wagtail admin: in-person decisions and notifications."""

import re

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.urls import reverse
from wagtail.models import GroupPagePermission

from consent.models import ConsentEntry, Notification
from stories.models import ContentWarning, StoryPage

from tests.conftest import approve

pytestmark = pytest.mark.django_db


# What an editor sends after reading the consent form aloud, with a witness in the room.
GRANTED_IN_PERSON = {
    "decision": "granted",
    "witness_name": "Grace Ofori",
    "channels": ["website"],
    "byline": "pseudonym",
    "until": "withdrawn",
}


def _record(client, story, **data):
    return client.post(reverse("consent_record_in_person", args=[story.pk]), data)


def test_an_editor_records_consent_given_in_person_before_a_witness(
    client, make_story, amara, editor
):
    story = make_story(amara)
    client.force_login(editor)

    response = _record(client, story, **GRANTED_IN_PERSON)

    assert response.status_code == 302
    entry = ConsentEntry.objects.get(story=story)
    assert entry.method == ConsentEntry.Method.IN_PERSON
    assert entry.recorded_by == editor
    assert entry.witness_name == "Grace Ofori"
    story.get_latest_revision().publish(user=editor)
    assert StoryPage.objects.get(pk=story.pk).live


def test_an_in_person_record_needs_a_witness(client, make_story, amara, editor):
    story = make_story(amara)
    client.force_login(editor)

    response = _record(client, story, **{**GRANTED_IN_PERSON, "witness_name": ""})

    assert response.status_code == 200
    assert response.context["form"].errors == {"witness_name": ["This field is required."]}
    assert not ConsentEntry.objects.exists()


def test_after_a_withdrawal_an_editor_cannot_record_consent_again(
    client, published_story, amara, editor
):
    client.force_login(editor)
    _record(client, published_story, decision="withdrawn", witness_name="Grace Ofori")
    assert client.get("/stories/published/").status_code == 410

    response = _record(client, published_story, **GRANTED_IN_PERSON)

    assert response.status_code == 200
    assert "Only the storyteller can give consent again" in response.content.decode()
    assert not ConsentEntry.objects.filter(
        story=published_story, decision="granted", method="in_person"
    ).exists()


def test_another_editor_without_edit_rights_cannot_record(
    client, make_story, amara, campaign_index
):
    """Staff with admin access, who may edit campaigns but not stories, is refused."""
    story = make_story(amara)
    group = Group.objects.create(name="Campaign editors only")
    group.permissions.add(Permission.objects.get(codename="access_admin"))
    GroupPagePermission.objects.create(
        group=group, page=campaign_index, permission=Permission.objects.get(codename="change_page")
    )
    outsider = get_user_model().objects.create_user("outsider", is_staff=True)
    outsider.groups.add(group)
    client.force_login(outsider)

    response = _record(client, story, decision="withdrawn", witness_name="Someone")

    # Wagtail's admin answers a refusal with a redirect to its dashboard, not to a login.
    assert response.status_code == 302
    assert response["Location"] == reverse("wagtailadmin_home")
    dashboard = client.get(response["Location"]).content.decode()
    assert "Sorry, you do not have permission to access this area." in dashboard
    assert not ConsentEntry.objects.exists()


def test_editors_see_what_storytellers_decided_on_the_admin_home(
    client, make_story, amara, editor, django_capture_on_commit_callbacks
):
    story = make_story(amara)
    with django_capture_on_commit_callbacks(execute=True):
        approve(story, amara)
    client.force_login(editor)

    page = client.get(reverse("wagtailadmin_home")).content.decode()

    assert "What storytellers decided" in page
    assert "A storyteller approved a story" in page
    assert "Amara" in page
    client.post(reverse("consent_notifications_read"))
    assert not Notification.objects.filter(recipient=editor, read_at__isnull=True).exists()


def test_a_content_warning_on_published_stories_cannot_be_reworded(
    client, published_story, superuser
):
    warning = ContentWarning.objects.create(name="Violence")
    StoryPage.content_warnings.through.objects.create(
        storypage=published_story, contentwarning=warning
    )
    client.force_login(superuser)
    url = reverse("wagtailsnippets_stories_contentwarning:edit", args=[warning.pk])

    response = client.post(url, {"name": "Graphic violence", "description": ""})

    assert response.status_code == 200
    warning.refresh_from_db()
    assert warning.name == "Violence"


def test_a_storytellers_line_breaks_open_in_the_wagtail_editor(client, make_story, amara, editor):
    from consent import services
    from core.text.sanitise import clean_story_html

    cleaned = clean_story_html("<p>one<br>two</p>")
    assert re.fullmatch(r'<p data-block-key="\w+">one<br/>two</p>', cleaned)
    assert clean_story_html(cleaned) == cleaned
    story = make_story(amara)
    services.edit_story(
        story=story,
        user=amara.user,
        title="A story",
        summary="A short summary.",
        body="<p>first line<br>second line</p>",
        scope=services.Scope(channels=("website",), byline="pseudonym"),
    )
    client.force_login(editor)

    response = client.get(reverse("wagtailadmin_pages:edit", args=[story.pk]))

    assert response.status_code == 200
    assert "second line" in response.content.decode()


def test_wagtails_own_moderation_emails_name_no_story_in_the_subject(
    make_story, amara, editor, review_workflow, mailoutbox, django_capture_on_commit_callbacks
):
    editor.email = "editor@example.org"
    editor.save()
    story = make_story(amara, title="Eighteen months at sea")
    with django_capture_on_commit_callbacks(execute=True):
        review_workflow.start(story, editor)
        approve(story, amara)  # moves the review on to the editors' sign-off

    subjects = [message.subject for message in mailoutbox if "editor@example.org" in message.to]
    assert subjects, "the editors' sign-off should be announced to the editors"
    for subject in subjects:
        assert "Eighteen" not in subject


def test_editors_can_read_the_consent_ledger_but_not_change_it(client, published_story, editor):
    from consent.models import ConsentEntry

    entry = ConsentEntry.objects.get(story=published_story)
    client.force_login(editor)

    listing = client.get(reverse("consent_ledger:index"))
    inspect = client.get(reverse("consent_ledger:inspect", args=[entry.pk]))
    edit = client.get(reverse("consent_ledger:edit", args=[entry.pk]))

    assert listing.status_code == 200 and "Amara" in listing.content.decode()
    assert inspect.status_code == 200
    assert edit.status_code == 302 and edit["Location"] == reverse("wagtailadmin_home")
