"""A suggested placement of the raised topics, best first by four rules in order: place every
topic that can be placed, fewest clashes, fewest people over capacity, earlier slots first.

The search decides only which slot each topic goes to: given a slot's topics, the best
rooms for them are known (the most wanted topic in the biggest room, and so on down), so
capacity is scored exactly without searching over rooms. It starts from a greedy
placement and improves it by simulated annealing, with a fixed seed and a fixed number of
steps so that the same wall always gets the same suggestion; docs/placement.md measures
why this method and not an exact solver.
"""

from __future__ import annotations

import itertools
import math
import random
from dataclasses import dataclass
from enum import StrEnum

from .wall import Cell, Instance, Score, cells_of, score_wall

SEED = 20261127
STEPS = 45_000
"""Annealing steps for the largest walls; smaller walls take fewer (see `_steps`)."""
STEPS_PER_CHOICE = 250
PHASES = ((0.6, 2.0, 0.02), (0.25, 20.0, 0.2), (0.15, 2.0, 0.05))
"""Share of the steps, first and last temperature of annealing clashes (in clashes), then
people over capacity (in people), then how late the topics are (in slots)."""
RELOCATE_SHARE = 0.3
"""Of the steps, the share that moves one topic; the others swap two."""


class Reason(StrEnum):
    """Why a topic stays in the tray; the values are stable, for the UI to word."""

    NO_FREE_CELL = "no_free_cell"
    CONVENERS_BUSY = "conveners_busy"


@dataclass(frozen=True)
class Unplaced:
    """A topic left in the tray, and why: no free cell at all, or a convener of it in every
    slot with a free cell (`blocking` names the topics they convene there)."""

    topic: int
    reason: Reason
    blocking: tuple[int, ...] = ()


@dataclass(frozen=True)
class Suggestion:
    """The wall as suggested, what changes on it, what stays in the tray, and the scores."""

    placement: dict[int, Cell]
    changes: dict[int, Cell]
    unplaced: tuple[Unplaced, ...]
    before: Score
    after: Score


