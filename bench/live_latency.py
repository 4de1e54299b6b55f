"""How long a change on the wall takes to reach every open phone.

Starts real Daphne processes on loopback (two by default, sharing one Redis channel
layer, as in production), opens N participant websockets spread over them, then moves
a topic back and forth on the demo meeting's wall and measures, for each move, the time
from the start of the agenda call (lock, write, commit, render once, publish) until the
last socket has received the new grid.

    REDIS_URL=redis://127.0.0.1:6379/0 .venv/bin/python bench/live_latency.py --clients 200

Needs Redis when more than one server process runs. Uses a throw-away SQLite file
unless DATABASE_URL is set. Sends traffic to 127.0.0.1 only, and stops by itself.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for_port(port: int, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise RuntimeError(f"daphne did not listen on {port}")


def prepare(environment: dict[str, str], clients: int) -> tuple[int, list[str], dict[str, int]]:
    """Migrate, load the demo, and make one participant session per client."""
    os.environ.update(environment)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.contrib.sessions.backends.db import SessionStore
    from django.core.management import call_command

    from sessions_app.identity import remember
    from sessions_app.models import Meeting, Participant

    call_command("migrate", verbosity=0)
    call_command("load_demo", verbosity=0)
    meeting = Meeting.objects.get(number=4, series__title="Leda omställning tillsammans")
    cookies = []
    for index in range(clients):
        participant = Participant.objects.create(meeting=meeting, name=f"Phone {index}")
        session = SessionStore()
        remember(session, participant)
        session.create()
        cookies.append(session.session_key)
    b3 = meeting.topics.get(slot__number=3, room__code="B")
    return meeting.pk, cookies, {"topic": b3.pk}


def move(meeting_id: int, topic_id: int, to_code: str) -> None:
    from sessions_app import agenda
    from sessions_app.models import Meeting

    meeting = Meeting.objects.get(pk=meeting_id)
    agenda.move_topic(
        meeting=meeting,
        topic_id=topic_id,
        slot_id=meeting.slots.get(number=int(to_code[1:])).pk,
        room_id=meeting.rooms.get(code=to_code[0]).pk,
    )


async def measure(args: argparse.Namespace, ports: list[int], meeting_id: int, cookies, ids):
    import websockets

    sockets = []
    for index, cookie in enumerate(cookies):
        port = ports[index % len(ports)]
        ws = await websockets.connect(
            f"ws://127.0.0.1:{port}/ws/meetings/{meeting_id}/",
            additional_headers={"Cookie": f"sessionid={cookie}"},
            origin=f"http://127.0.0.1:{port}",
            max_size=2**22,
        )
        await ws.recv()  # the state sent on connect
        sockets.append(ws)

    async def until_moved(ws, marker: str) -> float:
        while True:
            message = await ws.recv()
            if marker in message:
                return time.perf_counter()

    latencies = []
    # The first move warms each process up (templates, Redis connections); not counted.
    for round_ in range(-1, args.rounds):
        target = "C3" if round_ % 2 else "B3"
        # The grid shows the moved topic's cell filled: look for its card in the target.
        marker = f'id="cell-{target}"'
        waiting = [asyncio.create_task(until_moved(ws, marker)) for ws in sockets]
        started = time.perf_counter()
        await asyncio.to_thread(move, meeting_id, ids["topic"], target)
        received = await asyncio.wait_for(asyncio.gather(*waiting), timeout=30)
        if round_ >= 0:
            latencies.append((max(received) - started) * 1000)
    for ws in sockets:
        await ws.close()
    return latencies


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=100)
    parser.add_argument("--servers", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    if args.servers > 1 and not os.environ.get("REDIS_URL"):
        sys.exit("Several server processes need REDIS_URL for one channel layer.")

    workdir = tempfile.mkdtemp(prefix="openspace-bench-")
    environment = {
        "DJANGO_SETTINGS_MODULE": "openspace.settings",
        "SECRET_KEY": "bench-only",
        "DEBUG": "0",
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_COOKIES": "0",
        "LOG_LEVEL": "WARNING",
        "DATABASE_URL": os.environ.get("DATABASE_URL") or f"sqlite:///{workdir}/bench.sqlite3",
        "MEDIA_ROOT": f"{workdir}/media",
    }
    if os.environ.get("REDIS_URL"):
        environment["REDIS_URL"] = os.environ["REDIS_URL"]
    meeting_id, cookies, ids = prepare(environment, args.clients)

    ports = [free_port() for _ in range(args.servers)]
    servers = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "daphne",
                "-b",
                "127.0.0.1",
                "-p",
                str(port),
                "openspace.asgi:application",
            ],
            cwd=ROOT,
            env={**os.environ, **environment},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for port in ports
    ]
    try:
        for port in ports:
            wait_for_port(port)
        latencies = asyncio.run(measure(args, ports, meeting_id, cookies, ids))
    finally:
        for server in servers:
            server.terminate()
            server.wait(timeout=10)

    ordered = sorted(latencies)
    p95 = ordered[max(0, round(0.95 * len(ordered)) - 1)]
    print(
        f"{args.clients} sockets on {args.servers} Daphne process(es), {args.rounds} moves: "
        f"median {statistics.median(ordered):.0f} ms, p95 {p95:.0f} ms, max {ordered[-1]:.0f} ms "
        "(agenda call start → last socket has the new grid)"
    )


if __name__ == "__main__":
    main()
