"""Setting a meeting up: generating its time slots, and copying a setup to a new meeting."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.db.models import Max
from django.utils import translation
from django.utils.text import Truncator
from django.utils.translation import gettext as _

from . import realtime
from .models import Facilitator, Link, Meeting, Room, Slot, Topic

MAX_SLOTS = 12


class SetupError(Exception):
    """A setup change that would break the meeting; the message is for the facilitator."""


def slot_times(
    *, first_starts: dt.time, length: int, gap: int, count: int
) -> list[tuple[dt.time, dt.time]]:
    """The start and end of `count` slots of `length` minutes with `gap` minutes between."""
    if not 1 <= count <= MAX_SLOTS:
        raise SetupError(_("A meeting has from 1 to %(max)s slots.") % {"max": MAX_SLOTS})
    if length < 5:
        raise SetupError(_("A slot lasts at least 5 minutes."))
    if gap < 0:
        raise SetupError(_("The gap between slots cannot be negative."))
    day = dt.datetime.combine(dt.date.min, first_starts)
    times = []
    for index in range(count):
        starts = day + dt.timedelta(minutes=index * (length + gap))
        ends = starts + dt.timedelta(minutes=length)
        if ends.date() != day.date():
            raise SetupError(_("The last slot would end after midnight."))
        times.append((starts.time(), ends.time()))
    return times


@transaction.atomic
def generate_slots(
    *, meeting: Meeting, first_starts: dt.time, length: int, gap: int, count: int
) -> list[Slot]:
    """Give the meeting `count` evenly spaced slots, keeping the topics placed in them.

    Slots keep their numbers, so a topic in slot 2 stays in slot 2 at its new time.
    Slots past the new count are removed only when no topic is placed in them.
    """
    meeting = Meeting.objects.select_for_update().get(pk=meeting.pk)
    times = slot_times(first_starts=first_starts, length=length, gap=gap, count=count)
    doomed = meeting.slots.filter(number__gt=count)
    occupied = Topic.objects.filter(slot__in=doomed).select_related("slot").first()
    if occupied is not None:
        raise SetupError(
            _("Slot %(number)s still holds “%(title)s”; move it before removing the slot.")
            % {"number": occupied.slot.number, "title": occupied.title}
        )
    doomed.delete()
    existing = {slot.number: slot for slot in meeting.slots.all()}
    slots = []
    for number, (starts, ends) in enumerate(times, start=1):
        slot = existing.get(number) or Slot(meeting=meeting, number=number)
        slot.starts, slot.ends = starts, ends
        slot.save()
        slots.append(slot)
    realtime.announce_setup(meeting)
    return slots


@transaction.atomic
def copy_setup(*, meeting: Meeting) -> Meeting:
    """Start the series' next meeting from this one's setup: no topics, reports or plan."""
    number = None
    if meeting.number is not None:
        taken = meeting.series.meetings.aggregate(Max("number")) if meeting.series else {}
        number = max(meeting.number, taken.get("number__max") or 0) + 1
    with translation.override(meeting.language):
        title = _("Copy of %(title)s") % {"title": meeting.title}
    copy = Meeting.objects.create(
        series=meeting.series,
        number=number,
        title=Truncator(title).chars(Meeting._meta.get_field("title").max_length),
        language=meeting.language,
        location=meeting.location,
        purpose=list(meeting.purpose),
        participants=meeting.participants,
        method=meeting.method,
        lookback=[*meeting.lookback, *([meeting.theme] if meeting.theme else [])],
        agenda_intro=meeting.agenda_intro,
    )
    for facilitator in meeting.facilitators.all():
        Facilitator.objects.create(
            meeting=copy,
            name=facilitator.name,
            role=facilitator.role,
            user=facilitator.user,
            position=facilitator.position,
        )
    for link in meeting.links.all():
        Link.objects.create(meeting=copy, title=link.title, url=link.url, position=link.position)
    for slot in meeting.slots.all():
        Slot.objects.create(meeting=copy, number=slot.number, starts=slot.starts, ends=slot.ends)
    for room in meeting.rooms.all():
        Room.objects.create(
            meeting=copy,
            code=room.code,
            name=room.name,
            capacity=room.capacity,
            position=room.position,
        )
    return copy
