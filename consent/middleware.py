import time

from django.conf import settings
from django.contrib.auth import logout
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django.shortcuts import redirect
from django.urls import reverse

SESSION_FLAG = "sayso_storyteller"
LAST_SEEN = "sayso_last_seen"


@receiver(user_logged_in)
def mark_storyteller_session(sender, request, user, **kwargs):
    from .models import Storyteller

    if request is not None and Storyteller.objects.filter(user=user).exists():
        request.session[SESSION_FLAG] = True
        request.session[LAST_SEEN] = int(time.time())


class StorytellerSessionMiddleware:
    """Storytellers' sessions end after a short idle time, and never reach the admin."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        session = getattr(request, "session", None)
        if session is not None and session.get(SESSION_FLAG):
            now = int(time.time())
            if now - session.get(LAST_SEEN, now) > settings.SAYSO_PORTAL_IDLE_SECONDS:
                logout(request)
                return redirect(f"{reverse('portal:login')}?timeout=1")
            session[LAST_SEEN] = now
            if request.path.startswith("/admin/"):
                return redirect("portal:home")
        return self.get_response(request)


def no_client_ip(request):
    """Used by django-axes in place of the client's address, which Sayso never records."""
    return "0.0.0.0"  # noqa: S104
