"""Who may open a portal page, and which of the things it names are hers.

Every portal view goes through `portal_view`; every lookup of something by its id goes
through one of the `own_*` helpers below, so another storyteller's anything is simply not
found.
"""

from functools import wraps

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.views.decorators.cache import never_cache
from wagtail.models import Revision

from advisory import selectors as advisory_selectors
from compensation.models import Agreement, Payment
from consent.models import ConsentEntry, Storyteller
from stories.models import StoryPage


def portal_view(view=None, *, advisory_members=False):
    """Only signed-in storytellers (and, with advisory_members, members of the survivor
    advisory group); everyone else gets the sign-in page or a plain refusal.

    Sets request.storyteller (None for an advisory member who tells no story) and
    request.advisory_member.
    """
    if view is None:
        return lambda view: portal_view(view, advisory_members=advisory_members)

    @wraps(view)
    @never_cache
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect(f"{reverse('portal:login')}?next={request.path}")
        request.storyteller = Storyteller.objects.filter(user=request.user).first()
        request.advisory_member = advisory_members and advisory_selectors.is_advisory_member(
            request.user
        )
        if request.storyteller is None and not request.advisory_member:
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper


def own_story(request, pk):
    """One of the signed-in storyteller's stories; anyone else's is simply not found."""
    return get_object_or_404(StoryPage, pk=pk, storyteller=request.storyteller)


def story_revision(story, revision_id):
    """A version of this story (never another page's)."""
    return get_object_or_404(Revision.page_revisions, pk=revision_id, object_id=str(story.pk))


def own_entry(request, receipt_id):
    """One of her consent decisions, by its receipt."""
    return get_object_or_404(
        ConsentEntry.objects.select_related("story", "storyteller"),
        receipt_id=receipt_id,
        storyteller=request.storyteller,
    )


def own_agreement(request, agreement_id):
    """One of her payment agreements."""
    return get_object_or_404(
        Agreement.objects.select_related("storyteller", "story"),
        public_id=agreement_id,
        storyteller=request.storyteller,
    )


def own_payment(request, payment_id):
    """One of the payments made to her."""
    return get_object_or_404(
        Payment.objects.select_related("storyteller", "agreement__story"),
        receipt_id=payment_id,
        storyteller=request.storyteller,
        kind=Payment.Kind.PAYMENT,
    )


def waiting_review(request, pk):
    """The review of campaign pk waiting on this member; anyone else finds nothing."""
    review = advisory_selectors.review_waiting_on(pk, request.user)
    if review is None:
        raise Http404
    return review
