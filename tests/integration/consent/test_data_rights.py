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
from django.utils.html import escape
from PIL import Image as PILImage
from wagtail.models import Revision

from compensation.models import Agreement, CompensationResponse, PaymentMethod
from compensation.services import choose_not_to_be_paid, record_payment
from consent import services
from consent.ledger import verify_chain
from consent.models import ConsentEntry, ErasureRequest, Notification, Storyteller
from consent.notifications import notify_editors
from consent.selectors import content_hash
from core.crypto import EncryptedTextField
from core.exceptions import LedgerIsAppendOnly
from images.models import SaysoImage
from stories.models import CampaignPage, CampaignStory, StoryIndexPage, StoryPage

from tests.conftest import PASSWORD, approve, consent_in_person, website_scope

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
    consent_in_person(story, harriet, "Ada Quorrendale", image_allowed=True)
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


def test_the_export_holds_every_version_she_wrote_or_decided_about_with_dates(amaras_story, amara):
    decided = set(
        ConsentEntry.objects.filter(storyteller=amara, story=amaras_story).values_list(
            "revision_id", flat=True
        )
    )
    every = Revision.page_revisions.filter(object_id=str(amaras_story.pk)).order_by(
        "created_at", "pk"
    )
    revisions = [r for r in every if r.user_id == amara.user_id or r.pk in decided]
    assert len(revisions) >= 2
    # An editor's draft she made no decision about is the editors' words, not hers.
    left_out = [r for r in every if r not in revisions]
    assert left_out and all(r.user_id != amara.user_id for r in left_out)

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


def paid_in_full(story, editor, method=PaymentMethod.CASH, reference=""):
    """The editor records paying the story's whole agreed amount today."""
    agreement = Agreement.objects.get(story=story)
    return record_payment(
        agreement=agreement,
        amount=agreement.total,
        paid_on=timezone.now().date(),
        method=method,
        recorded_by=editor,
        reference=reference,
    )


def test_the_export_holds_payment_agreements_and_payments(
    amaras_story, amara, lucias_story, harriet
):
    payment = paid_in_full(amaras_story, harriet, PaymentMethod.BANK_TRANSFER, "TRF-AMARA-1")
    agreement = payment.agreement
    lucias_agreement = paid_in_full(lucias_story, harriet, reference="TRF-LUCIA-1").agreement

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


def test_the_export_link_is_one_step_from_the_storytellers_home_page_after_a_warning(amara):
    home = signed_in(amara.user).get(reverse("portal:home"))
    my_data = signed_in(amara.user).get(reverse("portal:my_data"))

    assert f'href="{reverse("portal:my_data")}"' in home.content.decode()
    assert f'href="{reverse("portal:export")}"' in my_data.content.decode()
    assert "It has your legal name" in my_data.content.decode()


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
    payment = paid_in_full(amaras_story, harriet)
    agreement = payment.agreement
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


def test_her_answers_about_payment_for_the_story_become_tombstones_and_still_verify(
    amaras_story, amara, harriet, django_capture_on_commit_callbacks
):
    # Before, such a story was refused (the answers ledger had no tombstones). Now the answer
    # keeps what she said and loses which story it was about.
    answer = choose_not_to_be_paid(storyteller=amara, story=amaras_story, user=amara.user)
    ask_for_erasure(amara, amaras_story)

    confirm_as(harriet, ErasureRequest.objects.get(), django_capture_on_commit_callbacks)

    assert not StoryPage.objects.filter(pk=amaras_story.pk).exists()
    kept = CompensationResponse.objects.get(pk=answer.pk)
    assert kept.is_tombstone and kept.payload_is_erased()
    assert (kept.response, kept.entry_hash) == (answer.response, answer.entry_hash)
    assert kept.story_id is None
    assert "The ledger of storytellers' answers is intact" in verify_ledger()


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
    amaras_story, amara, make_story, harriet, django_capture_on_commit_callbacks
):
    photo = amaras_story.image
    # Only another story of hers can share her photo (stories.photos).
    make_story(amara, slug="shared-photo", title="Shared", image=photo, image_alt="A view")
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

    # Wagtail's refusal: back to the dashboard (never a login page; she is signed in).
    for refused in (listing, confirm):
        assert refused.status_code == 302 and refused["Location"] == reverse("wagtailadmin_home")
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


