"""The agenda wall: slots down, rooms across, one topic per cell, and its rules.

Every change locks the meeting's row first, so that two facilitators acting at once
are served one after the other and cannot both win the same cell. The database
enforces one topic per cell as a last line of defence.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from . import announce
from .board import conveners_by_topic, grid, in_order
from .errors import AgendaError
from .models import Interest, Meeting, Room, Slot, Topic, cell_code
from .statements import Statement

Status = Topic.Status
# A placement can be suggested (and a suggestion applied) from the agenda until the end.
SUGGESTING_PHASES = (
    Meeting.Phase.AGENDA,
    Meeting.Phase.DISCUSSIONS,
    Meeting.Phase.VERNISSAGE,
    Meeting.Phase.ACTION_PLAN,
    Meeting.Phase.CLOSING,
)


@dataclass(frozen=True)
class Move:
    """One topic of a suggested placement: where it stood when suggested, and its new cell."""

    topic_id: int
    source: tuple[int, int] | None
    """(slot id, room id) when the suggestion was made; None for the tray."""
    slot_id: int
    room_id: int


def _lock_open_meeting(meeting: Meeting) -> Meeting:
    return _require_open(Meeting.objects.locked(meeting.pk))


def _claim_open_meeting(meeting: Meeting) -> Meeting:
    """Lock the meeting and count the change, for a change that ends in `_changed(...,
    claimed=True)` whatever it does, unless it is refused (see `announce.claim`)."""
    return _require_open(announce.claim(meeting.pk))


def _require_open(meeting: Meeting) -> Meeting:
    if meeting.phase == Meeting.Phase.CLOSED:
        raise AgendaError(_("This meeting is closed; reopen it to change the agenda."))
    return meeting


# A change of the wall reads the topics it changes, locked, and those of the slot a topic
# comes into: composed once (see statements.py). A row found by its key needs no order.
_locked_topic = Statement(
    lambda meeting_id, topic_id: (
        Topic.objects.select_for_update(of=("self",))
        .select_related("convener")
        .filter(meeting_id=meeting_id, pk=topic_id)
        .order_by()
    ),
    meeting_id=-1,
    topic_id=-2,
)
_slot_and_merged = Statement(
    lambda meeting_id, slot_id: (
        Topic.objects.filter(Q(slot_id=slot_id) | Q(status=Status.MERGED), meeting_id=meeting_id)
        .select_related("convener")
        .order_by()
    ),
    meeting_id=-1,
    slot_id=-2,
)


def _topic(meeting: Meeting, topic_id: int, *, action: str) -> Topic:
    topic = _locked_topic.one(meeting_id=meeting.pk, topic_id=topic_id)
    if topic is None:
        raise AgendaError(_("That topic is not part of this meeting."))
    if not topic.allows(action):
        raise _not_that_way(topic)
    grid(meeting).seat([topic])
    return topic


def _not_that_way(topic: Topic) -> AgendaError:
    return AgendaError(
        _("“%(title)s” is %(status)s and cannot be changed that way.")
        % {"title": topic.title, "status": topic.get_status_display().lower()}
    )


def _cell(meeting: Meeting, slot_id: int, room_id: int) -> tuple[Slot, Room]:
    layout = grid(meeting)
    slot, room = layout.slot(slot_id), layout.room(room_id)
    if slot is None:
        raise AgendaError(_("That time slot does not exist in this meeting."))
    if room is None:
        raise AgendaError(_("That room does not exist in this meeting."))
    return slot, room


@dataclass(frozen=True)
class _InSlot:
    """What a slot holds, for the checks of a topic coming into it."""

    topics: list[Topic]
    """The topics that hold its cells, other than those coming in."""
    merged: list[Topic]
    """The topics merged into those, or into those coming in: their conveners convene them."""


def _in_slot(meeting: Meeting, slot: Slot, *, coming: Sequence[int]) -> _InSlot:
    """What the slot holds, with the meeting's merged topics (those merged into the slot's
    or into those coming count, see `conveners_by_topic`): one query serves both checks of
    a topic coming into the slot. A meeting merges few topics; a join to find only those
    cost more than reading them all."""
    read = sorted(_slot_and_merged.all(meeting_id=meeting.pk, slot_id=slot.pk), key=in_order)
    topics = [t for t in read if t.slot_id == slot.pk and t.pk not in coming]
    grid(meeting).seat(topics)
    return _InSlot(topics, [t for t in read if t.status == Status.MERGED])


def _require_empty(slot: Slot, room: Room, in_slot: _InSlot) -> None:
    occupant = next((other for other in in_slot.topics if other.room_id == room.pk), None)
    if occupant is not None:
        raise AgendaError(
            _("%(code)s is already taken by “%(title)s”.")
            % {"code": cell_code(room.code, slot.number), "title": occupant.title}
        )


def _require_conveners_free(topic: Topic, slot: Slot, in_slot: _InSlot) -> None:
    """No one who convenes the topic may convene another of the slot's placed topics."""
    others = [other for other in in_slot.topics if other.status == Status.PLACED]
    # The topic's conveners and the others' are read together, from what the slot held.
    everyone = conveners_by_topic([topic, *others], merged=in_slot.merged)
    conveners = everyone[topic.pk].ids
    for other in others:
        theirs = everyone[other.pk]
        clash = conveners & theirs.ids
        if clash:
            person = next(p for p in theirs.people if p.pk in clash)
            raise AgendaError(
                _("%(name)s already convenes %(code)s in slot %(slot)s and cannot be in two rooms.")
                % {
                    "name": person.name,
                    "code": cell_code(other.room.code, slot.number),
                    "slot": slot.number,
                }
            )


