"""The smart wall's pure core: warnings, scores and suggested placements, without a database."""

from __future__ import annotations

import asyncio
import itertools
import random
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sessions_app.placement import (
    Instance,
    InstanceError,
    Reason,
    Room,
    Score,
    SharedInterest,
    Slot,
    TopicIn,
    score_wall,
    shared_interest,
    suggest_placement,
    suggest_placement_async,
    suggest_placement_in_pool,
)


def topic(id_, conveners, interested=(), cell=None, pinned=False) -> TopicIn:
    return TopicIn(id_, frozenset(conveners), frozenset(interested), cell, pinned)


def grid(slots: int, rooms: int, topics, capacities=None) -> Instance:
    """A wall with slots 1.. and rooms 11.., so cell (2, 13) is the third room of slot 2."""
    capacities = capacities or [None] * rooms
    return Instance(
        slots=[Slot(s) for s in range(1, slots + 1)],
        rooms=[Room(10 + r, capacities[r - 1]) for r in range(1, rooms + 1)],
        topics=topics,
    )


# Shared interest


def test_shared_interest_warns_at_three_shared_people():
    topics = [
        topic(1, {100}, {1, 2, 3}, cell=(1, 11)),
        topic(2, {200}, {1, 2, 3, 20, 21, 22}, cell=(1, 12)),
    ]
    wall = grid(1, 2, topics)

    # Topic 1 is wanted by 4: its convener and the three who also want topic 2.
    assert shared_interest(wall) == [SharedInterest(slot=1, topic=1, other=2, shared=3, wanted=4)]


def test_shared_interest_is_quiet_below_three_shared_people():
    topics = [
        topic(1, {100}, {1, 2}, cell=(1, 11)),
        topic(2, {200}, {1, 2}, cell=(1, 12)),
    ]
    wall = grid(1, 2, topics)

    assert shared_interest(wall) == []


def test_shared_interest_needs_a_third_of_the_smaller_topic():
    def wall(marked_by: int) -> Instance:
        """Topic 1 wanted by its convener and `marked_by` people, 3 of whom want topic 2."""
        first = topic(1, {100}, range(1, marked_by + 1), cell=(1, 11))
        second = topic(2, {200}, {1, 2, 3, *range(20, 30)}, cell=(1, 12))
        return grid(1, 2, [first, second])

    # 3 of the 9 who want topic 1 warn; 3 of 10 do not.
    assert shared_interest(wall(8)) == [SharedInterest(1, 1, 2, shared=3, wanted=9)]
    assert shared_interest(wall(9)) == []


def test_shared_interest_names_the_less_wanted_topic_for_the_message():
    # "A1 and C1 share 4 of the 5 people interested in A1."
    topics = [
        topic(1, {1}, {2, 3, 4, 5}, cell=(1, 11)),
        topic(2, {9}, {1, 2, 3, 4, 10, 11, 12}, cell=(1, 13)),
    ]
    wall = grid(1, 3, topics)

    (warning,) = shared_interest(wall)

    assert (warning.topic, warning.other, warning.shared, warning.wanted) == (1, 2, 4, 5)


def test_shared_interest_counts_a_convener_who_marked_another_topic_of_the_slot():
    # Person 1 convenes topic 1 and marked topic 2: with 2 and 3, three people want both.
    topics = [
        topic(1, {1}, {2, 3}, cell=(1, 11)),
        topic(2, {9}, {1, 2, 3}, cell=(1, 12)),
    ]
    wall = grid(1, 2, topics)

    assert shared_interest(wall) == [SharedInterest(1, 1, 2, shared=3, wanted=3)]


def test_shared_interest_ignores_topics_of_other_slots_and_the_tray():
    topics = [
        topic(1, {100}, {1, 2, 3}, cell=(1, 11)),
        topic(2, {200}, {1, 2, 3}, cell=(2, 11)),
        topic(3, {300}, {1, 2, 3}),
    ]
    wall = grid(2, 1, topics)

    assert shared_interest(wall) == []


# Scores


def test_score_wall_counts_each_wanted_topic_beyond_the_first_in_a_slot():
    topics = [
        topic(1, {100}, {1, 2}, cell=(1, 11)),
        topic(2, {200}, {1, 2}, cell=(1, 12)),
        topic(3, {300}, {1}, cell=(1, 13)),
        topic(4, {400}, {1, 2}, cell=(2, 11)),
        topic(5, {500}, {1, 2}),
    ]
    wall = grid(2, 3, topics)

    # Person 1 wants three topics of slot 1 (2 clashes), person 2 two (1 clash); the
    # single topic of slot 2 and the tray clash with nothing.
    assert score_wall(wall) == Score(clashes=3, people_choosing=2, over_capacity=0)


