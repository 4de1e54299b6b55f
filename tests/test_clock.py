"""The meeting's clock: which slot is under way, between slots the next, and when that changes."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest

from sessions_app import clock, fragments
from sessions_app.models import Meeting

from .factories import make_topic

pytestmark = pytest.mark.django_db
STOCKHOLM = zoneinfo.ZoneInfo("Europe/Stockholm")


def at(hour: int, minute: int) -> dt.datetime:
    return dt.datetime(2024, 5, 7, hour, minute, tzinfo=STOCKHOLM)


@pytest.mark.parametrize(
    ("time", "current", "following", "running", "changes_at"),
    [
        ((9, 0), 1, 2, False, (13, 45)),  # before the first: the first
        ((13, 45), 1, 2, True, (14, 10)),
        ((14, 9), 1, 2, True, (14, 10)),
        ((14, 10), 2, 3, False, (14, 15)),  # between slots: the next
        ((14, 30), 2, 3, True, (14, 40)),
        ((15, 5), 3, None, True, (15, 10)),
        ((15, 10), None, None, False, None),  # after the last: none
    ],
)
def test_moment_finds_the_slot_under_way_or_next(
    meeting, time, current, following, running, changes_at
):
    slots = list(meeting.slots.all())  # 13.45–14.10, 14.15–14.40, 14.45–15.10… as make_meeting

    moment = clock.moment(slots, at(*time))

    assert (moment.current.number if moment.current else None) == current
    assert (moment.following.number if moment.following else None) == following
    assert moment.running is running
    assert moment.changes_at == (at(*changes_at) if changes_at else None)


def test_the_discussions_show_the_slot_of_the_meetings_clock(meeting, monkeypatch):
    meeting.phase = Meeting.Phase.DISCUSSIONS
    meeting.save()
    make_topic(meeting, title="Freight", cell="A2")
    make_topic(meeting, title="Ports", cell="B3")
    monkeypatch.setattr(clock, "now", lambda: at(14, 20))

    html = fragments.render(meeting, ["now"])

    assert "Now: slot 2" in html and "Freight" in html and "Then: slot 3" in html
    assert 'data-changes-at="2024-05-07T14:40:00+02:00"' in html
    monkeypatch.setattr(clock, "now", lambda: at(14, 42))
    html = fragments.render(meeting, ["now"])
    assert "Next: slot 3" in html and "Ports" in html and "Freight" not in html


def test_the_now_section_stays_empty_outside_the_discussions(meeting):
    make_topic(meeting, title="Freight", cell="A2")

    html = fragments.render(meeting, ["now"])

    assert 'id="now"' in html and "Freight" not in html
