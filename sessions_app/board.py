"""The one read model of the agenda wall: its cells, who convenes each topic, interest, warnings.

The projector, the phones, the meeting page, the PDF and the .ics all read the wall
through `build_board`, so they name the same conveners and codes. Everything is read in
a fixed number of queries: a wall of 30 topics costs what a wall of 3 does.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from operator import attrgetter

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from . import placement
from .kept import Kept
from .models import Interest, Meeting, Participant, Room, Slot, Topic, cell_code
from .statements import Statement

Status = Topic.Status


@dataclass(frozen=True)
class Conveners:
    """Who convenes a topic, and the titles of the topics merged into it."""

    people: list[Participant]
    merged_titles: list[str]

    @property
    def ids(self) -> set[int]:
        return {person.pk for person in self.people}


def conveners_by_topic(
    topics: Sequence[Topic], *, merged: Iterable[Topic] | None = None
) -> dict[int, Conveners]:
    """Everyone who convenes each topic, in at most two queries however many topics there
    are: the topics merged into them, and the partners who co-signed.

    A topic is convened by its convener, by a partner who co-signed it in the pair
    step, and by the conveners (and co-signers) of the topics merged into it. A caller
    that read the merged topics with the others, each with its convener, passes them as
    `merged`, which saves the first query; those merged into other topics are ignored.
    """
    ids = {topic.pk for topic in topics}
    if merged is None:
        merged = Topic.objects.filter(merged_into_id__in=ids, status=Status.MERGED)
        merged = merged.select_related("convener").order_by()  # sorted below
    sources: dict[int, list[Topic]] = defaultdict(list)
    for source in sorted(merged, key=lambda source: source.pk):
        if source.merged_into_id in ids:
            sources[source.merged_into_id].append(source)
    everyone = [*topics, *(source for group in sources.values() for source in group)]
    partner_ids = {t.partner_id for t in everyone if t.partner_signed and t.partner_id}
    partners = Participant.objects.in_bulk(partner_ids) if partner_ids else {}
    result = {}
    for topic in topics:
        people = []
        for convening in [topic, *sources[topic.pk]]:
            people.append(convening.convener)
            if convening.partner_signed and convening.partner_id in partners:
                people.append(partners[convening.partner_id])
        unique = list({person.pk: person for person in people}.values())
        result[topic.pk] = Conveners(unique, [source.title for source in sources[topic.pk]])
    return result


def conveners_of(topic: Topic) -> set[int]:
    """Ids of everyone who convenes a topic."""
    return conveners_by_topic([topic])[topic.pk].ids


@dataclass
class Card:
    """One topic as the wall shows it, in a cell or in the tray."""

    topic: Topic
    conveners: list[Participant]
    merged_titles: list[str]
    interest: int
    warnings: list[str] = field(default_factory=list)

    @property
    def people(self) -> list[int]:
        return [person.pk for person in self.conveners]

    @property
    def names(self) -> list[str]:
        return [person.name for person in self.conveners]

    @property
    def people_attr(self) -> str:
        return " ".join(str(pk) for pk in self.people)


@dataclass
class Cell:
    slot: Slot
    room: Room
    card: Card | None

    @property
    def code(self) -> str:
        return cell_code(self.room.code, self.slot.number)

    @property
    def slot_id(self) -> int:
        return self.slot.pk

    @property
    def room_id(self) -> int:
        return self.room.pk


@dataclass
class Row:
    slot: Slot
    cells: list[Cell]


@dataclass
class Board:
    rooms: list[Room]
    rows: list[Row]
    tray: list[Card]
    wall: placement.Instance
    """The same wall as plain data, for the smart wall's scores and suggestions."""

    @cached_property
    def score(self) -> placement.Score:
        """Clashes and people over capacity of the wall as it stands."""
        return placement.score_wall(self.wall)

    @property
    def placed(self) -> list[Card]:
        """The placed topics' cards, slot by slot and room by room."""
        return [cell.card for row in self.rows for cell in row.cells if cell.card]

    def cards(self) -> list[Card]:
        """Every card on the wall: the placed ones, then the tray."""
        return self.placed + self.tray


