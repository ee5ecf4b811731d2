"""Local development: DEBUG on, a throwaway secret key if none is given."""

from .base import *  # noqa: F403
from .base import env

DEBUG = env.bool("DEBUG", default=True)
SECRET_KEY = env("SECRET_KEY", default="dev-only-insecure-key-never-use-in-production")

if not SAYSO_ENCRYPTION_KEYS:  # noqa: F405
    from .keys import derive_dev_key

    SAYSO_ENCRYPTION_KEYS = [derive_dev_key(SECRET_KEY)]
