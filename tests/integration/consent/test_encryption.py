"""Storytellers' personal data is encrypted at rest, and the keys can be rotated.

Editors type a storyteller's legal name, contacts and private words into the admin;
storytellers add private words in the portal. A database dump (the raw rows, or Django's
dumpdata) shows only ciphertext for every one of them, and `rotate_encryption_keys`
moves everything to a new key.
"""

import io
import json

import pytest
from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import override_settings
from django.urls import reverse

from consent.models import Storyteller
from core.crypto import encrypted_fields

from tests.portal_flow import PortalClient, page_form, text_of

pytestmark = pytest.mark.django_db

PERSONAL = {
    "legal_name": "Adaeze Nkemdirim Okonkwo",
    "phone": "+234 803 555 0199",
    "postal_address": "14 Ogui Road\nEnugu",
    "contact_notes": "Text first; ask for Ada.",
    "private_terms": "Chidinma\nOgui Road",
}
PORTAL_WORD = "Nsukka"
SECRETS = [
    "Adaeze",
    "Nkemdirim",
    "Okonkwo",
    "803 555 0199",
    "8035550199",
    "Ogui",
    "Enugu",
    "ask for Ada",
    "Chidinma",
    PORTAL_WORD,
]


def typed_into_the_admin(editor, storyteller, **values):
    client = PortalClient()
    client.force_login(editor)
    url = reverse("storytellers:edit", args=[storyteller.pk])
    data = page_form(client.get(url), url)
    data.update({name: [value] for name, value in values.items()})
    response = client.post(url, data)
    assert response.status_code == 302, text_of(response)
    return client


def added_in_the_portal(storyteller, word):
    client = PortalClient()
    client.force_login(storyteller.user)
    response = client.post(reverse("portal:private_words"), {"word": word}, follow=True)
    assert "Added. No story with it can go on the website." in text_of(response)
    return response


@pytest.fixture
def amara_in_full(amara, editor):
    typed_into_the_admin(editor, amara, **PERSONAL)
    added_in_the_portal(amara, PORTAL_WORD)
    return Storyteller.objects.get(pk=amara.pk)


def every_stored_value():
    """Every value in every table, read as the database holds it (what a dump contains)."""
    quote = connection.ops.quote_name
    values = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f"SELECT * FROM {quote(table)}")  # noqa: S608
            for row in cursor.fetchall():
                values.extend(
                    value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)
                    for value in row
                    if value is not None
                )
    return values


def raw_personal_columns(storyteller):
    quote = connection.ops.quote_name
    names = ["legal_name", "phone", "postal_address", "contact_notes", "private_terms"]
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {', '.join(quote(n) for n in names)} FROM {quote('consent_storyteller')} "  # noqa: S608
            f"WHERE {quote('id')} = %s",
            [storyteller.pk],
        )
        return dict(zip(names, cursor.fetchone(), strict=True))


def test_the_admin_and_the_portal_keep_what_they_are_given(amara_in_full, editor):
    assert amara_in_full.legal_name == PERSONAL["legal_name"]
    assert amara_in_full.phone == PERSONAL["phone"]
    assert amara_in_full.postal_address == PERSONAL["postal_address"]
    assert amara_in_full.private_term_list() == ["Chidinma", "Ogui Road", PORTAL_WORD]
    client = PortalClient()
    client.force_login(editor)
    edit_page = client.get(reverse("storytellers:edit", args=[amara_in_full.pk]))
    assert PERSONAL["legal_name"] in edit_page.content.decode()
    assert PORTAL_WORD in edit_page.content.decode()


def test_a_database_dump_shows_only_ciphertext_for_every_personal_field(amara_in_full):
    dump = "\n".join(every_stored_value())

    for secret in SECRETS:
        assert secret.lower() not in dump.lower(), f"{secret!r} is readable in the database"
    keys = Fernet(settings.SAYSO_ENCRYPTION_KEYS[0].encode())  # from the environment
    for name, stored in raw_personal_columns(amara_in_full).items():
        assert stored.startswith("gAAAAA"), name  # a Fernet token
        assert keys.decrypt(stored.encode()).decode() == getattr(amara_in_full, name)


def test_dumpdata_shows_only_ciphertext_and_loads_back_to_the_same_values(amara_in_full, tmp_path):
    out = io.StringIO()
    call_command("dumpdata", "consent.storyteller", stdout=out)
    dump = out.getvalue()

    for secret in SECRETS:
        assert secret.lower() not in dump.lower(), f"{secret!r} is readable in dumpdata"
    (row,) = json.loads(dump)
    assert row["fields"]["legal_name"].startswith("gAAAAA")

    Storyteller.objects.filter(pk=amara_in_full.pk).update(legal_name="", private_terms="")
    fixture = tmp_path / "storytellers.json"
    fixture.write_text(dump)
    call_command("loaddata", str(fixture), stdout=io.StringIO())

    restored = Storyteller.objects.get(pk=amara_in_full.pk)
    assert restored.legal_name == PERSONAL["legal_name"]
    assert restored.private_term_list() == ["Chidinma", "Ogui Road", PORTAL_WORD]


