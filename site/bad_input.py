"""Requests carrying what no column can hold are refused before any view runs.

PostgreSQL refuses a NUL character in any text value, and no database driver can encode a
lone UTF-16 surrogate (JSON's "\\ud800"). A NUL in a search box, a filter, a form field, a
cookie or a page address would otherwise reach a query deep inside Wagtail or Django and
answer 500. Nobody types either on purpose, so the whole request gets a short, plain 400
instead, whichever view it was for: a route added later is covered without knowing of it.

The same goes for a whole number too big for any integer column (more than 2^63 - 1): SQLite
cannot even be asked about one, so ``?storyteller=99999999999999999999`` in a report's
filter or ``/my/stories/99999999999999999999/`` failed with an OverflowError. In an address it
is a page that cannot exist (404); in a query or a form, a request that can't be read (400).

File contents are not looked at (a photo is full of NUL bytes); their names are.
"""

import json
import re

from django.contrib.auth import get_user_model
from django.http import Http404, HttpResponseBadRequest
from django.utils.translation import gettext as _

_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
# The largest integer any of Sayso's databases stores (a signed 64-bit column).
LARGEST_INTEGER = 2**63 - 1
_WHOLE_NUMBER = re.compile(r"\s*[-+]?\d+\s*")


def axes_username(request, credentials):
    """The account a sign-in attempt is recorded under: its user name when the name or
    email typed belongs to one, else what was typed, cut to what a user name can be.

    Django's sign-in forms set the user name's length limit after building the field, so it
    is never checked, and a 300-character name reached axes' 255-character column. No
    account has a longer name, so the shortened one belongs to no real account either.
    """
    field = get_user_model().USERNAME_FIELD
    username = (credentials or {}).get(field)
    if username is None:
        username = getattr(request, "POST", {}).get(field) if request is not None else None
    if not isinstance(username, str):
        return username
    # One account, one count: "AMARA", "amara" and her email address are all her account's
    # user name here, so typing it differently gives no extra tries before the lockout.
    from core.sign_in_names import find_account, normalise

    account = find_account(username)
    if account is not None:
        return account.get_username()
    return normalise(username).casefold()[: get_user_model()._meta.get_field(field).max_length]


def _unstorable(text):
    """True if a database could not store or compare this text (a NUL, half a surrogate
    pair, or a whole number beyond any integer column)."""
    if "\x00" in text:
        return True
    # Parsing is bounded: Python refuses int() of very long digit strings anyway.
    number = len(text) < 4000 and _WHOLE_NUMBER.fullmatch(text)
    if number and abs(int(text)) > LARGEST_INTEGER:
        return True
    # Only decoding JSON can make a lone surrogate; strings from forms and URLs are decoded
    # with replacement characters.
    return any("\ud800" <= character <= "\udfff" for character in text)


def _json_strings(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, int) and not isinstance(value, bool):
        yield str(value)
    elif isinstance(value, dict):
        for key, item in value.items():
            yield key
            yield from _json_strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _json_strings(item)


class RefuseUnstorableInputMiddleware:
    """Answer 400 to a request whose address, query, cookies or fields hold what no column
    can, and 404 to an address whose number no row can have."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if self._has_unstorable_input(request):
            return HttpResponseBadRequest(
                _("Something in that request can't be read. Go back and try again."),
                content_type="text/plain; charset=utf-8",
            )
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        for value in (*view_args, *view_kwargs.values()):
            if isinstance(value, int) and abs(value) > LARGEST_INTEGER:
                raise Http404

    def _has_unstorable_input(self, request):
        texts = [request.path_info]
        for name, values in request.GET.lists():
            texts.append(name)
            texts.extend(values)
        for name, value in request.COOKIES.items():
            texts.extend((name, value))
        if request.method not in ("GET", "HEAD", "OPTIONS"):
            texts.extend(self._body_texts(request))
        return any(_unstorable(text) for text in texts)

    def _body_texts(self, request):
        content_type = request.content_type or ""
        if content_type in _FORM_TYPES:
            for name, values in request.POST.lists():
                yield name
                yield from values
            for name, files in request.FILES.lists():
                yield name
                yield from (upload.name or "" for upload in files)
        elif content_type == "application/json" or content_type.endswith("+json"):
            try:
                data = json.loads(request.body or b"null")
            except (ValueError, RecursionError):
                return  # the view says what is wrong with it
            yield from _json_strings(data)
