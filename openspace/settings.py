"""Settings for the Open Space app, read from the environment.

Every value comes from an environment variable through a small typed helper that
fails loudly on a value it cannot read, so a typo never silently changes behaviour.
"""

from __future__ import annotations

import ipaddress
import os
import re
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_bool(name: str, default: bool) -> bool:
    """Read a boolean; anything but a recognised spelling is an error."""
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(
        f"{name} must be one of 1/0, true/false, yes/no, on/off; got {raw!r}"
    )


def env_list(name: str, default: list[str]) -> list[str]:
    """Read a comma-separated list, ignoring blanks around the commas."""
    raw = os.environ.get(name)
    if raw is None:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


def env_str(name: str, default: str = "") -> str:
    """Read a string, stripped of surrounding whitespace."""
    return os.environ.get(name, default).strip()


def env_int(name: str, default: int) -> int:
    """Read a whole number of zero or more."""
    raw = env_str(name)
    if not raw:
        return default
    if not raw.isdigit():
        raise ImproperlyConfigured(f"{name} must be a whole number of 0 or more; got {raw!r}")
    return int(raw)


def env_rate(name: str, default: str) -> str:
    """Read a limit as django-ratelimit writes it: a count per period, such as 20/m or 5/10s."""
    raw = env_str(name) or default
    if not re.fullmatch(r"[1-9][0-9]*/(?:[1-9][0-9]*)?[smhd]", raw):
        raise ImproperlyConfigured(f"{name} must be a count per period such as 20/m; got {raw!r}")
    return raw


def env_networks(name: str) -> list[str]:
    """Read comma-separated addresses or networks, such as 10.0.0.1 or 10.0.0.0/8."""
    items = env_list(name, [])
    for item in items:
        try:
            ipaddress.ip_network(item, strict=False)
        except ValueError:
            raise ImproperlyConfigured(
                f"{name} must list IP addresses or networks; {item!r} is neither"
            ) from None
    return items


DEBUG = env_bool("DEBUG", False)

SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off")
    SECRET_KEY = "development-only-not-secret"  # noqa: S105 - DEBUG only

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "channels",
    "django_htmx",
    "sessions_app",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "sessions_app.middleware.BusyDatabase",
]

ROOT_URLCONF = "openspace.urls"
ASGI_APPLICATION = "openspace.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.csp",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASE_URL = env_str("DATABASE_URL") or f"sqlite:///{BASE_DIR / 'db.sqlite3'}"
try:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=0)}
except (ValueError, dj_database_url.UnknownSchemeError) as exc:
    raise ImproperlyConfigured(f"DATABASE_URL cannot be read: {exc}") from exc
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers and a writer work at once; IMMEDIATE takes the write lock at
    # the start of a transaction and the timeout makes a second writer wait for it
    # instead of failing with "database is locked".
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    # A file on this host: each worker thread keeps its connection rather than opening
    # the file anew for every request.
    DATABASES["default"]["CONN_MAX_AGE"] = None
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # A bounded pool: however many phones write at once, the server holds at most this
    # many connections. Past it a request waits up to the timeout, then gets "busy, try
    # again" (503, sessions_app/middleware.py), never an error.
    DATABASES["default"]["OPTIONS"] = {
        "pool": {
            "min_size": 2,
            "max_size": env_int("DATABASE_POOL_SIZE", 20),
            "timeout": env_int("DATABASE_POOL_TIMEOUT", 5),
        }
    }

# The threads that serve HTTP requests in each server process (openspace/http.py): the
# ordinary ones, one after another in arrival order by default, and those of the routes
# marked slow (documents, photos, logging in, the suggestion, the admin). The database pool
# above should hold at least as many connections as both together, with some for the sockets.
HTTP_THREADS = env_int("HTTP_THREADS", 1)
HTTP_SLOW_THREADS = env_int("HTTP_SLOW_THREADS", 4)
for name, value in (("HTTP_THREADS", HTTP_THREADS), ("HTTP_SLOW_THREADS", HTTP_SLOW_THREADS)):
    if value < 1:
        raise ImproperlyConfigured(f"{name} must be 1 or more")

