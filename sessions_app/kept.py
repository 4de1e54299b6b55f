"""Two small holders the live meeting shares: values kept for the latest revisions (texts,
a wall's grid), and one helper object per event loop."""

from __future__ import annotations

import asyncio
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

T = TypeVar("T")


class Kept(Generic[T]):  # noqa: UP046 (the house's import check reads Python 3.11)
    """The last `size` values put, by key, safe across threads; the oldest go first."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._values: OrderedDict[Hashable, T] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable, default: T | None = None) -> T | None:
        with self._lock:
            if key not in self._values:
                return default
            self._values.move_to_end(key)
            return self._values[key]

    def put(self, key: Hashable, value: T) -> T:
        with self._lock:
            self._values[key] = value
            self._values.move_to_end(key)
            while len(self._values) > self.size:
                self._values.popitem(last=False)
        return value


class PerLoop(Generic[T]):  # noqa: UP046
    """One object for each running event loop (a server has one; tests start many),
    made at its first use; those of closed loops are let go."""

    def __init__(self, make: Callable[[], T]) -> None:
        self.make = make
        self.of: dict[asyncio.AbstractEventLoop, T] = {}

    def __call__(self) -> T:
        loop = asyncio.get_running_loop()
        for old in [old for old in self.of if old.is_closed()]:
            del self.of[old]
        if loop not in self.of:
            self.of[loop] = self.make()
        return self.of[loop]
