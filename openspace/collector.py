"""The collector's full pass soon after many websockets have ended.

Every websocket that comes and goes leaves Daphne's upgrade request, Twisted's HTTP
channel, their headers and some lists in reference cycles (docs/benchmarks.md,
"Upstream"): about 58 objects a socket. The socket lived through many collections, so
they sit in the oldest generation, which only the collector's full pass looks at; with
the imported heap frozen and a large first generation (`openspace/asgi.py`), that pass
comes after millions of allocations. In the storm benchmark's ten rounds of a thousand
phones leaving and coming back, the garbage of a round or several piled up until that
pass came, and the server's memory stepped up by some MiB and stayed there.

Here one full pass runs a little after every `EVERY` websockets have ended: late enough
for Daphne to have let go of their connections, which it looks for once a second. With a
thousand sockets open, a pass took 12-90 ms, 56 ms at the median, once per `EVERY`
sockets gone (docs/benchmarks.md, "The ninth round"); a room where nobody leaves never
pays for it.
"""

from __future__ import annotations

import asyncio
import gc

# Sockets ended before a full pass: at most this many sockets' garbage is waiting.
EVERY = 500
# Seconds from the last of them ending to the pass: Daphne drops a closed socket's
# connection in its check each second (`Server.application_checker`).
DELAY = 2.0


class CollectEndedSockets:
    """ASGI middleware: a full collection `delay` seconds after each `every` ended sockets."""

    def __init__(self, app, *, every: int = EVERY, delay: float = DELAY) -> None:
        self.app = app
        self.every = every
        self.delay = delay
        self.ended = 0

    async def __call__(self, scope, receive, send):
        try:
            return await self.app(scope, receive, send)
        finally:
            if scope["type"] == "websocket":
                self.ended += 1
                if self.ended >= self.every:
                    self.ended = 0
                    asyncio.get_running_loop().call_later(self.delay, gc.collect)