@dataclass(frozen=True)
class Grid:
    """A meeting's rooms (across) and slots (down), each in the wall's order."""

    rooms: list[Room]
    slots: list[Slot]

    @cached_property
    def slots_by_id(self) -> dict[int, Slot]:
        return {slot.pk: slot for slot in self.slots}

    @cached_property
    def rooms_by_id(self) -> dict[int, Room]:
        return {room.pk: room for room in self.rooms}

    def slot(self, pk: int | None) -> Slot | None:
        return self.slots_by_id.get(pk)

    def room(self, pk: int | None) -> Room | None:
        return self.rooms_by_id.get(pk)

    def has_cell(self, slot_id: int | None, room_id: int | None) -> bool:
        return slot_id in self.slots_by_id and room_id in self.rooms_by_id

    def seat(self, topics: Iterable[Topic]) -> None:
        """Give each topic in a cell of the grid its slot and room, so that neither (nor
        `topic.code`) needs a query of its own."""
        for topic in topics:
            if self.has_cell(topic.slot_id, topic.room_id):
                topic.slot = self.slots_by_id[topic.slot_id]
                topic.room = self.rooms_by_id[topic.room_id]


# Each meeting's slots and rooms, as their fields' values, by the meeting's grid version:
# they change during setup, and are read with every change of the wall (two queries of
# the seven that a move and its broadcast read before a phone has it).
_grids: Kept[tuple[list[tuple], list[tuple]]] = Kept(64)
ROOM_FIELDS = [field.attname for field in Room._meta.concrete_fields]
SLOT_FIELDS = [field.attname for field in Slot._meta.concrete_fields]


def grid(meeting: Meeting, *, kept: bool = True) -> Grid:
    """The meeting's rooms and slots as of the meeting read: kept by its `grid_version`,
    which every save or delete of one renews (signals.py). New objects each time, so that
    no caller shares one with another. `kept=False` reads them as they are now."""
    key = (meeting.pk, meeting.grid_version)
    rows = _grids.get(key) if kept else None
    if rows is None:
        rows = (
            list(meeting.rooms.values_list(*ROOM_FIELDS)),
            list(meeting.slots.values_list(*SLOT_FIELDS)),
        )
        # Kept only if they are still the version's: a copy of the meeting read before a
        # change of its slots or rooms must not keep the new rows under the old version.
        # (A version raised in a transaction that is then rolled back is never given
        # again: what was kept under it is never found.)
        if (
            kept
            and Meeting.objects.filter(pk=meeting.pk, grid_version=meeting.grid_version).exists()
        ):
            _grids.put(key, rows)
    rooms, slots = rows
    db = meeting._state.db
    return Grid(
        rooms=[Room.from_db(db, ROOM_FIELDS, row) for row in rooms],
        slots=[Slot.from_db(db, SLOT_FIELDS, row) for row in slots],
    )


def seated(meeting: Meeting, topics: Iterable[Topic]) -> Grid:
    """The meeting's grid, with each of these topics given its slot and room from it.

    A meeting read before its grid changed (a delivery made after a later setup change, or
    a page read while a room is added) may meet topics in cells its grid does not have:
    then the grid is read anew, never a topic's slot and room one query at a time."""
    topics = list(topics)
    layout = grid(meeting)
    if not all(layout.has_cell(topic.slot_id, topic.room_id) for topic in topics if topic.slot_id):
        layout = grid(meeting, kept=False)
    layout.seat(topics)
    return layout


# A topic's place in its meeting's order, for topics read without an ORDER BY.
in_order = attrgetter(*Topic._meta.ordering)


# The wall's two reads, composed once (see statements.py). Merged topics are read with
# the wall's, for the conveners of those they were merged into.
_wall_topics = Statement(
    lambda meeting_id: (
        Topic.objects.filter(meeting_id=meeting_id, status__in=[*Topic.ON_WALL, Status.MERGED])
        .select_related("convener")
        .order_by()
    ),
    meeting_id=-1,
)
_interests = Statement(
    lambda meeting_id: (
        Interest.objects.filter(topic__meeting_id=meeting_id)
        .order_by()
        .values_list("topic_id", "participant_id")
    ),
    meeting_id=-1,
)