# Erasure is bound to the person and the story who asked


def move_story_in_sql(story, storyteller):
    """Re-point a story below every guard the application has: the worst door there is."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {StoryPage._meta.db_table} SET storyteller_id = %s WHERE page_ptr_id = %s",  # noqa: S608
            [storyteller.pk, story.pk],
        )


def personal_values(storyteller):
    storyteller = Storyteller.objects.get(pk=storyteller.pk)
    return {name: getattr(storyteller, name) for name in personal_field_names()}, (
        storyteller.user.email
    )


def test_erasure_acts_on_the_storyteller_who_asked_not_on_the_one_the_story_names_now(
    amaras_story, amara, lucias_story, lucia, harriet, django_capture_on_commit_callbacks
):
    ask_for_erasure(amara, amaras_story)
    lucias_before = personal_values(lucia)
    lucias_entries = list(ConsentEntry.objects.filter(storyteller=lucia).values())
    lucias_agreements = list(Agreement.objects.filter(storyteller=lucia).values())
    # An editor points the withdrawn story at Lucía before anyone confirms.
    move_story_in_sql(amaras_story, lucia)

    _listing, page, done = confirm_as(
        harriet, ErasureRequest.objects.get(), django_capture_on_commit_callbacks
    )

    assert page.status_code == 200 and done.status_code == 302
    assert "Amara" in page.content.decode()  # the editor sees who asked
    assert not StoryPage.objects.filter(pk=amaras_story.pk).exists()
    assert personal_values(lucia) == lucias_before
    assert list(ConsentEntry.objects.filter(storyteller=lucia).values()) == lucias_entries
    assert list(Agreement.objects.filter(storyteller=lucia).values()) == lucias_agreements
    # Hers are erased: it was her last story, whatever the story's field said.
    values, email = personal_values(amara)
    assert not any(values.values()) and email == ""
    assert not ConsentEntry.objects.filter(storyteller=amara).exists()
    assert ledger_problems() == []


def test_an_erasure_request_names_its_storyteller_and_story_for_good(
    amaras_story, amara, lucias_story, lucia
):
    from consent.exceptions import ErasureRequestIsFixed

    ask_for_erasure(amara, amaras_story)
    erasure_request = ErasureRequest.objects.get()

    erasure_request.storyteller = lucia
    with pytest.raises(ErasureRequestIsFixed):
        erasure_request.save()
    erasure_request.refresh_from_db()
    erasure_request.story_id = lucias_story.pk
    with pytest.raises(ErasureRequestIsFixed):
        erasure_request.save()
    with pytest.raises(ErasureRequestIsFixed):
        ErasureRequest.objects.filter(pk=erasure_request.pk).update(storyteller=lucia)
    with pytest.raises(ErasureRequestIsFixed):
        ErasureRequest.objects.filter(pk=erasure_request.pk).update(story=lucias_story)

    kept = ErasureRequest.objects.get()
    assert (kept.storyteller_id, kept.story_id) == (amara.pk, amaras_story.pk)


def test_a_request_lapses_for_good_when_she_approves_again_even_if_she_withdraws_later(
    amaras_story, amara, harriet, django_capture_on_commit_callbacks
):
    ask_for_erasure(amara, amaras_story)
    erasure_request = ErasureRequest.objects.get()
    approve(amaras_story, amara)
    services.withdraw_story(story=StoryPage.objects.get(pk=amaras_story.pk), user=amara.user)
    erase_page = signed_in(amara.user).get(reverse("portal:erase", args=[amaras_story.pk]))

    _listing, page, done = confirm_as(harriet, erasure_request, django_capture_on_commit_callbacks)

    # The old request is over: she is offered to ask again, the editor can't confirm it.
    assert "You asked for this story to be erased" not in erase_page.content.decode()
    assert "Ask for my story to be erased" in erase_page.content.decode()
    assert "approved this story again after asking" in page.content.decode()
    assert done.status_code == 302
    assert StoryPage.objects.filter(pk=amaras_story.pk).exists()
    assert not ErasureRequest.objects.exists()
    assert not ConsentEntry.objects.filter(erased_at__isnull=False).exists()

    # Asking again is a new request, and that one is carried out.
    assert ask_for_erasure(amara, amaras_story).status_code == 302
    confirm_as(harriet, ErasureRequest.objects.get(), django_capture_on_commit_callbacks)
    assert not StoryPage.objects.filter(pk=amaras_story.pk).exists()


def test_another_storyteller_cannot_take_back_her_request(
    amaras_story, amara, lucia, harriet, django_capture_on_commit_callbacks
):
    ask_for_erasure(amara, amaras_story)
    move_story_in_sql(amaras_story, lucia)

    signed_in(lucia.user).post(reverse("portal:erase", args=[amaras_story.pk]), {"action": "keep"})

    assert ErasureRequest.objects.get().is_pending


def admin_copy(client, page, parent, *, alias=False, slug="a-copy"):
    data = {
        "new_title": "A copy",
        "new_slug": slug,
        "new_parent_page": parent.pk,
    }
    if alias:
        data["alias"] = "on"
    return client.post(reverse("wagtailadmin_pages:copy", args=[page.pk]), data)


def test_a_story_under_an_erasure_request_cant_be_copied_or_aliased_in_the_admin(
    amaras_story, amara, harriet, story_index
):
    ask_for_erasure(amara, amaras_story)
    pages_before = StoryPage.objects.count()
    client = signed_in(harriet)

    form = client.get(reverse("wagtailadmin_pages:copy", args=[amaras_story.pk]))
    copied = admin_copy(client, amaras_story, story_index)
    aliased = admin_copy(client, amaras_story, story_index, alias=True, slug="an-alias")
    parent_copied = client.post(
        reverse("wagtailadmin_pages:copy", args=[story_index.pk]),
        {
            "new_title": "Index copy",
            "new_slug": "index-copy",
            "new_parent_page": story_index.get_parent().pk,
            "copy_subpages": "on",
        },
    )

    explore = reverse("wagtailadmin_explore", args=[story_index.pk])
    assert (form.status_code, form["Location"]) == (302, explore)
    assert (copied.status_code, copied["Location"]) == (302, explore)
    assert (aliased.status_code, aliased["Location"]) == (302, explore)
    assert parent_copied.status_code == 302
    assert StoryPage.objects.count() == pages_before
    assert not StoryPage.objects.filter(slug__in=["a-copy", "an-alias"]).exists()

    # Once she changes her mind, the erasure no longer stands in the way: the refusal was the
    # request. (A copy is still refused, for another reason: the story stays withdrawn, and
    # withdrawn words are never copied — tests/integration/consent/test_storyteller_fixed.py.)
    signed_in(amara.user).post(reverse("portal:erase", args=[amaras_story.pk]), {"action": "keep"})
    # A fresh session: the refusals above are still queued as messages in this one.
    again = signed_in(harriet).post(
        reverse("wagtailadmin_pages:copy", args=[amaras_story.pk]),
        {"new_title": "A copy", "new_slug": "a-copy", "new_parent_page": story_index.pk},
        follow=True,
    )
    text = again.content.decode()
    assert "asked for this story to be erased" not in text
    assert "This story was withdrawn by its storyteller, so it can&#x27;t be copied." in text


def test_a_story_under_an_erasure_request_cant_be_copied_or_aliased_in_code(
    amaras_story, amara, story_index, home
):
    from wagtail.actions.create_alias import CreatePageAliasAction

    from consent.erasure import CopyRefused

    ask_for_erasure(amara, amaras_story)
    pages_before = StoryPage.objects.count()
    story = StoryPage.objects.get(pk=amaras_story.pk)
    alias = StoryPage.objects.get(alias_of=story)

    with pytest.raises(CopyRefused):
        story.copy(to=story_index, update_attrs={"slug": "code-copy", "title": "Copy"})
    with pytest.raises(CopyRefused):
        alias.copy(to=story_index, update_attrs={"slug": "alias-copy", "title": "Copy"})
    with pytest.raises(CopyRefused):
        story.create_alias(parent=story_index, update_slug="code-alias")
    with pytest.raises(CopyRefused):
        CreatePageAliasAction(story, parent=story_index, update_slug="action-alias").execute(
            skip_permission_checks=True
        )

    assert StoryPage.objects.count() == pages_before


def cached_page_keys():
    """The keys of stored public pages, read from the cache backend itself."""
    from django.core.cache import cache

    from stories.cache import PAGE_KEY_PREFIX

    backend = cache._cache
    if hasattr(backend, "get_client"):
        pattern = cache.make_key(f"{PAGE_KEY_PREFIX}*")
        return list(backend.get_client().scan_iter(match=pattern))
    return [key for key in backend if PAGE_KEY_PREFIX in key]


def redis_cache_settings():
    import os

    url = os.environ.get("SAYSO_TEST_REDIS_URL")
    return {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": url,
            "KEY_PREFIX": "sayso-erasure-test",
        }
    }


@pytest.mark.parametrize(
    "backend",
    [
        "locmem",
        pytest.param(
            "redis",
            marks=pytest.mark.skipif(
                not __import__("os").environ.get("SAYSO_TEST_REDIS_URL"),
                reason="needs a Redis server: set SAYSO_TEST_REDIS_URL (make test does)",
            ),
        ),
    ],
)
def test_erasure_deletes_her_cached_pages_from_the_cache_store(
    backend, published_story, amara, harriet, settings, django_capture_on_commit_callbacks
):
    from django.core.cache import cache

    settings.CACHES = (
        redis_cache_settings()
        if backend == "redis"
        else {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    )
    cache.clear()
    reader = Client()
    url = published_story.url
    assert reader.get(url)["X-Sayso-Cache"] == "miss"
    assert reader.get(url)["X-Sayso-Cache"] == "hit"
    reader.get("/")
    cache.set("unrelated", "kept")
    assert len(cached_page_keys()) >= 2
    with django_capture_on_commit_callbacks(execute=True):
        services.withdraw_story(story=published_story, user=amara.user)
    # Withdrawal makes them unreachable; they are still in the store.
    assert cached_page_keys()
    ask_for_erasure(amara, published_story)

    confirm_as(harriet, ErasureRequest.objects.get(), django_capture_on_commit_callbacks)

    assert not StoryPage.objects.filter(pk=published_story.pk).exists()
    assert cached_page_keys() == []
    assert cache.get("unrelated") == "kept"  # only pages go, not the whole store
    cache.clear()


@pytest.fixture
def mobile_money(amara):
    from compensation.models import PaymentPreference

    return PaymentPreference.objects.create(
        storyteller=amara, method=PaymentMethod.MOBILE_MONEY, notes="M-Pesa +256 700 123 456"
    )


def pay_and_complain(agreement, storyteller, editor, message):
    from compensation.services import report_problem

    payment = record_payment(
        agreement=agreement,
        amount=agreement.total,
        paid_on=timezone.now().date(),
        method=PaymentMethod.MOBILE_MONEY,
        recorded_by=editor,
    )
    return report_problem(payment=payment, user=storyteller.user, message=message)


def test_her_last_story_takes_her_payment_details_and_messages_about_payments_with_it(
    amaras_story, amara, harriet, mobile_money, django_capture_on_commit_callbacks
):
    from compensation.models import PaymentPreference
    from compensation.services import record_agreement

    talk = record_agreement(
        storyteller=amara,
        work="speaking",
        amount=50,
        currency="GBP",
        agreed_by=harriet,
        description="Spring panel",
    )
    with django_capture_on_commit_callbacks(execute=True):
        about_story = pay_and_complain(
            Agreement.objects.get(story=amaras_story), amara, harriet, "Tamsworthy never came"
        )
        about_talk = pay_and_complain(talk, amara, harriet, "Short by Ravelsham")
    assert Notification.objects.filter(kind=Notification.Kind.PAYMENT_PROBLEM).exists()
    erase_page = signed_in(amara.user).get(reverse("portal:erase", args=[amaras_story.pk]))
    promises = erase_page.content.decode()
    ask_for_erasure(amara, amaras_story)

    confirm_as(harriet, ErasureRequest.objects.get(), django_capture_on_commit_callbacks)

    # What the page promised goes…
    assert "mobile-money number" in promises
    assert "Everything you told us about your payments, for any work." in promises
    assert not PaymentPreference.objects.filter(pk=mobile_money.pk).exists()
    for answer in (about_story, about_talk):
        kept = CompensationResponse.objects.get(pk=answer.pk)
        assert kept.is_tombstone and kept.message == "" and kept.entry_hash == answer.entry_hash
    assert not Notification.objects.filter(kind=Notification.Kind.PAYMENT_PROBLEM).exists()
    # …and what it said stays, stays: the payments, and that she said something was wrong.
    assert Agreement.objects.get(pk=talk.pk).payments.count() == 1
    assert CompensationResponse.objects.get(pk=about_talk.pk).response == "problem"
    assert "Records of payments to you" in promises
    out = verify_ledger()
    assert "The ledger of storytellers' answers is intact" in out
    assert "The payments ledger is intact" in out


def test_while_another_story_remains_only_what_she_said_about_this_one_goes(
    amaras_story, amara, make_story, harriet, mobile_money, django_capture_on_commit_callbacks
):
    from compensation.models import PaymentPreference

    other = make_story(amara, slug="another-story", title="Another story")
    with django_capture_on_commit_callbacks(execute=True):
        about_story = pay_and_complain(
            Agreement.objects.get(story=amaras_story), amara, harriet, "Tamsworthy never came"
        )
        about_other = pay_and_complain(
            Agreement.objects.get(story=other), amara, harriet, "Keep this one"
        )
    erase_page = signed_in(amara.user).get(reverse("portal:erase", args=[amaras_story.pk]))
    ask_for_erasure(amara, amaras_story)

    confirm_as(harriet, ErasureRequest.objects.get(), django_capture_on_commit_callbacks)

    assert "what you told us about being paid for it" in erase_page.content.decode()
    assert "and how you like to be paid" in erase_page.content.decode()  # stays
    assert CompensationResponse.objects.get(pk=about_story.pk).is_tombstone
    kept = CompensationResponse.objects.get(pk=about_other.pk)
    assert not kept.is_tombstone and kept.message == "Keep this one"
    assert PaymentPreference.objects.get(pk=mobile_money.pk).notes == "M-Pesa +256 700 123 456"
    assert "The ledger of storytellers' answers is intact" in verify_ledger()


def test_an_answers_tombstone_or_live_answer_changed_in_sql_is_detected(
    amaras_story, amara, harriet, make_story, django_capture_on_commit_callbacks
):
    other = make_story(amara, slug="another-story", title="Another story")
    erased_answer = choose_not_to_be_paid(storyteller=amara, story=amaras_story, user=amara.user)
    live_answer = choose_not_to_be_paid(
        storyteller=amara, agreement=Agreement.objects.get(story=other), user=amara.user
    )
    ask_for_erasure(amara, amaras_story)
    confirm_as(harriet, ErasureRequest.objects.get(), django_capture_on_commit_callbacks)
    assert "The ledger of storytellers' answers is intact" in verify_ledger()
    table = CompensationResponse._meta.db_table

    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET story_id = %s WHERE id = %s",  # noqa: S608
            [amaras_story.pk, erased_answer.pk],
        )
    with pytest.raises(CommandError, match="failed verification"):
        verify_ledger()
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {table} SET story_id = NULL WHERE id = %s", [erased_answer.pk])  # noqa: S608
        cursor.execute(
            f"UPDATE {table} SET witness_name = %s WHERE id = %s",  # noqa: S608
            ["Someone else", live_answer.pk],
        )
    with pytest.raises(CommandError, match="failed verification"):
        verify_ledger()


# Export: hers, complete and only hers


def test_after_stories_are_moved_neither_export_holds_the_others_words(
    amaras_story, amara, lucias_story, lucia, harriet
):
    move_story_in_sql(amaras_story, lucia)
    move_story_in_sql(lucias_story, amara)
    # Someone writes a new title for the story that now names Amara.
    renamed = StoryPage.objects.get(pk=lucias_story.pk).get_latest_revision_as_object()
    renamed.title = "Grendlewick renamed"
    renamed.storyteller = amara
    renamed.save_revision(user=harriet)
    StoryPage.objects.filter(pk=lucias_story.pk).update(title="Grendlewick renamed")

    amaras_text, amaras = download_export(amara.user)
    lucias_text, lucias = download_export(lucia.user)

    # Each keeps her own words, attributed by the ledger…
    assert "Marcobellum" in amaras_text and "Hollowmere" in lucias_text
    [her_story] = [story for story in amaras["stories"] if story["id"] == amaras_story.pk]
    assert her_story["yours_now"] is False and her_story["versions"]
    assert her_story["title"] == "Quillmoravec by the river"
    # …and holds nothing the other wrote, nor the other's name.
    for word in ("Hollowmere", "Tamberlayne", "Pellinore", "Lucía", "Grendlewick renamed"):
        assert word.lower() not in amaras_text.lower(), word
    for word in ("Quillmoravec", "Marcobellum", "Ostravelin", "Amara"):
        assert word.lower() not in lucias_text.lower(), word


def test_the_export_holds_her_advisory_reviews_and_comments(amara, lucia, campaign_index, editor):
    from wagtail.models import Workflow

    from advisory.models import ADVISORY_GROUP, AdvisoryReviewTaskState
    from advisory.services import approve_campaign, ask_for_changes
    from advisory.signals import CAMPAIGN_WORKFLOW_NAME

    for member in (amara, lucia):
        member.user.groups.add(Group.objects.get(name=ADVISORY_GROUP))

    def in_review(slug):
        campaign = campaign_index.add_child(
            instance=CampaignPage(title=slug, slug=slug, requires_advisory_review=True, live=False)
        )
        campaign.save_revision(user=editor)
        Workflow.objects.get(name=CAMPAIGN_WORKFLOW_NAME).start(campaign, editor)
        return AdvisoryReviewTaskState.objects.get(workflow_state__object_id=str(campaign.pk))

    first, second, third = in_review("first"), in_review("second"), in_review("third")
    ask_for_changes(review=first, user=amara.user, comment="Wiltonmere is too close")
    approve_campaign(review=second, user=amara.user, comment="Respectful")
    ask_for_changes(review=third, user=lucia.user, comment="Lucía's Grendlewick comment")

    text, data = download_export(amara.user)

    assert [(r["campaign"], r["decision"], r["comment"]) for r in data["advisory_reviews"]] == [
        (int(first.workflow_state.object_id), "asked for changes", "Wiltonmere is too close"),
        (int(second.workflow_state.object_id), "approved", "Respectful"),
    ]
    assert all(r["decided_at"] for r in data["advisory_reviews"])
    assert "Grendlewick" not in text


def test_payment_notes_the_model_keeps_out_of_exports_are_not_exported(
    amaras_story, amara, mobile_money
):
    text, data = download_export(amara.user)

    [preference] = data["payments"]["payment preferences"]
    assert preference["method"] == PaymentMethod.MOBILE_MONEY
    assert "notes" not in preference
    assert "256 700" not in text and "M-Pesa" not in text


def test_the_export_holds_her_messages_about_payments(amaras_story, amara, harriet):
    pay_and_complain(Agreement.objects.get(story=amaras_story), amara, harriet, "Tamsworthy")

    _text, data = download_export(amara.user)

    answers = data["payments"]["storytellers' answers"]
    assert [a["message"] for a in answers] == ["Tamsworthy"]
    assert all("payload_salt" not in a for a in answers)


def test_the_export_holds_exactly_the_sections_the_portal_lists(amaras_story, amara):
    from consent.export import WHAT_IS_EXPORTED

    my_data = signed_in(amara.user).get(reverse("portal:my_data"))
    _text, data = download_export(amara.user)

    assert set(data) - {"format", "exported_at", "held_by"} == set(WHAT_IS_EXPORTED)
    listed = [li.strip() for li in re.findall(r"<li>(.*?)</li>", my_data.content.decode(), re.S)]
    for description in WHAT_IS_EXPORTED.values():
        assert escape(str(description)) in listed


@pytest.fixture
def conversations(make_story, amara, lucia, harriet, review_workflow):
    """Amara and Lucía each read their story in review, ask for changes, and get a reply."""
    stories = {}
    for storyteller, slug, request, reply in (
        (amara, "glimmerholt", "Leave out Glimmerholt lane.", "Done: Glimmerholt is gone."),
        (lucia, "farrowdeep", "Leave out Farrowdeep.", "Done: Farrowdeep is out, Lucía."),
    ):
        story = make_story(storyteller, slug=slug, title=f"The {slug} story")
        review_workflow.start(story, harriet)
        opened = signed_in(storyteller.user).get(reverse("portal:story", args=[story.pk]))
        assert opened.status_code == 200
        services.request_changes(
            story=story,
            revision=story.get_latest_revision(),
            user=storyteller.user,
            message=request,
        )
        services.reply_to_storyteller(story=story, editor=harriet, text=reply)
        stories[storyteller.pk] = StoryPage.objects.get(pk=story.pk)
    return stories


def test_the_export_holds_her_conversation_with_the_editors_and_nobody_elses(
    conversations, amara, lucia, harriet
):
    story = conversations[amara.pk]

    text, data = download_export(amara.user)

    said = [(m["story"], m["from"], m["message"]) for m in data["conversation"]]
    assert said == [
        (story.pk, "you", "Leave out Glimmerholt lane."),
        (story.pk, "an editor", "Done: Glimmerholt is gone."),
    ]
    assert all(m["written_at"] for m in data["conversation"])
    for word in ("Farrowdeep", "Lucía", harriet.username):
        assert word.lower() not in text.lower(), word
    readable = signed_in(amara.user).get(reverse("portal:my_data_readable")).content.decode()
    section = readable[readable.index('id="section-conversation"') :]
    assert "Done: Glimmerholt is gone." in section and "Leave out Glimmerholt lane." in section
    assert "Farrowdeep" not in readable


def test_the_export_holds_when_she_read_each_version_and_nobody_elses_readings(
    conversations, amara, lucia
):
    from consent.models import StoryReading

    story = conversations[amara.pk]
    reading = StoryReading.objects.get(storyteller=amara)

    _text, data = download_export(amara.user)

    assert data["readings"] == [
        {
            "story": story.pk,
            "story_title": "The glimmerholt story",
            "version": reading.revision_id,
            "first_read_at": reading.first_read_at.isoformat(),
            "last_read_at": reading.last_read_at.isoformat(),
            "content_sha256": reading.content_hash,
        }
    ]
    readable = signed_in(amara.user).get(reverse("portal:my_data_readable")).content.decode()
    section = readable[readable.index('id="section-readings"') :]
    assert "The glimmerholt story" in section
    assert "farrowdeep" not in readable.lower()


def test_a_reply_written_to_her_stays_hers_after_the_story_is_moved(conversations, amara, lucia):
    story = conversations[amara.pk]
    move_story_in_sql(story, lucia)

    amaras_text, _amaras = download_export(amara.user)
    lucias_text, _lucias = download_export(lucia.user)

    assert "Done: Glimmerholt is gone." in amaras_text
    assert "Glimmerholt" not in lucias_text
