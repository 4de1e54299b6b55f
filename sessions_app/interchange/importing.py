"""Saving a checked document as a new meeting, whole or not at all."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from django.core.files.storage import default_storage
from django.db import transaction

from ..models import (
    Facilitator,
    Initiative,
    InitiativeMember,
    Link,
    Meeting,
    Participant,
    Reflection,
    Report,
    Room,
    Series,
    Slot,
    Topic,
)
from ..photos import CleanPhoto, save_report_photo
from .bundle import Bundle, FormatError, read_bundle
from .schema import DEFAULT_DOTS_PER_PERSON, DEFAULT_STATUS
from .validate import validate_document


def import_document(bundle: Bundle) -> Meeting:
    """Check a bundle and save it as a new meeting, whole or not at all."""
    # Photos are cleaned before the transaction, so that no write lock waits on them.
    photos = validate_document(bundle)
    stored: list[str] = []
    try:
        return _save_document(bundle.document, photos, stored)
    except BaseException:
        # The rows are rolled back; the photo files written on the way are removed here.
        for name in stored:
            default_storage.delete(name)
        raise


def import_path(path: str | Path) -> Meeting:
    """Read, check and save the meeting in a `.json` file or zip bundle."""
    return import_document(read_bundle(path))


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


class _People:
    """The meeting's participants by name and organisation: one row for each person."""

    def __init__(self, meeting: Meeting) -> None:
        self.meeting = meeting
        self.known: dict[tuple[str, str], Participant] = {}

    def get(self, data: dict) -> Participant:
        key = (data["name"], data.get("organization", ""))
        if key not in self.known:
            self.known[key] = Participant.objects.create(
                meeting=self.meeting, name=key[0], organization=key[1]
            )
        return self.known[key]


@transaction.atomic
def _save_document(document: dict, photos: dict[str, CleanPhoto], stored: list[str]) -> Meeting:
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
        dots_per_person=data.get("dots_per_person", DEFAULT_DOTS_PER_PERSON),
    )
    Facilitator.objects.bulk_create(
        Facilitator(meeting=meeting, name=f["name"], role=f.get("role", ""), position=i)
        for i, f in enumerate(data.get("facilitators", []))
    )
    Link.objects.bulk_create(
        Link(meeting=meeting, title=link.get("title", ""), url=link["url"], position=i)
        for i, link in enumerate(data.get("links", []))
    )
    placed = _save_topics(meeting, document, photos, stored)
    _save_initiatives(meeting, document.get("initiatives", []), placed)
    visible = document.get("reflections", [])
    hidden = document.get("hidden_reflections", [])
    Reflection.objects.bulk_create(
        Reflection(meeting=meeting, text=text, is_visible=i < len(visible), position=i)
        for i, text in enumerate([*visible, *hidden])
    )
    return meeting


def _save_topics(
    meeting: Meeting, document: dict, photos: dict[str, CleanPhoto], stored: list[str]
) -> dict[str, Topic]:
    """Save the slots, rooms and topics; return the placed topics by their code ("B2")."""
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
            meeting=meeting,
            code=r["code"],
            name=r.get("name", ""),
            capacity=r.get("capacity"),
            position=i,
        )
        for i, r in enumerate(document["rooms"])
    }
    people = _People(meeting)
    placed: dict[str, Topic] = {}
    for i, item in enumerate(document["topics"]):
        is_placed = item.get("slot") is not None
        cosigner = item.get("cosigner")
        topic = Topic.objects.create(
            meeting=meeting,
            title=item["title"],
            description=item.get("description", ""),
            convener=people.get(item["convener"]),
            partner=None if cosigner is None else people.get(cosigner),
            partner_signed=cosigner is not None,
            status=Topic.Status.PLACED if is_placed else Topic.Status.RAISED,
            slot=slots[item["slot"]] if is_placed else None,
            room=rooms[item["room"]] if is_placed else None,
            position=i,
        )
        if is_placed:
            placed[f"{item['room']}{item['slot']}"] = topic
        for merged in item.get("merged", []):
            Topic.objects.create(
                meeting=meeting,
                title=merged["title"],
                convener=people.get(merged["convener"]),
                status=Topic.Status.MERGED,
                merged_into=topic,
                position=i,
            )
        if item.get("report") is not None:
            _save_report(topic, item["report"], photos, stored)
    return placed


def _save_report(
    topic: Topic, data: dict, photos: dict[str, CleanPhoto], stored: list[str]
) -> None:
    report = Report.objects.create(
        topic=topic,
        participants=data.get("participants", []),
        summary=data.get("summary", ""),
        insights=data.get("insights", []),
        next_steps=data.get("next_steps", []),
    )
    for photo in data.get("photos", []):
        name = photo["file"]
        saved = save_report_photo(
            report, photos[name], caption=photo.get("caption", ""), bundle_path=name
        )
        stored.append(saved.image.name)


def _save_initiatives(meeting: Meeting, items: list[dict], placed: dict[str, Topic]) -> None:
    for i, item in enumerate(items):
        source = item.get("topic")
        initiative = Initiative.objects.create(
            meeting=meeting,
            who=item["who"],
            what=item["what"],
            levels="".join(item["levels"]),
            when=item.get("when", ""),
            status=item.get("status", DEFAULT_STATUS),
            source_topic=None if source is None else placed[source],
            position=i,
        )
        InitiativeMember.objects.bulk_create(
            InitiativeMember(initiative=initiative, name=name, position=j)
            for j, name in enumerate(item.get("members", []))
        )
