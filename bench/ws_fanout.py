"""A move on the wall, timed until the last of N phones has it, beside the floor.

    .venv/bin/python bench/ws_fanout.py --clients 1000 --processes 1 --layer memory
    .venv/bin/python bench/ws_fanout.py --clients 1000 --processes 2 --layer redis
    .venv/bin/python bench/ws_fanout.py --clients 200 --baseline b1517b1

Starts Daphne (and a Redis of its own with --layer redis) on 127.0.0.1 with a PostgreSQL
database of its own (--db sqlite for a file), loads the demo meeting, joins one phone over
HTTP to read the websocket's path from its page and makes the other N-1 participants in
the database, then opens N phone sockets spread over the processes. The facilitator, in a
process of their own (bench/facilitator.py), moves one topic back and forth between two
cells of a row with the board's POST. Each move is timed from the start of the POST until
the last socket has a message showing the topic in its new cell; also until the POST's
own answer. A socket that has not seen a move within --timeout is a lost update.

Then the floor: a plain `websockets` server per process (bench/floor_server.py) sends the
very frame the app broadcast to the same number of sockets of the same client, and the
ratio of the two is given. Prints one JSON line.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import time
from collections.abc import Callable
from pathlib import Path

from harness import (
    PYTHON,
    cpu_seconds,
    free_port,
    join_over_http,
    log,
    open_socket,
    parsed,
    run,
    running,
    server_arguments,
    spread,
    started,
    topic_in_cell,
    wait_for_port,
    workdir,
)
from websockets.exceptions import ConnectionClosed, InvalidHandshake

BENCH = Path(__file__).resolve().parent
# Sockets opened at once while setting up (the storm is another benchmark): few enough
# that none waits for Daphne's 5 s handshake timeout behind the others; a refused one is
# tried again, as a browser does.
OPEN_BATCH = 10
OPEN_TRIES = 3


class Fanout:
    """Every socket's messages, checked against what the current round waits for."""

    def __init__(self, count: int) -> None:
        self.count = count
        self.expect(lambda message: False)
        self.closed = 0

    def expect(self, arrived: Callable[[str], bool]) -> None:
        self.arrived = arrived
        self.times: list[float | None] = [None] * self.count
        self.got = 0
        self.frame = ""
        self.done = asyncio.Event()

    def received(self, index: int, message: str) -> None:
        now = time.monotonic()
        if self.times[index] is None and self.arrived(message):
            self.times[index] = now
            self.frame = message
            self.got += 1
            if self.got == self.count:
                self.done.set()

    async def listen(self, index: int, socket) -> None:
        try:
            async for message in socket:
                self.received(index, message)
        except ConnectionClosed:
            pass
        self.closed += 1

    async def wait(self, deadline: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.done.wait(), max(0.0, deadline - time.monotonic()))


async def open_all(
    ports: list[int], path: str, cookies: list[str], fanout: Fanout, *, greeted: bool, **options
):
    """Open one socket per cookie over the ports, a batch at a time; with `greeted`, each
    waits for the state the app sends on connect before it listens."""
    sockets = []

    async def one(index: int):
        for tried in range(1, OPEN_TRIES + 1):
            try:
                socket = await open_socket(
                    ports[index % len(ports)], path, cookies[index], **options
                )
                if greeted:
                    await asyncio.wait_for(socket.recv(), 30)
                return socket
            except (OSError, TimeoutError, InvalidHandshake, ConnectionClosed):
                if tried == OPEN_TRIES:
                    raise

    for start in range(0, len(cookies), OPEN_BATCH):
        batch = range(start, min(start + OPEN_BATCH, len(cookies)))
        sockets += await asyncio.gather(*(one(index) for index in batch))
    listeners = [
        asyncio.create_task(fanout.listen(index, socket)) for index, socket in enumerate(sockets)
    ]
    return sockets, listeners


async def close_all(sockets, listeners) -> None:
    await asyncio.gather(*(socket.close() for socket in sockets), return_exceptions=True)
    await asyncio.gather(*listeners, return_exceptions=True)


