"""Checking a document against every rule of the format, naming the offending path."""

from __future__ import annotations

import datetime as dt
import posixpath
import re
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

from django.utils import translation

from .. import models
from ..photos import MAX_PHOTOS_PER_REPORT, CleanPhoto, PhotoError, clean_photo
from ..text import has_hidden_characters
from .bundle import PHOTO_DIR, Bundle, FormatError
from .schema import (
    DOTS_RANGE,
    FACILITATOR,
    FORMAT,
    INITIATIVE,
    LANGUAGES,
    LEVELS,
    LINK,
    MAX_INTEGER,
    MEETING,
    MERGED_TOPIC,
    PERSON,
    PHOTO,
    REPORT,
    ROOM,
    ROOM_CODE_MAX,
    ROOM_CODE_RE,
    SERIES,
    SLOT,
    STATUSES,
    TOP,
    TOPIC,
    TOPIC_DESCRIPTION_MAX,
    VERSION,
    VERSIONS,
    Shape,
    max_length,
)

# ASCII digits only: to `re`, "٣" is a digit too, and `fromisoformat` refuses it.
TIME_RE = re.compile(r"([01]\d|2[0-3]):[0-5]\d", re.ASCII)
DATE_RE = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)

# Where each photo file of the bundle is first named, to refuse it at that path.
PhotoPaths = dict[str, str]


def _either(values: Iterable[str]) -> str:
    """'"F", "G" or "U"': the choices as an error message lists them."""
    quoted = [f'"{value}"' for value in values]
    return f"{', '.join(quoted[:-1])} or {quoted[-1]}"


