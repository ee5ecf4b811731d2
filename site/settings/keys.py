"""Keys the settings derive themselves: settings import no app code."""

import base64
import hashlib


def derive_dev_key(secret):
    """A stable encryption key derived from a secret, for development and tests only."""
    return base64.urlsafe_b64encode(hashlib.sha256(secret.encode()).digest()).decode()
