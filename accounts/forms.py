from django import forms
from django.contrib.auth import authenticate
from django.utils.translation import gettext_lazy as _


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
