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


class PermissionsPolicyMiddleware:
    """No page of ours needs a camera, a microphone or anyone's location."""

    POLICY = "camera=(), microphone=(), geolocation=(), interest-cohort=()"

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.setdefault("Permissions-Policy", self.POLICY)
        return response
