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

# Test processes running side by side (pytest-xdist, in `make test` and CI) share the
# machine's Redis: each keeps to names of its own there.
WORKER = os.environ.get("PYTEST_XDIST_WORKER")
if WORKER and "CONFIG" in CHANNEL_LAYERS["default"]:  # noqa: F405
    CHANNEL_LAYERS["default"]["CONFIG"]["prefix"] = f"asgi-{WORKER}"  # noqa: F405
