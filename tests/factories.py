"""Factories for tests: meetings, topics, and small readers of what the wall holds."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

from django.conf import settings
from django.contrib.sessions.backends.base import SessionBase
from django.utils.module_loading import import_string

from sessions_app.identity import remember
from sessions_app.models import Meeting, Participant, Room, Slot, Topic

# The queries a request spends on its session: none when sessions are kept in the one
# process's memory, one when several processes share Redis (see the settings).
SESSION_QUERIES = 0 if settings.SESSION_ENGINE.endswith("cached_db") else 1

SEED_PATH = Path(__file__).resolve().parent.parent / "sessions_app" / "demo" / "larandetraff-4.json"


def make_meeting(
    *, slots: int = 3, rooms: str = "ABC", title: str = "Test meeting", language: str = "sv"
) -> Meeting:
    """A meeting with `slots` 25-minute slots from 13.45 and one room per letter."""
    meeting = Meeting.objects.create(title=title, date=dt.date(2024, 5, 7), language=language)
    start = dt.datetime(2024, 5, 7, 13, 45)
    for number in range(1, slots + 1):
        begins = start + dt.timedelta(minutes=30 * (number - 1))
        Slot.objects.create(
            meeting=meeting,
            number=number,
            starts=begins.time(),
            ends=(begins + dt.timedelta(minutes=25)).time(),
        )
    for position, code in enumerate(rooms):
        Room.objects.create(meeting=meeting, code=code, position=position)
    # As a request reads it: with the revisions and the grid's version its slots and rooms
    # gave it (signals.py).
    meeting.refresh_from_db()
    return meeting


def make_topic(
    meeting: Meeting,
    *,
    title: str = "A question",
    convener: Participant | None = None,
    status: str = Topic.Status.RAISED,
    cell: str | None = None,
) -> Topic:
    """A topic of `meeting`; `cell` such as "B2" places it there."""
    if convener is None:
        convener = Participant.objects.create(meeting=meeting, name=f"Convener of {title}")
    slot = room = None
    if cell is not None:
        room = meeting.rooms.get(code=cell[0])
        slot = meeting.slots.get(number=int(cell[1:]))
        status = Topic.Status.PLACED
    return Topic.objects.create(
        meeting=meeting, title=title, convener=convener, status=status, slot=slot, room=room
    )


def cell_of(meeting: Meeting, code: str) -> dict[str, int]:
    """The slot and room ids of a cell code such as "A1", as agenda functions take them."""
    return {
        "slot_id": meeting.slots.get(number=int(code[1:])).pk,
        "room_id": meeting.rooms.get(code=code[0]).pk,
    }


def wall(meeting: Meeting) -> dict[str, str]:
    """What the wall holds: cell code → topic title, read fresh from the database."""
    placed = Topic.objects.filter(meeting=meeting, status=Topic.Status.PLACED).select_related(
        "slot", "room"
    )
    return {t.code: t.title for t in placed}


REVISION_MARK = re.compile(r'<div id="live-revision" [^>]*></div>$')


def without_revision_mark(html: str) -> str:
    """A broadcast's fragments, without the mark every shared message ends with."""
    found = REVISION_MARK.search(html)
    assert found, f"no revision mark at the end of {html[-160:]!r}"
    return html[: found.start()]


def joined(client, participant: Participant):
    """The test client's browser, remembered as this participant, as joining leaves it."""
    session = client.session
    remember(session, participant)
    session.save()
    return client


def participant_session_key(participant: Participant) -> str:
    """A new browser session remembered as this participant, as joining leaves it: its key,
    the value of the session cookie."""
    session: SessionBase = import_string(f"{settings.SESSION_ENGINE}.SessionStore")()
    remember(session, participant)
    session.create()
    return session.session_key


def formset(prefix: str, rows: list[dict], initial: int = 0) -> dict:
    """What a browser posts for a Django formset: its management form and each row."""
    data = {
        f"{prefix}-TOTAL_FORMS": str(len(rows)),
        f"{prefix}-INITIAL_FORMS": str(initial),
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }
    for index, row in enumerate(rows):
        data |= {f"{prefix}-{index}-{key}": value for key, value in row.items()}
    return data
