"""What the app relies on in Daphne itself, with Daphne serving it (no browser needed).

The sweeper (sessions_app/consumers.py) learns that Daphne has let go of a socket's
connection from a weak reference to the task Daphne ran the socket in: that holds only
while the consumer runs in that task and Daphne drops it with the connection.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import time

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from sessions_app import consumers

from .support import serving

pytestmark = pytest.mark.e2e

SWEPT = re.compile(r"Swept what (\d+) sockets left: (\d+) objects")


async def refused(port: int, path: str, count: int) -> None:
    """Sockets without a session: each is accepted, told it may not listen, and closed."""
    origin = f"http://127.0.0.1:{port}"
    for _ in range(count):
        async with connect(f"ws://127.0.0.1:{port}{path}", origin=origin, proxy=None) as ws:
            with contextlib.suppress(ConnectionClosed):
                await ws.recv()
        assert ws.close_code == consumers.CLOSE_FORBIDDEN


def test_what_sockets_left_is_swept_once_daphne_has_let_go_of_them(tmp_path, demo_database):
    with serving(tmp_path, demo_database, LOG_LEVEL="INFO") as server:
        meeting_id, _ = server.demo_meeting()
        path = f"/ws/meetings/{meeting_id}/"
        asyncio.run(refused(server.port, path, consumers.SWEEP_AFTER_RELEASES))
        # Daphne lets go in a check once a second.
        deadline = time.monotonic() + 10
        while not (swept := SWEPT.search(server.log.read_text())):
            assert time.monotonic() < deadline, server.log.read_text()[-3000:]
            time.sleep(0.1)

    sockets, objects = map(int, swept.groups())
    assert sockets == consumers.SWEEP_AFTER_RELEASES
    assert objects > 0  # the cycles the closed connections left