def test_score_wall_counts_a_convener_as_wanting_their_own_topic():
    topics = [
        topic(1, {1}, cell=(1, 11)),
        topic(2, {2}, {1}, cell=(1, 12)),
    ]
    wall = grid(1, 2, topics)

    assert score_wall(wall) == Score(clashes=1, people_choosing=1, over_capacity=0)


def test_score_wall_counts_people_over_each_room_capacity():
    topics = [
        topic(1, {100}, range(1, 8), cell=(1, 11)),
        topic(2, {200}, range(20, 23), cell=(1, 12)),
        topic(3, {300}, range(30, 60), cell=(1, 13)),
    ]
    wall = grid(1, 3, topics, capacities=[5, 5, None])

    # 8 want topic 1 in a room for 5, 4 want topic 2; room 13 holds everyone.
    assert score_wall(wall).over_capacity == 3


def test_score_wall_of_a_proposed_placement():
    wall = grid(2, 1, [topic(1, {1}, {5}), topic(2, {2}, {5})])

    assert score_wall(wall, {1: (1, 11), 2: (2, 11)}).clashes == 0
    assert score_wall(wall, {1: (1, 11)}).clashes == 0
    assert score_wall(wall).clashes == 0


# Instances that break their own rules


@pytest.mark.parametrize(
    ("topics", "message"),
    [
        ([topic(1, {1}, cell=(9, 11))], "topic 1: cell (9, 11) is not on this wall"),
        ([topic(1, {1}, cell=(1, 11)), topic(2, {2}, cell=(1, 11))], "taken by topic 1"),
        ([topic(1, {1}, pinned=True)], "topic 1: pinned but not placed"),
        ([topic(1, {1}), topic(1, {2})], "topics: id 1 appears more than once"),
        ([topic(1, set())], "topic 1: no convener"),
    ],
)
def test_instance_refuses_a_wall_that_breaks_its_rules(topics, message):
    with pytest.raises(InstanceError, match=message.replace("(", r"\(").replace(")", r"\)")):
        grid(1, 1, topics)


# Suggestions: what a facilitator sees


def test_suggest_placement_places_every_raised_topic_even_when_they_clash():
    wall = grid(1, 3, [topic(t, {t}, {7, 8, 9}) for t in (1, 2, 3)])

    suggestion = suggest_placement(wall)

    assert sorted(suggestion.placement) == [1, 2, 3]
    assert suggestion.unplaced == ()
    assert suggestion.after.clashes == 6


def test_suggest_placement_puts_topics_many_want_together_in_different_slots():
    topics = [
        topic(1, {1}, {10, 11, 12, 13}),
        topic(2, {2}, {10, 11, 12, 13}),
        topic(3, {3}, {20, 21, 22}),
        topic(4, {4}, {20, 21, 22}),
    ]
    wall = grid(2, 2, topics)

    suggestion = suggest_placement(wall)

    slot = {t: cell[0] for t, cell in suggestion.placement.items()}
    assert slot[1] != slot[2] and slot[3] != slot[4]
    assert suggestion.before == Score(0, 0, 0)
    assert suggestion.after == Score(0, 0, 0)


def test_suggest_placement_gives_the_most_wanted_topic_the_biggest_room():
    topics = [
        topic(1, {1}, range(10, 14)),
        topic(2, {2}, range(20, 60)),
        topic(3, {3}, range(60, 75)),
    ]
    wall = grid(1, 3, topics, capacities=[10, 40, 20])

    suggestion = suggest_placement(wall)

    assert suggestion.placement == {1: (1, 11), 2: (1, 12), 3: (1, 13)}
    assert suggestion.after.over_capacity == 1


def test_suggest_placement_fills_earlier_slots_first():
    wall = grid(3, 2, [topic(1, {1}), topic(2, {2}), topic(3, {3})])

    suggestion = suggest_placement(wall)

    assert sorted(cell[0] for cell in suggestion.placement.values()) == [1, 1, 2]


def test_suggest_placement_keeps_conveners_out_of_two_rooms_of_one_slot():
    # A co-signed topic and a merged one share convener 2; everyone wants all three.
    everyone = set(range(10, 20))
    topics = [
        topic(1, {1, 2}, everyone),
        topic(2, {2, 3, 4}, everyone),
        topic(3, {5}, everyone),
    ]
    wall = grid(2, 3, topics)

    suggestion = suggest_placement(wall)

    assert suggestion.placement[1][0] != suggestion.placement[2][0]


def test_suggest_placement_leaves_placed_topics_alone_unless_moves_are_allowed():
    topics = [
        topic(1, {1}, {10, 11, 12}, cell=(1, 11)),
        topic(2, {2}, {10, 11, 12}, cell=(1, 12)),
        topic(3, {3}, {20}),
    ]
    wall = grid(2, 2, topics)

    kept = suggest_placement(wall)
    moved = suggest_placement(wall, allow_moves=True)

    assert kept.changes == {3: (2, 11)}
    assert (kept.before.clashes, kept.after.clashes) == (3, 3)
    assert len(moved.changes) == 2 and 3 in moved.changes
    assert (moved.before.clashes, moved.after.clashes) == (3, 0)


