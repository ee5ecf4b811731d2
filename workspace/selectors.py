"""Reads for the editors' workspace: what waits on whom, the reports, and impact figures."""

import statistics
from dataclasses import dataclass
from datetime import timedelta

from django.contrib.contenttypes.models import ContentType
from django.utils import timezone
from wagtail.models import Page, TaskState

from consent.models import ConsentEntry, StorytellerReviewTask
from consent.selectors import grants_in_force, today
from stories.models import StoryPage

SOON = timedelta(days=30)
# No published figure smaller than this: a count of 3 withdrawals in a month can point at
# one person. Shown as "fewer than 5" instead.
SMALLEST_SHOWN = 5


@dataclass(frozen=True)
class Waiting:
    story: StoryPage
    since: object  # aware datetime

    @property
    def days(self):
        return (timezone.now() - self.since).days


def _story_reviews():
    return TaskState.objects.filter(
        task__in=StorytellerReviewTask.objects.all(),
        workflow_state__base_content_type=ContentType.objects.get_for_model(Page),
    )


def _stories_by_id(ids):
    return StoryPage.objects.select_related("storyteller").in_bulk(list(ids))


def waiting_for_storyteller():
    """Stories whose storyteller has a version to read, longest waiting first."""
    states = list(
        _story_reviews()
        .filter(status=TaskState.STATUS_IN_PROGRESS)
        .values_list("workflow_state__object_id", "started_at")
        .order_by("started_at")
    )
    stories = _stories_by_id(int(object_id) for object_id, _started in states)
    return [
        Waiting(stories[int(object_id)], started)
        for object_id, started in states
        if int(object_id) in stories
    ]


def _latest_entry_per_story():
    latest = {}
    entries = ConsentEntry.objects.filter(story__isnull=False).exclude(
        decision=ConsentEntry.Decision.ERASURE
    )
    for entry in entries.order_by("-sequence").iterator():
        latest.setdefault(entry.story_id, entry)
    return latest


def changes_asked_for():
    """Stories whose storyteller's latest word is "please change this", oldest request first."""
    asked = [
        entry
        for entry in _latest_entry_per_story().values()
        if entry.decision == ConsentEntry.Decision.CHANGES_REQUESTED
    ]
    stories = _stories_by_id(entry.story_id for entry in asked)
    return [
        (stories[entry.story_id], entry)
        for entry in sorted(asked, key=lambda entry: entry.sequence)
        if entry.story_id in stories
    ]


def grants_ending_soon(on_day=None):
    """Grants in force whose end date falls within the next 30 days, soonest first."""
    on_day = on_day or today()
    ending = [
        grant
        for grant in grants_in_force().values()
        if grant.valid_until and on_day <= grant.valid_until <= on_day + SOON
    ]
    stories = _stories_by_id(grant.story_id for grant in ending)
    return [
        (stories[grant.story_id], grant)
        for grant in sorted(ending, key=lambda grant: (grant.valid_until, grant.sequence))
        if grant.story_id in stories
    ]


def recent_withdrawals(now=None):
    """Withdrawals recorded in the last 30 days, newest first."""
    now = now or timezone.now()
    return list(
        ConsentEntry.objects.filter(
            decision=ConsentEntry.Decision.WITHDRAWN,
            created_at__gte=now - SOON,
            story__isnull=False,
        )
        .select_related("story", "storyteller")
        .order_by("-sequence")
    )


@dataclass(frozen=True)
class Turnaround:
    """One review: sent to the storyteller, and what they decided when."""

    story: StoryPage
    sent: object
    decided: object
    decision: str

    @property
    def days(self):
        return (self.decided - self.sent).total_seconds() / 86400


def review_turnarounds():
    """Every finished storyteller review (approved or changes asked), newest decision first."""
    states = (
        _story_reviews()
        .filter(
            status__in=[TaskState.STATUS_APPROVED, TaskState.STATUS_REJECTED],
            finished_at__isnull=False,
        )
        .values_list("workflow_state__object_id", "started_at", "finished_at", "status")
        .order_by("-finished_at", "-pk")
    )
    states = list(states)
    stories = _stories_by_id(int(object_id) for object_id, *_rest in states)
    labels = {
        TaskState.STATUS_APPROVED: str(ConsentEntry.Decision.GRANTED.label),
        TaskState.STATUS_REJECTED: str(ConsentEntry.Decision.CHANGES_REQUESTED.label),
    }
    return [
        Turnaround(stories[int(object_id)], started, finished, labels[status])
        for object_id, started, finished, status in states
        if int(object_id) in stories
    ]


# Impact figures: aggregates only, each small one suppressed.


@dataclass(frozen=True)
class Figure:
    """An aggregate figure, or the fact that it is too small to show."""

    label: str
    value: float | None
    basis: int  # how many people or events it is computed from
    unit: str = ""

    @property
    def suppressed(self):
        return self.basis < SMALLEST_SHOWN

    @property
    def shown(self):
        return None if self.suppressed else self.value


def suppress(count):
    """A count as it may be published: the number, or None when it is below 5."""
    return None if count < SMALLEST_SHOWN else count


def published_stories_by_month(months=12, now=None):
    """How many stories were first published in each of the last `months` months."""
    return _by_month(
        StoryPage.objects.filter(first_published_at__isnull=False).values_list(
            "first_published_at", flat=True
        ),
        months,
        now,
    )


def withdrawals_by_month(months=12, now=None):
    """How many withdrawals were recorded in each of the last `months` months."""
    return _by_month(
        ConsentEntry.objects.filter(decision=ConsentEntry.Decision.WITHDRAWN).values_list(
            "created_at", flat=True
        ),
        months,
        now,
    )


def _month_starts(months, now):
    year, month = now.year, now.month
    starts = []
    for _step in range(months):
        starts.append((year, month))
        month -= 1
        if month == 0:
            year, month = year - 1, 12
    return list(reversed(starts))


def _by_month(moments, months, now):
    now = now or timezone.now()
    counts = dict.fromkeys(_month_starts(months, now), 0)
    for moment in moments:
        key = (moment.year, moment.month)
        if key in counts:
            counts[key] += 1
    return list(counts.items())


def median_days_to_decision():
    """The median days from sending a story to its storyteller to their decision."""
    days = [turnaround.days for turnaround in review_turnarounds()]
    value = round(statistics.median(days), 1) if days else None
    return Figure("median_days_to_decision", value, len(days), "days")


def share_paid_within_30_days():
    """Of storytellers with an agreement, the percentage first paid within 30 days of it."""
    from compensation.selectors import first_payments_in_time

    counted, in_time = first_payments_in_time(days=SOON.days)
    value = round(100 * in_time / counted) if counted else None
    return Figure("share_paid_within_30_days", value, counted, "%")
