from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
from wagtail import hooks

from .views import settings_view, verify_view


@hooks.register("register_admin_urls")
def register_two_factor_urls():
    return [
        path("two-factor/", settings_view, name="accounts_two_factor"),
        path("two-factor/verify/", verify_view, name="accounts_two_factor_verify"),
    ]


@hooks.register("register_account_menu_item")
def two_factor_account_item(request):
    return {
        "url": reverse("accounts_two_factor"),
        "label": _("Two-step sign-in"),
        "help_text": _("Ask for a code from an authenticator app each time you sign in."),
    }
