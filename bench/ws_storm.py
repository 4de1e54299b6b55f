"""Every phone reconnecting at once, as after a server restart, and the memory it costs.

    .venv/bin/python bench/ws_storm.py --clients 1000 --processes 1
    .venv/bin/python bench/ws_storm.py --clients 2000 --processes 2
    .venv/bin/python bench/ws_storm.py --clients 200 --baseline b1517b1

Starts fresh Daphne processes (over a Redis of its own when more than one) with a
PostgreSQL database of its own (--db sqlite for a file), joins one phone over HTTP to
read the websocket's path from its page and makes the other N-1 participants in the
database. Then, --rounds times: all N sockets connect at the same moment, spread over
the processes, and each must have the meeting's state (the first message) within
--deadline seconds of that moment; then all disconnect. The first round is the storm of
a restart. Reports how many had the state in time, when the last did, why the others
failed, and the servers' resident memory (VmRSS, summed) with all sockets open and after
they closed, per round: memory per socket, and whether it grows after round 3.
Prints one JSON line.
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
    load_average,
    log,
    open_socket,
    raise_open_files_limit,
    report,
    rss_kib,
    running,
    stop_on_sigterm,
)

# Rounds before this one warm up the processes; memory growth is counted from it.
STEADY_ROUND = 3


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


async def storm(target, path: str, cookies: list[str], args) -> dict:
    ports = [server.port for server in target.servers]
    pids = [server.process.pid for server in target.servers]
    rounds = []
    for number in range(1, args.rounds + 1):
        rss_before = sum(rss_kib(pid) for pid in pids)
        begun = time.monotonic()
        ends = asyncio.get_running_loop().time() + args.deadline
        results = await asyncio.gather(
            *(
                attempt(ports[index % len(ports)], path, cookie, begun, ends)
                for index, cookie in enumerate(cookies)
            )
        )
        times = [seconds for _, seconds, _ in results if seconds is not None]
        await settle(pids)
        rss_open = sum(rss_kib(pid) for pid in pids)
        opened = [socket for socket, _, _ in results if socket is not None]
        await asyncio.gather(*(socket.close() for socket in opened), return_exceptions=True)
        await settle(pids)
        rss_closed = sum(rss_kib(pid) for pid in pids)
        figures = {
            "round": number,
            "got_state": len(times),
            "last_state_s": round(max(times), 2) if times else None,
            "median_state_s": round(statistics.median(times), 2) if times else None,
            "failures": dict(Counter(failure for _, _, failure in results if failure)),
            "rss_before_kib": rss_before,
            "rss_open_kib": rss_open,
            "rss_closed_kib": rss_closed,
            "kib_per_socket": round((rss_open - rss_before) / len(opened), 1) if opened else None,
        }
        log(f"[{target.revision}] round {number}: {figures}")
        rounds.append(figures)
    return summarize(target.revision, rounds, len(cookies))


def summarize(revision: str, rounds: list[dict], clients: int) -> dict:
    steady = [r for r in rounds if r["round"] >= STEADY_ROUND and r["kib_per_socket"]]
    first = rounds[0]
    summary = {
        "revision": revision,
        "storm": {
            "got_state": first["got_state"],
            "of": clients,
            "last_state_s": first["last_state_s"],
            "median_state_s": first["median_state_s"],
            "failures": first["failures"],
        },
        "all_rounds_got_state": [r["got_state"] for r in rounds],
        "kib_per_socket": (
            round(statistics.median(r["kib_per_socket"] for r in steady), 1) if steady else None
        ),
        "rss_closed_kib": [r["rss_closed_kib"] for r in rounds],
        "rss_open_kib": [r["rss_open_kib"] for r in rounds],
    }
    if len(rounds) >= STEADY_ROUND:
        summary["rss_growth_after_round3_kib"] = (
            rounds[-1]["rss_closed_kib"] - rounds[STEADY_ROUND - 1]["rss_closed_kib"]
        )
    return summary


def measure(rev: str | None, args) -> dict:
    with running(
        rev,
        db=args.db,
        processes=args.processes,
        layer=args.layer,
        participants=args.clients - 1,
    ) as target:
        base = target.servers[0].base
        with httpx.Client(base_url=base, follow_redirects=True, trust_env=False) as client:
            projector = open_projector(client, str(target.meeting_id))
        phone = asyncio.run(join_over_http(base, projector["join"], "Phone over HTTP"))
        cookies = [phone.cookie] + [f"sessionid={key}" for key in target.sessions]
        return asyncio.run(storm(target, phone.socket, cookies, args))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=200, help="phone sockets (default 200)")
    parser.add_argument("--processes", type=int, default=1, help="Daphne processes")
    parser.add_argument("--layer", choices=["memory", "redis"], help="default: memory for 1")
    parser.add_argument("--db", choices=["postgres", "sqlite"], default="postgres")
    parser.add_argument("--rounds", type=int, default=10, help="connects and disconnects")
    parser.add_argument("--deadline", type=float, default=5, help="seconds to have the state")
    parser.add_argument("--baseline", metavar="REV", help="also measure this git revision")
    args = parser.parse_args()
    args.layer = args.layer or ("memory" if args.processes == 1 else "redis")
    if args.processes > 1 and args.layer == "memory":
        parser.error("several processes share nothing without --layer redis")
    if args.clients < 1 or args.rounds < 1:
        parser.error("--clients and --rounds must be at least 1")
    stop_on_sigterm()
    raise_open_files_limit()
    load = load_average()
    figures = {"now": measure(None, args)}
    if args.baseline:
        figures["baseline"] = measure(args.baseline, args)
    arguments = {
        "clients": args.clients,
        "processes": args.processes,
        "layer": args.layer,
        "db": args.db,
        "rounds": args.rounds,
        "deadline_s": args.deadline,
    }
    report("ws_storm", arguments, load, **figures)


if __name__ == "__main__":
    main()