class _Search:
    """Which slot each movable topic is in, and the score of every slot kept current.

    People are bits of an int, so a slot's clashes are the sizes of its topics less the
    size of their union: one `|` per topic and one `bit_count`, however many people.
    """

    def __init__(self, instance: Instance, *, allow_moves: bool) -> None:
        topics = instance.topics
        slot_at = {slot.id: i for i, slot in enumerate(instance.slots)}
        room_at = {room.id: i for i, room in enumerate(instance.rooms)}
        bit = {p: 1 << i for i, p in enumerate(sorted({p for t in topics for p in t.wanted}))}
        self.instance = instance
        self.slots = len(instance.slots)
        self.wanted = [sum(bit[p] for p in t.wanted) for t in topics]
        self.size = [len(t.wanted) for t in topics]
        self.conveners = [sum(bit[p] for p in t.conveners) for t in topics]
        self.home = [slot_at[t.cell[0]] if t.cell else None for t in topics]
        self.home_room = [room_at[t.cell[1]] if t.cell else None for t in topics]
        fixed = [t.cell is not None and (t.pinned or not allow_moves) for t in topics]
        self.movable = [i for i in range(len(topics)) if not fixed[i]]
        self.members: list[list[int]] = [[] for _ in range(self.slots)]
        self.fixed: list[list[int]] = [[] for _ in range(self.slots)]
        self.slot_of: list[int | None] = [None] * len(topics)
        taken: list[set[int]] = [set() for _ in range(self.slots)]
        for i in range(len(topics)):
            if fixed[i]:
                self.fixed[self.home[i]].append(i)
                taken[self.home[i]].add(self.home_room[i])
        capacity = [math.inf if r.capacity is None else r.capacity for r in instance.rooms]
        # Biggest rooms first: the i-th most wanted topic of a slot gets its i-th room.
        self.rooms = [
            sorted(set(range(len(capacity))) - taken[s], key=lambda r: (-capacity[r], r))
            for s in range(self.slots)
        ]
        self.capacity = [[capacity[r] for r in self.rooms[s]] for s in range(self.slots)]
        self.fixed_union = [_union(self.wanted, self.fixed[s]) for s in range(self.slots)]
        self.fixed_size = [sum(self.size[t] for t in self.fixed[s]) for s in range(self.slots)]
        self.busy = [_union(self.conveners, self.fixed[s]) for s in range(self.slots)]
        self.fixed_busy = list(self.busy)
        self.union = list(self.fixed_union)
        self.clashes = [0] * self.slots
        self.over = [0] * self.slots
        self.clash_total = self.over_total = self.slot_sum = self.moved = 0
        for s in range(self.slots):
            self._refresh(s)
        self.unplaced = len(self.movable)
        # Integer weights that make one number of the four rules in order (and, last,
        # moving fewer placed topics), so that the search compares exactly.
        total = sum(self.size) + 1
        self.w_slot = len(topics) + 1
        self.w_over = self.w_slot * (len(topics) * self.slots + 1)
        self.w_clash = self.w_over * total
        self.w_unplaced = self.w_clash * total

    def energy(self) -> int:
        return (
            self.unplaced * self.w_unplaced
            + self.clash_total * self.w_clash
            + self.over_total * self.w_over
            + self.slot_sum * self.w_slot
            + self.moved
        )

    def _refresh(self, s: int) -> None:
        wanted, conveners, members = self.wanted, self.conveners, self.members[s]
        union, busy = self.fixed_union[s], self.fixed_busy[s]
        for t in members:
            union |= wanted[t]
            busy |= conveners[t]
        sizes = sorted([self.size[t] for t in members], reverse=True)
        clashes = self.fixed_size[s] + sum(sizes) - union.bit_count()
        over = sum([z - c for z, c in zip(sizes, self.capacity[s], strict=False) if z > c])
        self.clash_total += clashes - self.clashes[s]
        self.over_total += over - self.over[s]
        self.union[s], self.busy[s] = union, busy
        self.clashes[s], self.over[s] = clashes, over

    def fits(self, t: int, s: int) -> bool:
        """Whether slot s has a free room and none of t's conveners."""
        return len(self.members[s]) < len(self.rooms[s]) and not self.conveners[t] & self.busy[s]

    def allows(self, changes: list[tuple[int, int | None]]) -> bool:
        """Whether the rules allow every topic in its new slot, the others moved too."""
        for t, s in changes:
            if s is None or self.slot_of[t] == s:
                continue
            # Conveners within a slot are distinct, so a leaving topic's bits are its own.
            busy, count = self.busy[s], len(self.members[s])
            for u, b in changes:
                if u == t:
                    continue
                if self.slot_of[u] == s and b != s:
                    busy &= ~self.conveners[u]
                    count -= 1
                elif b == s and self.slot_of[u] != s:
                    busy |= self.conveners[u]
                    count += 1
            if count >= len(self.rooms[s]) or busy & self.conveners[t]:
                return False
        return True

    def move(self, changes: list[tuple[int, int | None]]) -> bool:
        """Put topics in new slots (None: the tray) if the rules allow; else change nothing."""
        if not self.allows(changes):
            return False
        slot_of, members, home = self.slot_of, self.members, self.home
        moves = [(t, slot_of[t], s) for t, s in changes if slot_of[t] != s]
        for t, old, _ in moves:
            if old is not None:
                members[old].remove(t)
                self.slot_sum -= old
                self.moved -= home[t] is not None and home[t] != old
                self.unplaced += 1
        for t, _, new in moves:
            slot_of[t] = new
            if new is not None:
                members[new].append(t)
                self.slot_sum += new
                self.moved += home[t] is not None and home[t] != new
                self.unplaced -= 1
        for s in {s for _, old, new in moves for s in (old, new) if s is not None}:
            self._refresh(s)
        return True

    def may_leave_wall(self, t: int) -> bool:
        """Only raised topics go back to the tray; a placed one may at most move."""
        return self.home[t] is None

    def start_greedy(self) -> None:
        """Placed topics where they stand, then the most wanted first into its best slot."""
        for t in self.movable:
            if self.home[t] is not None and self.fits(t, self.home[t]):
                self.move([(t, self.home[t])])
        waiting = [t for t in self.movable if self.slot_of[t] is None]
        for t in sorted(waiting, key=lambda t: -self.size[t]):
            choices = [s for s in range(self.slots) if self.fits(t, s)]
            if choices:
                self.move([(t, min(choices, key=lambda s: (self._joining(t, s), s)))])

    def _joining(self, t: int, s: int) -> tuple[int, float]:
        """The clashes t would add to slot s, then the capacity of the room it would get."""
        shared = (self.wanted[t] & self.union[s]).bit_count()
        return shared, -self.capacity[s][len(self.members[s])]

    def anneal(
        self, steps: int, rng: random.Random, *, hot: float, cold: float, unit: int, above: int
    ) -> None:
        """Anneal one rule (weight `unit`), never worse on the earlier ones; end on the best."""
        # Below `above`, the energy holds only this rule and the later ones, so
        # `energy // above` is the earlier rules' part.
        movable = self.movable
        energy = best = self.energy()
        best_slots = list(self.slot_of)
        for step in range(steps):
            temperature = hot * (cold / hot) ** (step / steps) * unit
            t = movable[rng.randrange(len(movable))]
            a = self.slot_of[t]
            if rng.random() < RELOCATE_SHARE:
                changes = [(t, rng.randrange(self.slots))]
            else:
                u = movable[rng.randrange(len(movable))]
                b = self.slot_of[u]
                if (b is None and not self.may_leave_wall(t)) or (
                    a is None and not self.may_leave_wall(u)
                ):
                    continue
                changes = [(t, b), (u, a)]
            if changes[0][1] == a or not self.move(changes):
                continue
            after = self.energy()
            if after <= energy or (
                after // above <= energy // above
                and rng.random() < math.exp((energy - after) / temperature)
            ):
                energy = after
                if energy < best:
                    best, best_slots = energy, list(self.slot_of)
            else:
                self.move([(t, a)] if len(changes) == 1 else [(t, a), (changes[1][0], b)])
        self.assign(best_slots)

    def assign(self, slot_of: list[int | None]) -> None:
        """Go back to a placement seen before, which the rules allowed."""
        for t in self.movable:
            if self.slot_of[t] is not None:
                self.move([(t, None)])
        for t in self.movable:
            if slot_of[t] is not None:
                self.move([(t, slot_of[t])])

    def descend(self) -> None:
        """Take every improving move, swap or exchange of two slots' topics until none is left."""
        improved = True
        while improved:
            improved = False
            # Clashes and capacity often stay the same when two slots trade all their
            # topics, while the fuller slot comes first.
            for a, b in itertools.combinations(range(self.slots), 2):
                trade = [(t, b) for t in self.members[a]] + [(t, a) for t in self.members[b]]
                improved |= bool(trade) and self._improves(trade)
            for i, t in enumerate(self.movable):
                for s in range(self.slots):
                    improved |= self._improves([(t, s)])
                for u in self.movable[i + 1 :]:
                    a, b = self.slot_of[t], self.slot_of[u]
                    if a == b or (a is None and not self.may_leave_wall(u)):
                        continue
                    if b is None and not self.may_leave_wall(t):
                        continue
                    improved |= self._improves([(t, b), (u, a)])

    def _improves(self, changes: list[tuple[int, int | None]]) -> bool:
        old = [(t, self.slot_of[t]) for t, _ in changes]
        if old[0][1] == changes[0][1]:
            return False
        before = self.energy()
        if not self.move(changes):
            return False
        if self.energy() < before:
            return True
        self.move(old)
        return False

    def placement(self) -> dict[int, Cell]:
        """Each placed topic's cell, the most wanted of a slot in its biggest free room."""
        # Except that a topic staying in its slot keeps its room where that costs no seat.
        topics, slots, rooms = self.instance.topics, self.instance.slots, self.instance.rooms
        result = {topics[t].id: topics[t].cell for s in self.fixed for t in s}
        for s in range(self.slots):
            ordered = sorted(self.members[s], key=lambda t: (-self.size[t], t))
            room_of = dict(zip(ordered, self.rooms[s], strict=False))
            holder = {r: t for t, r in room_of.items()}
            capacity = dict(zip(self.rooms[s], self.capacity[s], strict=True))
            for t in ordered:
                home = self.home_room[t]
                if self.home[t] != s or room_of[t] == home:
                    continue
                mine, other = room_of[t], holder.get(home)
                now = _over(self.size[t], capacity[mine])
                swapped = _over(self.size[t], capacity[home])
                if other is not None:
                    now += _over(self.size[other], capacity[home])
                    swapped += _over(self.size[other], capacity[mine])
                if swapped > now:
                    continue
                del holder[mine]
                if other is not None:
                    room_of[other], holder[mine] = mine, other
                room_of[t], holder[home] = home, t
            for t, r in room_of.items():
                result[topics[t].id] = (slots[s].id, rooms[r].id)
        return result

    def left_out(self) -> tuple[Unplaced, ...]:
        """Why each topic still in the tray could not be placed."""
        topics = self.instance.topics
        free = [s for s in range(self.slots) if len(self.members[s]) < len(self.rooms[s])]
        result = []
        for t in self.movable:
            if self.slot_of[t] is not None:
                continue
            if not free:
                result.append(Unplaced(topics[t].id, Reason.NO_FREE_CELL))
                continue
            blocking = sorted(
                u
                for s in free
                for u in self.fixed[s] + self.members[s]
                if self.conveners[u] & self.conveners[t]
            )
            result.append(
                Unplaced(topics[t].id, Reason.CONVENERS_BUSY, tuple(topics[u].id for u in blocking))
            )
        return tuple(result)


