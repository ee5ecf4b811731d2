"""Where to send a person back to after a form: a `next` address, only if it is ours."""

from django.utils.http import url_has_allowed_host_and_scheme


def safe_next(request):
    """The `next` address from the form or the query, if it points inside this site; else None."""
    target = request.POST.get("next") or request.GET.get("next")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return None
