"""Setting a meeting up: its details, rooms and time slots, and copying a setup to a new meeting.

Each write locks the meeting (when it exists), validates, saves, and announces the change,
so that every open projector and phone shows the new setup.
"""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.models import AbstractUser
from django.db import transaction
from django.db.models import Max, QuerySet
from django.forms import BaseFormSet, ModelForm
from django.utils import translation
from django.utils.text import Truncator
from django.utils.translation import gettext as _

from . import announce
from .errors import SetupError
from .models import MAX_SLOTS, Facilitator, Link, Meeting, Participant, Room, Slot, Topic
from .permissions import can_facilitate


def _lock_open(meeting_id: int) -> Meeting:
    """Lock the meeting; a closed one keeps the setup its documentation was made from."""
    meeting = Meeting.objects.locked(meeting_id)
    if meeting.phase == Meeting.Phase.CLOSED:
        raise SetupError(
            _("This meeting is closed; reopen it into its closing to change its setup.")
        )
    return meeting


@transaction.atomic
def save_meeting(
    *,
    form: ModelForm,
    facilitators: BaseFormSet,
    links: BaseFormSet,
    user: AbstractUser,
) -> Meeting | None:
    """Save a meeting's details, facilitators and links if they are valid; else None.

    The forms are checked while the meeting is locked. Whoever creates a meeting may
    run it, even without rights to all meetings. A closed meeting is refused (SetupError).
    """
    creating = form.instance.pk is None
    if not creating:
        _lock_open(form.instance.pk)
    if not (form.is_valid() and facilitators.is_valid() and links.is_valid()):
        return None
    meeting = form.save()
    facilitators.instance = links.instance = meeting
    facilitators.save()
    links.save()
    if creating and not can_facilitate(user, meeting):
        Facilitator.objects.create(
            meeting=meeting,
            user=user,
            name=user.get_full_name() or user.get_username(),
            position=meeting.facilitators.count(),
        )
    announce.setup_changed(meeting)
    return meeting


@transaction.atomic
def save_meeting_part(part: Facilitator | Link | Slot | Room | Participant | Topic) -> None:
    """Save one row of a meeting edited in the admin, then tell every open page."""
    meeting = Meeting.objects.locked(part.meeting_id)
    part.save()
    announce.setup_changed(meeting)


@transaction.atomic
def delete_meeting_part(part: Facilitator | Link | Slot | Room | Participant | Topic) -> None:
    """Delete one row of a meeting from the admin, then tell every open page."""
    meeting = Meeting.objects.locked(part.meeting_id)
    part.delete()
    announce.setup_changed(meeting)


@transaction.atomic
def save_rooms(*, meeting: Meeting, formset: BaseFormSet) -> bool:
    """Save the meeting's rooms if the formset is valid, checked while the meeting is locked."""
    _lock_open(meeting.pk)
    if not formset.is_valid():
        return False
    formset.save()
    announce.setup_changed(meeting)
    return True


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
    meeting = _lock_open(meeting.pk)
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
    announce.setup_changed(meeting)
    return slots


def _copy_rows(rows: QuerySet, meeting: Meeting, fields: list[str]) -> None:
    """Give `meeting` a copy of each row, with these fields."""
    model = rows.model
    model.objects.bulk_create(
        model(meeting=meeting, **{name: getattr(row, name) for name in fields}) for row in rows
    )


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
    _copy_rows(meeting.facilitators.all(), copy, ["name", "role", "user", "position"])
    _copy_rows(meeting.links.all(), copy, ["title", "url", "position"])
    # In bulk, without signals: the copy's grid (board.grid) has never been read.
    _copy_rows(meeting.slots.all(), copy, ["number", "starts", "ends"])
    _copy_rows(meeting.rooms.all(), copy, ["code", "name", "capacity", "position"])
    return copy
