"""Encryption at rest for storytellers' personal data (legal name, contacts, private terms).

Values are encrypted with Fernet (AES-128-CBC + HMAC-SHA256) under a MultiFernet built from
SAYSO_ENCRYPTION_KEYS (comma-separated, newest first): old keys still decrypt, new writes use
the first key, and `manage.py rotate_encryption_keys` re-encrypts everything under it.
A database dump therefore holds only ciphertext; the keys live in the environment.
"""

from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import models


@lru_cache(maxsize=4)
def _fernet_for(keys):
    if not keys:
        raise ImproperlyConfigured("SAYSO_ENCRYPTION_KEYS is empty.")
    return MultiFernet([Fernet(key.encode()) for key in keys])


def fernet():
    """The MultiFernet for the configured keys (the first one encrypts)."""
    return _fernet_for(tuple(settings.SAYSO_ENCRYPTION_KEYS))


def encrypt(value):
    return fernet().encrypt(value.encode("utf-8")).decode("ascii")


def decrypt(token):
    try:
        return fernet().decrypt(token.encode("ascii")).decode("utf-8")
    except InvalidToken as error:
        raise ImproperlyConfigured(
            "An encrypted value could not be read: is SAYSO_ENCRYPTION_KEYS missing a key?"
        ) from error


class EncryptedTextField(models.TextField):
    """A text field stored encrypted; it can't be searched or filtered on, by design."""

    def from_db_value(self, value, expression, connection):
        if value is None or value == "":
            return value
        return decrypt(value)

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value
        return encrypt(value)

    def get_db_prep_value(self, value, connection, prepared=False):
        if not prepared:
            value = self.get_prep_value(value)
        return value

    # Serialisers (dumpdata, fixtures) see ciphertext too, so a `manage.py dumpdata` backup
    # is as safe as a database dump; loading it back decrypts before saving re-encrypts.
    def value_to_string(self, obj):
        value = self.value_from_object(obj)
        if value is None or value == "":
            return value
        return encrypt(value)

    def to_python(self, value):
        value = super().to_python(value)
        if isinstance(value, str) and value.startswith(FERNET_TOKEN_PREFIX):
            try:
                return fernet().decrypt(value.encode("ascii")).decode("utf-8")
            except (InvalidToken, UnicodeEncodeError):
                pass  # text that merely looks like a token: only our keys make real ones
        return value


# Every Fernet token starts with its version byte 0x80, "gA" in URL-safe base64.
FERNET_TOKEN_PREFIX = "gAAAAA"  # noqa: S105 (a format marker, not a secret)


def encrypted_fields():
    """(model, field) for every EncryptedTextField in the project's installed models."""
    from django.apps import apps

    return [
        (model, field)
        for model in apps.get_models()
        for field in model._meta.concrete_fields
        if isinstance(field, EncryptedTextField)
    ]
