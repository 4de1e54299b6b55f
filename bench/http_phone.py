"""The phone's HTTP: joining, the phone page, and a topic proposal, at concurrency 50.

    .venv/bin/python bench/http_phone.py --db postgres
    .venv/bin/python bench/http_phone.py --db sqlite --baseline b1517b1

Starts Daphne on 127.0.0.1 with a database of its own (a new PostgreSQL database, or a
SQLite file), loads the demo meeting, and joins --participants distinct phones over HTTP
as a phone does (the join URL from the projector page, the name form, the redirect to the
phone page), timing each join. Then, for --duration seconds each (and at most --requests
requests), --concurrency connections load the phone page (GET, each request as the next
participant, with that participant's session cookie), then the topic proposal (POST,
with the page's CSRF token, as htmx sends it). Every answer is checked: a page that is
not the participant's own, or a proposal not in the answer, counts as wrong.

Reports requests per second, p50/p95 latency, and the servers' CPU time per request
(which does not depend on what else the machine is doing). Prints one JSON line.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import html
import time
from collections import Counter
from itertools import count
from urllib.parse import urlencode

import httpx
from facilitator import open_projector
from harness import (
    cpu_seconds,
    join_over_http,
    log,
    parsed,
    run,
    running,
    server_arguments,
    spread,
)


async def join_all(bases: list[str], join_path: str, args) -> tuple[list, dict]:
    gate = asyncio.Semaphore(args.concurrency)
    took = []

    async def one(number: int):
        async with gate:
            begun = time.monotonic()
            phone = await join_over_http(
                bases[number % len(bases)], join_path, f"Participant {number}"
            )
            took.append((time.monotonic() - begun) * 1000)
            return phone

    begun = time.monotonic()
    phones = await asyncio.gather(*(one(number) for number in range(args.participants)))
    elapsed = time.monotonic() - begun
    return phones, {
        "joins_per_s": round(len(phones) / elapsed, 1),
        "join_ms": spread(took),
        "requests_per_join": 3,
    }


class KeptAlive:
    """One kept-alive HTTP/1.1 connection, as lean as a load generator's.

    httpx spends about 2 ms of CPU per request; at hundreds of requests a second on two
    cores that would be taken from the server under test.
    """

    def __init__(self, port: int) -> None:
        self.port = port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def request(self, method: str, path: str, headers: dict, body: bytes = b""):
        """Send one request; returns its status and body."""
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)
        lines = [f"{method} {path} HTTP/1.1", f"Host: 127.0.0.1:{self.port}"]
        lines += [f"{name}: {value}" for name, value in headers.items()]
        lines += [f"Content-Length: {len(body)}", "", ""]
        self.writer.write("\r\n".join(lines).encode() + body)
        head = await self.reader.readuntil(b"\r\n\r\n")
        status_line, *header_lines = head.decode("latin-1").split("\r\n")
        fields = {
            name.strip().lower(): value.strip()
            for name, _, value in (line.partition(":") for line in header_lines if line)
        }
        if "content-length" in fields:
            content = await self.reader.readexactly(int(fields["content-length"]))
        else:
            content = await self._chunked()
        if fields.get("connection", "").lower() == "close":
            await self.close()
        return int(status_line.split()[1]), content

    async def _chunked(self) -> bytes:
        parts = []
        while size := int((await self.reader.readline()).split(b";")[0], 16):
            parts.append(await self.reader.readexactly(size))
            await self.reader.readline()
        await self.reader.readline()
        return b"".join(parts)

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            with contextlib.suppress(OSError):
                await self.writer.wait_closed()
        self.reader = self.writer = None


async def load(ports: list[int], pids: list[int], phones: list, kind: str, args) -> dict:
    """Keep --concurrency requests going for --duration seconds; check every answer."""
    numbers = count()
    latencies, outcomes = [], Counter()
    cpu_before = sum(cpu_seconds(pid) for pid in pids)
    client_before = time.process_time()

    async def request(connection: KeptAlive, number: int) -> None:
        phone = phones[number % len(phones)]
        headers = {"Cookie": phone.cookie}
        begun = time.monotonic()
        if kind == "page":
            status, content = await connection.request("GET", phone.page, headers)
            right = status == 200 and f'data-me="{phone.me}"'.encode() in content
        else:
            title = f"Bench proposal {number}"
            headers |= {
                "X-CSRFToken": phone.csrf,
                "HX-Request": "true",
                "Content-Type": "application/x-www-form-urlencoded",
            }
            body = urlencode({"title": title}).encode()
            status, content = await connection.request("POST", phone.propose, headers, body)
            right = status == 200 and html.escape(title).encode() in content
        latencies.append((time.monotonic() - begun) * 1000)
        outcomes["ok" if right else f"wrong {status}"] += 1

    async def worker(connection: KeptAlive, ends: float) -> None:
        try:
            while time.monotonic() < ends:
                number = next(numbers)
                if number >= args.requests:
                    return
                try:
                    await request(connection, number)
                except (OSError, asyncio.IncompleteReadError, ValueError) as error:
                    outcomes[type(error).__name__] += 1
                    await connection.close()
        finally:
            await connection.close()

    begun = time.monotonic()
    ends = begun + args.duration
    await asyncio.gather(
        *(worker(KeptAlive(ports[n % len(ports)]), ends) for n in range(args.concurrency))
    )
    elapsed = time.monotonic() - begun
    server_cpu = sum(cpu_seconds(pid) for pid in pids) - cpu_before
    done = sum(outcomes.values())
    return {
        "requests": done,
        "requests_per_s": round(done / elapsed, 1),
        "latency_ms": spread(latencies),
        "outcomes": dict(outcomes),
        "server_cpu_ms_per_request": round(server_cpu * 1000 / max(1, done), 1),
        "client_cpu_ms_per_request": round(
            (time.process_time() - client_before) * 1000 / max(1, done), 2
        ),
        "seconds": round(elapsed, 1),
    }


async def measure_http(target, join_path: str, args) -> dict:
    bases = [server.base for server in target.servers]
    ports = [server.port for server in target.servers]
    pids = [server.process.pid for server in target.servers]
    log(f"[{target.revision}] joining {args.participants} phones over HTTP")
    phones, joining = await join_all(bases, join_path, args)
    if not phones[0].propose:
        raise SystemExit("the phone page has no form to propose a topic")
    log(f"[{target.revision}] {joining}; loading the phone page")
    page = await load(ports, pids, phones, "page", args)
    log(f"[{target.revision}] phone page: {page}; proposing topics")
    proposal = await load(ports, pids, phones, "proposal", args)
    log(f"[{target.revision}] proposal: {proposal}")
    return {"revision": target.revision, "join": joining, "phone_page": page, "proposal": proposal}


def measure(rev: str | None, args) -> dict:
    with running(rev, db=args.db, processes=args.processes, layer=args.layer) as target:
        base = target.servers[0].base
        with httpx.Client(base_url=base, follow_redirects=True, trust_env=False) as client:
            join_path = open_projector(client, str(target.meeting_id))["join"]
        return asyncio.run(measure_http(target, join_path, args))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--participants", type=int, default=200, help="phones joined over HTTP")
    parser.add_argument("--concurrency", type=int, default=50, help="requests at once")
    parser.add_argument("--duration", type=float, default=10, help="seconds of each load")
    parser.add_argument("--requests", type=int, default=20000, help="most requests per load")
    server_arguments(parser)
    args = parsed(parser)
    if min(args.participants, args.concurrency, args.requests) < 1 or args.duration <= 0:
        parser.error("--participants, --concurrency, --requests and --duration must be positive")
    arguments = {
        "db": args.db,
        "processes": args.processes,
        "participants": args.participants,
        "concurrency": args.concurrency,
        "duration_s": args.duration,
    }
    run("http_phone", measure, args, arguments)


if __name__ == "__main__":
    main()