OLD_KEY = Fernet.generate_key().decode()
NEW_KEY = Fernet.generate_key().decode()


def test_rotating_keys_re_encrypts_every_value_under_the_new_key(amara, editor):
    with override_settings(SAYSO_ENCRYPTION_KEYS=[OLD_KEY]):
        typed_into_the_admin(editor, amara, **PERSONAL)
        added_in_the_portal(amara, PORTAL_WORD)
    before = raw_personal_columns(amara)
    with override_settings(SAYSO_ENCRYPTION_KEYS=[NEW_KEY]), pytest.raises(ImproperlyConfigured):
        Storyteller.objects.get(pk=amara.pk)  # the new key alone can't read old values yet

    out = io.StringIO()
    with override_settings(SAYSO_ENCRYPTION_KEYS=[NEW_KEY, OLD_KEY]):
        call_command("rotate_encryption_keys", stdout=out)

    after = raw_personal_columns(amara)
    assert "Re-encrypted 5 values under the first key." in out.getvalue()
    for name, token in after.items():
        assert token != before[name]
        with pytest.raises(InvalidToken):
            Fernet(OLD_KEY.encode()).decrypt(token.encode())
        Fernet(NEW_KEY.encode()).decrypt(token.encode())
    with override_settings(SAYSO_ENCRYPTION_KEYS=[NEW_KEY]):  # the old key can go
        rotated = Storyteller.objects.get(pk=amara.pk)
        assert rotated.legal_name == PERSONAL["legal_name"]
        assert rotated.private_term_list() == ["Chidinma", "Ogui Road", PORTAL_WORD]


def test_rotation_changes_nothing_when_a_value_cannot_be_read(amara, lucia, editor):
    with override_settings(SAYSO_ENCRYPTION_KEYS=[OLD_KEY]):
        typed_into_the_admin(editor, amara, legal_name="Adaeze Okonkwo")
    typed_into_the_admin(editor, lucia, legal_name="María Ferrer")
    before = [raw_personal_columns(amara), raw_personal_columns(lucia)]

    with (
        override_settings(SAYSO_ENCRYPTION_KEYS=[NEW_KEY]),
        pytest.raises(CommandError, match="can't be read with any configured key"),
    ):
        call_command("rotate_encryption_keys", stdout=io.StringIO())

    assert [raw_personal_columns(amara), raw_personal_columns(lucia)] == before


def test_every_encrypted_field_is_covered_by_rotation():
    covered = {(model._meta.label, field.name) for model, field in encrypted_fields()}

    assert {
        ("consent.Storyteller", name)
        for name in ("legal_name", "phone", "postal_address", "contact_notes", "private_terms")
    } <= covered


def test_a_word_the_storyteller_added_meanwhile_survives_an_editor_saving_the_form(amara, editor):
    client = PortalClient()
    client.force_login(editor)
    url = reverse("storytellers:edit", args=[amara.pk])
    typed_into_the_admin(editor, amara, private_terms="Chidinma")
    data = page_form(client.get(url), url)  # the editor opens the form...
    added_in_the_portal(amara, PORTAL_WORD)  # ...while the storyteller adds a word
    data["private_terms"] = ["Chidinma\nOgui Road"]

    assert client.post(url, data).status_code == 302

    assert Storyteller.objects.get(pk=amara.pk).private_term_list() == [
        "Chidinma",
        PORTAL_WORD,
        "Ogui Road",
    ]


def test_an_editor_removing_a_word_removes_only_that_word(amara, editor):
    typed_into_the_admin(editor, amara, private_terms="Chidinma\nOgui Road\nNsukka")

    typed_into_the_admin(editor, amara, private_terms="Chidinma\nNsukka")

    assert Storyteller.objects.get(pk=amara.pk).private_term_list() == ["Chidinma", "Nsukka"]


def test_the_storyteller_sees_adds_and_removes_her_own_words_in_plain_language(amara, editor):
    typed_into_the_admin(editor, amara, private_terms="Chidinma", legal_name="Adaeze Okonkwo")
    client = PortalClient()
    client.force_login(amara.user)
    url = reverse("portal:private_words")

    page = text_of(client.get(url))
    assert "Words that must never appear" in page
    assert "Chidinma" in page
    assert "Your legal name is always checked too" in page
    assert "Adaeze" not in page  # her legal name is not echoed back
    too_short = client.post(url, {"word": "a"})
    assert "Write at least two letters." in text_of(too_short)
    added = client.post(url, {"word": "  Ogui   Road "}, follow=True)
    assert "Ogui Road" in text_of(added)
    removed = client.post(url, {"remove": "chidinma"}, follow=True)

    assert "Removed from your list." in text_of(removed)
    assert Storyteller.objects.get(pk=amara.pk).private_term_list() == ["Ogui Road"]
    # Messages may be kept in a cookie: they never carry the word.
    assert "Ogui" not in str(client.cookies.get("messages", ""))
