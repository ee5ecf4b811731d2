from consent.exceptions import ConsentRequired


class AdvisoryReviewRequired(ConsentRequired):
    """A campaign needing the advisory group's review was about to go live without it.

    A kind of ConsentRequired on purpose: every publish door (bulk publish, the scheduler,
    the editor's form) already refuses those cleanly instead of failing midway.
    """


class NotAnAdvisoryMember(ConsentRequired):
    """Someone outside the advisory group tried to finish its review."""


class CampaignChangedWhileRead(ConsentRequired):
    """What a member approves differs from what they were shown: they must read it again."""
