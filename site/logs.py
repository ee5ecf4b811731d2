"""Logs that keep nobody's whereabouts, words or secrets (see LOGGING in settings/base.py).

Log files outlive the data they mention: they are copied to log services, kept for months,
and not reached by a storyteller's erasure. So Sayso's logs carry no IP address, no story
text and no personal field. What a log line may still say: which kind of error, where in
the code, which numbered object, which URL route.
"""

import ipaddress
import logging
import re
import traceback

# Candidates only; each is checked with ipaddress before it is removed.
_IPV4 = re.compile(r"(?<![\w.])\d{1,3}(?:\.\d{1,3}){3}(?![\w.])")
_IPV6 = re.compile(r"(?<![\w:])[0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,7}(?![\w:])")
# A story's address is its slug, usually made from its title: a withdrawn or erased story
# must not live on in log lines such as "Gone: /stories/<slug>/".
# (The portal's /my/stories/<number>/ names no one and stays as it is.)
_STORY_ADDRESS = re.compile(r"(?<!/my)/stories/[^/?#\s]+/")
STORY_ADDRESS_PLACEHOLDER = "/stories/[story]/"
ADDRESS_PLACEHOLDER = "[address]"


def without_ip_addresses(text):
    """The text with every IPv4 and IPv6 address replaced by a placeholder."""

    def replace(match):
        try:
            ipaddress.ip_address(match.group(0))
        except ValueError:
            return match.group(0)
        return ADDRESS_PLACEHOLDER

    return _IPV6.sub(replace, _IPV4.sub(replace, text))


def without_story_addresses(text):
    return _STORY_ADDRESS.sub(STORY_ADDRESS_PLACEHOLDER, text)


class NoStoryAddresses(logging.Filter):
    """On request loggers: log a story's URL as /stories/[story]/, never its slug."""

    def filter(self, record):
        if isinstance(record.msg, str):
            record.msg = without_story_addresses(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(
                without_story_addresses(arg) if isinstance(arg, str) else arg for arg in record.args
            )
        return True


class PrivateFormatter(logging.Formatter):
    """Formats without IP addresses, and tracebacks without the errors' messages.

    An error's message is where values end up ("duplicate key (pseudonym)=(…)", a
    validation error quoting what was typed, a KeyError naming a word of a story): the
    traceback keeps the kind of error and every file and line, which is what fixing needs.
    """

    def format(self, record):
        # logging caches a record's traceback text across handlers; never reuse one made
        # by another formatter, with the messages in it.
        cached, record.exc_text = record.exc_text, None
        try:
            return without_ip_addresses(super().format(record))
        finally:
            record.exc_text = cached

    def formatException(self, exc_info):  # noqa: N802 (logging's own name)
        return "".join(_traceback_without_messages(exc_info[1])).rstrip("\n")


def _traceback_without_messages(error, seen=None):
    seen = seen if seen is not None else set()
    seen.add(id(error))
    lines = []
    if error.__cause__ is not None and id(error.__cause__) not in seen:
        lines += _traceback_without_messages(error.__cause__, seen)
        lines.append("\nThe above exception was the direct cause of the following exception:\n\n")
    elif (
        error.__context__ is not None
        and not error.__suppress_context__
        and id(error.__context__) not in seen
    ):
        lines += _traceback_without_messages(error.__context__, seen)
        lines.append("\nDuring handling of the above exception, another exception occurred:\n\n")
    lines.append("Traceback (most recent call last):\n")
    lines += traceback.format_tb(error.__traceback__)
    kind = type(error)
    lines.append(f"{kind.__module__}.{kind.__qualname__} (message withheld)\n")
    return lines


def axes_client_str(username, ip_address, user_agent, path_info, request):
    """What django-axes logs about a sign-in: the route only, not who or from where."""
    path = path_info[0] if isinstance(path_info, list | tuple) else path_info
    return f'{{path_info: "{path}"}}'
