"""Helpers for the meeting format's tests: bundles, photos, and version 2 documents."""

from __future__ import annotations

import copy
import io
import zipfile
from pathlib import Path

from django.apps import apps
from PIL import Image


def row_counts() -> dict[str, int]:
    """How many rows every model of the app holds: the database's state in one value."""
    return {m.__name__: m.objects.count() for m in apps.get_app_config("sessions_app").get_models()}


def media_files(settings) -> list[Path]:
    """Every file under the media folder."""
    return sorted(p for p in Path(settings.MEDIA_ROOT).rglob("*") if p.is_file())


def jpeg_bytes(color: str = "red") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), color).save(buffer, "JPEG")
    return buffer.getvalue()


def write_zip(path: Path, files: dict[str, bytes | str]) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return path


def with_photo(document: dict, name: str = "photos/a1.jpg") -> dict:
    document["topics"][0]["report"] = {
        "participants": ["Martin", "Anki"],
        "summary": "We talked.",
        "insights": ["Meet more"],
        "next_steps": ["A hub"],
        "photos": [{"file": name, "caption": "The sheet"}],
    }
    return document


def with_v2_defaults(document: dict) -> dict:
    """A version 1 document as version 2 gives it back: each added key at its default.

    The defaults are written out here as `docs/meeting-format.md` states them, not read
    from the code under test.
    """
    document = copy.deepcopy(document)
    document["version"] = 2
    document["meeting"]["dots_per_person"] = 3
    for room in document["rooms"]:
        room["capacity"] = None
    for topic in document["topics"]:
        topic.update(description="", cosigner=None, merged=[])
    for initiative in document.get("initiatives", []):
        initiative.update(status="open", topic=None)
    document["hidden_reflections"] = []
    return document
