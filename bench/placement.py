"""Measure the placement suggestion on generated meetings of three sizes, against a random
valid placement, the greedy start alone and (where it can be found) the optimum, and check
that computing it in the worker process leaves an asyncio event loop free.

Run from the project root:  .venv/bin/python bench/placement.py
Prints one JSON line per size, then one for the event loop. Needs no database and no
Django: the placement package is plain Python.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import math
import os
import random
import statistics
import sys
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sessions_app.placement import (  # noqa: E402
    Instance,
    Room,
    Slot,
    TopicIn,
    greedy_placement,
    score_wall,
    suggest_placement,
)
from sessions_app.placement.pool import suggest_placement_async  # noqa: E402

SIZES = {
    # name: slots, rooms, topics, people
    "seed": (3, 3, 8, 40),
    "mid": (4, 6, 22, 150),
    "large": (8, 8, 60, 600),
}
SEED = 4
RUNS = 10


def generate(slots: int, rooms: int, topics: int, people: int, *, seed: int = SEED) -> Instance:
    """Raised topics with Zipf-like interest (a few very popular), 3 to 7 marks a person
    (5 on average), a co-signing partner on one topic in five, rooms for 10 to 60."""
    rng = random.Random(seed)
    popularity = [1 / (rank + 1) ** 0.8 for rank in range(topics)]
    marks: list[set[int]] = [set() for _ in range(topics)]
    for person in range(people):
        chosen: set[int] = set()
        count = min(topics, rng.randint(3, 7))
        while len(chosen) < count:
            chosen.add(rng.choices(range(topics), popularity)[0])
        for t in chosen:
            marks[t].add(person)
    result = []
    for t in rng.sample(range(topics), topics):
        conveners = {rng.randrange(people)}
        if rng.random() < 0.2:
            conveners.add(rng.randrange(people))
        result.append(TopicIn(len(result) + 1, frozenset(conveners), frozenset(marks[t])))
    return Instance(
        slots=[Slot(s + 1) for s in range(slots)],
        rooms=[Room(r + 1, rng.randint(10, 60)) for r in range(rooms)],
        topics=result,
    )


def random_placement(instance: Instance, rng: random.Random) -> dict[int, tuple[int, int]]:
    """Each topic in turn into a random cell that the rules allow."""
    placement: dict[int, tuple[int, int]] = {}
    busy: dict[int, set[int]] = {slot.id: set() for slot in instance.slots}
    cells = [(s.id, r.id) for s in instance.slots for r in instance.rooms]
    for topic in rng.sample(instance.topics, len(instance.topics)):
        taken = set(placement.values())
        free = [c for c in cells if c not in taken and not busy[c[0]] & topic.conveners]
        if free:
            placement[topic.id] = rng.choice(free)
            busy[placement[topic.id][0]] |= topic.conveners
    return placement


def optimum(instance: Instance) -> dict | None:
    """The best placement by trying every slot for every topic, for walls small enough.

    Rooms need no trying: in a slot, the i-th most wanted topic in the i-th biggest room is
    best (people over capacity is a convex function of wanted less capacity).
    """
    slots, rooms = len(instance.slots), len(instance.rooms)
    if slots ** len(instance.topics) > 100_000:
        return None
    by_size = sorted(
        instance.rooms, key=lambda r: -(math.inf if r.capacity is None else r.capacity)
    )
    best = None
    for choice in itertools.product(range(slots), repeat=len(instance.topics)):
        members = [
            [t for t, s in zip(instance.topics, choice, strict=True) if s == slot]
            for slot in range(slots)
        ]
        if any(len(m) > rooms for m in members) or any(
            a.conveners & b.conveners for m in members for a, b in itertools.combinations(m, 2)
        ):
            continue
        placement = {}
        for s, m in enumerate(members):
            ordered = sorted(m, key=lambda t: -len(t.wanted))
            for topic, room in zip(ordered, by_size, strict=False):
                placement[topic.id] = (instance.slots[s].id, room.id)
        score = score_wall(instance, placement)
        key = (score.clashes, score.over_capacity, sum(choice))
        if best is None or key < best[0]:
            best = (key, score)
    return {"clashes": best[1].clashes, "over_capacity": best[1].over_capacity}


def figures(score) -> dict:
    return {"clashes": score.clashes, "over_capacity": score.over_capacity}


def load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def measure_size(name: str) -> dict:
    slots, rooms, topics, people = SIZES[name]
    instance = generate(slots, rooms, topics, people)
    rng = random.Random(SEED)
    randoms = [score_wall(instance, random_placement(instance, rng)) for _ in range(RUNS)]
    seconds = []
    for _ in range(RUNS):
        started = time.perf_counter()
        suggestion = suggest_placement(instance)
        seconds.append(time.perf_counter() - started)
    best = optimum(instance)
    # A facilitator's wall placed at random, then a suggestion that may move everything.
    placed = random_placement(instance, random.Random(SEED))
    walled = Instance(
        instance.slots,
        instance.rooms,
        [replace(t, cell=placed.get(t.id)) for t in instance.topics],
    )
    moves = suggest_placement(walled, allow_moves=True)
    return {
        "size": name,
        "slots": slots,
        "rooms": rooms,
        "topics": topics,
        "people": people,
        "marks": sum(len(t.interested) for t in instance.topics),
        "random_median_of_10": {
            "clashes": statistics.median(s.clashes for s in randoms),
            "over_capacity": statistics.median(s.over_capacity for s in randoms),
        },
        "greedy": figures(score_wall(instance, greedy_placement(instance))),
        "suggestion": figures(suggestion.after),
        "unplaced": len(suggestion.unplaced),
        "moves_allowed_from_random": {
            "before": figures(moves.before),
            "after": figures(moves.after),
            "moved": len(moves.changes),
        },
        "optimum": best,
        "ms_median": round(statistics.median(seconds) * 1000),
        "ms_max": round(max(seconds) * 1000),
        "load": load(),
    }


async def lateness_while(work) -> dict:
    """How late a 10 ms asyncio timer fires while `work` is awaited."""
    late: list[float] = []
    done = asyncio.Event()

    async def tick() -> None:
        while not done.is_set():
            due = time.perf_counter() + 0.01
            await asyncio.sleep(0.01)
            late.append(time.perf_counter() - due)

    ticker = asyncio.create_task(tick())
    started = time.perf_counter()
    await work()
    elapsed = time.perf_counter() - started
    done.set()
    await ticker
    return {
        "ms": round(elapsed * 1000),
        "ticks": len(late),
        "late_ms_median": round(statistics.median(late) * 1000, 1),
        "late_ms_max": round(max(late) * 1000, 1),
    }


async def measure_event_loop() -> dict:
    instance = generate(*SIZES["large"])

    async def idle() -> None:
        await asyncio.sleep(1)

    async def in_the_loop() -> None:
        await asyncio.sleep(0.05)
        suggest_placement(instance)

    async def in_a_thread() -> None:
        await asyncio.to_thread(suggest_placement, instance)

    async def in_the_pool() -> None:
        await suggest_placement_async(instance)

    return {
        "event_loop": "10 ms timer while the large suggestion computes",
        "idle": await lateness_while(idle),
        "pool_first_call": await lateness_while(in_the_pool),
        "pool": await lateness_while(in_the_pool),
        "thread": await lateness_while(in_a_thread),
        "in_the_loop": await lateness_while(in_the_loop),
        "load": load(),
    }


def main() -> None:
    for name in SIZES:
        print(json.dumps(measure_size(name)), flush=True)
    print(json.dumps(asyncio.run(measure_event_loop())), flush=True)


if __name__ == "__main__":
    main()
