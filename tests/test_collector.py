"""The collector's full pass after many websockets have ended frees what they left in
reference cycles, which would otherwise wait for the collector's rare full pass."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import weakref

import pytest

from openspace.collector import CollectEndedSockets


class Left:
    """What a socket leaves behind: an object in a reference cycle."""

    def __init__(self) -> None:
        self.itself = self


def leaving(refs: list):
    """An ASGI application whose every call leaves a cycle; a websocket's may fail."""

    async def app(scope, receive, send):
        left = Left()
        refs.append(weakref.ref(left))
        if scope.get("fails"):
            raise RuntimeError("the socket's consumer failed")

    return app


def run(app, scopes: list[dict], wait: float = 0.05) -> None:
    """Call the application once for each scope, then let the loop turn for `wait` s."""

    async def calls():
        for scope in scopes:
            with contextlib.suppress(RuntimeError):
                await app(scope, None, None)
        await asyncio.sleep(wait)

    asyncio.run(calls())


@pytest.fixture
def collector_off():
    """The automatic collector off: only an explicit full pass frees a cycle."""
    gc.disable()
    yield
    gc.enable()


def test_the_full_pass_comes_after_every_so_many_ended_sockets(collector_off):
    refs: list = []
    app = CollectEndedSockets(leaving(refs), every=3, delay=0)

    run(app, [{"type": "websocket"}] * 2)
    assert [ref() is None for ref in refs] == [False, False]

    run(app, [{"type": "websocket", "fails": True}])
    assert [ref() is None for ref in refs] == [True, True, True]


def test_http_requests_do_not_count(collector_off):
    refs: list = []
    app = CollectEndedSockets(leaving(refs), every=2, delay=0)

    run(app, [{"type": "http"}] * 3 + [{"type": "websocket"}])
    assert app.ended == 1
    assert not any(ref() is None for ref in refs)


def test_the_pass_waits_its_delay(collector_off):
    refs: list = []
    app = CollectEndedSockets(leaving(refs), every=1, delay=0.5)

    run(app, [{"type": "websocket"}], wait=0.05)
    assert refs[0]() is not None
    run(app, [{"type": "websocket"}], wait=0.7)
    assert refs[1]() is None


def test_the_server_application_collects_after_ended_sockets():
    # Imported only once tests run: built during collection, the application would miss
    # the host that the test environment adds (tests/test_consumers.py).
    from openspace.asgi import application

    assert isinstance(application, CollectEndedSockets)
    assert (application.every, application.delay) == (500, 2.0)
