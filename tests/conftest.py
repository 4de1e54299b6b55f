"""Shared fixtures: the seed meeting, an English meeting, and what broadcasts would send."""

from __future__ import annotations

import copy
import json
import uuid

import pytest
from django.core.cache import caches
from django.utils import translation

from sessions_app import realtime
from sessions_app.interchange import Bundle, import_document
from sessions_app.models import Meeting

from .factories import SEED_PATH, make_meeting


@pytest.fixture(autouse=True)
def _english_outside_requests():
    """Domain messages are checked in English; requests still pick their own language."""
    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    """Keep uploaded and imported photos out of the project's media folder."""
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _limits_of_its_own(settings):
    """Each test counts its own tries: the limits' cache (Redis too) outlives a test."""
    settings.RATELIMIT_CACHE_PREFIX = f"rl:{uuid.uuid4().hex}:"


@pytest.fixture(autouse=True)
def _sessions_forgotten_after_each_test(settings):
    """A rolled-back test leaves its session writes in the sessions' memory cache
    (cached_db, one process): forget them, as the database forgets its rows."""
    yield
    if "sessions" in settings.CACHES:
        caches["sessions"].clear()


@pytest.fixture
def seed_document() -> dict:
    """A fresh copy of the seed meeting's document, safe to change in a test."""
    return copy.deepcopy(json.loads(SEED_PATH.read_text(encoding="utf-8")))


@pytest.fixture
def seed_meeting(db, seed_document) -> Meeting:
    return import_document(Bundle(document=seed_document))


@pytest.fixture
def sent(monkeypatch) -> list[tuple[str, str]]:
    """What would go to each group, after commit: (group name, rendered text).

    No server loop runs here, so each delivery is made at once, in the test's thread.
    """
    messages: list[tuple[str, str]] = []
    monkeypatch.setattr(realtime, "outbox", realtime.Outbox())
    monkeypatch.setattr(
        realtime, "send_to_group", lambda group, html: messages.append((group, html))
    )
    return messages


@pytest.fixture
def meeting(db) -> Meeting:
    """An English meeting, so that messages read as they are written in the tests."""
    return make_meeting(language=Meeting.Language.ENGLISH)
