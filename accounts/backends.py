"""Sign-in with a sign-in name (any capitals) or the email address she gave."""

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend

from core.sign_in_names import find_account


class SignInNameOrEmailBackend(ModelBackend):
    """Django's own backend, finding the account by sign-in name or email address.

    axes' backend runs first and refuses a locked account; it records failures under the
    account's user name (sayso.bad_input.axes_username), so "AMARA", "amara" and her email
    address all count against the same account.
    """

    def authenticate(self, request, username=None, password=None, **kwargs):
        if username is None:
            username = kwargs.get(get_user_model().USERNAME_FIELD)
        if username is None or password is None:
            return None
        user = find_account(username)
        if user is None:
            # As ModelBackend does: the same work whether or not the account exists.
            get_user_model()().set_password(password)
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None
