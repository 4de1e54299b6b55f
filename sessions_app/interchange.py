"""The meeting interchange format, version 1 (`shared/design/meeting-format.md`).

`read_bundle` opens a `.json` file or a zip bundle safely, `validate_document` checks
every rule of the format and names the offending path, `import_document` saves a
checked document whole or not at all, and `export_document` / `write_bundle` give a
meeting back in the same form.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import posixpath
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from PIL import Image, UnidentifiedImageError

from .models import (
    Facilitator,
    Initiative,
    InitiativeMember,
    Link,
    Meeting,
    Participant,
    Reflection,
    Report,
    ReportPhoto,
    Room,
    Series,
    Slot,
    Topic,
)

FORMAT = "openspace-meeting"
VERSION = 1
BUNDLE_DOCUMENT = "meeting.json"
PHOTO_DIR = "photos/"
MAX_DOCUMENT_BYTES = 5 * 1024 * 1024
MAX_PHOTO_BYTES = 25 * 1024 * 1024
MAX_BUNDLE_BYTES = 500 * 1024 * 1024
MAX_BUNDLE_ENTRIES = 2000
# Phone cameras write JPEGs with multi-picture data, which Pillow reads as MPO.
PHOTO_FORMATS = {"JPEG", "MPO", "PNG", "WEBP", "GIF"}

TOP_KEYS = {
    "format",
    "version",
    "series",
    "meeting",
    "slots",
    "rooms",
    "topics",
    "initiatives",
    "reflections",
}
TOP_REQUIRED = {"format", "version", "meeting", "slots", "rooms", "topics"}
SERIES_KEYS = {"title", "organizer", "context"}
MEETING_KEYS = {
    "number",
    "title",
    "date",
    "language",
    "location",
    "purpose",
    "participants",
    "facilitators",
    "method",
    "links",
    "lookback",
    "agenda_intro",
    "summary",
}
MEETING_REQUIRED = {"title", "date", "language"}
SLOT_KEYS = {"number", "starts", "ends"}
ROOM_KEYS = {"code", "name"}
TOPIC_KEYS = {"title", "convener", "slot", "room", "report"}
CONVENER_KEYS = {"name", "organization"}
REPORT_KEYS = {"participants", "summary", "insights", "next_steps", "photos"}
PHOTO_KEYS = {"file", "caption"}
INITIATIVE_KEYS = {"who", "what", "levels", "when", "members"}
PERSON_KEYS = {"name", "role"}
LINK_KEYS = {"title", "url"}

TIME_RE = re.compile(r"([01]\d|2[0-3]):[0-5]\d")
ROOM_CODE_RE = re.compile(r"[^\W_]{1,3}")
DATE_RE = re.compile(r"\d{4}-\d{2}-\d{2}")
# The largest number every supported database stores in an integer column.
MAX_INTEGER = 2**31 - 1
LEVELS = ("F", "G", "U")


class FormatError(Exception):
    """A document or bundle that breaks the format; the message names the path."""

    def __init__(self, path: str, message: str) -> None:
        self.path = path
        self.message = message
        super().__init__(f"{path}: {message}" if path else message)


@dataclass
class Bundle:
    """A meeting document with the photo files that travelled beside it."""

    document: Any
    files: dict[str, bytes] = field(default_factory=dict)


def _limit(model: type, name: str) -> int | None:
    return model._meta.get_field(name).max_length


# Reading a bundle --------------------------------------------------------------------


def _safe_member_name(name: str) -> str:
    normalised = posixpath.normpath(name)
    if (
        name.startswith(("/", "\\"))
        or "\\" in name
        or re.match(r"^[A-Za-z]:", name)
        or normalised.startswith("..")
        or "/../" in f"/{name}/"
    ):
        raise FormatError("bundle", f"unsafe path {name!r}: paths must stay inside the bundle")
    return normalised


def _read_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, limit: int) -> bytes:
    # Read at most one byte past the limit: a zip's declared sizes may lie.
    with archive.open(info) as handle:
        data = handle.read(limit + 1)
    if len(data) > limit:
        raise FormatError(info.filename, f"larger than {limit // (1024 * 1024)} MB")
    return data


def _parse_json(data: bytes, where: str) -> Any:
    try:
        return json.loads(data.decode("utf-8-sig"))
    except UnicodeDecodeError as exc:
        raise FormatError(where, "not UTF-8 text") from exc
    except json.JSONDecodeError as exc:
        raise FormatError(where, f"not valid JSON ({exc.msg}, line {exc.lineno})") from exc


def read_bundle(path: str | Path) -> Bundle:
    """Open a `.json` document or a zip bundle, refusing anything unsafe."""
    path = Path(path)
    if not path.is_file():
        raise FormatError("", f"{path} is not a file")
    if zipfile.is_zipfile(path):
        return _read_zip(path)
    if path.stat().st_size > MAX_DOCUMENT_BYTES:
        raise FormatError(path.name, "larger than 5 MB")
    return Bundle(document=_parse_json(path.read_bytes(), path.name))


def _read_zip(path: Path) -> Bundle:
    try:
        archive = zipfile.ZipFile(path)
    except zipfile.BadZipFile as exc:
        raise FormatError("bundle", f"not a readable zip file ({exc})") from exc
    with archive:
        infos = [info for info in archive.infolist() if not info.is_dir()]
        if len(infos) > MAX_BUNDLE_ENTRIES:
            raise FormatError("bundle", f"more than {MAX_BUNDLE_ENTRIES} files")
        files: dict[str, bytes] = {}
        total = 0
        for info in infos:
            name = _safe_member_name(info.filename)
            limit = MAX_DOCUMENT_BYTES if name == BUNDLE_DOCUMENT else MAX_PHOTO_BYTES
            data = _read_member(archive, info, limit)
            total += len(data)
            if total > MAX_BUNDLE_BYTES:
                raise FormatError("bundle", "larger than 500 MB unpacked")
            files[name] = data
    if BUNDLE_DOCUMENT not in files:
        raise FormatError("bundle", f"no {BUNDLE_DOCUMENT} at the bundle's root")
    document = _parse_json(files.pop(BUNDLE_DOCUMENT), BUNDLE_DOCUMENT)
    return Bundle(document=document, files=files)


# Checking a document -----------------------------------------------------------------


def _object(value: Any, path: str, keys: set[str], required: set[str] = frozenset()) -> dict:
    if not isinstance(value, dict):
        raise FormatError(path, "must be an object")
    for key in value:
        if key not in keys:
            raise FormatError(f"{path}.{key}" if path else key, "unknown key")
    for key in sorted(required):
        if key not in value:
            raise FormatError(f"{path}.{key}" if path else key, "is required")
    return value


def _list(value: Any, path: str) -> list:
    if not isinstance(value, list):
        raise FormatError(path, "must be a list")
    return value


def _string(value: Any, path: str, *, min_len: int = 0, max_len: int | None = None) -> str:
    if not isinstance(value, str):
        raise FormatError(path, "must be a string")
    if len(value.strip()) < min_len:
        raise FormatError(path, "must not be empty")
    if max_len is not None and len(value) > max_len:
        raise FormatError(path, f"must be at most {max_len} characters")
    return value


def _strings(value: Any, path: str) -> list[str]:
    return [_string(item, f"{path}[{i}]") for i, item in enumerate(_list(value, path))]


def _integer(value: Any, path: str, *, nullable: bool = False) -> int | None:
    if value is None and nullable:
        return None
    if type(value) is not int:
        raise FormatError(path, "must be an integer" + (" or null" if nullable else ""))
    if not 1 <= value <= MAX_INTEGER:
        raise FormatError(path, f"must be from 1 to {MAX_INTEGER}")
    return value


def _time(value: Any, path: str) -> dt.time:
    text = _string(value, path)
    if not TIME_RE.fullmatch(text):
        raise FormatError(path, f"must be a 24-hour time HH:MM, not {text!r}")
    return dt.time.fromisoformat(text)


def _url(value: Any, path: str) -> str:
    text = _string(value, path, min_len=1, max_len=_limit(Link, "url"))
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise FormatError(path, "must be an http(s) address")
    return text


def _check_series(value: Any) -> None:
    if value is None:
        return
    series = _object(value, "series", SERIES_KEYS)
    for key in SERIES_KEYS:
        _string(series.get(key, ""), f"series.{key}", max_len=_limit(Series, key))
    if not series.get("title", "").strip():
        raise FormatError("series.title", "must not be empty")


def _check_meeting(value: Any) -> None:
    meeting = _object(value, "meeting", MEETING_KEYS, MEETING_REQUIRED)
    _integer(meeting.get("number"), "meeting.number", nullable=True)
    _string(meeting["title"], "meeting.title", min_len=1, max_len=200)
    date = _string(meeting["date"], "meeting.date")
    try:
        if not DATE_RE.fullmatch(date):
            raise ValueError
        dt.date.fromisoformat(date)
    except ValueError as exc:
        raise FormatError("meeting.date", f"must be a date YYYY-MM-DD, not {date!r}") from exc
    if meeting["language"] not in ("sv", "en"):
        raise FormatError("meeting.language", 'must be "sv" or "en"')
    _string(meeting.get("location", ""), "meeting.location", max_len=_limit(Meeting, "location"))
    for key in ("participants", "method", "agenda_intro", "summary"):
        _string(meeting.get(key, ""), f"meeting.{key}")
    for key in ("purpose", "lookback"):
        _strings(meeting.get(key, []), f"meeting.{key}")
    for i, item in enumerate(_list(meeting.get("facilitators", []), "meeting.facilitators")):
        path = f"meeting.facilitators[{i}]"
        person = _object(item, path, PERSON_KEYS, {"name"})
        _string(person["name"], f"{path}.name", min_len=1, max_len=_limit(Facilitator, "name"))
        _string(person.get("role", ""), f"{path}.role", max_len=_limit(Facilitator, "role"))
    for i, item in enumerate(_list(meeting.get("links", []), "meeting.links")):
        path = f"meeting.links[{i}]"
        link = _object(item, path, LINK_KEYS, {"url"})
        _string(link.get("title", ""), f"{path}.title", max_len=_limit(Link, "title"))
        _url(link["url"], f"{path}.url")


def _check_slots(value: Any) -> set[int]:
    """Slots come in order: numbers rising, each starting once the one before has ended."""
    numbers: set[int] = set()
    previous: tuple[int, dt.time] | None = None
    for i, item in enumerate(_list(value, "slots")):
        path = f"slots[{i}]"
        slot = _object(item, path, SLOT_KEYS, SLOT_KEYS)
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


def _check_rooms(value: Any) -> set[str]:
    codes: set[str] = set()
    for i, item in enumerate(_list(value, "rooms")):
        path = f"rooms[{i}]"
        room = _object(item, path, ROOM_KEYS, {"code"})
        code = _string(room["code"], f"{path}.code")
        if not ROOM_CODE_RE.fullmatch(code):
            raise FormatError(f"{path}.code", f"must be 1–3 letters or digits, not {code!r}")
        if code in codes:
            raise FormatError(f"{path}.code", f"room code {code!r} is used twice")
        codes.add(code)
        _string(room.get("name", ""), f"{path}.name", max_len=_limit(Room, "name"))
    return codes


def _check_report(value: Any, path: str, files: dict[str, bytes]) -> None:
    if value is None:
        return
    report = _object(value, path, REPORT_KEYS)
    _strings(report.get("participants", []), f"{path}.participants")
    _string(report.get("summary", ""), f"{path}.summary")
    _strings(report.get("insights", []), f"{path}.insights")
    _strings(report.get("next_steps", []), f"{path}.next_steps")
    for i, item in enumerate(_list(report.get("photos", []), f"{path}.photos")):
        photo_path = f"{path}.photos[{i}]"
        photo = _object(item, photo_path, PHOTO_KEYS, {"file"})
        _string(
            photo.get("caption", ""),
            f"{photo_path}.caption",
            max_len=_limit(ReportPhoto, "caption"),
        )
        name = _string(
            photo["file"],
            f"{photo_path}.file",
            min_len=1,
            max_len=_limit(ReportPhoto, "bundle_path"),
        )
        if not name.startswith(PHOTO_DIR) or posixpath.normpath(name) != name:
            raise FormatError(f"{photo_path}.file", f"must be a path under {PHOTO_DIR}")
        if name not in files:
            raise FormatError(f"{photo_path}.file", f"no file {name!r} in the bundle")
        _check_image(files[name], f"{photo_path}.file")


def _check_image(data: bytes, path: str) -> None:
    try:
        with Image.open(io.BytesIO(data)) as image:
            kind = image.format
            image.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, Image.DecompressionBombError) as exc:
        raise FormatError(path, "is not a readable image") from exc
    if kind not in PHOTO_FORMATS:
        raise FormatError(path, f"must be a JPEG, PNG, WebP or GIF image, not {kind}")


def _check_topics(value: Any, slots: set[int], rooms: set[str], files: dict[str, bytes]) -> None:
    cells: dict[tuple[int, str], int] = {}
    for i, item in enumerate(_list(value, "topics")):
        path = f"topics[{i}]"
        topic = _object(item, path, TOPIC_KEYS, {"title", "convener"})
        _string(topic["title"], f"{path}.title", min_len=1, max_len=300)
        convener = _object(topic["convener"], f"{path}.convener", CONVENER_KEYS, {"name"})
        _string(
            convener["name"],
            f"{path}.convener.name",
            min_len=1,
            max_len=_limit(Participant, "name"),
        )
        _string(
            convener.get("organization", ""),
            f"{path}.convener.organization",
            max_len=_limit(Participant, "organization"),
        )
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
        _check_report(topic.get("report"), f"{path}.report", files)


def _check_initiatives(value: Any) -> None:
    for i, item in enumerate(_list(value, "initiatives")):
        path = f"initiatives[{i}]"
        initiative = _object(item, path, INITIATIVE_KEYS, {"who", "what", "levels"})
        _string(initiative["who"], f"{path}.who", min_len=1, max_len=_limit(Initiative, "who"))
        _string(initiative["what"], f"{path}.what", min_len=1)
        levels = _list(initiative["levels"], f"{path}.levels")
        if not levels:
            raise FormatError(f"{path}.levels", "needs one or more of F, G and U")
        for j, level in enumerate(levels):
            if level not in LEVELS:
                raise FormatError(f"{path}.levels[{j}]", f'must be "F", "G" or "U", not {level!r}')
        if len(set(levels)) != len(levels):
            raise FormatError(f"{path}.levels", "names a level twice")
        _string(initiative.get("when", ""), f"{path}.when", max_len=_limit(Initiative, "when"))
        for j, member in enumerate(_list(initiative.get("members", []), f"{path}.members")):
            _string(
                member, f"{path}.members[{j}]", min_len=1, max_len=_limit(InitiativeMember, "name")
            )


def validate_document(bundle: Bundle) -> None:
    """Check a document against every rule of the format; raise FormatError at the first."""
    document = _object(bundle.document, "", TOP_KEYS, TOP_REQUIRED)
    if document["format"] != FORMAT:
        raise FormatError("format", f'must be "{FORMAT}"')
    if type(document["version"]) is not int or document["version"] != VERSION:
        raise FormatError(
            "version", f"version {document['version']!r} is not supported; this app reads {VERSION}"
        )
    _check_series(document.get("series"))
    _check_meeting(document["meeting"])
    slots = _check_slots(document["slots"])
    rooms = _check_rooms(document["rooms"])
    _check_topics(document["topics"], slots, rooms, bundle.files)
    _check_initiatives(document.get("initiatives", []))
    _strings(document.get("reflections", []), "reflections")


# Saving a document -------------------------------------------------------------------


def _series(data: dict | None) -> Series | None:
    if data is None:
        return None
    context = data.get("context", "")
    series, _created = Series.objects.get_or_create(
        title=data.get("title", ""),
        organizer=data.get("organizer", ""),
        defaults={"context": context},
    )
    # Changing it would change what the series' other meetings export.
    if series.context != context:
        raise FormatError(
            "series.context",
            f"the series “{series.title}” is already here with the context “{series.context}”",
        )
    return series


def import_document(bundle: Bundle) -> Meeting:
    """Check a bundle and save it as a new meeting, whole or not at all."""
    stored: list[str] = []
    try:
        return _save_document(bundle, stored)
    except BaseException:
        # The rows are rolled back; the photo files written on the way are removed here.
        for name in stored:
            default_storage.delete(name)
        raise


@transaction.atomic
def _save_document(bundle: Bundle, stored: list[str]) -> Meeting:
    validate_document(bundle)
    document = bundle.document
    data = document["meeting"]
    series = _series(document.get("series"))
    number = data.get("number")
    if series is not None and number is not None:
        existing = Meeting.objects.filter(series=series, number=number).first()
        if existing is not None:
            raise FormatError(
                "meeting.number",
                f"the series already has meeting {number} (“{existing.title}”, "
                f"join code {existing.join_code})",
            )
    meeting = Meeting.objects.create(
        series=series,
        number=number,
        title=data["title"],
        date=dt.date.fromisoformat(data["date"]),
        language=data["language"],
        location=data.get("location", ""),
        purpose=data.get("purpose", []),
        participants=data.get("participants", ""),
        method=data.get("method", ""),
        lookback=data.get("lookback", []),
        agenda_intro=data.get("agenda_intro", ""),
        summary=data.get("summary", ""),
    )
    Facilitator.objects.bulk_create(
        Facilitator(meeting=meeting, name=f["name"], role=f.get("role", ""), position=i)
        for i, f in enumerate(data.get("facilitators", []))
    )
    Link.objects.bulk_create(
        Link(meeting=meeting, title=link.get("title", ""), url=link["url"], position=i)
        for i, link in enumerate(data.get("links", []))
    )
    slots = {
        s["number"]: Slot.objects.create(
            meeting=meeting,
            number=s["number"],
            starts=dt.time.fromisoformat(s["starts"]),
            ends=dt.time.fromisoformat(s["ends"]),
        )
        for s in document["slots"]
    }
    rooms = {
        r["code"]: Room.objects.create(
            meeting=meeting, code=r["code"], name=r.get("name", ""), position=i
        )
        for i, r in enumerate(document["rooms"])
    }
    people: dict[tuple[str, str], Participant] = {}
    for i, item in enumerate(document["topics"]):
        convener = item["convener"]
        key = (convener["name"], convener.get("organization", ""))
        if key not in people:
            people[key] = Participant.objects.create(
                meeting=meeting, name=key[0], organization=key[1]
            )
        placed = item.get("slot") is not None
        topic = Topic.objects.create(
            meeting=meeting,
            title=item["title"],
            convener=people[key],
            status=Topic.Status.PLACED if placed else Topic.Status.RAISED,
            slot=slots[item["slot"]] if placed else None,
            room=rooms[item["room"]] if placed else None,
            position=i,
        )
        if item.get("report") is not None:
            _save_report(topic, item["report"], bundle.files, stored)
    for i, item in enumerate(document.get("initiatives", [])):
        initiative = Initiative.objects.create(
            meeting=meeting,
            who=item["who"],
            what=item["what"],
            levels="".join(item["levels"]),
            when=item.get("when", ""),
            position=i,
        )
        InitiativeMember.objects.bulk_create(
            InitiativeMember(initiative=initiative, name=name, position=j)
            for j, name in enumerate(item.get("members", []))
        )
    Reflection.objects.bulk_create(
        Reflection(meeting=meeting, text=text, position=i)
        for i, text in enumerate(document.get("reflections", []))
    )
    return meeting


def _save_report(topic: Topic, data: dict, files: dict[str, bytes], stored: list[str]) -> None:
    report = Report.objects.create(
        topic=topic,
        participants=data.get("participants", []),
        summary=data.get("summary", ""),
        insights=data.get("insights", []),
        next_steps=data.get("next_steps", []),
    )
    for i, photo in enumerate(data.get("photos", [])):
        name = photo["file"]
        saved = ReportPhoto(
            report=report, caption=photo.get("caption", ""), bundle_path=name, position=i
        )
        saved.image.save(posixpath.basename(name), ContentFile(files[name]), save=False)
        stored.append(saved.image.name)
        saved.save()


def import_path(path: str | Path) -> Meeting:
    """Read, check and save the meeting in a `.json` file or zip bundle."""
    return import_document(read_bundle(path))


# Writing a document ------------------------------------------------------------------


def _photo_names(meeting: Meeting) -> dict[int, str]:
    """Give every photo of the meeting a unique path in the bundle."""
    photos = list(
        ReportPhoto.objects.filter(report__topic__meeting=meeting).order_by(
            "report__topic__position", "report__topic__pk", "position", "pk"
        )
    )
    # An imported photo keeps its path; photos that shared a file in the bundle share it
    # again. Photos taken in the app get a path no imported photo has.
    used = {photo.bundle_path for photo in photos if photo.bundle_path}
    names: dict[int, str] = {}
    for photo in photos:
        name = photo.bundle_path
        if not name:
            stem = posixpath.basename(photo.image.name)
            name = f"{PHOTO_DIR}{photo.pk}-{stem}"
            while name in used:
                name = f"{PHOTO_DIR}{photo.pk}-{len(used)}-{stem}"
            used.add(name)
        names[photo.pk] = name
    return names


def export_document(meeting: Meeting) -> dict:
    """Return the meeting as a version 1 document, every key written."""
    if meeting.date is None:
        raise FormatError("meeting.date", "this meeting has no date; set one before exporting")
    photo_names = _photo_names(meeting)
    series = meeting.series
    topics = (
        meeting.topics.filter(status__in=[Topic.Status.RAISED, Topic.Status.PLACED])
        .select_related("convener", "slot", "room", "report")
        .prefetch_related("report__photos")
    )
    initiatives = meeting.initiatives.prefetch_related("members")
    return {
        "format": FORMAT,
        "version": VERSION,
        "series": None
        if series is None
        else {"title": series.title, "organizer": series.organizer, "context": series.context},
        "meeting": {
            "number": meeting.number,
            "title": meeting.title,
            "date": meeting.date.isoformat(),
            "language": meeting.language,
            "location": meeting.location,
            "purpose": list(meeting.purpose),
            "participants": meeting.participants,
            "facilitators": [{"name": f.name, "role": f.role} for f in meeting.facilitators.all()],
            "method": meeting.method,
            "links": [{"title": link.title, "url": link.url} for link in meeting.links.all()],
            "lookback": list(meeting.lookback),
            "agenda_intro": meeting.agenda_intro,
            "summary": meeting.summary,
        },
        "slots": [
            {"number": s.number, "starts": f"{s.starts:%H:%M}", "ends": f"{s.ends:%H:%M}"}
            for s in meeting.slots.all()
        ],
        "rooms": [{"code": r.code, "name": r.name} for r in meeting.rooms.all()],
        "topics": [_export_topic(topic, photo_names) for topic in topics],
        "initiatives": [
            {
                "who": i.who,
                "what": i.what,
                "levels": list(i.levels),
                "when": i.when,
                "members": [m.name for m in i.members.all()],
            }
            for i in initiatives
        ],
        "reflections": list(
            meeting.reflections.filter(is_visible=True).values_list("text", flat=True)
        ),
    }


def _export_topic(topic: Topic, photo_names: dict[int, str]) -> dict:
    report = getattr(topic, "report", None)
    return {
        "title": topic.title,
        "convener": {"name": topic.convener.name, "organization": topic.convener.organization},
        "slot": topic.slot.number if topic.slot else None,
        "room": topic.room.code if topic.room else None,
        "report": None
        if report is None
        else {
            "participants": list(report.participants),
            "summary": report.summary,
            "insights": list(report.insights),
            "next_steps": list(report.next_steps),
            "photos": [
                {"file": photo_names[p.pk], "caption": p.caption} for p in report.photos.all()
            ],
        },
    }


def write_bundle(meeting: Meeting, path: str | Path) -> Path:
    """Write the meeting to `path`: a zip bundle for `.zip`, else a bare JSON document."""
    path = Path(path)
    document = export_document(meeting)
    text = json.dumps(document, ensure_ascii=False, indent=2) + "\n"
    names = _photo_names(meeting)
    photos = {
        names[photo.pk]: photo
        for photo in ReportPhoto.objects.filter(report__topic__meeting=meeting)
    }
    if path.suffix.lower() != ".zip":
        if photos:
            raise FormatError("", "this meeting has photos: export it to a .zip bundle")
        path.write_text(text, encoding="utf-8")
        return path
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(BUNDLE_DOCUMENT, text)
        for name, photo in photos.items():
            with photo.image.open("rb") as handle:
                archive.writestr(name, handle.read())
    return path
