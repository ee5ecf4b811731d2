"""Data rights: a storyteller takes away everything held about them, and can have a
withdrawn story erased so that nothing of its words is left — while the consent ledger
still proves, in dates and hashes, that it was only ever public on their say-so.
"""

import importlib
import io
import json
import re

import pytest
from django.apps import apps as django_apps
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.files.images import ImageFile
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.migrations.loader import MigrationLoader
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from PIL import Image as PILImage
from wagtail.models import Revision

from compensation.models import Agreement, PaymentMethod
from compensation.services import choose_not_to_be_paid, record_payment
from consent import services
from consent.crypto import EncryptedTextField
from consent.exceptions import LedgerIsAppendOnly
from consent.ledger import verify_chain
from consent.models import ConsentEntry, ErasureRequest, Notification, Storyteller
from consent.notifications import notify_editors
from consent.selectors import content_hash
from images.models import SaysoImage
from stories.models import CampaignPage, CampaignStory, StoryIndexPage, StoryPage

from .conftest import PASSWORD, approve, website_scope

pytestmark = pytest.mark.django_db

# Words found in nothing but Amara's story (its versions, photo, messages and witness).
STORY_WORDS = [
    "Quillmoravec",
    "Brindlehaven",
    "Ostravelin",
    "Marcobellum",
    "Vintergrove",
    "Zephyrindal",
    "Quorrendale",
]


def signed_in(user):
    client = Client()
    client.force_login(user)
    return client


def personal_field_names():
    return [
        field.attname
        for field in Storyteller._meta.concrete_fields
        if isinstance(field, EncryptedTextField)
    ]


def give_personal_fields(storyteller, prefix):
    """Fill every encrypted personal field the storyteller record has, distinctly."""
    values = {name: f"{prefix} {name} value" for name in personal_field_names()}
    for name, value in values.items():
        setattr(storyteller, name, value)
    storyteller.save()
    storyteller.user.email = f"{prefix.lower()}@example.org"
    storyteller.user.save()
    return values


def make_photo(title, filename):
    buffer = io.BytesIO()
    PILImage.new("RGB", (90, 60), (40, 120, 200)).save(buffer, format="JPEG")
    image = SaysoImage(title=title, file=ImageFile(buffer, name=filename))
    image._set_image_file_metadata()
    image.save()
    return image


def database_text_containing(words):
    """Every value in every table of the database (raw SQL) that contains one of the words.

    Every column is read, not only text ones: full-text indexes keep words in vectors and
    binary segments too.
    """
    found = []
    lowered = [word.lower() for word in words]
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608
            for row in cursor.fetchall():
                for value in row:
                    if isinstance(value, bytes | memoryview):
                        text = bytes(value).decode("latin-1").lower()
                    else:
                        text = str(value).lower()
                    found.extend((table, word) for word in lowered if word in text)
    return sorted(set(found))


def verify_ledger():
    out = io.StringIO()
    call_command("verify_ledger", stdout=out, stderr=io.StringIO())
    return out.getvalue()


def ledger_problems():
    return verify_chain()[0]


def run_sql(sql, params=()):
    with connection.cursor() as cursor:
        cursor.execute(sql.format(table=ConsentEntry._meta.db_table), params)


@pytest.fixture
def harriet(db):
    """An editor and moderator (who may confirm erasure) with a name found nowhere else."""
    user = get_user_model().objects.create_user(
        username="harriet-okonkwo", password=PASSWORD, email="harriet.okonkwo@example.org"
    )
    user.groups.add(*Group.objects.filter(name__in=["Editors", "Moderators"]))
    return user


