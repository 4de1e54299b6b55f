"""A wall as plain data: its slots, rooms and topics, and what is wrong with how it stands.

Every count treats a topic's conveners as wanting it too, so a convener who marked
another topic of their own slot is a clash like anyone else's.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass

Cell = tuple[int, int]
"""(slot id, room id)."""

# A pair of topics in one slot is worth a warning when at least this many people want
# both, and when they are at least a third of those who want the smaller one.
SHARED_AT_LEAST = 3
SHARED_DIVISOR = 3


class InstanceError(ValueError):
    """A wall that breaks its own rules as given; the message names what."""


@dataclass(frozen=True)
class Slot:
    """A time slot; a wall lists its slots in time order."""

    id: int


@dataclass(frozen=True)
class Room:
    """A room; a capacity of None holds everyone."""

    id: int
    capacity: int | None = None


@dataclass(frozen=True)
class TopicIn:
    """A raised or placed topic: who convenes it, who marked it, and where it is."""

    id: int
    conveners: frozenset[int]
    interested: frozenset[int] = frozenset()
    cell: Cell | None = None
    pinned: bool = False

    @property
    def wanted(self) -> frozenset[int]:
        """Everyone who wants to be there: those who marked it and its conveners."""
        return self.conveners | self.interested


@dataclass(frozen=True)
class Instance:
    """A whole wall: slots in time order, rooms in wall order, topics in a stable order."""

    slots: tuple[Slot, ...]
    rooms: tuple[Room, ...]
    topics: tuple[TopicIn, ...]

    def __post_init__(self) -> None:
        for name in ("slots", "rooms", "topics"):
            object.__setattr__(self, name, tuple(getattr(self, name)))
        _validate(self)


def _validate(instance: Instance) -> None:
    for name in ("slots", "rooms", "topics"):
        ids = [item.id for item in getattr(instance, name)]
        repeated = sorted(id_ for id_, n in Counter(ids).items() if n > 1)
        if repeated:
            raise InstanceError(f"{name}: id {repeated[0]} appears more than once")
    slot_ids = {slot.id for slot in instance.slots}
    room_ids = {room.id for room in instance.rooms}
    for room in instance.rooms:
        if room.capacity is not None and room.capacity < 0:
            raise InstanceError(f"room {room.id}: capacity {room.capacity} is negative")
    taken: dict[Cell, int] = {}
    for topic in instance.topics:
        if not topic.conveners:
            raise InstanceError(f"topic {topic.id}: no convener")
        if topic.cell is None:
            if topic.pinned:
                raise InstanceError(f"topic {topic.id}: pinned but not placed")
            continue
        slot, room = topic.cell
        if slot not in slot_ids or room not in room_ids:
            raise InstanceError(f"topic {topic.id}: cell {topic.cell} is not on this wall")
        if topic.cell in taken:
            raise InstanceError(
                f"topic {topic.id}: cell {topic.cell} is taken by topic {taken[topic.cell]}"
            )
        taken[topic.cell] = topic.id


def cells_of(instance: Instance) -> dict[int, Cell]:
    """Where each placed topic stands now."""
    return {topic.id: topic.cell for topic in instance.topics if topic.cell is not None}


@dataclass(frozen=True)
class Score:
    """How a wall serves its people; lower is better for every figure."""

    clashes: int
    """Per person and slot, every wanted topic beyond the first."""
    people_choosing: int
    """People who must choose between two wanted topics in one slot."""
    over_capacity: int
    """People beyond a room's capacity, summed over the placed topics."""


def score_wall(instance: Instance, placement: Mapping[int, Cell] | None = None) -> Score:
    """Score a placement of the wall; by default, the wall as it stands."""
    placement = cells_of(instance) if placement is None else placement
    capacity = {room.id: room.capacity for room in instance.rooms}
    wanted_in_slot: dict[int, Counter[int]] = {}
    over = 0
    for topic in instance.topics:
        cell = placement.get(topic.id)
        if cell is None:
            continue
        wanted_in_slot.setdefault(cell[0], Counter()).update(topic.wanted)
        room_capacity = capacity[cell[1]]
        if room_capacity is not None:
            over += max(0, len(topic.wanted) - room_capacity)
    clashes = 0
    choosing: set[int] = set()
    for counts in wanted_in_slot.values():
        for person, n in counts.items():
            if n > 1:
                clashes += n - 1
                choosing.add(person)
    return Score(clashes=clashes, people_choosing=len(choosing), over_capacity=over)


@dataclass(frozen=True)
class SharedInterest:
    """Two topics of one slot that many of the same people want: `shared` of the `wanted`
    people who want `topic` (the less wanted of the two) also want `other`."""

    slot: int
    topic: int
    other: int
    shared: int
    wanted: int


def shared_interest(
    instance: Instance, placement: Mapping[int, Cell] | None = None
) -> list[SharedInterest]:
    """Pairs of topics in one slot that share enough people to warn both cards."""
    placement = cells_of(instance) if placement is None else placement
    by_slot: dict[int, list[TopicIn]] = {slot.id: [] for slot in instance.slots}
    for topic in instance.topics:
        if topic.id in placement:
            by_slot[placement[topic.id][0]].append(topic)
    found = []
    for slot, topics in by_slot.items():
        for i, first in enumerate(topics):
            for second in topics[i + 1 :]:
                smaller, other = (
                    (first, second) if len(first.wanted) <= len(second.wanted) else (second, first)
                )
                shared = len(first.wanted & second.wanted)
                wanted = len(smaller.wanted)
                if shared >= SHARED_AT_LEAST and shared * SHARED_DIVISOR >= wanted:
                    found.append(SharedInterest(slot, smaller.id, other.id, shared, wanted))
    return found