def _put(topic: Topic, slot: Slot | None, room: Room | None) -> None:
    """Put the topic in the cell, or in the tray for None.

    An UPDATE without signals: the documents' revision is raised once for the whole change,
    together with the live one, by `_changed`.
    """
    topic.slot, topic.room = slot, room
    topic.status = Status.PLACED if slot is not None else Status.RAISED
    # A pin holds a topic in its cell; back in the tray, there is nothing to hold.
    topic.pinned = topic.pinned and slot is not None
    topic.updated_at = timezone.now()
    Topic.objects.filter(pk=topic.pk).update(
        slot=slot,
        room=room,
        status=topic.status,
        pinned=topic.pinned,
        updated_at=topic.updated_at,
    )


def _changed(
    meeting: Meeting,
    *slot_ids: int | None,
    topics: Iterable[Topic] = (),
    counts_changed: bool = True,
    claimed: bool = False,
) -> None:
    """Announce the rows of the wall that changed, by slot id; None stands for the tray.

    The documents' revision is raised with the live one, always: `_put` writes without
    signals. The people who convene the moved topics are nudged to fetch their own list.
    `counts_changed=False` for a change that leaves every count of the facilitators'
    moderation panel as it was (see `announce.agenda_changed`); `claimed=True` for one
    made on the meeting `_claim_open_meeting` returned, which is counted already.
    """
    people = [t.convener_id for t in topics] + [t.partner_id for t in topics if t.partner_signed]
    announce.agenda_changed(
        meeting,
        slot_ids=slot_ids,
        counts_changed=counts_changed,
        nudge=people,
        claimed=claimed,
    )


@transaction.atomic
def place_topic(*, meeting: Meeting, topic_id: int, slot_id: int, room_id: int) -> Topic:
    """Put a raised topic from the tray into an empty cell."""
    meeting = _claim_open_meeting(meeting)
    topic = _topic(meeting, topic_id, action="place")
    slot, room = _cell(meeting, slot_id, room_id)
    in_slot = _in_slot(meeting, slot, coming=[topic.pk])
    _require_empty(slot, room, in_slot)
    _require_conveners_free(topic, slot, in_slot)
    _put(topic, slot, room)
    _changed(meeting, None, slot.pk, topics=[topic], claimed=True)
    return topic


@transaction.atomic
def move_topic(*, meeting: Meeting, topic_id: int, slot_id: int, room_id: int) -> Topic:
    """Move a placed topic to another empty cell."""
    meeting = _claim_open_meeting(meeting)
    topic = _topic(meeting, topic_id, action="move")
    slot, room = _cell(meeting, slot_id, room_id)
    in_slot = _in_slot(meeting, slot, coming=[topic.pk])
    _require_empty(slot, room, in_slot)
    _require_conveners_free(topic, slot, in_slot)
    before = topic.slot_id
    _put(topic, slot, room)
    # Placed before and after: no count of the moderation panel changes.
    _changed(meeting, before, slot.pk, topics=[topic], counts_changed=False, claimed=True)
    return topic