def test_suggest_placement_never_moves_a_pinned_topic():
    topics = [
        topic(1, {1}, {10, 11, 12}, cell=(1, 11), pinned=True),
        topic(2, {2}, {10, 11, 12}, cell=(1, 12), pinned=True),
        topic(3, {3}, {10, 11, 12}, cell=(2, 11)),
    ]
    wall = grid(2, 2, topics)

    suggestion = suggest_placement(wall, allow_moves=True)

    assert suggestion.changes == {}
    assert suggestion.after == suggestion.before


def test_suggest_placement_says_when_there_is_no_free_cell():
    wall = grid(1, 2, [topic(1, {1}, cell=(1, 11)), topic(2, {2}), topic(3, {3})])

    suggestion = suggest_placement(wall)

    assert len(suggestion.changes) == 1
    (left,) = suggestion.unplaced
    assert left.reason == Reason.NO_FREE_CELL
    assert left.topic not in suggestion.placement


def test_suggest_placement_says_when_a_convener_is_busy_in_every_free_slot():
    topics = [
        topic(1, {2}, cell=(1, 11)),
        topic(2, {1, 2}, cell=(2, 12)),
        topic(3, {2}),
    ]
    wall = grid(2, 2, topics)

    suggestion = suggest_placement(wall)

    assert suggestion.changes == {}
    (left,) = suggestion.unplaced
    assert (left.topic, left.reason, left.blocking) == (3, Reason.CONVENERS_BUSY, (1, 2))


def test_suggest_placement_with_nothing_to_place_changes_nothing():
    wall = grid(2, 2, [topic(1, {1}, {5}, cell=(2, 12))])

    assert suggest_placement(wall).changes == {}
    assert suggest_placement(Instance(slots=[], rooms=[], topics=[])).placement == {}


# Suggestions against the optimum, on walls small enough to try every placement


def random_wall(seed: int, *, slots: int, rooms: int, topics: int, people: int) -> Instance:
    """A wall with co-signed and merged topics, some placed, some pinned, drawn from a seed."""
    rng = random.Random(seed)
    capacities = [rng.choice([None, 2, 3, 4, 6]) for _ in range(rooms)]
    cells = [(s, 10 + r) for s in range(1, slots + 1) for r in range(1, rooms + 1)]
    result: list[TopicIn] = []
    for t in range(1, topics + 1):
        conveners = set(rng.sample(range(people), rng.choice([1, 1, 1, 2, 3])))
        interested = {p for p in range(people) if rng.random() < 0.4}
        cell = rng.choice(cells) if rng.random() < 0.3 else None
        clash = any(
            u.cell and cell and u.cell[0] == cell[0] and (u.cell == cell or u.conveners & conveners)
            for u in result
        )
        cell = None if clash else cell
        pinned = cell is not None and rng.random() < 0.5
        result.append(topic(t, conveners, interested, cell, pinned))
    return grid(slots, rooms, result, capacities)


def objective(wall: Instance, placement: dict) -> tuple[int, int, int, int]:
    """The four rules in order: unplaced, clashes, over capacity, slot positions."""
    position = {slot.id: i for i, slot in enumerate(wall.slots)}
    score = score_wall(wall, placement)
    return (
        len(wall.topics) - len(placement),
        score.clashes,
        score.over_capacity,
        sum(position[cell[0]] for cell in placement.values()),
    )


def best_by_trying_everything(wall: Instance, *, allow_moves: bool) -> tuple[int, ...]:
    cells = [(s.id, r.id) for s in wall.slots for r in wall.rooms]
    fixed = {t.id: t.cell for t in wall.topics if t.cell and (t.pinned or not allow_moves)}
    movable = [t for t in wall.topics if t.id not in fixed]
    conveners = {t.id: t.conveners for t in wall.topics}
    best = None

    def walk(i: int, placement: dict) -> None:
        nonlocal best
        if i == len(movable):
            key = objective(wall, placement)
            best = key if best is None else min(best, key)
            return
        t = movable[i]
        if t.cell is None:
            walk(i + 1, placement)
        for cell in cells:
            taken = cell in placement.values()
            if taken or any(
                other[0] == cell[0] and conveners[u] & t.conveners for u, other in placement.items()
            ):
                continue
            walk(i + 1, {**placement, t.id: cell})

    walk(0, dict(fixed))
    return best


