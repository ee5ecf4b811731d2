"""Telling people something happened, without ever putting story text in a message.

Storytellers only ever get "Something is ready for you on Sayso" and a link, and only if
they chose email. Editors get a note in the admin and, if they have an address, an email
naming the storyteller's pseudonym and the decision — never the story's words or title.
"""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext as _

from core.tasks import retried_task

from .models import Notification, Storyteller

EDITORS_GROUP = "Editors"


@retried_task()
def email_users(user_ids, subject, body):
    """Email these people, looked up now: the queued task holds ids, never an address.

    A storyteller who has since chosen not to be emailed (or left) is skipped.
    """
    not_by_email = Q(storyteller__isnull=False) & ~Q(
        storyteller__contact_preference=Storyteller.Contact.EMAIL
    )
    users = get_user_model().objects.filter(pk__in=user_ids, is_active=True).exclude(email="")
    recipients = [user.email for user in users.exclude(not_by_email).order_by("pk")]
    if recipients:
        send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, recipients)
    return len(recipients)


def enqueue_email(users, subject, body):
    """Email these people once the current transaction commits (a task, retried)."""
    user_ids = [user.pk for user in users if user.email]
    if user_ids:
        transaction.on_commit(
            lambda: email_users.enqueue(user_ids, str(subject), str(body)), robust=True
        )


def notify_storyteller_ready(story):
    """Tell a storyteller something waits for them, the way they chose (or not at all)."""
    storyteller = story.storyteller
    Notification.objects.create(
        recipient=storyteller.user,
        kind=Notification.Kind.READY_FOR_STORYTELLER,
        story=story,
        storyteller=storyteller,
    )
    if storyteller.contact_preference == Storyteller.Contact.EMAIL and storyteller.user.email:
        link = settings.WAGTAILADMIN_BASE_URL.rstrip("/") + reverse("portal:home")
        enqueue_email(
            [storyteller.user],
            _("Something is ready for you on Sayso"),
            _("Something is ready for you on Sayso.\n\n%(link)s\n") % {"link": link},
        )


EDITOR_MESSAGES = {
    Notification.Kind.APPROVED: "%(name)s approved a story.",
    Notification.Kind.CHANGES_REQUESTED: "%(name)s asked for changes to a story.",
    Notification.Kind.EDITED: "%(name)s edited their story.",
    Notification.Kind.WITHDRAWN: "%(name)s withdrew a story.",
    Notification.Kind.NOT_PUBLISHED: (
        "A review finished, but the words %(name)s approved have changed since (or their "
        "consent ended), so the story was not published. Send it to them again."
    ),
    Notification.Kind.NO_PAYMENT_AGREED: (
        "%(name)s approved a story, but it was not published: no payment is agreed with them "
        "for it yet. Record an agreement, or that they chose not to be paid, then publish it."
    ),
    Notification.Kind.PAYMENT_PROBLEM: "%(name)s says something is wrong with a payment.",
    Notification.Kind.NEW_VERSION_WAITING: (
        "%(name)s approved a new version of a story. The version that was on the website no "
        "longer has their consent, so it was taken off the website. Their new version waits "
        "for your sign-off: publish it to put the story back."
    ),
    Notification.Kind.CONSENT_NARROWED: (
        "%(name)s changed what they agree to for a story (where it appears, how they are "
        "named, the photo or until when). The version on the website no longer fits, so it "
        "was taken off the website. Prepare a version that fits and send it to them again."
    ),
    Notification.Kind.PRIVATE_WORDS: (
        "A story contains one of %(name)s's private words, so it can't be on the website. "
        "Take the words out and send the story to them again."
    ),
}


def editors():
    return get_user_model().objects.filter(groups__name=EDITORS_GROUP, is_active=True).distinct()


def notify_editors(kind, story, *, storyteller=None, link=None):
    """Tell the editors a storyteller made a decision about a story (or said something about
    a payment: then ``story`` may be None, and ``link`` is the admin page to open)."""
    storyteller = storyteller or story.storyteller
    recipients = list(editors())
    Notification.objects.bulk_create(
        Notification(recipient=user, kind=kind, story=story, storyteller=storyteller)
        for user in recipients
    )
    link = settings.WAGTAILADMIN_BASE_URL.rstrip("/") + (
        link or reverse("wagtailadmin_pages:edit", args=[story.pk])
    )
    message = _(EDITOR_MESSAGES[kind]) % {"name": storyteller.pseudonym}
    enqueue_email(
        recipients,
        _("Sayso: a storyteller responded"),
        _("%(message)s\n\nOpen it in Sayso: %(link)s\n") % {"message": message, "link": link},
    )
