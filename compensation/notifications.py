"""Telling the editors a storyteller says something's wrong with a payment.

The message never carries the storyteller's own words (they may hold private details):
editors read those in the admin, where they are kept encrypted.
"""

from django.urls import reverse

from consent.models import Notification
from consent.notifications import notify_editors


def notify_editors_of_problem(payment):
    """Tell every editor; the link opens the payments whose storytellers said something's wrong."""
    agreement = payment.agreement
    notify_editors(
        Notification.Kind.PAYMENT_PROBLEM,
        agreement.story,
        storyteller=payment.storyteller,
        link=reverse("compensation_payments:index") + "?answer=problem",
    )
