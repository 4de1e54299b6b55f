"""Settings read from the environment fail loudly on values they cannot read."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from openspace.settings import env_bool, env_list


def test_env_bool_reads_the_usual_spellings(monkeypatch):
    monkeypatch.setenv("FLAG", "Yes")
    assert env_bool("FLAG", False) is True
    monkeypatch.setenv("FLAG", "0")
    assert env_bool("FLAG", True) is False
    monkeypatch.delenv("FLAG")
    assert env_bool("FLAG", True) is True


def test_env_bool_refuses_anything_else(monkeypatch):
    monkeypatch.setenv("FLAG", "maybe")

    with pytest.raises(ImproperlyConfigured, match="FLAG must be one of"):
        env_bool("FLAG", False)


def test_env_list_splits_on_commas(monkeypatch):
    monkeypatch.setenv("HOSTS", " a.example , b.example,, ")

    assert env_list("HOSTS", []) == ["a.example", "b.example"]


def _load_settings(**env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "DEBUG"}}
    return subprocess.run(
        [sys.executable, "-c", "import openspace.settings"],
        env={**clean, **env},
        capture_output=True,
        text=True,
        check=False,
    )


def test_settings_refuse_to_start_without_a_secret_key_in_production():
    result = _load_settings(DEBUG="0")

    assert result.returncode != 0
    assert "SECRET_KEY must be set when DEBUG is off" in result.stderr


def test_settings_refuse_a_misspelt_debug():
    result = _load_settings(DEBUG="ture", SECRET_KEY="x")

    assert result.returncode != 0
    assert "DEBUG must be one of" in result.stderr


def test_settings_refuse_an_unreadable_database_url():
    result = _load_settings(SECRET_KEY="x", DATABASE_URL="nosuchdb://somewhere/x")

    assert result.returncode != 0
    assert "DATABASE_URL cannot be read" in result.stderr


def test_settings_use_redis_only_when_redis_url_is_set():
    code = (
        "from django.conf import settings as s; "
        "print(s.CHANNEL_LAYERS['default']['BACKEND'], s.SESSION_ENGINE.rpartition('.')[2])"
    )
    env = {k: v for k, v in os.environ.items() if k != "REDIS_URL"}
    env.update(SECRET_KEY="x", DJANGO_SETTINGS_MODULE="openspace.settings")

    def backend(**extra: str) -> str:
        return subprocess.run(
            [sys.executable, "-c", f"import django; django.setup(); {code}"],
            env={**env, **extra},
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()

    # One process keeps the sessions in its memory too; several read them from the database,
    # so that a session ended in one process is ended in all.
    assert backend() == "sessions_app.layers.InMemoryChannelLayer cached_db"
    assert backend(REDIS_URL="redis://127.0.0.1:6379/0") == (
        "channels_redis.core.RedisChannelLayer db"
    )


def test_sqlite_runs_in_wal_mode_with_a_busy_timeout(tmp_path):
    code = (
        "import django; django.setup(); from django.db import connection; "
        "cursor = connection.cursor(); "
        "print(cursor.execute('PRAGMA journal_mode').fetchone()[0], "
        "cursor.execute('PRAGMA busy_timeout').fetchone()[0])"
    )
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env.update(
        SECRET_KEY="x",
        DJANGO_SETTINGS_MODULE="openspace.settings",
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
    )

    result = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )

    assert result.stdout.split() == ["wal", "20000"]


# Production behind TLS, as README's "Production" section sets it up.
BEHIND_TLS = {
    "DEBUG": "0",
    "SECRET_KEY": "deploy-check-" + "k7Qz3vX9pL2mN8rT4wY6bH1cF5gJ0dS" * 2,
    "ALLOWED_HOSTS": "openspace.example.org",
    "CSRF_TRUSTED_ORIGINS": "https://openspace.example.org",
    "SECURE_SSL_REDIRECT": "1",
    "SECURE_HSTS_SECONDS": "31536000",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS": "1",
    "SECURE_HSTS_PRELOAD": "1",
    "SECURE_PROXY_SSL_HEADER": "X-Forwarded-Proto",
    "TRUSTED_PROXIES": "127.0.0.1",
}


def _deploy_check(**env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k not in {"DJANGO_SETTINGS_MODULE"}}
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=Path(__file__).resolve().parent.parent,
        env={**clean, **env},
        capture_output=True,
        text=True,
        check=False,
    )


def test_the_deploy_check_passes_with_production_settings_behind_tls():
    result = _deploy_check(**BEHIND_TLS)

    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout


def test_the_deploy_check_names_what_is_missing_without_https_settings():
    plain = {k: v for k, v in BEHIND_TLS.items() if not k.startswith("SECURE_")}

    result = _deploy_check(**plain)

    assert result.returncode != 0
    assert "security.W004" in result.stderr and "security.W008" in result.stderr


def test_settings_read_https_and_proxies_from_the_environment():
    code = (
        "from django.conf import settings as s; "
        "print(s.SECURE_PROXY_SSL_HEADER, s.SECURE_HSTS_SECONDS, s.SECURE_SSL_REDIRECT, "
        "s.TRUSTED_PROXIES, s.THROTTLES['joins'])"
    )
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env.update(BEHIND_TLS, DJANGO_SETTINGS_MODULE="openspace.settings", THROTTLE_JOINS="500/m")

    result = subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {code}"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )

    assert result.stdout.split("\n")[0] == (
        "('HTTP_X_FORWARDED_PROTO', 'https') 31536000 True ['127.0.0.1'] 500/m"
    )


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("SECURE_HSTS_SECONDS", "a year", "SECURE_HSTS_SECONDS must be a whole number"),
        ("SECURE_PROXY_SSL_HEADER", "X-Forwarded-Proto: https", "must be a header name"),
        ("TRUSTED_PROXIES", "127.0.0.1, the proxy", "'the proxy' is neither"),
        ("THROTTLE_WRONG_CODES", "20 a minute", "THROTTLE_WRONG_CODES must be a count"),
        ("THROTTLE_JOINS", "300/0m", "THROTTLE_JOINS must be a count"),
        ("HTTP_THREADS", "0", "HTTP_THREADS must be 1 or more"),
        ("HTTP_THREADS", "eight", "HTTP_THREADS must be a whole number"),
    ],
)
def test_settings_refuse_unreadable_https_and_limit_values(name, value, message):
    result = _load_settings(SECRET_KEY="x", **{name: value})

    assert result.returncode != 0
    assert message in result.stderr


def test_the_content_security_policy_allows_no_inline_script_or_style(client):
    policy = client.get("/join/")["Content-Security-Policy"]

    directives = dict(part.split(" ", 1) for part in policy.split("; "))
    assert directives["script-src"].startswith("'self' 'nonce-")
    assert directives["style-src"] == "'self'"
    assert directives["default-src"] == "'self'"
    assert directives["frame-ancestors"] == directives["object-src"] == "'none'"
    assert "unsafe" not in policy