def build_board(meeting: Meeting) -> Board:
    """Read the wall with its conveners, interest counts and warnings."""
    # In the topics' order (the tray's), sorted here: composing the ORDER BY cost a third
    # of the query.
    read = sorted(_wall_topics.all(meeting_id=meeting.pk), key=in_order)
    topics = [topic for topic in read if topic.status != Status.MERGED]
    placed = [topic for topic in topics if topic.status == Status.PLACED]
    layout = seated(meeting, placed)
    rooms, slots = layout.rooms, layout.slots
    interested: dict[int, set[int]] = defaultdict(set)
    for topic_id, person in _interests.all(meeting_id=meeting.pk):
        interested[topic_id].add(person)
    merged = [topic for topic in read if topic.status == Status.MERGED]
    conveners = conveners_by_topic(topics, merged=merged)
    cards = {}
    for topic in topics:
        cards[topic.pk] = Card(
            topic=topic,
            conveners=conveners[topic.pk].people,
            merged_titles=conveners[topic.pk].merged_titles,
            interest=len(interested[topic.pk]),
        )
    by_cell = {(t.slot_id, t.room_id): cards[t.pk] for t in placed}
    rows = [
        Row(slot, [Cell(slot, room, by_cell.get((slot.pk, room.pk))) for room in rooms])
        for slot in slots
    ]
    wall = placement.Instance(
        slots=[placement.Slot(slot.pk) for slot in slots],
        rooms=[placement.Room(room.pk, room.capacity) for room in rooms],
        topics=[
            placement.TopicIn(
                topic.pk,
                frozenset(conveners[topic.pk].ids),
                frozenset(interested[topic.pk]),
                cell=(topic.slot_id, topic.room_id) if topic.status == Status.PLACED else None,
                pinned=topic.pinned and topic.status == Status.PLACED,
            )
            for topic in topics
        ],
    )
    _warn(rows)
    _warn_shared_interest(wall, cards)
    tray = [cards[t.pk] for t in topics if t.status == Status.RAISED]
    return Board(rooms=rooms, rows=rows, tray=tray, wall=wall)


def _warn(rows: list[Row]) -> None:
    """Mark crowded rooms and people who convene two topics in one slot."""
    for row in rows:
        by_person: dict[int, list[Cell]] = defaultdict(list)
        for cell in row.cells:
            if cell.card is None:
                continue
            capacity = cell.room.capacity
            if capacity is not None and cell.card.interest > capacity:
                cell.card.warnings.append(
                    _("%(code)s: %(count)s want to join, room %(room)s holds %(capacity)s.")
                    % {
                        "code": cell.code,
                        "count": cell.card.interest,
                        "room": cell.room.code,
                        "capacity": capacity,
                    }
                )
            for person in cell.card.conveners:
                by_person[person.pk].append(cell)
        for pk, cells in by_person.items():
            if len(cells) < 2:
                continue
            name = next(p.name for p in cells[0].card.conveners if p.pk == pk)
            codes = ", ".join(c.code for c in cells)
            for cell in cells:
                cell.card.warnings.append(
                    _("%(name)s convenes %(codes)s at the same time.")
                    % {"name": name, "codes": codes}
                )


def _warn_shared_interest(wall: placement.Instance, cards: dict[int, Card]) -> None:
    """Mark both cards of two topics in one slot that many of the same people want."""
    for pair in placement.shared_interest(wall):
        topic, other = cards[pair.topic].topic, cards[pair.other].topic
        text = ngettext(
            "%(topic)s and %(other)s share %(shared)s of the %(wanted)s person "
            "interested in %(topic)s.",
            "%(topic)s and %(other)s share %(shared)s of the %(wanted)s people "
            "interested in %(topic)s.",
            pair.wanted,
        ) % {
            "topic": topic.code,
            "other": other.code,
            "shared": pair.shared,
            "wanted": pair.wanted,
        }
        cards[pair.topic].warnings.append(text)
        cards[pair.other].warnings.append(text)