@transaction.atomic
def swap_topics(*, meeting: Meeting, topic_id: int, other_id: int) -> tuple[Topic, Topic]:
    """Exchange the cells of two topics; a topic from the tray takes the other's cell."""
    meeting = _claim_open_meeting(meeting)
    if topic_id == other_id:
        raise AgendaError(_("A topic cannot be swapped with itself."))
    first = _topic(meeting, topic_id, action="swap")
    second = _topic(meeting, other_id, action="swap")
    if first.slot is None and second.slot is None:
        raise AgendaError(_("Neither topic is on the wall, so there is nothing to swap."))
    first_cell, second_cell = (first.slot, first.room), (second.slot, second.room)
    pair = [first.pk, second.pk]
    if second_cell[0] is not None:
        _require_conveners_free(
            first, second_cell[0], _in_slot(meeting, second_cell[0], coming=pair)
        )
    if first_cell[0] is not None:
        _require_conveners_free(
            second, first_cell[0], _in_slot(meeting, first_cell[0], coming=pair)
        )
    # Clear one cell first so the one-topic-per-cell constraint holds at every step.
    _put(first, None, None)
    _put(second, *first_cell)
    _put(first, *second_cell)
    slot_ids = (cell[0].pk if cell[0] else None for cell in (first_cell, second_cell))
    # Both stay placed, or the tray's topic takes the cell of the one going to the tray:
    # no count of the moderation panel changes.
    _changed(meeting, *slot_ids, topics=[first, second], counts_changed=False, claimed=True)
    return first, second


@transaction.atomic
def unplace_topic(*, meeting: Meeting, topic_id: int) -> Topic:
    """Take a topic off the wall and back into the tray."""
    meeting = _claim_open_meeting(meeting)
    topic = _topic(meeting, topic_id, action="unplace")
    before = topic.slot_id
    _put(topic, None, None)
    _changed(meeting, before, None, topics=[topic], claimed=True)
    return topic


@transaction.atomic
def merge_topics(*, meeting: Meeting, topic_id: int, into_id: int) -> Topic:
    """Merge one topic into another, which keeps its cell and gains its convener."""
    meeting = _claim_open_meeting(meeting)
    if topic_id == into_id:
        raise AgendaError(_("A topic cannot be merged into itself."))
    source = _topic(meeting, topic_id, action="merge")
    target = _topic(meeting, into_id, action="merge")
    if target.slot is not None:
        pair = [source.pk, target.pk]
        _require_conveners_free(source, target.slot, _in_slot(meeting, target.slot, coming=pair))
    before = source.slot_id
    source.slot = source.room = None
    source.status = Status.MERGED
    source.merged_into = target
    source.pinned = False
    source.save(update_fields=["slot", "room", "status", "merged_into", "pinned", "updated_at"])
    # Earlier merges into the source now point at the final topic.
    Topic.objects.filter(merged_into=source).update(merged_into=target)
    already = Interest.objects.filter(topic=target).values_list("participant_id", flat=True)
    Interest.objects.filter(topic=source).exclude(participant_id__in=list(already)).update(
        topic=target
    )
    Interest.objects.filter(topic=source).delete()
    _changed(meeting, before, target.slot_id, topics=[source, target], claimed=True)
    return target


@transaction.atomic
def withdraw_topic(*, meeting: Meeting, topic_id: int) -> Topic:
    """Withdraw a topic from the meeting, freeing its cell if it had one."""
    meeting = _lock_open_meeting(meeting)
    topic = _topic(meeting, topic_id, action="withdraw")
    before, was_on_wall = topic.slot_id, topic.is_on_wall
    topic.slot = topic.room = None
    topic.status = Status.WITHDRAWN
    topic.pinned = False
    topic.save(update_fields=["slot", "room", "status", "pinned", "updated_at"])
    if was_on_wall:
        _changed(meeting, before, topics=[topic])
    else:
        # A draft or a shared topic: only the facilitators' counts show it.
        announce.moderation_changed(meeting)
    return topic


def require_suggesting_phase(meeting: Meeting) -> None:
    """Refuse a suggested placement before the agenda is made or once the meeting is closed."""
    if meeting.phase not in SUGGESTING_PHASES:
        raise AgendaError(
            _(
                "A placement can be suggested from the creation of the agenda until the "
                "meeting closes."
            )
        )


@transaction.atomic
def pin_topic(*, meeting: Meeting, topic_id: int, pinned: bool) -> Topic:
    """Pin a placed topic to its cell, so that a suggestion leaves it there; or unpin it."""
    meeting = _lock_open_meeting(meeting)
    topic = _topic(meeting, topic_id, action="pin")
    if topic.pinned != pinned:
        topic.pinned = pinned
        topic.save(update_fields=["pinned", "updated_at"])
        announce.card_changed(topic)
    return topic