def _key_path(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _object(value: Any, path: str, shape: Shape, version: int) -> dict:
    if not isinstance(value, dict):
        raise FormatError(path, "must be an object")
    allowed = shape.keys_in(version)
    for key in value:
        if key in shape.added and key not in allowed:
            raise FormatError(
                _key_path(path, key),
                f"is a version {VERSION} key, but this document is version {version}",
            )
        if key not in allowed:
            raise FormatError(_key_path(path, key), "unknown key")
    for key in sorted(shape.required_in(version)):
        if key not in value:
            raise FormatError(_key_path(path, key), "is required")
    return value


def _list(value: Any, path: str) -> list:
    if not isinstance(value, list):
        raise FormatError(path, "must be a list")
    return value


def _string(value: Any, path: str, *, min_len: int = 0, max_len: int | None = None) -> str:
    if not isinstance(value, str):
        raise FormatError(path, "must be a string")
    # The app's own rule for typed text (text.py), with newlines and tabs allowed anywhere.
    if has_hidden_characters(value, multiline=True):
        raise FormatError(
            path, "must not hold control characters (but newline and tab) or direction overrides"
        )
    # A lone surrogate (from a "\ud800" escape) is no character: no database can store it.
    if any("\ud800" <= char <= "\udfff" for char in value):
        raise FormatError(path, "must not hold a lone surrogate")
    if len(value.strip()) < min_len:
        raise FormatError(path, "must not be empty")
    if max_len is not None and len(value) > max_len:
        raise FormatError(path, f"must be at most {max_len} characters")
    return value


def _text(data: dict, key: str, path: str, model: type, *, required: bool = False) -> str:
    """A text key as long as the model's field of the same name may hold."""
    return _string(
        data.get(key, ""),
        f"{path}.{key}",
        min_len=1 if required else 0,
        max_len=max_length(model, key),
    )


def _strings(value: Any, path: str) -> list[str]:
    return [_string(item, f"{path}[{i}]") for i, item in enumerate(_list(value, path))]


def _integer(
    value: Any, path: str, *, low: int = 1, high: int = MAX_INTEGER, nullable: bool = False
) -> int | None:
    if value is None and nullable:
        return None
    if type(value) is not int:
        raise FormatError(path, "must be an integer" + (" or null" if nullable else ""))
    if not low <= value <= high:
        raise FormatError(path, f"must be from {low} to {high}")
    return value


def _time(value: Any, path: str) -> dt.time:
    text = _string(value, path)
    if not TIME_RE.fullmatch(text):
        raise FormatError(path, f"must be a 24-hour time HH:MM, not {text!r}")
    return dt.time.fromisoformat(text)


def _url(value: Any, path: str) -> str:
    text = _string(value, path, min_len=1, max_len=max_length(models.Link, "url"))
    try:
        parts = urlsplit(text)
    except ValueError as exc:
        # Such as "http://[::1": an IPv6 host left open.
        raise FormatError(path, "must be an http(s) address") from exc
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise FormatError(path, "must be an http(s) address")
    return text


def _person(value: Any, path: str, version: int) -> None:
    """A convener or co-signer: `{name, organization}`."""
    person = _object(value, path, PERSON, version)
    _text(person, "name", path, models.Participant, required=True)
    _text(person, "organization", path, models.Participant)


def _check_series(value: Any, version: int) -> None:
    if value is None:
        return
    series = _object(value, "series", SERIES, version)
    for key in sorted(SERIES.keys):
        _text(series, key, "series", models.Series)
    if not series.get("title", "").strip():
        raise FormatError("series.title", "must not be empty")


def _check_meeting(value: Any, version: int) -> None:
    meeting = _object(value, "meeting", MEETING, version)
    _integer(meeting.get("number"), "meeting.number", nullable=True)
    _text(meeting, "title", "meeting", models.Meeting, required=True)
    date = _string(meeting["date"], "meeting.date")
    try:
        if not DATE_RE.fullmatch(date):
            raise ValueError
        dt.date.fromisoformat(date)
    except ValueError as exc:
        raise FormatError("meeting.date", f"must be a date YYYY-MM-DD, not {date!r}") from exc
    if meeting["language"] not in LANGUAGES:
        raise FormatError("meeting.language", f"must be {_either(LANGUAGES)}")
    _text(meeting, "location", "meeting", models.Meeting)
    for key in ("participants", "method", "agenda_intro", "summary"):
        _string(meeting.get(key, ""), f"meeting.{key}")
    for key in ("purpose", "lookback"):
        _strings(meeting.get(key, []), f"meeting.{key}")
    for i, item in enumerate(_list(meeting.get("facilitators", []), "meeting.facilitators")):
        path = f"meeting.facilitators[{i}]"
        person = _object(item, path, FACILITATOR, version)
        _text(person, "name", path, models.Facilitator, required=True)
        _text(person, "role", path, models.Facilitator)
    for i, item in enumerate(_list(meeting.get("links", []), "meeting.links")):
        path = f"meeting.links[{i}]"
        link = _object(item, path, LINK, version)
        _text(link, "title", path, models.Link)
        _url(link["url"], f"{path}.url")
    if "dots_per_person" in meeting:
        low, high = DOTS_RANGE
        _integer(meeting["dots_per_person"], "meeting.dots_per_person", low=low, high=high)


def _check_slots(value: Any, version: int) -> set[int]:
    """Slots come in order: numbers rising, each starting once the one before has ended."""
    numbers: set[int] = set()
    previous: tuple[int, dt.time] | None = None
    for i, item in enumerate(_list(value, "slots")):
        path = f"slots[{i}]"
        slot = _object(item, path, SLOT, version)
        number = _integer(slot["number"], f"{path}.number")
        if number in numbers:
            raise FormatError(f"{path}.number", f"slot number {number} is used twice")
        if previous is not None and number < previous[0]:
            raise FormatError(
                f"{path}.number", f"slots are listed in order; {number} follows {previous[0]}"
            )
        numbers.add(number)
        starts, ends = _time(slot["starts"], f"{path}.starts"), _time(slot["ends"], f"{path}.ends")
        if ends <= starts:
            raise FormatError(f"{path}.ends", "must be after starts")
        if previous is not None and starts < previous[1]:
            raise FormatError(f"{path}.starts", "overlaps the slot before it")
        previous = (number, ends)
    return numbers


def _check_rooms(value: Any, version: int) -> set[str]:
    codes: set[str] = set()
    for i, item in enumerate(_list(value, "rooms")):
        path = f"rooms[{i}]"
        room = _object(item, path, ROOM, version)
        code = _string(room["code"], f"{path}.code")
        if not ROOM_CODE_RE.fullmatch(code):
            raise FormatError(
                f"{path}.code", f"must be 1–{ROOM_CODE_MAX} letters or digits, not {code!r}"
            )
        if code in codes:
            raise FormatError(f"{path}.code", f"room code {code!r} is used twice")
        codes.add(code)
        _text(room, "name", path, models.Room)
        if "capacity" in room:
            _integer(room["capacity"], f"{path}.capacity", nullable=True)
    return codes


def _check_report(
    value: Any, path: str, version: int, files: dict[str, bytes], photos: PhotoPaths
) -> None:
    if value is None:
        return
    report = _object(value, path, REPORT, version)
    _strings(report.get("participants", []), f"{path}.participants")
    _string(report.get("summary", ""), f"{path}.summary")
    _strings(report.get("insights", []), f"{path}.insights")
    _strings(report.get("next_steps", []), f"{path}.next_steps")
    items = _list(report.get("photos", []), f"{path}.photos")
    if len(items) > MAX_PHOTOS_PER_REPORT:
        raise FormatError(f"{path}.photos", f"a report has at most {MAX_PHOTOS_PER_REPORT} photos")
    for i, item in enumerate(items):
        photo_path = f"{path}.photos[{i}]"
        photo = _object(item, photo_path, PHOTO, version)
        _text(photo, "caption", photo_path, models.ReportPhoto)
        name = _string(
            photo["file"],
            f"{photo_path}.file",
            min_len=1,
            max_len=max_length(models.ReportPhoto, "bundle_path"),
        )
        if not name.startswith(PHOTO_DIR) or posixpath.normpath(name) != name:
            raise FormatError(f"{photo_path}.file", f"must be a path under {PHOTO_DIR}")
        if name not in files:
            raise FormatError(f"{photo_path}.file", f"no file {name!r} in the bundle")
        photos.setdefault(name, f"{photo_path}.file")


def _check_topic_v2(topic: dict, path: str, version: int) -> None:
    """What version 2 adds to a topic: its description, co-signer and merged topics."""
    if "description" in topic:
        _string(topic["description"], f"{path}.description", max_len=TOPIC_DESCRIPTION_MAX)
    if topic.get("cosigner") is not None:
        _person(topic["cosigner"], f"{path}.cosigner", version)
    for j, item in enumerate(_list(topic.get("merged", []), f"{path}.merged")):
        merged_path = f"{path}.merged[{j}]"
        merged = _object(item, merged_path, MERGED_TOPIC, version)
        _text(merged, "title", merged_path, models.Topic, required=True)
        _person(merged["convener"], f"{merged_path}.convener", version)


def _check_topics(
    value: Any,
    version: int,
    slots: set[int],
    rooms: set[str],
    files: dict[str, bytes],
    photos: PhotoPaths,
) -> dict[str, list[int]]:
    """Check the topics; return the code of each placed topic ("B2") with its indexes."""
    cells: dict[tuple[int, str], int] = {}
    codes: dict[str, list[int]] = {}
    for i, item in enumerate(_list(value, "topics")):
        path = f"topics[{i}]"
        topic = _object(item, path, TOPIC, version)
        _text(topic, "title", path, models.Topic, required=True)
        _person(topic["convener"], f"{path}.convener", version)
        slot = _integer(topic.get("slot"), f"{path}.slot", nullable=True)
        room = topic.get("room")
        if room is not None:
            _string(room, f"{path}.room")
        if (slot is None) != (room is None):
            missing = "room" if room is None else "slot"
            raise FormatError(f"{path}.{missing}", "a placed topic needs both slot and room")
        if slot is not None:
            if slot not in slots:
                raise FormatError(f"{path}.slot", f"no slot number {slot}")
            if room not in rooms:
                raise FormatError(f"{path}.room", f"no room with code {room!r}")
            if (slot, room) in cells:
                raise FormatError(
                    f"{path}.room", f"{room}{slot} is already taken by topics[{cells[slot, room]}]"
                )
            cells[slot, room] = i
            codes.setdefault(f"{room}{slot}", []).append(i)
        _check_topic_v2(topic, path, version)
        _check_report(topic.get("report"), f"{path}.report", version, files, photos)
    return codes


def _check_initiatives(value: Any, version: int, codes: dict[str, list[int]]) -> None:
    for i, item in enumerate(_list(value, "initiatives")):
        path = f"initiatives[{i}]"
        initiative = _object(item, path, INITIATIVE, version)
        _text(initiative, "who", path, models.Initiative, required=True)
        _string(initiative["what"], f"{path}.what", min_len=1)
        levels = _list(initiative["levels"], f"{path}.levels")
        if not levels:
            raise FormatError(
                f"{path}.levels", f"needs one or more of {', '.join(LEVELS[:-1])} and {LEVELS[-1]}"
            )
        for j, level in enumerate(levels):
            if level not in LEVELS:
                raise FormatError(
                    f"{path}.levels[{j}]", f"must be {_either(LEVELS)}, not {level!r}"
                )
        if len(set(levels)) != len(levels):
            raise FormatError(f"{path}.levels", "names a level twice")
        _text(initiative, "when", path, models.Initiative)
        for j, member in enumerate(_list(initiative.get("members", []), f"{path}.members")):
            _string(
                member,
                f"{path}.members[{j}]",
                min_len=1,
                max_len=max_length(models.InitiativeMember, "name"),
            )
        if "status" in initiative and initiative["status"] not in STATUSES:
            raise FormatError(f"{path}.status", f"must be {_either(STATUSES)}")
        if initiative.get("topic") is not None:
            _source_topic(initiative["topic"], f"{path}.topic", codes)


def _source_topic(value: Any, path: str, codes: dict[str, list[int]]) -> None:
    """An initiative names the placed topic it was adopted from by its code, once."""
    code = _string(value, path)
    found = codes.get(code, [])
    if not found:
        raise FormatError(path, f"no placed topic has the code {code!r}")
    if len(found) > 1:
        # Room "B" in slot 12 and room "B1" in slot 2 are both "B12".
        raise FormatError(path, f"{code!r} is the code of more than one placed topic")


def _check_version(document: dict) -> int:
    for key in ("format", "version"):
        if key not in document:
            raise FormatError(key, "is required")
    if document["format"] != FORMAT:
        raise FormatError("format", f'must be "{FORMAT}"')
    version = document["version"]
    if type(version) is not int or version not in VERSIONS:
        readable = " and ".join(str(v) for v in VERSIONS)
        raise FormatError(
            "version", f"version {version!r} is not supported; this app reads versions {readable}"
        )
    return version


def _clean_photos(files: dict[str, bytes], photos: PhotoPaths) -> dict[str, CleanPhoto]:
    """Every photo the document names, through the one pipeline all report photos take."""
    cleaned: dict[str, CleanPhoto] = {}
    # The format's messages are English, so the pipeline's are too within them.
    with translation.override("en"):
        for name, path in photos.items():
            try:
                cleaned[name] = clean_photo(files[name])
            except PhotoError as exc:
                raise FormatError(path, str(exc)) from exc
    return cleaned


def validate_document(bundle: Bundle) -> dict[str, CleanPhoto]:
    """Check a document against every rule of the format; raise FormatError at the first.

    Return the bundle's photos that the document names, cleaned, by their path in it.
    """
    if not isinstance(bundle.document, dict):
        raise FormatError("", "must be an object")
    version = _check_version(bundle.document)
    document = _object(bundle.document, "", TOP, version)
    _check_series(document.get("series"), version)
    _check_meeting(document["meeting"], version)
    slots = _check_slots(document["slots"], version)
    rooms = _check_rooms(document["rooms"], version)
    photos: PhotoPaths = {}
    codes = _check_topics(document["topics"], version, slots, rooms, bundle.files, photos)
    _check_initiatives(document.get("initiatives", []), version, codes)
    _strings(document.get("reflections", []), "reflections")
    _strings(document.get("hidden_reflections", []), "hidden_reflections")
    return _clean_photos(bundle.files, photos)
