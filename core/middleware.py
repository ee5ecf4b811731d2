"""Answer a decision the database was too busy to record with "please try again"."""

from django.shortcuts import render

from .exceptions import LedgerBusy


class LedgerBusyMiddleware:
    """Turns core.exceptions.LedgerBusy, from any view, into a calm page instead of a 500.

    Nothing was recorded (the transaction rolled back), so trying again is safe. 503 with
    Retry-After is what it is: the service was busy for a moment.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, LedgerBusy):
            return None
        match = request.resolver_match
        in_portal = match is not None and match.namespace == "portal"
        base = "portal/base.html" if in_portal else "base.html"
        response = render(request, "core/try_again.html", {"base_template": base}, status=503)
        response["Retry-After"] = "2"
        return response
