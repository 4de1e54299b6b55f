"""The smart wall's pure core: shared-interest clashes, scores of a wall, and a suggested
placement, computed without Django so that it can run in a worker process."""

from .pool import suggest_placement_async, suggest_placement_in_pool
from .search import Reason, Suggestion, Unplaced, greedy_placement, suggest_placement
from .wall import (
    Cell,
    Instance,
    InstanceError,
    Room,
    Score,
    SharedInterest,
    Slot,
    TopicIn,
    cells_of,
    score_wall,
    shared_interest,
)

__all__ = [
    "Cell",
    "Instance",
    "InstanceError",
    "Reason",
    "Room",
    "Score",
    "SharedInterest",
    "Slot",
    "Suggestion",
    "TopicIn",
    "Unplaced",
    "cells_of",
    "greedy_placement",
    "score_wall",
    "shared_interest",
    "suggest_placement",
    "suggest_placement_async",
    "suggest_placement_in_pool",
]
