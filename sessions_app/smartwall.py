"""The smart wall on the projector: a suggested placement, previewed in one browser.

`board` reads the wall once, with its interest, as `placement`'s plain data (`Board.wall`),
and warns of shared interest there. This module turns a suggestion into what the
facilitator's browser shows (ghost cards in their proposed cells, the scores before and
after, the topics that stay in the tray and why) and back: the preview lives in that page,
as form values that `read_moves` reads when the facilitator applies it. `agenda` checks
every rule again then, so a preview that the wall has outgrown is refused, never applied.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from . import agenda
from .agenda import Move
from .board import Board, Card, build_board
from .board import Cell as BoardCell
from .errors import AgendaError
from .models import Meeting, Topic
from .placement import Cell, Reason, Score, Suggestion, Unplaced, cells_of, score_wall

# A wall has at most a few hundred cells; a preview with more moves was not made here
# (and a form of more than 1,000 fields is refused by Django before it reaches us).
MOVES_MAX = 500
_ID = "[0-9]{1,15}"
MOVE_VALUE = re.compile(rf"({_ID}):(?:({_ID}):({_ID})|:):({_ID}):({_ID})")
UNPLACED_VALUE = re.compile(rf"({_ID}):({'|'.join(Reason)}):((?:{_ID}(?:\.{_ID})*)?)")


@dataclass(frozen=True)
class Ghost:
    """A topic in the cell the suggestion proposes for it, not yet there."""

    move: Move
    card: Card
    source_code: str
    """The cell it leaves, or "" for the tray."""
    target_code: str

    @property
    def value(self) -> str:
        return move_value(self.move)


@dataclass(frozen=True)
class Left:
    """A raised topic the suggestion could not place, and why."""

    unplaced: Unplaced
    card: Card
    reason: str

    @property
    def value(self) -> str:
        blocking = ".".join(str(pk) for pk in self.unplaced.blocking)
        return f"{self.unplaced.topic}:{self.unplaced.reason}:{blocking}"


@dataclass(frozen=True)
class Preview:
    """What the facilitator sees of a suggestion before applying it."""

    ghosts: list[Ghost]
    left: list[Left]
    before: Score
    after: Score


def board_for_suggestion(meeting: Meeting) -> Board:
    """The wall to suggest a placement for, in a phase that allows suggestions."""
    agenda.require_suggesting_phase(meeting)
    return build_board(meeting)


def moves_of(suggestion: Suggestion, board: Board) -> list[Move]:
    """The suggestion's changes as moves from where each topic stands, in the wall's order."""
    now = cells_of(board.wall)
    order = {(cell.slot_id, cell.room_id): i for i, cell in enumerate(_cells(board))}
    moves = [Move(pk, now.get(pk), *cell) for pk, cell in suggestion.changes.items()]
    return sorted(moves, key=lambda move: order[(move.slot_id, move.room_id)])


def move_value(move: Move) -> str:
    """A move as the preview's form holds it: topic:from slot:from room:to slot:to room."""
    source = f"{move.source[0]}:{move.source[1]}" if move.source else ":"
    return f"{move.topic_id}:{source}:{move.slot_id}:{move.room_id}"


def _unreadable() -> AgendaError:
    return AgendaError(_("This suggestion cannot be read. Ask for a new one."))


def read_moves(values: Iterable[str]) -> list[Move]:
    """The moves a preview's form sent back; anything else is refused whole."""
    values = list(values)
    if len(values) > MOVES_MAX:
        raise _unreadable()
    moves = []
    for value in values:
        found = MOVE_VALUE.fullmatch(value)
        if found is None:
            raise _unreadable()
        topic, from_slot, from_room, slot, room = found.groups()
        source = (int(from_slot), int(from_room)) if from_slot else None
        moves.append(Move(int(topic), source, int(slot), int(room)))
    return moves


def read_unplaced(values: Iterable[str]) -> list[Unplaced]:
    """The topics a preview's form says stay in the tray, with their reasons."""
    values = list(values)
    if len(values) > MOVES_MAX:
        raise _unreadable()
    left = []
    for value in values:
        found = UNPLACED_VALUE.fullmatch(value)
        if found is None:
            raise _unreadable()
        topic, reason, blocking = found.groups()
        ids = tuple(int(pk) for pk in blocking.split(".") if pk)
        left.append(Unplaced(int(topic), Reason(reason), ids))
    return left


def _cells(board: Board) -> list[BoardCell]:
    return [cell for row in board.rows for cell in row.cells]


def preview(board: Board, moves: Iterable[Move], unplaced: Iterable[Unplaced]) -> Preview:
    """The suggestion on the wall as it stands now: ghosts, scores, and the tray's reasons.

    Moves of topics that left the wall meanwhile are not shown; the rest are, even if the
    wall changed under them, and applying them says what no longer holds.
    """
    cards = {card.topic.pk: card for card in board.cards()}
    codes = {(cell.slot_id, cell.room_id): cell.code for cell in _cells(board)}
    ghosts = [
        Ghost(move, cards[move.topic_id], codes.get(move.source, ""), codes[target])
        for move in moves
        if move.topic_id in cards and (target := (move.slot_id, move.room_id)) in codes
    ]
    placement: dict[int, Cell] = cells_of(board.wall)
    placement |= {ghost.move.topic_id: (ghost.move.slot_id, ghost.move.room_id) for ghost in ghosts}
    left = [
        Left(item, cards[item.topic], _reason(item, placement, codes))
        for item in unplaced
        if item.topic in cards and cards[item.topic].topic.status == Topic.Status.RAISED
    ]
    return Preview(ghosts, left, board.score, score_wall(board.wall, placement))


def _reason(item: Unplaced, placement: dict[int, Cell], codes: dict[Cell, str]) -> str:
    if item.reason == Reason.NO_FREE_CELL:
        return _("Every cell of the wall is taken.")
    found = [codes[placement[pk]] for pk in item.blocking if pk in placement]
    return ngettext(
        "Its conveners already convene %(codes)s, in the only slot with a free cell.",
        "Its conveners already convene %(codes)s, one in each slot with a free cell.",
        len(found),
    ) % {"codes": ", ".join(found)}


def applied_message(topics: list[Topic]) -> str:
    """What the board says once moves are applied."""
    if len(topics) == 1:
        return _("“%(title)s” is now in %(code)s.") % {
            "title": topics[0].title,
            "code": topics[0].code,
        }
    return ngettext(
        "%(count)s topic is now where the suggestion put it.",
        "%(count)s topics are now where the suggestion put them.",
        len(topics),
    ) % {"count": len(topics)}
