"""Generated meetings for the placement benchmark."""

from __future__ import annotations

import random
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sessions_app.placement import Instance, Room, Slot, TopicIn  # noqa: E402

SIZES = {
    "seed": (3, 3, 8, 40),
    "mid": (4, 6, 22, 150),
    "large": (8, 8, 60, 600),
}


def generate(slots: int, rooms: int, topics: int, people: int, *, seed: int) -> Instance:
    """A meeting of raised topics: Zipf-like interest, about 5 marks a person, some pairs."""
    rng = random.Random(seed)
    weights = [1 / (rank + 1) ** 0.8 for rank in range(topics)]
    order = list(range(topics))
    rng.shuffle(order)
    marks: list[set[int]] = [set() for _ in range(topics)]
    for person in range(people):
        wanted = min(topics, rng.randint(3, 7))
        chosen: set[int] = set()
        while len(chosen) < wanted:
            chosen.add(order[rng.choices(range(topics), weights)[0]])
        for t in chosen:
            marks[t].add(person)
    result = []
    for t in range(topics):
        conveners = {rng.randrange(people)}
        if rng.random() < 0.2:
            conveners.add(rng.randrange(people))
        result.append(TopicIn(t + 1, frozenset(conveners), frozenset(marks[t])))
    return Instance(
        slots=[Slot(s + 1) for s in range(slots)],
        rooms=[Room(r + 1, rng.randint(10, 60)) for r in range(rooms)],
        topics=result,
    )
