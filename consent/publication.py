"""The rules a page must pass to be public: configured callables that fail closed.

``SAYSO_PUBLICATION_CHECKS`` names them by dotted path, the way Django's
``AUTH_PASSWORD_VALIDATORS`` names password validators. Consent's own rule
(``CONSENT_CHECK``) is mandatory: a system check refuses to start without it, and the
verdict refuses everything while it is missing. Other apps add their rules as entries
(compensation's payment rule, the advisory group's review), so consent never imports them.

A check is called as ``check(page, **context)`` (the keywords of
``consent.selectors.publication_verdict``) and returns a ``Verdict``, or ``None`` when the
page is none of its business. A check that can't be imported or raises counts as a refusal
(selectors.publication_verdict logs it): a broken rule never lets a page through.
"""

import functools

from django.conf import settings
from django.core import checks
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.utils.module_loading import import_string

SETTING = "SAYSO_PUBLICATION_CHECKS"
CONSENT_CHECK = "consent.selectors.storyteller_consent"


def configured_paths():
    return list(getattr(settings, SETTING, None) or [])


@functools.cache
def publication_checks():
    """The configured checks as (dotted path, callable), in order; raises when misconfigured."""
    paths = configured_paths()
    if CONSENT_CHECK not in paths:
        raise ImproperlyConfigured(f"{SETTING} must include {CONSENT_CHECK}.")
    return tuple((path, import_string(path)) for path in paths)


@receiver(setting_changed)
def _forget_loaded_checks(setting, **kwargs):
    if setting == SETTING:
        publication_checks.cache_clear()


@checks.register(checks.Tags.security)
def check_publication_checks(app_configs=None, **kwargs):
    """Refuse to start when consent's rule is missing or a check can't be loaded."""
    errors = []
    paths = getattr(settings, SETTING, None)
    if not isinstance(paths, (list, tuple)):
        return [
            checks.Error(
                f"{SETTING} must be a list of dotted paths to publication checks.",
                hint=f'Set {SETTING} = ["{CONSENT_CHECK}", ...] in the settings.',
                id="consent.E001",
            )
        ]
    if CONSENT_CHECK not in paths:
        errors.append(
            checks.Error(
                f"{SETTING} does not include consent's rule, so no story could be checked.",
                hint=f"Add {CONSENT_CHECK!r} to {SETTING}.",
                id="consent.E002",
            )
        )
    for path in paths:
        try:
            check = import_string(path)
        except ImportError as error:
            errors.append(
                checks.Error(
                    f"The publication check {path!r} can't be imported: {error}",
                    hint=f"Correct or remove it in {SETTING}.",
                    id="consent.E003",
                )
            )
            continue
        if not callable(check):
            errors.append(
                checks.Error(
                    f"The publication check {path!r} is not callable.",
                    hint=f"Name a function in {SETTING}.",
                    id="consent.E003",
                )
            )
    return errors
