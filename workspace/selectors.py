"""Reads for the editors' workspace: what waits on whom, the reports, and impact figures."""

import statistics
from dataclasses import dataclass
from datetime import timedelta

from django.contrib.contenttypes.models import ContentType
from django.utils import timezone
from django.utils.translation import gettext_lazy
from wagtail.models import Page, TaskState

from consent.models import ConsentEntry, StorytellerReviewTask
from consent.selectors import grants_in_force, latest_decision, today
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


# Impact figures: aggregates only, each one computed from fewer than 5 people suppressed.
# A count, a sum, a median or a share is as identifying as the people behind it: a median
# of two storytellers' days tells each of them the other's. So every figure carries how
# many different people it comes from (its basis), and is shown only from 5.


@dataclass(frozen=True)
class Figure:
    """An aggregate figure, or the fact that it comes from too few people to show."""

    label: str
    value: float | None
    basis: int  # how many different people it is computed from
    unit: str = ""

    @property
    def suppressed(self):
        return self.basis < SMALLEST_SHOWN or self.value is None

    @property
    def shown(self):
        return None if self.suppressed else self.value


def suppress(count, people=None):
    """A count as it may be published: the number, or None when it is below 5 or comes
    from fewer than 5 people."""
    if count < SMALLEST_SHOWN or (people is not None and people < SMALLEST_SHOWN):
        return None
    return count


@dataclass(frozen=True)
class MonthlyCounts:
    """Events per month from the first month with any (within the window), and totals."""

    months: list  # [((year, month), count, people)]
    total: Figure


def published_stories_by_month(months=12, now=None):
    """How many stories were first published each month, from the first month with one."""
    return _by_month(
        "published_total",
        StoryPage.objects.filter(first_published_at__isnull=False).values_list(
            "first_published_at", "storyteller_id"
        ),
        months,
        now,
    )


def withdrawals_by_month(months=12, now=None):
    """How many withdrawals were recorded each month, from the first month with one."""
    return _by_month(
        "withdrawals_total",
        ConsentEntry.objects.filter(decision=ConsentEntry.Decision.WITHDRAWN).values_list(
            "created_at", "storyteller_id"
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


def _by_month(label, rows, months, now):
    """Count (moment, person) rows per month; a row with no person (erased) adds no one."""
    now = now or timezone.now()
    window = _month_starts(months, now)
    counts = dict.fromkeys(window, 0)
    people = {month: set() for month in window}
    for moment, person in rows:
        key = (moment.year, moment.month)
        if key in counts:
            counts[key] += 1
            if person is not None:
                people[key].add(person)
    with_data = [month for month in window if counts[month]]
    shown = window[window.index(with_data[0]) :] if with_data else []
    everyone = set().union(*people.values())
    total = sum(counts.values())
    return MonthlyCounts(
        months=[(month, counts[month], len(people[month])) for month in shown],
        total=Figure(label, total, len(everyone)),
    )


def median_days_to_decision():
    """The median days from sending a story to its storyteller to their decision."""
    turnarounds = review_turnarounds()
    days = [turnaround.days for turnaround in turnarounds]
    value = round(statistics.median(days), 1) if days else None
    people = {turnaround.story.storyteller_id for turnaround in turnarounds} - {None}
    return Figure("median_days_to_decision", value, len(people), "days")


def share_paid_within_30_days():
    """Of storytellers with an agreement, the percentage first paid within 30 days of it."""
    from compensation.selectors import first_payments_in_time

    counted, in_time = first_payments_in_time(days=SOON.days)
    value = round(100 * in_time / counted) if counted else None
    return Figure("share_paid_within_30_days", value, counted, "%")


# The editors' word for where each story stands with its storyteller (the Stories listing).
CONSENT_STATUSES = {
    "draft": gettext_lazy("Not sent to the storyteller yet"),
    "waiting": gettext_lazy("Waiting for the storyteller"),
    "changes": gettext_lazy("Changes asked"),
    "approved": gettext_lazy("Approved — not published"),
    "published": gettext_lazy("Published"),
    "withdrawn": gettext_lazy("Withdrawn"),
    "ended": gettext_lazy("Consent ended"),
}


def consent_statuses(story_ids, *, on_day=None):
    """Each story's status for editors, keyed by id: two queries for any number of stories.

    Her say comes first: a withdrawal or an ended consent outranks an open review, and an
    open review outranks an older request for changes.
    """
    on_day = on_day or today()
    story_ids = [int(pk) for pk in story_ids]
    ledgers = {}
    entries = (
        ConsentEntry.objects.filter(story_id__in=story_ids)
        .exclude(decision=ConsentEntry.Decision.ERASURE)
        .order_by("-sequence")
        .only("story_id", "decision", "content_hash", "valid_until", "sequence")
    )
    for entry in entries:
        ledgers.setdefault(entry.story_id, []).append(entry)
    waiting = {
        int(object_id)
        for object_id in _story_reviews()
        .filter(
            status=TaskState.STATUS_IN_PROGRESS,
            workflow_state__object_id__in=[str(pk) for pk in story_ids],
        )
        .values_list("workflow_state__object_id", flat=True)
    }
    live = set(StoryPage.objects.filter(pk__in=story_ids, live=True).values_list("pk", flat=True))
    statuses = {}
    for pk in story_ids:
        ledger = ledgers.get(pk, [])
        decision = latest_decision(ledger)
        grant = decision.grant_in_force
        if decision.withdrawal is not None:
            statuses[pk] = "withdrawn"
        elif decision.expiry is not None or (
            grant is not None and grant.valid_until is not None and grant.valid_until < on_day
        ):
            statuses[pk] = "ended"
        elif pk in waiting:
            statuses[pk] = "waiting"
        elif ledger and ledger[0].decision == ConsentEntry.Decision.CHANGES_REQUESTED:
            statuses[pk] = "changes"
        elif pk in live:
            statuses[pk] = "published"
        elif grant is not None:
            statuses[pk] = "approved"
        else:
            statuses[pk] = "draft"
    return statuses
