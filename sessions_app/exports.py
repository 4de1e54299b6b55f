"""The action plan as CSV and the agenda as iCalendar, in the meeting's language."""

from __future__ import annotations

import csv
import datetime as dt
import io
import zoneinfo

from django.conf import settings
from django.utils import timezone, translation
from django.utils.text import slugify
from django.utils.translation import gettext as _

from .models import Meeting, Topic

# A member such as "Anki W, INAB" holds a comma itself, so members are set apart by "; ".
MEMBER_SEPARATOR = "; "
ICS_LINE_OCTETS = 75
# A spreadsheet runs a cell that starts with one of these as a formula (OWASP CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _spreadsheet_cell(value: str) -> str:
    """Text typed on a phone, made safe to open in a spreadsheet: never a formula."""
    return f"'{value}" if value.startswith(FORMULA_STARTS) else value


def action_plan_csv(meeting: Meeting) -> bytes:
    """The action plan, one initiative a row, as UTF-8 with a BOM so Excel reads å ä ö."""
    with translation.override(meeting.language):
        header = [_("Who"), _("What"), _("Level"), _("When"), _("Who is in?")]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    for initiative in meeting.initiatives.prefetch_related("members"):
        row = [
            initiative.who,
            initiative.what,
            "/".join(initiative.level_list),
            initiative.when,
            MEMBER_SEPARATOR.join(member.name for member in initiative.members.all()),
        ]
        writer.writerow([_spreadsheet_cell(cell) for cell in row])
    return out.getvalue().encode("utf-8-sig")


def _ics_text(value: str) -> str:
    """Escape a TEXT value (RFC 5545, 3.3.11)."""
    return (
        value.replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\r\n", "\\n")
        .replace("\n", "\\n")
        .replace("\r", "\\n")
    )


def _fold(line: str) -> str:
    """Fold a content line into lines of at most 75 octets, never inside a character."""
    parts: list[str] = []
    current, size = "", 0
    limit = ICS_LINE_OCTETS
    for char in line:
        width = len(char.encode("utf-8"))
        if size + width > limit:
            parts.append(current)
            # Continuation lines start with a space, which counts against their 75.
            current, size, limit = char, width, ICS_LINE_OCTETS - 1
        else:
            current += char
            size += width
    parts.append(current)
    return "\r\n ".join(parts)


def _utc(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")


def _uid(meeting: Meeting, topic: Topic) -> str:
    return f"topic-{topic.pk}-meeting-{meeting.pk}@openspace"


def agenda_ics(meeting: Meeting) -> bytes:
    """The agenda as an iCalendar file: one event for each topic placed on the wall."""
    zone = zoneinfo.ZoneInfo(settings.TIME_ZONE)
    stamp = _utc(timezone.now())
    topics = sorted(
        meeting.topics.filter(status=Topic.Status.PLACED).select_related(
            "convener", "slot", "room"
        ),
        key=lambda topic: (topic.slot.number, topic.room.position, topic.room.code),
    )
    with translation.override(meeting.language):
        convener_label = _("Convener")
        lines = [
            "BEGIN:VCALENDAR",
            "VERSION:2.0",
            "PRODID:-//Open Space//Meeting agenda//EN",
            "CALSCALE:GREGORIAN",
            "METHOD:PUBLISH",
            f"X-WR-CALNAME:{_ics_text(meeting.title)}",
        ]
        for topic in topics if meeting.date else []:
            starts = dt.datetime.combine(meeting.date, topic.slot.starts, tzinfo=zone)
            ends = dt.datetime.combine(meeting.date, topic.slot.ends, tzinfo=zone)
            convener = topic.convener.name
            if topic.convener.organization:
                convener = f"{convener}, {topic.convener.organization}"
            location = f"{topic.room.code} {topic.room.name}".strip()
            if meeting.location:
                location = f"{location}, {meeting.location}"
            lines += [
                "BEGIN:VEVENT",
                f"UID:{_uid(meeting, topic)}",
                f"DTSTAMP:{stamp}",
                f"DTSTART:{_utc(starts)}",
                f"DTEND:{_utc(ends)}",
                f"SUMMARY:{_ics_text(f'{topic.code}: {topic.title}')}",
                f"LOCATION:{_ics_text(location)}",
                f"DESCRIPTION:{_ics_text(f'{convener_label}: {convener}')}",
                "END:VEVENT",
            ]
        lines.append("END:VCALENDAR")
    return ("\r\n".join(_fold(line) for line in lines) + "\r\n").encode("utf-8")


def export_filename(meeting: Meeting, suffix: str) -> str:
    """A file name people recognise in their downloads folder, such as "larandetraff-4.csv"."""
    return f"{slugify(meeting.title) or 'meeting'}{suffix}"
