"""Django's HTTP under Daphne: each request in one call on one of a fixed set of threads.

The app's views and middleware are synchronous. Django's own ASGI handler then crosses
between the event loop and a worker thread five times per request (the started signal,
the middleware, the view inside it, the finished signal) and starts a new thread for
every request (asgiref's `ThreadSensitiveContext`): with a room of phones loading the page
at once, that was about a third of the server's CPU per page. Here the whole request runs
as Django runs it under WSGI, in one call, on a thread taken from a fixed set and given
back afterwards: its database connection stays with it (SQLite keeps its file open, the
PostgreSQL pool gets its connection back at the request's end as before), and a slow
request (a PDF, a write waiting for SQLite's lock) holds up only its own thread.
"""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor

from asgiref.sync import ThreadSensitiveContext, sync_to_async
from django.core.handlers.asgi import ASGIHandler
from django.http import HttpRequest, HttpResponse


class ThreadedASGIHandler(ASGIHandler):
    """Django's ASGI handler (request parsing, streaming, disconnects, signals) with the
    middleware and the view run synchronously, in one thread per request, from a pool."""

    def __init__(self, threads: int) -> None:
        super().__init__()
        # The synchronous chain, as under WSGI: an async view (the suggestion) is run by
        # Django on the event loop, with this request's thread waiting for it.
        self.load_middleware(is_async=False)
        # One thread each (started at its first call): asgiref runs all thread-sensitive
        # calls of a context on its executor.
        self.executors = tuple(
            ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"http-{number}")
            for number in range(threads)
        )
        self._idle: asyncio.Queue[ThreadPoolExecutor] | None = None

    def _pool(self) -> asyncio.Queue[ThreadPoolExecutor]:
        """The idle threads, a queue made on the server's loop at its first request."""
        if self._idle is None:
            self._idle = asyncio.Queue()
            for executor in self.executors:
                self._idle.put_nowait(executor)
        return self._idle

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            raise ValueError(f"Django can only handle ASGI/HTTP connections, not {scope['type']}.")
        idle = self._pool()
        executor = await idle.get()
        try:
            # The started and finished signals (which close or give back the database
            # connection) run on the same thread as the request itself.
            async with ThreadSensitiveContext(executor=executor):
                await self.handle(scope, receive, send)
        finally:
            idle.put_nowait(executor)

    async def get_response_async(self, request: HttpRequest) -> HttpResponse:
        return await sync_to_async(self.get_response)(request)