def _union(masks: list[int], topics: list[int]) -> int:
    union = 0
    for t in topics:
        union |= masks[t]
    return union


def _over(wanted: int, capacity: float) -> float:
    return max(0, wanted - capacity)


def _steps(search: _Search) -> int:
    return min(STEPS, STEPS_PER_CHOICE * len(search.movable) * search.slots)


def greedy_placement(instance: Instance, *, allow_moves: bool = False) -> dict[int, Cell]:
    """The greedy start of the search alone: the baseline the suggestion is measured against."""
    search = _Search(instance, allow_moves=allow_moves)
    search.start_greedy()
    return search.placement()


def suggest_placement(
    instance: Instance, *, allow_moves: bool = False, steps: int | None = None
) -> Suggestion:
    """Suggest cells for the raised topics (and, if allowed, moves of unpinned placed ones)."""
    search = _Search(instance, allow_moves=allow_moves)
    search.start_greedy()
    if search.movable and search.slots:
        steps = _steps(search) if steps is None else steps
        rng = random.Random(SEED)
        units = (
            (search.w_clash, search.w_unplaced),
            (search.w_over, search.w_clash),
            (search.w_slot, search.w_over),
        )
        for (share, hot, cold), (unit, above) in zip(PHASES, units, strict=True):
            search.anneal(int(steps * share), rng, hot=hot, cold=cold, unit=unit, above=above)
        search.descend()
    placement = search.placement()
    now = cells_of(instance)
    return Suggestion(
        placement=placement,
        changes={t: cell for t, cell in placement.items() if now.get(t) != cell},
        unplaced=search.left_out(),
        before=score_wall(instance, now),
        after=score_wall(instance, placement),
    )
