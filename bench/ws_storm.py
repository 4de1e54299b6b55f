"""Every phone reconnecting at once, as after a server restart, and the memory it costs.

    .venv/bin/python bench/ws_storm.py --clients 1000 --processes 1
    .venv/bin/python bench/ws_storm.py --clients 2000 --processes 2
    .venv/bin/python bench/ws_storm.py --clients 200 --baseline b1517b1

Prepares a PostgreSQL database of its own (--db sqlite for a file) and, with more than
one process, a Redis of its own; joins one phone over HTTP to read the websocket's path
from its page and makes the other N-1 participants in the database.

The storm: on freshly started Daphne processes (a restart), all N sockets connect at the
same moment, spread over the processes, and each must have the meeting's state (the
first message) within --deadline seconds of that moment. Reports how many did, when the
last did, and why the others failed.

The memory: on fresh processes again, --rounds times all N connect (a batch at a time,
so that all get in however slow the storm was) and all leave. The servers' resident
memory (VmRSS from /proc, summed) is read with all open and after all left and the
servers let go of them: memory per socket is the first round's growth over the open
sockets, and the growth after round 3 is the last round's RSS against round 3's, and the
highest of the later rounds against the highest of the first three. RSS moves in the
allocator's steps of a MiB; what a leak adds to the live heap is tested instead
(tests/test_socket_scale.py). Prints one JSON line.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from collections import Counter

import httpx
from facilitator import open_projector
from harness import (
    cpu_seconds,
    join_over_http,
    log,
    open_socket,
    parsed,
    prepared,
    rss_kib,
    run,
    server_arguments,
)

# Memory growth is counted from the end of this round on: the rounds before warm up.
STEADY_ROUND = 3
# The memory rounds open sockets this many at a time, each with this long to get in, so
# that all of them open however slow the storm is (and none waits for Daphne's 5 s
# handshake timeout behind the others).
BATCH = 10
BATCH_DEADLINE = 60.0
# Daphne lets go of closed connections in a check once a second
# (`Server.application_checker`). Read right after the sockets ended, "after all left" held
# a round's thousand sockets still, and the next round opened beside them
# (docs/benchmarks.md, "The eleventh round").
LET_GO_WITHIN = 1.5


async def attempt(port: int, path: str, cookie: str, begun: float, ends: float):
    """Connect and wait for the state by `ends` (loop time); returns (socket, seconds from
    `begun` to the state, why it failed)."""
    socket = None
    try:
        async with asyncio.timeout_at(ends):
            socket = await open_socket(port, path, cookie, timeout=None)
            await socket.recv()
        return socket, time.monotonic() - begun, None
    except TimeoutError:
        failure = "handshake timeout" if socket is None else "no state in time"
    except Exception as error:  # every way of failing is counted, by name
        failure = type(error).__name__
    if socket is not None:
        await socket.close()
    return None, None, failure


async def settle(pids: list[int], quiet: float = 0.05, limit: float = 30) -> None:
    """Wait until the servers are idle: work left from a round must not spill into the next."""
    ends = time.monotonic() + limit
    before = sum(cpu_seconds(pid) for pid in pids)
    while time.monotonic() < ends:
        await asyncio.sleep(0.5)
        now = sum(cpu_seconds(pid) for pid in pids)
        if now - before < quiet:
            return
        before = now


async def connect_all(ports: list[int], path: str, cookies: list[str], deadline: float):
    """Every socket at the same moment, spread over the servers; each has `deadline` seconds
    to get the state. Returns the open sockets, seconds to each state, and the failures."""
    begun = time.monotonic()
    ends = asyncio.get_running_loop().time() + deadline
    results = await asyncio.gather(
        *(
            attempt(ports[index % len(ports)], path, cookie, begun, ends)
            for index, cookie in enumerate(cookies)
        )
    )
    sockets = [socket for socket, _, _ in results if socket is not None]
    times = [seconds for _, seconds, _ in results if seconds is not None]
    return sockets, times, Counter(failure for _, _, failure in results if failure)


async def close_all(sockets) -> None:
    await asyncio.gather(*(socket.close() for socket in sockets), return_exceptions=True)


async def storm(servers, path: str, cookies: list[str], args) -> dict:
    """The restart: every phone at once on fresh processes; who has the state in time."""
    pids = [server.process.pid for server in servers]
    cpu_before = sum(cpu_seconds(pid) for pid in pids)
    sockets, times, failures = await connect_all(
        [server.port for server in servers], path, cookies, args.deadline
    )
    cpu = sum(cpu_seconds(pid) for pid in pids) - cpu_before
    await close_all(sockets)
    await settle(pids)
    return {
        # The servers' CPU until every socket had its state or its deadline: less
        # dependent on the machine's load than the counts.
        "server_cpu_s": round(cpu, 2),
        "got_state": len(times),
        "of": len(cookies),
        "last_state_s": round(max(times), 2) if times else None,
        "median_state_s": round(statistics.median(times), 2) if times else None,
        "failures": dict(failures),
    }


async def memory(servers, path: str, cookies: list[str], args) -> dict:
    """Rounds of all phones connecting (a batch at a time, so that all get in) and leaving."""
    ports = [server.port for server in servers]
    pids = [server.process.pid for server in servers]
    # One socket first, so that the first round's growth is the sockets' and not the
    # first use of the code (imports, templates, connections).
    for port in ports:
        opened, _, _ = await connect_all([port], path, cookies[:1], BATCH_DEADLINE)
        await close_all(opened)
    await settle(pids)
    rounds = []
    for number in range(1, args.rounds + 1):
        rss_before = sum(rss_kib(pid) for pid in pids)
        sockets, failures = [], Counter()
        for start in range(0, len(cookies), BATCH):
            opened, _, failed = await connect_all(
                ports, path, cookies[start : start + BATCH], BATCH_DEADLINE
            )
            sockets += opened
            failures += failed
        await settle(pids)
        rss_open = sum(rss_kib(pid) for pid in pids)
        await close_all(sockets)
        await settle(pids)
        # The sockets have ended, but Daphne holds them until its next check; the
        # sweeper's pass comes after it.
        await asyncio.sleep(LET_GO_WITHIN)
        await settle(pids)
        rss_closed = sum(rss_kib(pid) for pid in pids)
        rounds.append(
            {
                "round": number,
                "open": len(sockets),
                "failures": dict(failures),
                "rss_before_kib": rss_before,
                "rss_open_kib": rss_open,
                "rss_closed_kib": rss_closed,
            }
        )
        log(f"memory: {rounds[-1]}")
    first = rounds[0]
    summary = {
        # Later rounds reuse what the first allocated and freed: only the first round's
        # growth, in fresh processes, shows what an open socket costs.
        "kib_per_socket": (
            round((first["rss_open_kib"] - first["rss_before_kib"]) / first["open"], 1)
            if first["open"]
            else None
        ),
        "open_per_round": [r["open"] for r in rounds],
        "failures": dict(sum((Counter(r["failures"]) for r in rounds), Counter())),
        "rss_open_kib": [r["rss_open_kib"] for r in rounds],
        "rss_closed_kib": [r["rss_closed_kib"] for r in rounds],
    }
    if len(rounds) > STEADY_ROUND:
        closed = summary["rss_closed_kib"]
        warming, later = closed[:STEADY_ROUND], closed[STEADY_ROUND:]
        summary["rss_growth_after_round3_kib"] = closed[-1] - warming[-1]
        # Python's allocator gives back a 1 MiB arena when it empties and takes one again
        # when it needs it: round 3 can end an arena below the level of the rounds before,
        # and the growth above counts the way back as growth. This counts only a rise above
        # the warmed-up level.
        summary["rss_rise_after_round3_kib"] = max(later) - max(warming)
    return summary


def measure(rev: str | None, args) -> dict:
    with prepared(
        rev,
        db=args.db,
        processes=args.processes,
        layer=args.layer,
        participants=args.clients - 1,
    ) as target:
        with target.serve() as servers:
            base = servers[0].base
            with httpx.Client(base_url=base, follow_redirects=True, trust_env=False) as client:
                projector = open_projector(client, str(target.meeting_id))
            phone = asyncio.run(join_over_http(base, projector["join"], "Phone over HTTP"))
        cookies = [phone.cookie] + [f"sessionid={key}" for key in target.sessions]
        with target.serve() as servers:
            log(f"[{target.revision}] the storm: {len(cookies)} sockets at once")
            stormed = asyncio.run(storm(servers, phone.socket, cookies, args))
            log(f"[{target.revision}] {stormed}")
        figures = {"revision": target.revision, "storm": stormed}
        if args.rounds:
            with target.serve() as servers:
                log(f"[{target.revision}] {args.rounds} rounds of connecting and leaving")
                figures["memory"] = asyncio.run(memory(servers, phone.socket, cookies, args))
        return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=200, help="phone sockets (default 200)")
    server_arguments(parser)
    parser.add_argument("--rounds", type=int, default=10, help="rounds of memory; 0: none")
    parser.add_argument("--deadline", type=float, default=5, help="seconds to have the state")
    args = parsed(parser)
    if args.clients < 1 or args.rounds < 0:
        parser.error("--clients must be at least 1 and --rounds not negative")
    arguments = {
        "clients": args.clients,
        "processes": args.processes,
        "layer": args.layer,
        "db": args.db,
        "rounds": args.rounds,
        "deadline_s": args.deadline,
    }
    run("ws_storm", measure, args, arguments)


if __name__ == "__main__":
    main()
