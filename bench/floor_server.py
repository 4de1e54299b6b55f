"""The floor: the least a server can do to fan one text out to every open socket.

    python bench/floor_server.py PORT [--compression deflate|none]

A plain `websockets` server. Every socket but one on /control just listens; each text
sent on /control is broadcast as it is to all the others. The fan-out benchmark sends it
the very frame the app broadcast for a move, so that both send the same bytes to the
same number of sockets from the same client.
"""

from __future__ import annotations

import argparse
import asyncio

from websockets.asyncio.server import ServerConnection, broadcast, serve

listeners: set[ServerConnection] = set()


async def handler(connection: ServerConnection) -> None:
    if connection.request.path == "/control":
        async for text in connection:
            broadcast(listeners, text)
        return
    listeners.add(connection)
    try:
        await connection.wait_closed()
    finally:
        listeners.discard(connection)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("port", type=int)
    parser.add_argument("--compression", choices=["deflate", "none"], default="none")
    args = parser.parse_args()
    compression = None if args.compression == "none" else "deflate"
    async with serve(
        handler,
        "127.0.0.1",
        args.port,
        compression=compression,
        max_size=2**22,
        ping_interval=None,
        backlog=4096,
    ) as server:
        await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(main())
