"""Signing in, both sides: the storytellers' portal (sign in and out, quick exit, password
reset, opening an invitation) and the admin's two-step sign-in (add or remove an
authenticator, and give its code)."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth import views as auth_views
from django.core.exceptions import ValidationError
from django.http import HttpResponseRedirect
from django.shortcuts import redirect, render
from django.template.response import TemplateResponse
from django.urls import reverse, reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.debug import sensitive_post_parameters
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from consent import services

from . import two_factor
from .forms import CodeAndPasswordForm, CodeForm, WelcomeForm
from .sign_in_forms import NewPasswordForm, ResetRequestForm, SignInForm

SIGN_IN_BACKEND = "accounts.backends.SignInNameOrEmailBackend"
# Set for the first page after the welcome, which then shows her sign-in name prominently.
JUST_WELCOMED = "sayso_just_welcomed"

# -- the storytellers' portal ----------------------------------------------------------------


@never_cache
def welcome(request, token):
    """Opening an invitation: choose a sign-in name, a name and a password, then you're in."""
    invitation = services.find_invitation(token)
    if invitation is None:
        return render(request, "accounts/welcome_invalid.html", status=410)
    storyteller = invitation.storyteller
    if request.method == "POST":
        form = WelcomeForm(request.POST, storyteller=storyteller)
        if form.is_valid():
            try:
                user = services.accept_invitation(
                    invitation=invitation,
                    pseudonym=form.cleaned_data["pseudonym"],
                    password=form.cleaned_data["password1"],
                    sign_in_name=form.cleaned_data["sign_in_name"],
                )
            except ValueError:
                return render(request, "accounts/welcome_invalid.html", status=410)
            except ValidationError as taken:
                # Someone took a name that reads the same between her form and her save.
                form.add_error("sign_in_name", taken)
            else:
                login(request, user, backend=SIGN_IN_BACKEND)
                messages.success(request, _("Welcome. This is your own space on Sayso."))
                request.session[JUST_WELCOMED] = True
                return redirect("portal:home")
    else:
        form = WelcomeForm(initial={"pseudonym": storyteller.pseudonym}, storyteller=storyteller)
    return render(request, "accounts/welcome.html", {"form": form})


@csrf_exempt
def quick_exit(request):
    """End the session and go somewhere neutral, at once. Works with or without JavaScript."""
    logout(request)
    response = HttpResponseRedirect(settings.SAYSO_QUICK_EXIT_URL)
    response["Cache-Control"] = "no-store"
    response["Clear-Site-Data"] = '"cache", "storage"'
    return response


class PortalLoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    authentication_form = SignInForm
    redirect_authenticated_user = True

    def get_success_url(self):
        return self.get_redirect_url() or reverse("portal:home")


class PortalLogoutView(auth_views.LogoutView):
    next_page = reverse_lazy("portal:login")


class PortalPasswordResetView(auth_views.PasswordResetView):
    template_name = "accounts/password_reset.html"
    form_class = ResetRequestForm
    email_template_name = "accounts/password_reset_email.txt"
    subject_template_name = "accounts/password_reset_subject.txt"
    success_url = reverse_lazy("portal:password_reset_done")


class PortalPasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "accounts/password_reset_confirm.html"
    form_class = NewPasswordForm
    success_url = reverse_lazy("portal:login")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        if context.get("validlink"):
            context["sign_in_name"] = self.user.get_username()
        return context

    def form_valid(self, form):
        messages.success(
            self.request,
            _("Your new password is set. Sign in with your sign-in name or email and it."),
        )
        return super().form_valid(form)


def password_reset_done(request):
    return render(request, "accounts/password_reset_done.html")


# -- the admin's second step -----------------------------------------------------------------


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