@transaction.atomic
def apply_placement(*, meeting: Meeting, moves: Sequence[Move]) -> list[Topic]:
    """Place and move topics as a suggestion proposed: all of them, or none if a rule fails."""
    meeting = _claim_open_meeting(meeting)
    require_suggesting_phase(meeting)
    if not moves:
        raise AgendaError(_("There is nothing to apply."))
    ids = [move.topic_id for move in moves]
    if len(set(ids)) < len(ids):
        raise AgendaError(_("The suggestion names a topic twice. Ask for a new suggestion."))
    topics = {
        topic.pk: topic
        for topic in Topic.objects.select_for_update(of=("self",))
        .select_related("convener")
        .filter(meeting=meeting, pk__in=ids)
    }
    layout = grid(meeting)
    slots, rooms = layout.slots_by_id, layout.rooms_by_id
    for move in moves:
        _check_move(move, topics.get(move.topic_id), slots, rooms)
    staying = list(
        Topic.objects.filter(meeting=meeting, status=Status.PLACED)
        .exclude(pk__in=ids)
        .select_related("convener")
    )
    _check_wall_after(moves, topics, staying, slots, rooms)
    # Every moving topic leaves its cell before any arrives: applied one by one, a move
    # could meet a cell that a later one frees.
    leaving = [topic.pk for topic in topics.values() if topic.slot_id is not None]
    Topic.objects.filter(pk__in=leaving).update(slot=None, room=None, status=Status.RAISED)
    for move in moves:
        _put(topics[move.topic_id], slots[move.slot_id], rooms[move.room_id])
    changed = [move.source[0] if move.source else None for move in moves]
    _changed(
        meeting, *changed, *(move.slot_id for move in moves), topics=topics.values(), claimed=True
    )
    return [topics[move.topic_id] for move in moves]


def _check_move(
    move: Move, topic: Topic | None, slots: dict[int, Slot], rooms: dict[int, Room]
) -> None:
    """One move of a suggestion still makes sense on the wall as it is now."""
    if topic is None:
        raise AgendaError(_("That topic is not part of this meeting."))
    if not topic.allows("move" if topic.status == Status.PLACED else "place"):
        raise _not_that_way(topic)
    now = (topic.slot_id, topic.room_id) if topic.slot_id is not None else None
    if now != move.source:
        raise AgendaError(
            _("“%(title)s” was moved after the suggestion was made. Ask for a new suggestion.")
            % {"title": topic.title}
        )
    if topic.pinned:
        raise AgendaError(
            _("“%(title)s” is pinned to its cell. Unpin it first, or ask for a new suggestion.")
            % {"title": topic.title}
        )
    if move.slot_id not in slots:
        raise AgendaError(_("That time slot does not exist in this meeting."))
    if move.room_id not in rooms:
        raise AgendaError(_("That room does not exist in this meeting."))


def _check_wall_after(
    moves: Sequence[Move],
    topics: dict[int, Topic],
    staying: list[Topic],
    slots: dict[int, Slot],
    rooms: dict[int, Room],
) -> None:
    """The wall with every move made keeps one topic per cell and no convener in two rooms."""

    def code(cell: tuple[int, int]) -> str:
        return cell_code(rooms[cell[1]].code, slots[cell[0]].number)

    everyone = {topic.pk: topic for topic in staying} | topics
    after = {topic.pk: (topic.slot_id, topic.room_id) for topic in staying}
    holders = {cell: pk for pk, cell in after.items()}
    for move in moves:
        cell = (move.slot_id, move.room_id)
        holder = holders.get(cell)
        if holder in topics:
            raise AgendaError(
                _("The suggestion puts “%(first)s” and “%(second)s” both in %(code)s.")
                % {
                    "first": topics[holder].title,
                    "second": topics[move.topic_id].title,
                    "code": code(cell),
                }
            )
        if holder is not None:
            raise AgendaError(
                _("%(code)s is already taken by “%(title)s”.")
                % {"code": code(cell), "title": everyone[holder].title}
            )
        after[move.topic_id] = cell
        holders[cell] = move.topic_id
    conveners = conveners_by_topic(list(everyone.values()))
    in_slot: dict[int, list[int]] = defaultdict(list)
    for pk, (slot_id, _room_id) in after.items():
        in_slot[slot_id].append(pk)
    for move in moves:
        mine = conveners[move.topic_id]
        for other in in_slot[move.slot_id]:
            clash = mine.ids & conveners[other].ids if other != move.topic_id else set()
            if clash:
                person = next(p for p in mine.people if p.pk in clash)
                raise AgendaError(
                    _(
                        "%(name)s already convenes %(code)s in slot %(slot)s and cannot be "
                        "in two rooms."
                    )
                    % {
                        "name": person.name,
                        "code": code(after[other]),
                        "slot": slots[move.slot_id].number,
                    }
                )
