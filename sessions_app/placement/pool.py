"""Suggestions computed in a worker process, so that a server's event loop never waits on one.

One worker, started on first use and kept: a suggestion takes one core for about a second,
and a second request waits for the first rather than halving the server's other core.
The worker is spawned, a fresh interpreter that imports this package alone, never a fork
of a server process with its threads, sockets and database connections.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import threading
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from .search import Suggestion, suggest_placement
from .wall import Instance

TIMEOUT = 10.0
"""Seconds to wait for a suggestion; the largest walls measured take under two."""

_lock = threading.Lock()
_pool: ProcessPoolExecutor | None = None


def _submit(instance: Instance, allow_moves: bool) -> tuple[ProcessPoolExecutor, Future]:
    global _pool
    with _lock:
        if _pool is None:
            _pool = ProcessPoolExecutor(
                max_workers=1, mp_context=multiprocessing.get_context("spawn")
            )
        pool = _pool
    try:
        return pool, pool.submit(suggest_placement, instance, allow_moves=allow_moves)
    except BrokenProcessPool:
        _discard(pool)
        raise


def _discard(pool: ProcessPoolExecutor) -> None:
    """Forget a pool whose worker died, so that the next call starts a new one."""
    global _pool
    with _lock:
        if _pool is pool:
            _pool = None
    pool.shutdown(wait=False, cancel_futures=True)


def suggest_placement_in_pool(
    instance: Instance, *, allow_moves: bool = False, timeout: float = TIMEOUT
) -> Suggestion:
    """`suggest_placement` in the worker process, waited for in this (a sync view's) thread."""
    # TimeoutError after `timeout` seconds; BrokenProcessPool if the worker died.
    pool, future = _submit(instance, allow_moves)
    try:
        return future.result(timeout)
    except TimeoutError:
        future.cancel()
        raise
    except BrokenProcessPool:
        _discard(pool)
        raise


async def suggest_placement_async(
    instance: Instance, *, allow_moves: bool = False, timeout: float = TIMEOUT
) -> Suggestion:
    """`suggest_placement` in the worker process, awaited without blocking the event loop."""
    # TimeoutError after `timeout` seconds; BrokenProcessPool if the worker died.
    pool, future = _submit(instance, allow_moves)
    try:
        return await asyncio.wait_for(asyncio.wrap_future(future), timeout)
    except BrokenProcessPool:
        _discard(pool)
        raise