@pytest.fixture
def lucias_story(make_story, lucia, harriet):
    """Lucía's published story and her personal details: nothing shared with Amara."""
    give_personal_fields(lucia, "Lucia-secret")
    story = make_story(
        lucia,
        slug="lucias-market",
        title="Lucía at the Tamberlayne market",
        body="<p>Lucía sold Hollowmere apples.</p>",
    )
    approve(story, lucia)
    story.get_latest_revision().publish()
    services.request_changes(
        story=story,
        revision=story.get_latest_revision(),
        user=lucia.user,
        message="Leave out Pellinore street.",
    )
    return StoryPage.objects.get(pk=story.pk)


@pytest.fixture
def amaras_story(make_story, amara, harriet, review_workflow, campaign_index, home):
    """Amara's story as it lives a full life: versions by the editors and by her, a request
    for changes, a photo with renditions, an alias, a campaign, an in-person decision
    before a witness, publication — and then her withdrawal."""
    give_personal_fields(amara, "Amara-secret")
    photo = make_photo("Zephyrindal portrait", "zephyrindal.jpg")
    story = make_story(
        amara,
        slug="quillmoravec",
        title="Quillmoravec by the river",
        summary="Brindlehaven was where it began.",
        body="<p>Ostravelin was the first name I was given.</p>",
        image=photo,
        image_alt="A view of Brindlehaven",
    )
    Agreement.objects.filter(story=story).update(description="For telling Quillmoravec")
    draft = story.get_latest_revision_as_object()
    draft.body = "<p>Ostravelin was the first name I was given, then Marcobellum.</p>"
    draft.save_revision(user=harriet)
    review_workflow.start(StoryPage.objects.get(pk=story.pk), harriet)
    services.request_changes(
        story=story,
        revision=story.get_latest_revision(),
        user=amara.user,
        message="Please take out Vintergrove.",
    )
    story = StoryPage.objects.get(pk=story.pk)
    services.edit_story(
        story=story,
        user=amara.user,
        title="Quillmoravec by the river",
        summary="Brindlehaven was where it began.",
        body="<p>Ostravelin was the first name I was given, then Marcobellum.</p>",
        scope=website_scope(image_allowed=True),
    )
    story = StoryPage.objects.get(pk=story.pk)
    services.record_in_person_consent(
        story=story,
        revision=story.get_latest_revision(),
        editor=harriet,
        witness_name="Ada Quorrendale",
        scope=website_scope(image_allowed=True),
    )
    story.get_latest_revision().publish()
    story = StoryPage.objects.get(pk=story.pk)
    elsewhere = home.add_child(instance=StoryIndexPage(title="Elsewhere", slug="elsewhere"))
    story.create_alias(parent=elsewhere)
    campaign = campaign_index.add_child(instance=CampaignPage(title="Rivers", slug="rivers"))
    CampaignStory.objects.create(campaign=campaign, story=story)
    services.withdraw_story(story=story, user=amara.user)
    return StoryPage.objects.get(pk=story.pk)


# Export: everything about them, nothing about anyone else