@pytest.mark.parametrize("allow_moves", [False, True])
@pytest.mark.parametrize("seed", range(10))
def test_suggest_placement_reaches_the_optimum_of_a_small_wall(seed, allow_moves):
    shape = [(2, 3, 5), (3, 2, 6), (2, 2, 5)][seed % 3]
    wall = random_wall(seed, slots=shape[0], rooms=shape[1], topics=shape[2], people=8)

    suggestion = suggest_placement(wall, allow_moves=allow_moves)

    assert objective(wall, suggestion.placement) == best_by_trying_everything(
        wall, allow_moves=allow_moves
    )


# Suggestions never break a rule


@st.composite
def walls(draw) -> Instance:
    """Walls as the server keeps them, with co-signed (2) and merged (3+) conveners."""
    slots, rooms, people = draw(st.integers(0, 4)), draw(st.integers(0, 4)), draw(st.integers(1, 9))
    person = st.integers(1, people)
    capacities = draw(st.lists(st.none() | st.integers(0, 6), min_size=rooms, max_size=rooms))
    cells = [(s, 10 + r) for s in range(1, slots + 1) for r in range(1, rooms + 1)]
    result: list[TopicIn] = []
    for t in range(1, draw(st.integers(0, 8)) + 1):
        conveners = draw(st.frozensets(person, min_size=1, max_size=4))
        interested = draw(st.frozensets(person))
        cell = draw(st.none() | st.sampled_from(cells)) if cells else None
        if cell and any(
            u.cell and u.cell[0] == cell[0] and (u.cell == cell or u.conveners & conveners)
            for u in result
        ):
            cell = None
        result.append(
            topic(t, conveners, interested, cell, cell is not None and draw(st.booleans()))
        )
    return grid(slots, rooms, result, capacities or None)


# The same examples on every run, none stored between runs: CI cannot flake.
@settings(
    max_examples=40,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(wall=walls(), allow_moves=st.booleans())
def test_suggest_placement_never_breaks_a_rule(wall, allow_moves):
    suggestion = suggest_placement(wall, allow_moves=allow_moves)
    placement = suggestion.placement
    cells = {(s.id, r.id) for s in wall.slots for r in wall.rooms}
    topics = {t.id: t for t in wall.topics}

    assert set(placement.values()) <= cells
    assert len(set(placement.values())) == len(placement)
    for t in wall.topics:
        if t.cell is not None:
            assert t.id in placement
        if t.pinned or (t.cell and not allow_moves):
            assert placement[t.id] == t.cell
    for a, b in itertools.combinations(placement, 2):
        if placement[a][0] == placement[b][0]:
            assert not topics[a].conveners & topics[b].conveners
    assert suggestion.changes == {t: c for t, c in placement.items() if topics[t].cell != c}
    assert suggestion.before == score_wall(wall)
    assert suggestion.after == score_wall(wall, placement)
    left = {u.topic: u for u in suggestion.unplaced}
    assert set(left) == set(topics) - set(placement)
    free_slots = {cell[0] for cell in cells - set(placement.values())}
    for u in left.values():
        if u.reason == Reason.NO_FREE_CELL:
            assert not free_slots
        else:
            assert free_slots
            for slot in free_slots:
                assert any(
                    placement[b][0] == slot and topics[b].conveners & topics[u.topic].conveners
                    for b in u.blocking
                )


def test_suggest_placement_is_the_same_every_time():
    wall = random_wall(7, slots=3, rooms=3, topics=9, people=30)

    first = suggest_placement(wall, allow_moves=True)
    second = suggest_placement(wall, allow_moves=True)

    assert first == second
    assert first.changes


# In a worker process


def test_placement_imports_without_django():
    code = (
        "import sys, sessions_app.placement, sessions_app.placement.pool;"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'django'))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env={}
    )

    assert result.stdout.strip() == "[]"


def test_suggest_placement_in_pool_gives_the_suggestion_of_this_process():
    walls = [random_wall(seed, slots=3, rooms=3, topics=8, people=30) for seed in range(3)]

    with ThreadPoolExecutor(max_workers=3) as threads:
        results = list(threads.map(lambda w: suggest_placement_in_pool(w, allow_moves=True), walls))

    assert results == [suggest_placement(w, allow_moves=True) for w in walls]


def test_suggest_placement_in_pool_gives_up_after_its_timeout():
    wall = random_wall(1, slots=3, rooms=3, topics=8, people=30)

    with pytest.raises(TimeoutError):
        suggest_placement_in_pool(wall, timeout=0)


async def test_suggest_placement_async_keeps_the_event_loop_running():
    wall = random_wall(2, slots=3, rooms=3, topics=9, people=30)
    ticks = 0

    async def tick() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.01)
            ticks += 1

    ticker = asyncio.create_task(tick())
    suggestion = await suggest_placement_async(wall)
    ticker.cancel()

    assert suggestion == suggest_placement(wall)
    assert ticks > 0
