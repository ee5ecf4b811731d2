"""Sign-in names: the name a storyteller chooses at welcome and signs in with.

Her sign-in name is her account's user name, so existing accounts keep working and axes
locks the same account whichever way she types it. Names are compared the way a person
reads them: capital letters, accents and letters that only look alike (Cyrillic "а" and
Latin "a", "0" and "o") don't make a different name.
"""

import re
import unicodedata

from confusable_homoglyphs import confusables
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

MIN_LENGTH = 2
MAX_LENGTH = 30

# Letters and numbers of any alphabet, and a few joiners; no spaces (easy to mistype, and
# invisible at the end) and no "@" (an "@" at sign-in means an email address).
_ALLOWED = re.compile(r"[^\W_]+(?:[._-]*[^\W_]+)*[._-]*\Z")

# Look-alikes within the Latin alphabet itself, after lower-casing.
_LATIN_LOOK_ALIKES = str.maketrans({"0": "o", "1": "l", "i": "l", "|": "l"})
_LATIN_PAIRS = (("rn", "m"), ("vv", "w"))


def normalise(text):
    """The text as stored and compared: Unicode NFKC (full-width letters become plain ones)."""
    return unicodedata.normalize("NFKC", text or "").strip()


def _latin_look_alike(character):
    found = confusables.is_confusable(character, greedy=True, preferred_aliases=["latin"])
    for entry in found or ():
        for glyph in entry["homoglyphs"]:
            if glyph["n"].startswith("LATIN") and glyph["c"].isascii():
                return glyph["c"]
    return character


def skeleton(name):
    """What a name looks like to a reader: two names with the same skeleton are one name."""
    text = normalise(name)
    # Capitals first ("М" looks like "M", its small "м" like nothing Latin), then small.
    for _pass in range(2):
        text = "".join(ch if ch.isascii() else _latin_look_alike(ch) for ch in text).casefold()
    text = "".join(
        ch for ch in unicodedata.normalize("NFKD", text) if not unicodedata.combining(ch)
    )
    text = text.translate(_LATIN_LOOK_ALIKES)
    for pair, single in _LATIN_PAIRS:
        text = text.replace(pair, single)
    return text


def validate_sign_in_name(name, *, exclude_user=None):
    """Raise ValidationError, in plain words, unless this can be a new sign-in name."""
    name = normalise(name)
    if not MIN_LENGTH <= len(name) <= MAX_LENGTH:
        raise ValidationError(
            _("Use between %(min)d and %(max)d letters or numbers."),
            code="length",
            params={"min": MIN_LENGTH, "max": MAX_LENGTH},
        )
    if not _ALLOWED.match(name):
        raise ValidationError(
            _(
                "Use only letters and numbers. Dots, dashes and underscores are fine between "
                "them; spaces and @ are not."
            ),
            code="characters",
        )
    if confusables.is_dangerous(name):
        raise ValidationError(
            _("Use letters from one alphabet only, so nobody can mistake it for another name."),
            code="mixed",
        )
    if name_is_taken(name, exclude_user=exclude_user):
        raise ValidationError(
            _(
                "Someone already has that sign-in name, or one that looks just like it. "
                "Try another."
            ),
            code="taken",
        )
    return name


def name_is_taken(name, *, exclude_user=None):
    """True if any account's user name reads the same as this one."""
    wanted = skeleton(name)
    usernames = get_user_model().objects.values_list("username", flat=True)
    if exclude_user is not None:
        usernames = usernames.exclude(pk=exclude_user.pk)
    return any(skeleton(existing) == wanted for existing in usernames.iterator())


def find_account(identifier):
    """The one active account this sign-in name or email address belongs to, or None.

    An email address shared by two accounts opens neither: we can't tell whose it is.
    """
    identifier = normalise(identifier)
    if not identifier or len(identifier) > 254:
        return None
    users = get_user_model()._default_manager.filter(is_active=True)
    # The user name exactly as it is first: older accounts (editors' too) may have an "@" in it.
    exact = users.filter(username=identifier).first()
    if exact is not None:
        return exact
    field = "email__iexact" if "@" in identifier else "username__iexact"
    matches = list(users.filter(**{field: identifier})[:2])
    return matches[0] if len(matches) == 1 else None