def download_export(user):
    response = signed_in(user).get(reverse("portal:export"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    assert response["Content-Disposition"].startswith("attachment;")
    assert "no-store" in response["Cache-Control"]
    return response.content.decode(), json.loads(response.content)


def test_the_export_holds_the_profile_with_personal_fields_decrypted(amaras_story, amara):
    amara.refresh_from_db()

    _text, data = download_export(amara.user)

    profile = data["profile"]
    assert profile["pseudonym"] == amara.pseudonym
    assert profile["contact_preference"] == amara.contact_preference
    assert profile["email"] == amara.user.email
    assert personal_field_names(), "the storyteller record has encrypted personal fields"
    for name in personal_field_names():
        assert profile[name] == getattr(amara, name)
        assert profile[name].startswith("Amara-secret")


def test_the_export_holds_every_version_of_every_story_with_dates(amaras_story, amara):
    revisions = list(
        Revision.page_revisions.filter(object_id=str(amaras_story.pk)).order_by("created_at", "pk")
    )
    assert len(revisions) >= 3

    _text, data = download_export(amara.user)

    [story] = data["stories"]
    assert story["id"] == amaras_story.pk
    assert [version["saved_at"] for version in story["versions"]] == [
        revision.created_at.isoformat() for revision in revisions
    ]
    for version, revision in zip(story["versions"], revisions, strict=True):
        page = revision.as_object()
        assert version["content"] == json.loads(json.dumps(page.public_content()))
        assert version["content_sha256"] == content_hash(page)
    bodies = [version["content"]["body"] for version in story["versions"]]
    assert "Marcobellum" not in bodies[0] and "Marcobellum" in bodies[-1]
    authors = {version["saved_by"] for version in story["versions"]}
    assert authors == {"you", "an editor"}


def test_the_export_holds_every_consent_entry_with_its_receipt(amaras_story, amara):
    entries = list(ConsentEntry.objects.filter(storyteller=amara).order_by("sequence"))

    _text, data = download_export(amara.user)

    exported = data["consent_entries"]
    assert [e["receipt_id"] for e in exported] == [str(e.receipt_id) for e in entries]
    assert [e["entry_hash"] for e in exported] == [e.entry_hash for e in entries]
    assert {e["decision"] for e in exported} >= {"granted", "changes_requested", "withdrawn"}
    assert all(e["receipt"]["consentReceiptID"] == e["receipt_id"] for e in exported)
    messages = [e["message"] for e in exported]
    assert "Please take out Vintergrove." in messages
    in_person = [e for e in exported if e["witness_name"]]
    assert in_person and in_person[0]["recorded_by"] == "an editor"


def test_the_export_holds_notifications_and_a_payments_section(amaras_story, amara):
    notify_editors(Notification.Kind.WITHDRAWN, amaras_story)
    Notification.objects.create(
        recipient=amara.user, kind=Notification.Kind.READY_FOR_STORYTELLER, story=amaras_story
    )
    own = Notification.objects.filter(recipient=amara.user).count()

    _text, data = download_export(amara.user)

    assert len(data["notifications"]) == own
    assert data["notifications"][0]["what"] == "Something is ready for you"
    kinds = {note["what"] for note in data["notes_to_editors_about_you"]}
    assert "A storyteller withdrew a story" in kinds
    assert "payments" in data


def test_the_export_holds_payment_agreements_and_payments(
    amaras_story, amara, lucias_story, harriet
):
    agreement = Agreement.objects.get(story=amaras_story)
    payment = record_payment(
        agreement=agreement,
        amount=agreement.total,
        paid_on=timezone.now().date(),
        method=PaymentMethod.BANK_TRANSFER,
        recorded_by=harriet,
        reference="TRF-AMARA-1",
    )
    lucias_agreement = Agreement.objects.get(story=lucias_story)
    record_payment(
        agreement=lucias_agreement,
        amount=lucias_agreement.total,
        paid_on=timezone.now().date(),
        method=PaymentMethod.CASH,
        recorded_by=harriet,
        reference="TRF-LUCIA-1",
    )

    text, data = download_export(amara.user)

    held = data["payments"]
    [exported_agreement] = held["payment agreements"]
    assert exported_agreement["public_id"] == str(agreement.public_id)
    assert exported_agreement["total"] == str(agreement.total)
    assert exported_agreement["agreed_by"] == "an editor"
    [exported_payment] = held["payments"]
    assert exported_payment["receipt_id"] == str(payment.receipt_id)
    assert exported_payment["amount"] == str(payment.amount)
    assert exported_payment["recorded_by"] == "an editor"
    assert "TRF-LUCIA-1" not in text and str(lucias_agreement.public_id) not in text


def test_the_export_names_no_editor_and_nothing_of_another_storyteller(
    amaras_story, lucias_story, amara, lucia, harriet
):
    lucia.refresh_from_db()
    lucias_entries = ConsentEntry.objects.filter(storyteller=lucia)
    others = [
        lucia.pseudonym,
        lucia.user.username,
        lucia.user.email,
        lucias_story.title,
        "Hollowmere",
        "Pellinore",
        *(getattr(lucia, name) for name in personal_field_names()),
        *(str(entry.receipt_id) for entry in lucias_entries),
        *(entry.entry_hash for entry in lucias_entries),
        harriet.username,
        harriet.email,
        "okonkwo",
    ]

    text, _data = download_export(amara.user)

    leaked = [value for value in others if value.lower() in text.lower()]
    assert not leaked
    assert "Quillmoravec" in text  # her own story is all there


def test_the_export_link_is_on_the_storytellers_home_page(amara):
    home = signed_in(amara.user).get(reverse("portal:home"))

    assert reverse("portal:export") in home.content.decode()


# Erasure: asked for in the portal, confirmed by an editor with the right, complete


def ask_for_erasure(storyteller, story):
    client = signed_in(storyteller.user)
    url = reverse("portal:erase", args=[story.pk])
    page = client.get(url)
    assert page.status_code == 200
    return client.post(url, {"action": "erase", "confirm": "on"})


def confirm_as(user, erasure_request, capture):
    client = signed_in(user)
    listing = client.get(reverse("consent_erasure_requests"))
    page = client.get(reverse("consent_confirm_erasure", args=[erasure_request.pk]))
    with capture(execute=True):
        done = client.post(reverse("consent_confirm_erasure", args=[erasure_request.pk]))
    return listing, page, done


def test_erasure_can_only_be_asked_for_once_the_story_is_withdrawn(published_story, amara):
    client = signed_in(amara.user)
    url = reverse("portal:erase", args=[published_story.pk])

    page = client.get(url)
    client.post(url, {"action": "erase", "confirm": "on"})

    assert "once your story is withdrawn" in page.content.decode()
    assert not ErasureRequest.objects.exists()
    assert StoryPage.objects.filter(pk=published_story.pk, live=True).exists()


def test_the_erasure_page_says_plainly_what_goes_and_what_stays(amaras_story, amara):
    story_page = signed_in(amara.user).get(reverse("portal:story", args=[amaras_story.pk]))
    page = signed_in(amara.user).get(reverse("portal:erase", args=[amaras_story.pk]))

    html = page.content.decode()
    assert reverse("portal:erase", args=[amaras_story.pk]) in story_page.content.decode()
    assert "What is erased" in html and "What stays" in html
    assert "Every version of your story" in html
    assert "Your private details" in html  # her last story: her details go too
    assert "be brought back, not even by us" in html


def test_a_storyteller_must_tick_the_box_to_ask(amaras_story, amara):
    client = signed_in(amara.user)

    response = client.post(reverse("portal:erase", args=[amaras_story.pk]), {"action": "erase"})

    assert response.status_code == 200
    assert "Tick the box to confirm." in response.content.decode()
    assert not ErasureRequest.objects.exists()


def test_erasure_leaves_no_trace_of_the_story_in_the_database(
    amaras_story, amara, lucias_story, lucia, harriet, django_capture_on_commit_callbacks
):
    photo = amaras_story.image
    # Withdrawal deleted the renditions; the admin's thumbnails bring some back.
    renditions = [photo.get_rendition("max-165x165"), photo.get_rendition("width-60|blur")]
    files = [photo.file.name, *(rendition.file.name for rendition in renditions)]
    storage = photo.file.storage
    assert len(files) == 3 and all(storage.exists(name) for name in files)
    before = database_text_containing(STORY_WORDS)
    tables_before = {table for table, _word in before}
    # The scan sees the words wherever they are kept: pages, versions, search, the ledger.
    assert {
        "wagtailcore_page",
        "wagtailcore_revision",
        "images_saysoimage",
        "consent_consententry",
        "wagtailcore_pagelogentry",
        "wagtailsearch_indexentry",
    } <= tables_before
    lucias_entries = list(ConsentEntry.objects.filter(storyteller=lucia).values())

    asked = ask_for_erasure(amara, amaras_story)
    erasure_request = ErasureRequest.objects.get()
    listing, page, done = confirm_as(harriet, erasure_request, django_capture_on_commit_callbacks)

    assert asked.status_code == 302
    assert "Amara" in listing.content.decode()
    assert "Quillmoravec" in page.content.decode()  # the editor sees what they confirm
    assert done.status_code == 302
    assert database_text_containing(STORY_WORDS) == []
    assert not StoryPage.objects.filter(slug="quillmoravec").exists()
    assert not Revision.page_revisions.filter(object_id=str(amaras_story.pk)).exists()
    assert not SaysoImage.objects.filter(pk=photo.pk).exists()
    assert not any(storage.exists(name) for name in files)
    assert not CampaignStory.objects.filter(story_id=amaras_story.pk).exists()
    # Lucía's entries are exactly as they were.
    assert list(ConsentEntry.objects.filter(storyteller=lucia).values()) == lucias_entries
    erasure_request.refresh_from_db()
    assert erasure_request.confirmed_at and erasure_request.confirmed_by == harriet


def test_after_erasure_the_ledger_keeps_tombstones_and_still_verifies(
    amaras_story, amara, lucias_story, harriet, django_capture_on_commit_callbacks
):
    amaras = list(ConsentEntry.objects.filter(story=amaras_story).order_by("sequence"))
    hashes = {entry.sequence: entry.entry_hash for entry in amaras}
    ask_for_erasure(amara, amaras_story)

    confirm_as(harriet, ErasureRequest.objects.get(), django_capture_on_commit_callbacks)

    assert "The consent ledger is intact" in verify_ledger()
    tombstones = ConsentEntry.objects.filter(sequence__in=hashes).order_by("sequence")
    for tombstone in tombstones:
        assert tombstone.is_tombstone and tombstone.payload_is_erased()
        assert tombstone.entry_hash == hashes[tombstone.sequence]
        assert tombstone.created_at and tombstone.decision
        assert tombstone.storyteller_id is None and tombstone.story_id is None
    marker = ConsentEntry.objects.order_by("-sequence").first()
    assert marker.decision == ConsentEntry.Decision.ERASURE
    assert marker.erases == sorted(hashes)
    assert not ConsentEntry.objects.filter(storyteller=amara).exists()
    # The admin's views of the ledger still open, tombstones and all.
    client = signed_in(harriet)
    tombstone = tombstones.first()
    for url in (
        reverse("consent_ledger:index"),
        reverse("consent_ledger:inspect", args=[tombstone.pk]),
        reverse("consent_ledger:inspect", args=[marker.pk]),
        reverse("workspace_consent_ledger"),
        f"{reverse('workspace_consent_ledger')}?export=csv",
        reverse("workspace_turnaround"),
        reverse("wagtailadmin_home"),
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        body = b"".join(response) if response.streaming else response.content
        assert not any(word.lower().encode() in body.lower() for word in STORY_WORDS), url


def test_erasure_of_the_last_story_erases_the_storytellers_personal_fields(
    amaras_story, amara, harriet, django_capture_on_commit_callbacks
):
    ask_for_erasure(amara, amaras_story)

    confirm_as(harriet, ErasureRequest.objects.get(), django_capture_on_commit_callbacks)

    amara.refresh_from_db()
    amara.user.refresh_from_db()
    assert all(not getattr(amara, name) for name in personal_field_names())
    assert amara.user.email == ""
    # She can still sign in to her own, now empty, space and download what is left.
    home = signed_in(amara.user).get(reverse("portal:home"))
    assert home.status_code == 200 and "Quillmoravec" not in home.content.decode()
    text, data = download_export(amara.user)
    assert data["stories"] == [] and data["consent_entries"] == []
    assert data["erasure_requests"][0]["confirmed_at"]
    assert not any(word.lower() in text.lower() for word in STORY_WORDS)


def test_payment_records_stay_without_the_story(
    amaras_story, amara, harriet, django_capture_on_commit_callbacks
):
    agreement = Agreement.objects.get(story=amaras_story)
    payment = record_payment(
        agreement=agreement,
        amount=agreement.total,
        paid_on=timezone.now().date(),
        method=PaymentMethod.CASH,
        recorded_by=harriet,
    )
    ask_for_erasure(amara, amaras_story)

    confirm_as(harriet, ErasureRequest.objects.get(), django_capture_on_commit_callbacks)

    kept = Agreement.objects.get(pk=agreement.pk)
    assert kept.story_id is None and kept.description == ""
    assert (kept.storyteller_id, kept.total, kept.agreed_on) == (
        agreement.storyteller_id,
        agreement.total,
        agreement.agreed_on,
    )
    assert kept.payments.get().entry_hash == payment.entry_hash
    assert "The payments ledger is intact" in verify_ledger()


def test_a_story_with_payment_answers_is_refused_clearly_and_nothing_changes(
    amaras_story, amara, harriet, django_capture_on_commit_callbacks
):
    # The answers ledger has no tombstones yet (a known gap): refuse, change nothing.
    choose_not_to_be_paid(storyteller=amara, story=amaras_story, user=amara.user)
    ask_for_erasure(amara, amaras_story)
    entries = list(ConsentEntry.objects.filter(story=amaras_story).values())

    client = signed_in(harriet)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("consent_confirm_erasure", args=[ErasureRequest.objects.get().pk]),
            follow=True,
        )

    assert "can&#x27;t be erased yet" in response.content.decode()
    assert StoryPage.objects.filter(pk=amaras_story.pk).exists()
    assert list(ConsentEntry.objects.filter(story=amaras_story).values()) == entries
    assert ErasureRequest.objects.get().is_pending
    assert ledger_problems() == []


def test_personal_fields_stay_while_another_story_of_theirs_remains(
    amaras_story, amara, make_story, harriet, django_capture_on_commit_callbacks
):
    make_story(amara, slug="another-story", title="Another story")
    amara.refresh_from_db()
    kept = {name: getattr(amara, name) for name in personal_field_names()}
    ask_for_erasure(amara, amaras_story)

    confirm_as(harriet, ErasureRequest.objects.get(), django_capture_on_commit_callbacks)

    amara.refresh_from_db()
    assert {name: getattr(amara, name) for name in personal_field_names()} == kept
    assert not StoryPage.objects.filter(pk=amaras_story.pk).exists()


def test_a_photo_another_page_uses_is_kept(
    amaras_story, amara, lucia, make_story, harriet, django_capture_on_commit_callbacks
):
    photo = amaras_story.image
    make_story(lucia, slug="shared-photo", title="Shared", image=photo, image_alt="A view")
    ask_for_erasure(amara, amaras_story)

    confirm_as(harriet, ErasureRequest.objects.get(), django_capture_on_commit_callbacks)

    assert SaysoImage.objects.filter(pk=photo.pk).exists()
    assert photo.file.storage.exists(photo.file.name)
    assert not StoryPage.objects.filter(pk=amaras_story.pk).exists()


def test_only_editors_with_the_right_can_see_or_confirm_erasure(
    amaras_story, amara, editor, django_capture_on_commit_callbacks
):
    plain_editor = get_user_model().objects.create_user(username="plain", password=PASSWORD)
    plain_editor.groups.add(Group.objects.get(name="Editors"))
    ask_for_erasure(amara, amaras_story)
    erasure_request = ErasureRequest.objects.get()
    client = signed_in(plain_editor)

    listing = client.get(reverse("consent_erasure_requests"))
    confirm = client.post(reverse("consent_confirm_erasure", args=[erasure_request.pk]))
    menu = client.get(reverse("wagtailadmin_home")).content.decode()

    assert listing.status_code in (302, 403) and confirm.status_code in (302, 403)
    assert reverse("consent_erasure_requests") not in menu
    assert StoryPage.objects.filter(pk=amaras_story.pk).exists()
    assert ErasureRequest.objects.get().is_pending
    # A moderator (the editor fixture is one) has the right and is told a request waits.
    assert Notification.objects.filter(
        recipient=editor, kind=Notification.Kind.ERASURE_REQUESTED
    ).exists()
    assert not Notification.objects.filter(
        recipient=plain_editor, kind=Notification.Kind.ERASURE_REQUESTED
    ).exists()


def test_nobody_else_can_ask_for_a_storytellers_story_to_be_erased(amaras_story, lucia, editor):
    url = reverse("portal:erase", args=[amaras_story.pk])

    for user in (lucia.user, editor):
        signed_in(user).post(url, {"action": "erase", "confirm": "on"})

    assert not ErasureRequest.objects.exists()


def test_the_storyteller_can_change_their_mind_before_confirmation(
    amaras_story, amara, harriet, django_capture_on_commit_callbacks
):
    ask_for_erasure(amara, amaras_story)
    erasure_request = ErasureRequest.objects.get()
    client = signed_in(amara.user)
    url = reverse("portal:erase", args=[amaras_story.pk])
    assert "You asked for this story to be erased" in client.get(url).content.decode()

    client.post(url, {"action": "keep"})
    _listing, _page, done = confirm_as(harriet, erasure_request, django_capture_on_commit_callbacks)

    assert done.status_code == 404
    assert not ErasureRequest.objects.exists()
    assert StoryPage.objects.filter(pk=amaras_story.pk).exists()


def test_a_story_approved_again_after_asking_is_not_erased_and_the_request_lapses(
    amaras_story, amara, harriet, django_capture_on_commit_callbacks
):
    ask_for_erasure(amara, amaras_story)
    approve(amaras_story, amara)
    erase_page = signed_in(amara.user).get(reverse("portal:erase", args=[amaras_story.pk]))

    _listing, page, done = confirm_as(
        harriet, ErasureRequest.objects.get(), django_capture_on_commit_callbacks
    )

    assert "You asked for this story to be erased" not in erase_page.content.decode()
    assert "approved this story again after asking" in page.content.decode()
    assert done.status_code == 302
    assert StoryPage.objects.filter(pk=amaras_story.pk).exists()
    assert not ErasureRequest.objects.exists()
    assert not ConsentEntry.objects.filter(erased_at__isnull=False).exists()
    assert not Notification.objects.filter(kind=Notification.Kind.ERASURE_REQUESTED).exists()


# The chain after erasure: still tamper-evident


@pytest.fixture
def erased(amaras_story, amara, lucias_story, harriet, django_capture_on_commit_callbacks):
    """Amara's story erased; Lucía's entries live on beside the tombstones."""
    ask_for_erasure(amara, amaras_story)
    confirm_as(harriet, ErasureRequest.objects.get(), django_capture_on_commit_callbacks)
    assert ledger_problems() == []
    return {
        "tombstone": ConsentEntry.objects.filter(erased_at__isnull=False).first(),
        "marker": ConsentEntry.objects.get(decision=ConsentEntry.Decision.ERASURE),
        "lucias": ConsentEntry.objects.filter(storyteller__pseudonym="Lucía").first(),
    }


def test_a_tombstones_decision_flipped_in_sql_is_detected(erased):
    run_sql("UPDATE {table} SET decision = %s WHERE id = %s", ["granted", erased["tombstone"].pk])

    with pytest.raises(CommandError, match="failed verification"):
        verify_ledger()


def test_words_written_back_into_a_tombstone_are_detected(erased):
    run_sql("UPDATE {table} SET message = %s WHERE id = %s", ["Put back.", erased["tombstone"].pk])

    assert any("changed after recording" in problem for problem in ledger_problems())


def test_an_entry_blanked_in_sql_to_look_erased_is_detected(erased):
    lucias = erased["lucias"]
    run_sql(
        "UPDATE {table} SET storyteller_id = NULL, story_id = NULL, revision_id = NULL, "
        "content_hash = '', channels = '[]', byline = '', image_allowed = %s, "
        "valid_until = NULL, method = '', recorded_by_id = NULL, witness_name = '', "
        "message = '', payload_salt = '', erased_at = %s WHERE id = %s",
        [False, erased["marker"].created_at, lucias.pk],
    )

    problems = ledger_problems()

    assert f"Entry {lucias.sequence}: erased without an erasure entry that names it." in problems


def test_an_erasure_entry_deleted_in_sql_is_detected(erased):
    run_sql("DELETE FROM {table} WHERE id = %s", [erased["marker"].pk])

    problems = ledger_problems()

    assert any("erased without an erasure entry" in problem for problem in problems)


def test_a_tombstone_cannot_be_changed_or_erased_again_through_the_application(erased):
    tombstone = erased["tombstone"]

    with pytest.raises(LedgerIsAppendOnly):
        tombstone.save()
    with pytest.raises(LedgerIsAppendOnly):
        ConsentEntry.objects.filter(pk=erased["marker"].pk).reduce_to_tombstones(confirmed_by=None)
    assert ledger_problems() == []


# The ledger written before tombstones existed is re-chained by its migration


def _rechain_migration():
    return importlib.import_module("consent.migrations.0010_rehash_ledger_for_tombstones")


def _old_format(migration, entries):
    """Rewrite entries in SQL as the old code stored them: one hash over every field."""
    previous = ConsentEntry.GENESIS_HASH
    for entry in entries:
        entry.previous_hash = previous
        entry.entry_hash = migration._old_hash(entry)
        run_sql(
            "UPDATE {table} SET previous_hash = %s, entry_hash = %s, payload_hash = '', "
            "payload_salt = '' WHERE id = %s",
            [entry.previous_hash, entry.entry_hash, entry.pk],
        )
        previous = entry.entry_hash


def _apps_before_rechain():
    loader = MigrationLoader(connection)
    return loader.project_state(("consent", "0009_ledger_tombstones_and_erasure")).apps


def test_the_migration_rechains_an_old_ledger_so_it_verifies(lucias_story, amaras_story):
    migration = _rechain_migration()
    entries = list(ConsentEntry.objects.order_by("sequence"))
    _old_format(migration, entries)
    assert ledger_problems()  # old-style hashes don't verify under the new rule

    migration.rechain(_apps_before_rechain(), None)
    # Then, as in a real upgrade, consent/0013 builds the ledger's head from the new chain.
    head_migration = importlib.import_module("consent.migrations.0013_consent_ledger_head")
    head_migration.build_consent_head(django_apps, None)

    assert ledger_problems() == []
    rechained = list(ConsentEntry.objects.order_by("sequence"))
    assert [e.message for e in rechained] == [e.message for e in entries]
    assert all(len(e.payload_salt) == 64 for e in rechained)


def test_the_migration_refuses_to_rechain_a_tampered_ledger(lucias_story):
    migration = _rechain_migration()
    entries = list(ConsentEntry.objects.order_by("sequence"))
    _old_format(migration, entries)
    run_sql("UPDATE {table} SET message = %s WHERE id = %s", ["Forged.", entries[0].pk])
    stored = list(ConsentEntry.objects.order_by("sequence").values_list("entry_hash", flat=True))

    with pytest.raises(RuntimeError, match=re.escape(f"[{entries[0].sequence}]")):
        migration.rechain(_apps_before_rechain(), None)

    after = list(ConsentEntry.objects.order_by("sequence").values_list("entry_hash", flat=True))
    assert after == stored
