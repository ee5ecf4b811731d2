from django.conf import settings
from django.template.response import TemplateResponse

from .models import StoryGone


class GoneMiddleware:
    """Answers 410 Gone, with a page that names no one, for withdrawn or ended stories."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, StoryGone):
            response = TemplateResponse(request, "410.html", status=410)
            response["Cache-Control"] = "no-store"
            return response.render()
        return None


class PrivacyHeadersMiddleware:
    """No page needs a camera, a microphone or anyone's location; public pages send no
    referrer at all. (Pages with forms keep same-origin: under no-referrer browsers send
    "Origin: null" with a POST and Django's CSRF check refuses it.)"""

    PERMISSIONS = "camera=(), microphone=(), geolocation=(), interest-cohort=()"

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.setdefault("Permissions-Policy", self.PERMISSIONS)
        if not request.path.startswith((settings.SAYSO_ADMIN_PREFIX, settings.SAYSO_PORTAL_PREFIX)):
            response.setdefault("Referrer-Policy", "no-referrer")
        return response
