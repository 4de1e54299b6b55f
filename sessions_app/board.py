"""What the agenda wall shows beyond its grid: who convenes, how many want in, and warnings.

Everything is read in a fixed number of queries, so a wall of 30 topics costs what a
wall of 3 does.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Count
from django.utils.translation import gettext as _

from . import agenda
from .models import Interest, Meeting, Topic

Status = Topic.Status


@dataclass
class Card:
    """One topic as the wall shows it, in a cell or in the tray."""

    topic: Topic
    people: list[int]
    names: list[str]
    merged_titles: list[str]
    interest: int
    warnings: list[str] = field(default_factory=list)

    @property
    def people_attr(self) -> str:
        return " ".join(str(pk) for pk in self.people)


@dataclass
class Cell:
    slot_id: int
    room_id: int
    code: str
    card: Card | None


@dataclass
class Row:
    slot: object
    cells: list[Cell]


@dataclass
class Board:
    rooms: list
    rows: list[Row]
    tray: list[Card]


def build_board(meeting: Meeting) -> Board:
    """Read the wall with its conveners, interest counts and warnings."""
    grid = agenda.build_grid(meeting)
    topics = [t for row in grid.rows for t in row.cells if t] + grid.tray
    ids = [t.pk for t in topics]
    counts = dict(
        Interest.objects.filter(topic_id__in=ids)
        .values_list("topic_id")
        .annotate(n=Count("pk"))
        .values_list("topic_id", "n")
    )
    conveners = agenda.conveners_by_topic(topics)

    def card(topic: Topic) -> Card:
        people = conveners[topic.pk].people
        return Card(
            topic=topic,
            people=[p.pk for p in people],
            names=[p.name for p in people],
            merged_titles=conveners[topic.pk].merged_titles,
            interest=counts.get(topic.pk, 0),
        )

    rows = []
    for grid_row in grid.rows:
        cells = []
        for room, topic in zip(grid.rooms, grid_row.cells, strict=True):
            code = f"{room.code}{grid_row.slot.number}"
            cells.append(Cell(grid_row.slot.pk, room.pk, code, card(topic) if topic else None))
        rows.append(Row(grid_row.slot, cells))
    _warn(grid.rooms, rows)
    return Board(rooms=grid.rooms, rows=rows, tray=[card(t) for t in grid.tray])


def _warn(rooms: list, rows: list[Row]) -> None:
    """Mark crowded rooms and people who convene two topics in one slot."""
    for row in rows:
        by_person: dict[int, list[Cell]] = defaultdict(list)
        for room, cell in zip(rooms, row.cells, strict=True):
            if cell.card is None:
                continue
            if room.capacity is not None and cell.card.interest > room.capacity:
                cell.card.warnings.append(
                    _("%(code)s: %(count)s want to join, room %(room)s holds %(capacity)s.")
                    % {
                        "code": cell.code,
                        "count": cell.card.interest,
                        "room": room.code,
                        "capacity": room.capacity,
                    }
                )
            for pk in cell.card.people:
                by_person[pk].append(cell)
        for pk, cells in by_person.items():
            if len(cells) < 2:
                continue
            card = cells[0].card
            name = card.names[card.people.index(pk)]
            codes = ", ".join(c.code for c in cells)
            for cell in cells:
                cell.card.warnings.append(
                    _("%(name)s convenes %(codes)s at the same time.")
                    % {"name": name, "codes": codes}
                )
