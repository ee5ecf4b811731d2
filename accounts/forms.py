import copy

from django import forms
from django.contrib.auth import authenticate
from django.utils.translation import gettext_lazy as _

from consent.models import Storyteller
from core.text.sanitise import clean_plain_text

from .sign_in_forms import PASSWORD_HELP, SignInNameField, plain_password_problems


class CodeForm(forms.Form):
    code = forms.CharField(
        label=_("Code from your authenticator app"),
        max_length=8,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}
        ),
    )

    def __init__(self, *args, device=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.device = device

    def clean_code(self):
        code = self.cleaned_data["code"].replace(" ", "")
        allowed, _details = self.device.verify_is_allowed()
        if not allowed:
            raise forms.ValidationError(_("Too many wrong codes. Wait a minute, then try again."))
        if not self.device.verify_token(code):
            raise forms.ValidationError(_("That code didn't work. Check the app and try again."))
        return code


class CodeAndPasswordForm(CodeForm):
    """Adding or removing the second step needs the password too: a session left open on
    a shared computer must not be enough to change how the account is protected."""

    password = forms.CharField(label=_("Your password"), widget=forms.PasswordInput)

    field_order = ["code", "password"]

    def __init__(self, *args, request=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.request = request

    def clean_password(self):
        password = self.cleaned_data["password"]
        user = self.request.user
        # Through authenticate(), so wrong passwords count towards the login throttle.
        if authenticate(self.request, username=user.get_username(), password=password) is None:
            raise forms.ValidationError(_("That password isn't right."))
        return password


class WelcomeForm(forms.Form):
    """Opening the invitation: the name she signs in with, her name for the editors, a password."""

    sign_in_name = SignInNameField()
    pseudonym = forms.CharField(
        label=_("What name should the editors use for you?"),
        max_length=80,
        help_text=_("It doesn't have to be your real name."),
        error_messages={"required": _("Write a name for the editors to use.")},
    )
    password1 = forms.CharField(
        label=_("Choose a password or a passphrase"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=PASSWORD_HELP,
        error_messages={"required": _("Choose a password.")},
    )
    password2 = forms.CharField(
        label=_("Type it again"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        error_messages={"required": _("Type your password again.")},
    )

    def __init__(self, *args, storyteller=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.storyteller = storyteller
        if storyteller is not None:
            self.fields["sign_in_name"].exclude_user = storyteller.user

    def clean_pseudonym(self):
        pseudonym = clean_plain_text(self.cleaned_data["pseudonym"])
        if not pseudonym:
            raise forms.ValidationError(_("Choose a name."))
        taken = Storyteller.objects.filter(pseudonym__iexact=pseudonym)
        if self.storyteller is not None:
            taken = taken.exclude(pk=self.storyteller.pk)
        if taken.exists():
            raise forms.ValidationError(_("Someone already uses that name. Try another."))
        return pseudonym

    def clean(self):
        data = super().clean()
        first, second = data.get("password1"), data.get("password2")
        if first and second and first != second:
            self.add_error("password2", _("The two don't match. Try again."))
        elif first and self.storyteller is not None:
            # Compared with the name she is choosing, not the one she was given.
            account = copy.copy(self.storyteller.user)
            account.username = data.get("sign_in_name") or account.username
            try:
                plain_password_problems(first, account)
            except forms.ValidationError as error:
                self.add_error("password1", error)
        return data
