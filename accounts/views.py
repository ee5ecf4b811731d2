"""The admin's two-step sign-in pages: add or remove an authenticator, and give its code."""

from django.contrib import messages
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from . import two_factor
from .forms import CodeAndPasswordForm, CodeForm


def _next_url(request):
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    # Only a path: redirect() would read a bare word as the name of a view and fail.
    if candidate.startswith("/") and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return reverse("wagtailadmin_home")


def _respond(request, template, context):
    response = TemplateResponse(request, template, context)
    response["Cache-Control"] = "no-store"
    return response


@never_cache
@sensitive_post_parameters("code", "password")
def settings_view(request):
    """Add an authenticator app, or remove the one in use."""
    user = request.user
    device = two_factor.confirmed_device(user)
    if device is not None:
        form = CodeAndPasswordForm(request.POST or None, device=device, request=request)
        if request.method == "POST" and form.is_valid():
            TOTPDevice.objects.devices_for_user(user, confirmed=None).delete()
            messages.success(request, _("Two-step sign-in is off for your account."))
            return redirect("accounts_two_factor")
        return _respond(
            request, "accounts/two_factor.html", {"device": device, "form": form, "on": True}
        )

    pending = two_factor.pending_device(user)
    form = CodeAndPasswordForm(request.POST or None, device=pending, request=request)
    if request.method == "POST" and form.is_valid():
        pending.confirmed = True
        pending.save(update_fields=["confirmed"])
        TOTPDevice.objects.devices_for_user(user, confirmed=False).delete()
        otp_login(request, pending)
        messages.success(
            request, _("Two-step sign-in is on. You'll be asked for a code each time.")
        )
        return redirect(_next_url(request))
    return _respond(
        request,
        "accounts/two_factor.html",
        {
            "form": form,
            "on": False,
            "qr_code": two_factor.qr_code_data_url(pending),
            "secret": two_factor.secret_for_typing(pending),
            "required": two_factor.required(),
            "next": request.GET.get("next", ""),
        },
    )


@never_cache
@sensitive_post_parameters("code")
def verify_view(request):
    """The second step of signing in to the admin: the code from the authenticator app."""
    device = two_factor.confirmed_device(request.user)
    if device is None or request.user.is_verified():
        return redirect(_next_url(request))
    form = CodeForm(request.POST or None, device=device)
    if request.method == "POST" and form.is_valid():
        otp_login(request, device)
        return redirect(_next_url(request))
    return _respond(request, "accounts/verify.html", {"form": form, "next": _next_url(request)})
