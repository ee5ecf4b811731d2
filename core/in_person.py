"""Decisions an editor records for a storyteller who made them in person, before a witness."""

from django.utils.translation import gettext as _


def witness_named(witness_name, *, refusal=ValueError):
    """The witness's name as it is recorded; ``refusal`` is raised when no one is named.

    Every in-person record (consent given or withdrawn, an answer about payment) names who
    was there, so the storyteller's say-so can be checked with someone other than the editor.
    """
    name = (witness_name or "").strip()
    if not name:
        raise refusal(_("Name the witness who was there."))
    return name