async def measure_app(target, args) -> dict:
    """Open the phones, move the topic back and forth, time each move."""
    servers = target.servers
    worker = await asyncio.create_subprocess_exec(
        PYTHON,
        str(BENCH / "facilitator.py"),
        servers[0].base,
        str(target.meeting_id),
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
    )
    sockets, listeners = [], []
    try:
        projector = json.loads(await worker.stdout.readline())
        cells = projector["cells"]
        source, goal = cells[args.source], cells[args.goal]
        if source["topic"] is None or goal["topic"] is not None:
            raise SystemExit(f"{args.source} must hold a topic and {args.goal} be empty")
        topic = source["topic"]
        phone = await join_over_http(servers[0].base, projector["join"], "Phone over HTTP")
        cookies = [phone.cookie] + [f"sessionid={key}" for key in target.sessions]
        fanout = Fanout(len(cookies))
        opened = time.monotonic()
        sockets, listeners = await open_all(
            [s.port for s in servers], phone.socket, cookies, fanout, greeted=True
        )
        connect_s = time.monotonic() - opened
        extensions = sockets[0].response.headers.get("Sec-WebSocket-Extensions")
        log(f"[{target.revision}] {len(sockets)} phones open in {connect_s:.1f} s; moving")

        latencies, answers, lost, failed = [], [], 0, 0
        cpu_before = 0.0
        for round_ in range(-1, args.rounds):  # round -1 warms up and is not counted
            if round_ == 0:
                cpu_before = sum(cpu_seconds(s.process.pid) for s in servers)
            code = args.goal if round_ % 2 else args.source  # round -1 goes to the goal
            fanout.expect(lambda message, code=code: topic_in_cell(message, topic, code))
            move = {"topic": topic, "slot": cells[code]["slot"], "room": cells[code]["room"]}
            worker.stdin.write((json.dumps(move) + "\n").encode())
            await worker.stdin.drain()
            answer = json.loads(await worker.stdout.readline())
            await fanout.wait(answer["started"] + args.timeout)
            if round_ < 0:
                continue
            if answer["status"] != 200:
                failed += 1
                log(f"move refused ({answer['status']}): {answer['message']}")
            arrivals = [t for t in fanout.times if t is not None]
            lost += fanout.count - len(arrivals)
            if arrivals:
                latencies.append((max(arrivals) - answer["started"]) * 1000)
            answers.append((answer["answered"] - answer["started"]) * 1000)
            await asyncio.sleep(args.pause)
        cpu = sum(cpu_seconds(s.process.pid) for s in servers) - cpu_before
        return {
            "revision": target.revision,
            "move_to_last_phone_ms": spread(latencies),
            "post_answer_ms": spread(answers),
            "lost_updates": lost,
            "refused_moves": failed,
            "sockets_closed_early": fanout.closed,
            "frame_bytes": len(fanout.frame.encode()),
            "websocket_extensions": extensions,
            "connect_all_s": round(connect_s, 2),
            "server_cpu_ms_per_move": round(cpu * 1000 / max(1, args.rounds), 1),
            "_frame": fanout.frame,
        }
    finally:
        await close_all(sockets, listeners)
        if worker.returncode is None:
            worker.terminate()
            await worker.wait()


async def measure_floor(frame: str, ports: list[int], args, compression: str | None) -> dict:
    """The same frame, the same number of sockets, the same client: a plain server's time."""
    cookies = [""] * args.clients
    fanout = Fanout(args.clients)
    sockets, listeners = await open_all(
        ports, "/", cookies, fanout, greeted=False, compression=compression
    )
    controls = [await open_socket(port, "/control", "", compression=compression) for port in ports]
    try:
        latencies, lost = [], 0
        for round_ in range(-1, args.rounds):
            fanout.expect(lambda message: True)
            begun = time.monotonic()
            for control in controls:
                await control.send(frame)
            await fanout.wait(begun + args.timeout)
            if round_ < 0:
                continue
            arrivals = [t for t in fanout.times if t is not None]
            lost += fanout.count - len(arrivals)
            if arrivals:
                latencies.append((max(arrivals) - begun) * 1000)
            await asyncio.sleep(args.pause)
        return {"last_phone_ms": spread(latencies), "lost_updates": lost}
    finally:
        await close_all(sockets + controls, listeners)


def floor(frame: str, args, compression: str | None) -> dict:
    with workdir() as folder, contextlib.ExitStack() as stack:
        ports = []
        for _ in range(args.processes):
            port = free_port()
            logfile = folder / f"floor-{port}.log"
            command = [PYTHON, str(BENCH / "floor_server.py"), str(port)]
            command += ["--compression", "deflate" if compression else "none"]
            process = stack.enter_context(
                started(command, cwd=BENCH, env=dict(os.environ), logfile=logfile)
            )
            wait_for_port(port, process, logfile)
            ports.append(port)
        return asyncio.run(measure_floor(frame, ports, args, compression))


def measure(rev: str | None, args) -> dict:
    with running(
        rev,
        db=args.db,
        processes=args.processes,
        layer=args.layer,
        participants=args.clients - 1,
    ) as target:
        app = asyncio.run(measure_app(target, args))
    frame = app.pop("_frame")
    compression = "deflate" if "permessage-deflate" in (app["websocket_extensions"] or "") else None
    log(f"[{app['revision']}] the floor: {len(frame.encode())} bytes to {args.clients} sockets")
    app["floor"] = floor(frame, args, compression)
    floor_ms = app["floor"]["last_phone_ms"]
    ours = app["move_to_last_phone_ms"]
    if floor_ms.get("n") and ours.get("n"):
        app["ratio_median"] = round(ours["median"] / max(floor_ms["median"], 0.1), 1)
        app["ratio_p95"] = round(ours["p95"] / max(floor_ms["p95"], 0.1), 1)
    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=200, help="phone sockets (default 200)")
    server_arguments(parser)
    parser.add_argument("--rounds", type=int, default=20, help="moves timed (after one warm-up)")
    parser.add_argument("--timeout", type=float, default=10, help="seconds a move may take")
    parser.add_argument("--pause", type=float, default=0.2, help="seconds between moves")
    parser.add_argument("--from", dest="source", default="B3", help="the topic's cell")
    parser.add_argument("--to", dest="goal", default="C3", help="an empty cell of its row")
    args = parsed(parser)
    if args.clients < 1 or args.rounds < 1:
        parser.error("--clients and --rounds must be at least 1")
    arguments = {
        "clients": args.clients,
        "processes": args.processes,
        "layer": args.layer,
        "db": args.db,
        "rounds": args.rounds,
    }
    run("ws_fanout", measure, args, arguments)


if __name__ == "__main__":
    main()
