"""The storytellers' sign-in forms, worded for them: sign in, ask for a new password, set it."""

from django import forms
from django.contrib.auth import password_validation
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm, SetPasswordForm
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from core import sign_in_names

PASSWORD_HELP = _("At least 10 characters. A few words you'll remember works well.")

# Django's validators, said the way a person would say them (by the validator's error code).
PLAIN_PASSWORD_PROBLEMS = {
    "password_too_short": _("Use at least 10 characters. A few words you'll remember works well."),
    "password_too_common": _(
        "Many people use that password, so it is easy to guess. Choose another."
    ),
    "password_entirely_numeric": _("Use some letters too, not only numbers."),
    "password_too_similar": _("It is too close to your name. Choose something else."),
}


def plain_password_problems(password, user):
    """Raise ValidationError in plain words if this password may not be used."""
    try:
        password_validation.validate_password(password, user)
    except ValidationError as error:
        raise ValidationError(
            list(
                dict.fromkeys(
                    str(PLAIN_PASSWORD_PROBLEMS.get(problem.code, problem.messages[0]))
                    for problem in error.error_list
                )
            )
        ) from None


class SignInNameField(forms.CharField):
    """A new sign-in name: checked for length, characters and names that look the same."""

    def __init__(self, **kwargs):
        kwargs.setdefault("label", _("Choose a sign-in name"))
        kwargs.setdefault(
            "help_text",
            _(
                "You'll use it to sign in. Only you and the editors see it, so it can be "
                "anything you'll remember: 2 to 30 letters or numbers."
            ),
        )
        kwargs.setdefault("error_messages", {"required": _("Choose a sign-in name.")})
        kwargs.setdefault(
            "widget",
            forms.TextInput(
                attrs={"autocomplete": "username", "autocapitalize": "none", "spellcheck": "false"}
            ),
        )
        super().__init__(**kwargs)
        self.exclude_user = None

    def clean(self, value):
        value = super().clean(value)
        return sign_in_names.validate_sign_in_name(value, exclude_user=self.exclude_user)


class SignInForm(AuthenticationForm):
    """Her sign-in name (any capitals) or her email address, and her password."""

    error_messages = {
        "invalid_login": _(
            "That sign-in name or email and that password don't go together. Check both and "
            "try again: capital letters matter in the password."
        ),
        "inactive": _(
            "That sign-in name or email and that password don't go together. Check both and "
            "try again: capital letters matter in the password."
        ),
    }

    def __init__(self, request=None, *args, **kwargs):
        super().__init__(request, *args, **kwargs)
        username = self.fields["username"]
        username.label = _("Your sign-in name or email")
        # An email address can be longer than a user name.
        username.max_length = 254
        username.widget.attrs["maxlength"] = "254"
        # The page starts at the top, like every other: skip link, then "Leave this site".
        username.widget.attrs.pop("autofocus", None)
        username.error_messages["required"] = _("Write your sign-in name or your email address.")
        password = self.fields["password"]
        password.label = _("Your password")
        password.error_messages["required"] = _("Write your password.")


class ResetRequestForm(PasswordResetForm):
    """Ask for a new password by sign-in name or email; the link goes to her email."""

    email = None
    name_or_email = forms.CharField(
        label=_("Your sign-in name or email"),
        max_length=254,
        error_messages={"required": _("Write your sign-in name or your email address.")},
        widget=forms.TextInput(attrs={"autocomplete": "username", "autocapitalize": "none"}),
    )

    def clean(self):
        data = super().clean()
        # PasswordResetForm.save() looks for the accounts under "email".
        data["email"] = data.get("name_or_email", "")
        return data

    def get_users(self, identifier):
        """Her account, if it has an email address to send to; editors use the admin's."""
        user = sign_in_names.find_account(identifier)
        if (
            user is None
            or not user.email
            or not user.has_usable_password()
            or user.has_perm("wagtailadmin.access_admin")
        ):
            return []
        return [user]


class NewPasswordForm(SetPasswordForm):
    """Choose a new password from the emailed link, with plain help and plain errors."""

    error_messages = {"password_mismatch": _("The two don't match. Try again.")}

    def __init__(self, user, *args, **kwargs):
        super().__init__(user, *args, **kwargs)
        first, second = self.fields["new_password1"], self.fields["new_password2"]
        first.label = _("New password")
        first.help_text = PASSWORD_HELP
        first.error_messages["required"] = _("Choose a new password.")
        second.label = _("Type it again")
        second.help_text = ""
        second.error_messages["required"] = _("Type your new password again.")

    def validate_password_for_user(self, user, password_field_name=None):
        password = self.cleaned_data.get("new_password1")
        if password and not self.has_error("new_password2"):
            try:
                plain_password_problems(password, user)
            except ValidationError as error:
                self.add_error("new_password1", error)

    def save(self, commit=True):
        user = super().save(commit=commit)
        if commit:
            # The emailed link proves the account is hers: a pause after wrong tries ends.
            from axes.utils import reset

            reset(username=user.get_username())
        return user
