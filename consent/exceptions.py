from django.core.exceptions import PermissionDenied


class ConsentRequired(PermissionDenied):
    """A story was about to go live with words its storyteller has not approved."""


class NotTheStoryteller(PermissionDenied):
    """Someone other than the story's storyteller tried to decide for them."""


class PrivateWordsFound(ConsentRequired):
    """A version carries its storyteller's private words, so nobody may approve or publish it.

    ``fields`` names where (keys of StoryPage.public_content()); the words are never kept.
    """

    def __init__(self, message, fields=()):
        super().__init__(message)
        self.fields = list(fields)


class StoryChanged(ConsentRequired):
    """The version she read is no longer what is stored (an autosave, an editor's change)."""


class StoryWithdrawn(ConsentRequired):
    """A withdrawn story: nothing but a new approval from her brings it back."""


class ErasureRequestIsFixed(Exception):
    """An erasure request names who asked and which story for good; nothing re-points it."""
