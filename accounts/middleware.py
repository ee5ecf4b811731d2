"""Sessions on both sides: storytellers' idle timeout (and no admin for them), and the
admin's second step for editors."""

import time

from django.conf import settings
from django.contrib.auth import logout
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django.shortcuts import redirect
from django.urls import Resolver404, resolve, reverse
from django.utils.http import urlencode

from . import two_factor

SESSION_FLAG = "sayso_storyteller"
LAST_SEEN = "sayso_last_seen"


@receiver(user_logged_in)
def mark_storyteller_session(sender, request, user, **kwargs):
    from consent.models import Storyteller

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
            if request.path.startswith(settings.SAYSO_ADMIN_PREFIX):
                return redirect("portal:home")
        return self.get_response(request)


def no_client_ip(request):
    """Used by django-axes in place of the client's address, which Sayso never records."""
    return "0.0.0.0"  # noqa: S104


# Admin pages an editor may open before the second step: signing in and out, the step
# itself, and what those pages load.
OPEN_BEFORE_SECOND_STEP = {
    "wagtailadmin_login",
    "wagtailadmin_logout",
    "wagtailadmin_javascript_catalog",
    "wagtailadmin_sprite",
    "accounts_two_factor_verify",
}


class AdminSecondStepMiddleware:
    """In the admin, an editor with an authenticator gives its code before anything else.

    Install after django_otp.middleware.OTPMiddleware, which tells whether this session
    has given a code (request.user.is_verified()).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path.startswith(settings.SAYSO_ADMIN_PREFIX):
            response = self._second_step(request)
            if response is not None:
                return response
        return self.get_response(request)

    def _second_step(self, request):
        user = request.user
        if not user.is_authenticated or not user.has_perm("wagtailadmin.access_admin"):
            return None
        if user.is_verified():
            return None
        try:
            name = resolve(request.path_info).url_name
        except Resolver404:
            return None
        if name in OPEN_BEFORE_SECOND_STEP:
            return None
        query = urlencode({"next": request.get_full_path()})
        if two_factor.confirmed_device(user) is not None:
            return redirect(f"{reverse('accounts_two_factor_verify')}?{query}")
        if two_factor.required() and name != "accounts_two_factor":
            return redirect(f"{reverse('accounts_two_factor')}?{query}")
        return None
