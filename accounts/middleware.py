from django.shortcuts import redirect
from django.urls import Resolver404, resolve, reverse
from django.utils.http import urlencode

from . import two_factor

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
        self.admin_prefix = None

    def __call__(self, request):
        if self.admin_prefix is None:
            self.admin_prefix = reverse("wagtailadmin_home")
        if request.path.startswith(self.admin_prefix):
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
