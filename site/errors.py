"""Error pages in plain words, with the quick exit: the portal's own under /my/, the
public site's elsewhere. Django's defaults ("403 Forbidden") would leave a storyteller on a
bare page with no way out but the back button."""

from datetime import timedelta

from django.conf import settings
from django.http import HttpResponseServerError
from django.shortcuts import render
from django.template import loader
from django.views.decorators.csrf import requires_csrf_token


def _in_portal(request):
    return request.path.startswith(settings.SAYSO_PORTAL_PREFIX)


def _error_page(request, status, reason=None):
    in_portal = _in_portal(request)
    folder = "portal/" if in_portal else ""
    response = render(request, f"{folder}{status}.html", {"reason": reason}, status=status)
    if in_portal:
        response["Cache-Control"] = "no-store"
    # Public ones get the public pages' headers (revalidate every time), like any page there.
    return response


@requires_csrf_token
def page_not_found(request, exception=None):
    """404: nothing here (another person's story is "not found" too, never "forbidden")."""
    return _error_page(request, 404)


@requires_csrf_token
def permission_denied(request, exception=None):
    """403: this page isn't for this account."""
    return _error_page(request, 403)


def csrf_failure(request, reason=""):
    """A form sent from a page left open too long, or after signing out elsewhere."""
    return _error_page(request, 403, reason="form_expired")


@requires_csrf_token
def server_error(request):
    """500: rendered without the request's context, which may be what failed."""
    folder = "portal/" if _in_portal(request) else ""
    template = loader.get_template(f"{folder}500.html")
    response = HttpResponseServerError(
        template.render({"quick_exit_url": settings.SAYSO_QUICK_EXIT_URL})
    )
    response["Cache-Control"] = "no-store"
    return response


def locked_out(request, original_response=None, credentials=None):
    """axes' answer to a locked account: when to try again, and who can help meanwhile."""
    cool_off = timedelta(hours=settings.AXES_COOLOFF_TIME)
    response = render(
        request,
        "accounts/locked_out.html",
        {
            "minutes": int(cool_off.total_seconds() // 60),
            "organisation": settings.SAYSO_ORGANISATION,
        },
        status=429,
    )
    response["Cache-Control"] = "no-store"
    return response
