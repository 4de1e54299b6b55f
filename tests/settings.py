"""Settings for the test suite: the project's own, read from the same environment.

Only what a test run cannot provide from outside is set here: a secret key, and plain
static storage so that pages render without running collectstatic first.
"""

import os

os.environ.setdefault("SECRET_KEY", "tests-only-not-secret")

from openspace.settings import *  # noqa: E402, F403

STORAGES = {
    **STORAGES,  # noqa: F405
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
WHITENOISE_AUTOREFRESH = True
WHITENOISE_USE_FINDERS = True
