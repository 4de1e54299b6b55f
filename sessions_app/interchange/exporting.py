"""Writing a meeting as a document of the current version, or as a zip bundle with photos."""

from __future__ import annotations

import json
import posixpath
import zipfile
from pathlib import Path

from ..models import Initiative, Meeting, Participant, ReportPhoto, Topic
from .bundle import BUNDLE_DOCUMENT, PHOTO_DIR, FormatError
from .schema import FORMAT, VERSION


def _photo_names(meeting: Meeting) -> dict[int, str]:
    """Give every photo of the meeting a unique path in the bundle."""
    photos = list(
        ReportPhoto.objects.filter(
            report__topic__meeting=meeting, report__topic__status__in=Topic.ON_WALL
        ).order_by("report__topic__position", "report__topic__pk", "position", "pk")
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


def _person(participant: Participant) -> dict:
    return {"name": participant.name, "organization": participant.organization}


def export_document(meeting: Meeting) -> dict:
    """Return the meeting as a document of the current version, every key written."""
    if meeting.date is None:
        raise FormatError("meeting.date", "this meeting has no date; set one before exporting")
    photo_names = _photo_names(meeting)
    series = meeting.series
    topics = (
        meeting.topics.on_wall()
        .select_related("convener", "partner", "slot", "room", "report")
        .prefetch_related("report__photos")
    )
    merged: dict[int, list[Topic]] = {}
    for topic in (
        meeting.topics.filter(status=Topic.Status.MERGED, merged_into__status__in=Topic.ON_WALL)
        .select_related("convener")
        .order_by("pk")
    ):
        merged.setdefault(topic.merged_into_id, []).append(topic)
    initiatives = meeting.initiatives.select_related(
        "source_topic__slot", "source_topic__room"
    ).prefetch_related("members")
    reflections = list(meeting.reflections.all())
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
            "dots_per_person": meeting.dots_per_person,
        },
        "slots": [
            {"number": s.number, "starts": f"{s.starts:%H:%M}", "ends": f"{s.ends:%H:%M}"}
            for s in meeting.slots.all()
        ],
        "rooms": [
            {"code": r.code, "name": r.name, "capacity": r.capacity} for r in meeting.rooms.all()
        ],
        "topics": [_export_topic(topic, merged.get(topic.pk, []), photo_names) for topic in topics],
        "initiatives": [_export_initiative(initiative) for initiative in initiatives],
        "reflections": [r.text for r in reflections if r.is_visible],
        "hidden_reflections": [r.text for r in reflections if not r.is_visible],
    }


def _export_topic(topic: Topic, merged: list[Topic], photo_names: dict[int, str]) -> dict:
    report = getattr(topic, "report", None)
    # A partner who has not signed only read the draft; they do not convene it.
    cosigner = topic.partner if topic.partner_signed else None
    return {
        "title": topic.title,
        "description": topic.description,
        "convener": _person(topic.convener),
        "cosigner": None if cosigner is None else _person(cosigner),
        "slot": topic.slot.number if topic.slot else None,
        "room": topic.room.code if topic.room else None,
        "merged": [{"title": m.title, "convener": _person(m.convener)} for m in merged],
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


def _export_initiative(initiative: Initiative) -> dict:
    source = initiative.source_topic
    # Only a topic still on the wall has a code to name it by.
    placed = source is not None and source.status == Topic.Status.PLACED
    return {
        "who": initiative.who,
        "what": initiative.what,
        "levels": list(initiative.levels),
        "when": initiative.when,
        "members": [m.name for m in initiative.members.all()],
        "status": initiative.status,
        "topic": source.code if placed else None,
    }


def write_bundle(meeting: Meeting, path: str | Path) -> Path:
    """Write the meeting to `path`: a zip bundle for `.zip`, else a bare JSON document."""
    path = Path(path)
    document = export_document(meeting)
    text = json.dumps(document, ensure_ascii=False, indent=2) + "\n"
    names = _photo_names(meeting)
    photos = {
        names[photo.pk]: photo
        for photo in ReportPhoto.objects.filter(
            report__topic__meeting=meeting, report__topic__status__in=Topic.ON_WALL
        )
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
