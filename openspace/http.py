"""Django's HTTP under Daphne: each request in one call on one of a fixed set of threads.

The app's views and middleware are synchronous. Django's own ASGI handler then crosses
between the event loop and a worker thread five times per request (the started signal,
the middleware, the view inside it, the finished signal) and starts a new thread for
every request (asgiref's `ThreadSensitiveContext`): with a room of phones loading the page
at once, that was about a third of the server's CPU per page. Here the whole request runs
as Django runs it under WSGI, in one trip to a thread taken from a fixed set and given
back afterwards: the started signal, the middleware and the view, and for an answer held
whole in memory (every page) the finished signal too, which gives the database connection
back (SQLite keeps its file open, the PostgreSQL pool gets its connection back). Each trip
costs the event loop and the thread 0.1-0.2 ms of CPU; the two saved took a phone page
from 2.9 to 1.9 ms (docs/benchmarks.md, "The seventh round"). The answer is then sent from
the event loop. A streamed answer (a file) is sent as Django sends it, and finished after.

Two sets of threads, two lanes. Ordinary requests (pages, a phone's writes, the
facilitator's board) take only a few milliseconds of Python each, and on CPython several
of them at once only slow each other down: they take turns at the interpreter lock, and
each turn costs. One thread (`HTTP_THREADS`) serves them in arrival order, which measured
a third more pages a second and half the slowest answers of eight threads
(docs/benchmarks.md). The requests that take long (a document rendered, a photo
processed, a password checked, a suggestion computed, the admin) are marked `slow` where
their routes are named and run on threads of their own (`HTTP_SLOW_THREADS`), so that
their work does not hold up a phone. A request that waits (for SQLite's write lock, or a
free database connection) still holds its lane's thread while it waits; for more than
one at a time, run more processes or raise `HTTP_THREADS`.
"""

from __future__ import annotations

import asyncio
import logging
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing
from functools import lru_cache, wraps

from asgiref.sync import ThreadSensitiveContext, iscoroutinefunction, sync_to_async
from django.conf import settings
from django.core import signals
from django.core.exceptions import RequestAborted
from django.core.handlers.asgi import ASGIHandler, get_script_prefix
from django.http import FileResponse, HttpResponse
from django.urls import Resolver404, get_resolver, set_script_prefix

logger = logging.getLogger(__name__)


def slow(view):
    """Mark a view whose requests take long: they run on the slow lane's threads.

    As Django's `csrf_exempt` does, the mark goes on a wrapper, never on the view itself.
    """

    if iscoroutinefunction(view):

        async def wrapper(*args, **kwargs):
            return await view(*args, **kwargs)

    else:

        def wrapper(*args, **kwargs):
            return view(*args, **kwargs)

    wrapper.slow = True
    return wraps(view)(wrapper)


def _resolves_slow(urlconf: str, path: str) -> bool:
    try:
        match = get_resolver(urlconf).resolve(path)
    except Resolver404:
        return False
    return getattr(match.func, "slow", False) or "admin" in match.namespaces


_remembered = lru_cache(maxsize=1024)(_resolves_slow)
# The app's own paths are short; a longer one is looked up each time, never kept, so that
# no one can fill the memory with made-up paths.
REMEMBERED_PATH_LENGTH = 200


def is_slow(urlconf: str, path: str) -> bool:
    """Whether the view at this path is marked `slow`; every page of the admin is."""
    if len(path) > REMEMBERED_PATH_LENGTH:
        return _resolves_slow(urlconf, path)
    return _remembered(urlconf, path)


class Lane:
    """A fixed set of threads, each taken by one request at a time, in arrival order."""

    def __init__(self, name: str, threads: int) -> None:
        # One executor per thread (each started at its first call): asgiref runs all
        # thread-sensitive calls of a context on its executor.
        self.executors = tuple(
            ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"{name}-{number}")
            for number in range(threads)
        )
        self._idle: asyncio.Queue[ThreadPoolExecutor] | None = None

    def idle(self) -> asyncio.Queue[ThreadPoolExecutor]:
        """The idle threads, a queue made on the server's loop at its first request."""
        if self._idle is None:
            self._idle = asyncio.Queue()
            for executor in self.executors:
                self._idle.put_nowait(executor)
        return self._idle


class ThreadedASGIHandler(ASGIHandler):
    """Django's ASGI handler (request parsing, streaming, disconnects, signals) with the
    middleware and the view run synchronously, in one thread per request, from a lane."""

    def __init__(self, threads: int, slow_threads: int = 1) -> None:
        super().__init__()
        # The synchronous chain, as under WSGI: an async view (the suggestion) is run by
        # Django on the event loop, with this request's thread waiting for it.
        self.load_middleware(is_async=False)
        self.quick = Lane("http", threads)
        self.slow = Lane("http-slow", slow_threads)

    @property
    def executors(self) -> tuple[ThreadPoolExecutor, ...]:
        return self.quick.executors + self.slow.executors

    def lane(self, scope) -> Lane:
        # The path within the site, as Django's ASGIRequest takes it (`path_info`).
        path = scope["path"]
        prefix = get_script_prefix(scope).rstrip("/")
        if prefix and (path.startswith(prefix + "/") or path == prefix):
            path = path[len(prefix) :] or "/"
        return self.slow if is_slow(settings.ROOT_URLCONF, path) else self.quick

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            raise ValueError(f"Django can only handle ASGI/HTTP connections, not {scope['type']}.")
        idle = self.lane(scope).idle()
        executor = await idle.get()
        try:
            # The started and finished signals (which close or give back the database
            # connection) run on the same thread as the request itself.
            async with ThreadSensitiveContext(executor=executor):
                await self.handle(scope, receive, send)
        finally:
            idle.put_nowait(executor)

    async def handle(self, scope, receive, send) -> None:
        """Django's `ASGIHandler.handle`, with one trip to the request's thread."""
        try:
            body_file = await self.read_body(receive)
        except RequestAborted:
            return
        with closing(body_file):
            set_script_prefix(get_script_prefix(scope))
            response = await sync_to_async(self.respond)(scope, body_file)
            if not response.streaming:
                # Finished already: a client gone meanwhile is not sent to (Daphne drops it).
                await self.send_response(response, send)
                return
            # As Django streams: stopped when the client leaves, then finished.
            try:
                try:
                    async with asyncio.TaskGroup() as group:
                        group.create_task(self.listen_for_disconnect(receive))
                        await self.send_response(response, send)
                        raise _Sent
                except* (_Sent, RequestAborted):
                    pass
            except BaseExceptionGroup as group:
                if len(group.exceptions) == 1:
                    raise group.exceptions[0] from None
                raise
            await sync_to_async(response.close)()

    def respond(self, scope, body_file) -> HttpResponse:
        """The request, from the started signal to its answer, on the request's thread;
        an answer held whole is finished (closed) here too."""
        signals.request_started.send(sender=self.__class__, scope=scope)
        request, response = self.create_request(scope, body_file)
        if request is not None:
            response = self.get_response(request)
            response._handler_class = self.__class__
            if isinstance(response, FileResponse):
                response.block_size = self.chunk_size
        if not response.streaming:
            # Under WSGI the answer has gone out before it is finished: a failure to finish
            # (a receiver of the finished signal) is logged, and the answer still sent.
            try:
                response.close()
            except Exception:
                logger.exception("Finishing a request failed: %s", request or scope["path"])
        return response


class _Sent(Exception):
    """A streamed answer was sent whole: stop listening for the client to leave."""
