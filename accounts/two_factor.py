"""Two-step sign-in for the Wagtail admin, with django-otp's time-based codes (TOTP).

Available to every editor; once an editor has added an authenticator app, the admin asks
for its code after the password at every sign-in. With SAYSO_ADMIN_2FA_REQUIRED on, every
account that can open the admin must add one before doing anything else. Storytellers
never meet it: they can't open the admin at all.
"""

import base64
from io import BytesIO

import qrcode
import qrcode.image.svg
from django.conf import settings
from django_otp.plugins.otp_totp.models import TOTPDevice


def required():
    """True when every admin account must use a second step (SAYSO_ADMIN_2FA_REQUIRED)."""
    return getattr(settings, "SAYSO_ADMIN_2FA_REQUIRED", False)


def confirmed_device(user):
    return TOTPDevice.objects.devices_for_user(user, confirmed=True).first()


def pending_device(user):
    """The authenticator being added: made once, kept until confirmed with a code."""
    device = TOTPDevice.objects.devices_for_user(user, confirmed=False).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=False)
    return device


def secret_for_typing(device):
    """The key as authenticator apps accept it when typed in (base32)."""
    return base64.b32encode(device.bin_key).decode("ascii").rstrip("=")


def qr_code_data_url(device):
    """The device's otpauth:// link as an inline SVG QR code: nothing leaves the server."""
    image = qrcode.make(device.config_url, image_factory=qrcode.image.svg.SvgPathImage)
    buffer = BytesIO()
    image.save(buffer)
    return "data:image/svg+xml;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")
