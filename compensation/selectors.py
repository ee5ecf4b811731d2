"""Reads about compensation: balances, answers, and the publishing policy's one question."""

from dataclasses import dataclass
from datetime import timedelta

from django.apps import apps
from django.db.models import Prefetch

from .balances import Balance, per_currency
from .models import (
    Agreement,
    AgreementChange,
    CompensationResponse,
    CompensationSettings,
    Payment,
    today,
)

STATUSES = ("owed", "paid", "overpaid", "disputed", "declined")


def with_answers(agreements):
    """Agreements with their payments and answers prefetched: balances cost no more queries."""
    return agreements.select_related("storyteller", "story", "agreed_by").prefetch_related(
        Prefetch(
            "payments",
            queryset=Payment.objects.order_by("sequence")
            .select_related("storyteller", "recorded_by")
            .prefetch_related("responses"),
        ),
        "responses",
        Prefetch("changes", queryset=AgreementChange.objects.order_by("sequence")),
    )


def agreements_of(storyteller):
    """A storyteller's agreements, newest first, ready for balances."""
    return with_answers(Agreement.objects.filter(storyteller=storyteller))


def balances_of(agreements):
    """What is owed across these agreements: one Balance per currency, never mixed."""
    return per_currency(agreement.balance() for agreement in agreements)


def matches_status(agreement, status):
    """True when an agreement belongs under one of the admin's filters."""
    if status == "declined":
        return agreement.is_declined()
    if status == "disputed":
        return agreement.is_disputed()
    if agreement.is_declined():
        return False
    balance = agreement.balance()
    return {
        "owed": balance.owed > 0,
        "paid": balance.owed <= 0,
        "overpaid": balance.overpaid,
    }[status]


def filter_by_status(agreements, status):
    """The agreements under a filter, computed by the same rule the portal shows."""
    # A fresh queryset: the listing's own may already prefetch payments differently.
    candidates = with_answers(Agreement.objects.filter(pk__in=agreements.values("pk")))
    keep = [a.pk for a in candidates if matches_status(a, status)]
    return agreements.filter(pk__in=keep)


def filter_payments_by_answer(payments, answer):
    """Payments whose storyteller's latest answer is `answer` (received, problem, none)."""
    payments = payments.filter(kind=Payment.Kind.PAYMENT)
    keep = [p.pk for p in payments.prefetch_related("responses") if p.answer_code() == answer]
    return payments.filter(pk__in=keep)


def story_choice(story):
    """The storyteller's latest word on being paid for a story that has no agreement yet."""
    return (
        CompensationResponse.objects.filter(
            story_id=story.pk,
            storyteller_id=story.storyteller_id,
            agreement__isnull=True,
            response__in=[
                CompensationResponse.Response.DECLINED,
                CompensationResponse.Response.WANTS_PAYMENT,
            ],
        )
        .order_by("-sequence")
        .first()
    )


def stories_without_agreement(storyteller):
    """The storyteller's stories nobody has agreed a payment for, each with their choice."""
    StoryPage = apps.get_model("stories", "StoryPage")  # stories is built on compensation
    stories = (
        StoryPage.objects.filter(storyteller=storyteller, alias_of__isnull=True)
        .exclude(agreements__storyteller=storyteller)
        .order_by("-pk")
    )
    return [(story, story_choice(story)) for story in stories]


def agreed_or_declined(story_id, storyteller_id):
    """Has the storyteller an agreement for this story, or chosen not to be paid for it?"""
    if Agreement.objects.filter(story_id=story_id, storyteller_id=storyteller_id).exists():
        return True
    latest = (
        CompensationResponse.objects.filter(
            story_id=story_id,
            storyteller_id=storyteller_id,
            agreement__isnull=True,
            response__in=[
                CompensationResponse.Response.DECLINED,
                CompensationResponse.Response.WANTS_PAYMENT,
            ],
        )
        .order_by("-sequence")
        .values_list("response", flat=True)
        .first()
    )
    return latest == CompensationResponse.Response.DECLINED


def publishing_policy_allows(story_id, storyteller_id):
    """The organisation's payment rule for publishing one story (see publication_verdict)."""
    if not CompensationSettings.load().require_agreement_before_publishing:
        return True
    return agreed_or_declined(story_id, storyteller_id)


def agreements_for_story(story):
    return with_answers(Agreement.objects.filter(story_id=story.pk))


def owed_by_currency():
    """What is still owed, one group per currency, each agreement listed oldest first.

    Groups come in the order of their oldest owed agreement, so the longest wait leads;
    totals are per currency and never added across currencies.
    """
    agreements = with_answers(Agreement.objects.order_by("agreed_on", "pk"))
    groups = {}
    for agreement in agreements:
        if agreement.balance().owed > 0:
            groups.setdefault(agreement.currency, []).append(agreement)
    return [
        OwedInCurrency(currency, rows, per_currency(a.balance() for a in rows)[0])
        for currency, rows in groups.items()
    ]


@dataclass(frozen=True)
class OwedInCurrency:
    """The agreements with money still owed in one currency, and their total."""

    currency: str
    agreements: list
    balance: Balance


def first_payments_in_time(days=30, on_day=None):
    """(storytellers counted, of them paid within `days` of their first agreement).

    Each storyteller is judged on their first agreement they did not decline: paid in time
    when its first payment is dated within `days` of the agreement. Someone whose agreement
    is younger than `days` and not yet paid is not counted yet: their time has not run out.
    """
    on_day = on_day or today()
    window = timedelta(days=days)
    first = {}
    for agreement in with_answers(Agreement.objects.order_by("agreed_on", "pk")):
        if agreement.storyteller_id in first or agreement.is_declined():
            continue
        first[agreement.storyteller_id] = agreement
    counted = paid_in_time = 0
    for agreement in first.values():
        paid_on = [p.paid_on for p in agreement.payments.all() if p.kind == Payment.Kind.PAYMENT]
        in_time = bool(paid_on) and min(paid_on) <= agreement.agreed_on + window
        if in_time or on_day > agreement.agreed_on + window:
            counted += 1
            paid_in_time += in_time
    return counted, paid_in_time