REDIS_URL = env_str("REDIS_URL")
if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {
                "hosts": [
                    {
                        "address": REDIS_URL,
                        # redis-py 8 caps the pool at 100 connections; a room full of
                        # phones needs more.
                        "max_connections": 1000,
                        # redis-py 8 times reads out after 5 s, the same as the blocking
                        # pop with which channels-redis waits for messages: every idle
                        # socket then dies with 1011. Read for longer than the pop waits.
                        "socket_timeout": 15,
                    }
                ]
            },
        }
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "sessions_app.layers.InMemoryChannelLayer"}}

# The per-client limits are counted where every server process sees them: in Redis when it
# is set (with short timeouts: a frozen Redis must not hold up a write; the limits then let
# everything through), else in the one process's memory.
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "throttles": (
        {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "throttles",
            "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
        }
        if REDIS_URL
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "throttles"}
    ),
}
# Sessions (which participant a phone is, which facilitator is logged in) are read on
# every request. With one server process (no Redis), they are read from its memory, with
# the database behind it: the one process sees every change, a log-out included. With
# several, from the database only: a memory that several processes share (Redis) would
# have to answer for every request, and a Redis that stops would stop every page and
# could bring back a session that was ended while it was away.
if not REDIS_URL:
    CACHES["sessions"] = {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": "sessions",
    }
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
    SESSION_CACHE_ALIAS = "sessions"
RATELIMIT_USE_CACHE = "throttles"
RATELIMIT_FAIL_OPEN = True
# How many tries one client may make (sessions_app/throttles.py). A room of 200 phones
# behind one venue's NAT must join within a minute, so joins are counted per meeting.
THROTTLES = {
    "wrong_codes": env_rate("THROTTLE_WRONG_CODES", "20/m"),
    "logins": env_rate("THROTTLE_LOGINS", "10/m"),
    "joins": env_rate("THROTTLE_JOINS", "300/m"),
    "drafts": env_rate("THROTTLE_DRAFTS", "30/m"),
    "initiatives": env_rate("THROTTLE_INITIATIVES", "10/m"),
    "reflections": env_rate("THROTTLE_REFLECTIONS", "10/m"),
}
# The proxies whose X-Forwarded-For is believed: the client is the right-most address in
# it that is not one of them. Without it, the client is the address that connected.
TRUSTED_PROXIES = env_networks("TRUSTED_PROXIES")

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"

LANGUAGE_CODE = "sv"
LANGUAGES = [("sv", _("Swedish")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env_str("TIME_ZONE", "Europe/Stockholm")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

MEDIA_URL = "media/"
MEDIA_ROOT = Path(env_str("MEDIA_ROOT") or BASE_DIR / "media")

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = not DEBUG and env_bool("SECURE_COOKIES", True)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE

# Behind TLS: send plain HTTP to HTTPS, and tell browsers to come back only over HTTPS.
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", False)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", False)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
# The header in which the TLS-terminating proxy says "https" (such as X-Forwarded-Proto).
# Name it only when every request passes that proxy, and the proxy sets it on each.
_PROXY_SSL_HEADER = env_str("SECURE_PROXY_SSL_HEADER")
if _PROXY_SSL_HEADER and not re.fullmatch(r"[A-Za-z0-9-]+", _PROXY_SSL_HEADER):
    raise ImproperlyConfigured(
        f"SECURE_PROXY_SSL_HEADER must be a header name; got {_PROXY_SSL_HEADER!r}"
    )
SECURE_PROXY_SSL_HEADER = (
    ("HTTP_" + _PROXY_SSL_HEADER.upper().replace("-", "_"), "https") if _PROXY_SSL_HEADER else None
)

# No inline script or style anywhere: scripts come from our own files (htmx's tags carry
# the request's nonce), and so do styles. 'self' covers the websocket in browsers since
# 2022; the wss: origins of ALLOWED_HOSTS are named as well for Safari before 16.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "connect-src": [
        CSP.SELF,
        *(
            f"wss://{'*' if host.startswith('.') else ''}{host}"
            for host in ALLOWED_HOSTS
            if host != "*"
        ),
    ],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO").upper()},
    # WeasyPrint reports each step of every PDF it lays out at INFO; keep its warnings.
    "loggers": {"weasyprint.progress": {"level": "WARNING"}},
}
