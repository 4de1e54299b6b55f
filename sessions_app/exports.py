"""The action plan as CSV and the agenda as iCalendar, in the meeting's language."""

from __future__ import annotations

import csv
import datetime as dt
import io
import zoneinfo
from collections.abc import Iterable

from django.conf import settings
from django.utils import timezone, translation
from django.utils.text import slugify
from django.utils.translation import gettext as _
from icalendar import Calendar, Event

from .board import Card, build_board
from .models import Meeting

# A member such as "Anki W, INAB" holds a comma itself, so members are set apart by "; ".
MEMBER_SEPARATOR = "; "
# Conveners are named "Name, Organisation", so they too are set apart by "; ".
CONVENER_SEPARATOR = "; "
# A spreadsheet runs a cell that starts with one of these as a formula: OWASP's list
# (CSV injection), and the pipe and percent sign that defusedcsv adds for DDE.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "|", "%")
COMMA = ","
# Excel reads a CSV file with the list separator of the computer's region, and where
# the decimal sign is a comma, as in Sweden, that separator is a semicolon.
SEMICOLON = ";"


def _spreadsheet_cell(value: str) -> str:
    """Text typed on a phone, made safe to open in a spreadsheet: never a formula."""
    return f"'{value}" if value.startswith(FORMULA_STARTS) else value


def action_plan_csv(meeting: Meeting, *, delimiter: str = COMMA) -> bytes:
    """The action plan, one initiative a row, as UTF-8 with a BOM so Excel reads å ä ö."""
    with translation.override(meeting.language):
        header = [_("Who"), _("What"), _("Level"), _("When"), _("Who is in?")]
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\r\n")
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


def convener_names(meeting: Meeting, cards: Iterable[Card]) -> dict[int, list[str]]:
    """Each card's conveners as "Name, Organisation", keyed by topic id, in one query.

    The board's cards name every convener of a topic: whoever raised it, a partner who
    co-signed it, and the conveners of topics merged into it.
    """
    cards = list(cards)
    people = meeting.people.in_bulk({pk for card in cards for pk in card.people})
    return {
        card.topic.pk: [str(people[pk]) for pk in card.people if pk in people] for card in cards
    }


def _utc(day: dt.date, time: dt.time, zone: zoneinfo.ZoneInfo) -> dt.datetime:
    return dt.datetime.combine(day, time, zone).astimezone(dt.UTC)


def _uid(meeting: Meeting, topic_pk: int) -> str:
    return f"topic-{topic_pk}-meeting-{meeting.pk}@openspace"


def agenda_ics(meeting: Meeting) -> bytes:
    """The agenda as an iCalendar file: one event for each topic placed on the wall.

    Times are written in UTC: every calendar shows them right in its own zone, and no
    VTIMEZONE of ours has to agree with the reader's idea of Stockholm's rules.
    """
    zone = zoneinfo.ZoneInfo(settings.TIME_ZONE)
    stamp = timezone.now().astimezone(dt.UTC)
    board = build_board(meeting)
    placed = [(row.slot, cell) for row in board.rows for cell in row.cells if cell.card]
    rooms = {room.pk: room for room in board.rooms}
    names = convener_names(meeting, (cell.card for _slot, cell in placed))
    calendar = Calendar()
    calendar.add("prodid", "-//Open Space//Meeting agenda//EN")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", meeting.title)
    with translation.override(meeting.language):
        for slot, cell in placed if meeting.date else []:
            topic, room = cell.card.topic, rooms[cell.room_id]
            conveners = names[topic.pk]
            label = _("Conveners") if len(conveners) > 1 else _("Convener")
            description = [f"{label}: {CONVENER_SEPARATOR.join(conveners)}"]
            if cell.card.merged_titles:
                merged = ", ".join(f"“{title}”" for title in cell.card.merged_titles)
                description.append(f"{_('Merged with')}: {merged}")
            location = f"{room.code} {room.name}".strip()
            if meeting.location:
                location = f"{location}, {meeting.location}"
            event = Event()
            event.add("uid", _uid(meeting, topic.pk))
            event.add("dtstamp", stamp)
            event.add("dtstart", _utc(meeting.date, slot.starts, zone))
            event.add("dtend", _utc(meeting.date, slot.ends, zone))
            event.add("summary", f"{cell.code}: {topic.title}")
            event.add("location", location)
            event.add("description", "\n".join(description))
            calendar.add_component(event)
    return calendar.to_ical()


def export_filename(meeting: Meeting, suffix: str) -> str:
    """A file name people recognise in their downloads folder, such as "larandetraff-4.csv"."""
    return f"{slugify(meeting.title) or 'meeting'}{suffix}"
