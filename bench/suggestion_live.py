"""Live updates while the server computes a large placement suggestion.

    .venv/bin/python bench/suggestion_live.py                 # 100 phones, PostgreSQL
    .venv/bin/python bench/suggestion_live.py --phones 300 --db sqlite

Starts Daphne on 127.0.0.1 (DEBUG off, the in-memory channel layer) with a database of its
own, and makes the issue's large meeting in it: 8 slots × 8 rooms (10 to 60 seats), 600
participants, 60 raised topics with Zipf-like interest, 5 marks a person on average
(bench/placement.py's generator, the same seed). N phones open their sockets. One phone
taps "I want to join" on a topic again and again with the phone's own POST; each tap is
timed until every socket has the topic's new count. The facilitator, logged in, asks for
a suggestion with moves allowed (the projector's POST), which the server computes in its
worker process.

Taps are timed twice: with nothing else going on, and while a suggestion is being
computed (only taps that start and end inside the suggestion's request count). If the
suggestion held the server's event loop, the taps during it would wait for it: about a
second each. Prints one JSON line.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import re
import time

import httpx
from harness import (
    DEMO_LOGIN,
    csrf_header,
    load_average,
    log,
    manage,
    open_socket,
    raise_open_files_limit,
    report,
    running,
    spread,
    stop_on_sigterm,
)
from placement import SIZES, generate

# Runs in `manage.py shell`: the generated meeting, its phones' sessions, its topics' ids.
MEETING_SCRIPT = """
import datetime as dt, json
from django.contrib.sessions.backends.db import SessionStore
from django.db import transaction
from sessions_app.identity import remember
from sessions_app.models import Interest, Meeting, Participant, Room, Slot, Topic

spec = json.loads({spec!r})
with transaction.atomic():
    meeting = Meeting.objects.create(title="Bench 8 x 8", phase="agenda", language="en")
    for number in range(1, spec["slots"] + 1):
        Slot.objects.create(meeting=meeting, number=number,
                            starts=dt.time(8 + number), ends=dt.time(8 + number, 45))
    for position, capacity in enumerate(spec["capacities"]):
        Room.objects.create(meeting=meeting, code=chr(65 + position), position=position,
                            capacity=capacity)
    people = Participant.objects.bulk_create(
        Participant(meeting=meeting, name=f"Person {{n}}") for n in range(spec["people"]))
    topics = []
    for topic in spec["topics"]:
        conveners = [people[p] for p in topic["conveners"]]
        topics.append(Topic.objects.create(
            meeting=meeting, title=f"Topic {{topic['id']}}", status="raised",
            convener=conveners[0], partner=conveners[1] if len(conveners) > 1 else None,
            partner_signed=len(conveners) > 1))
    Interest.objects.bulk_create(
        Interest(topic=made, participant=people[p])
        for made, topic in zip(topics, spec["topics"]) for p in topic["interested"])
    sessions = []
    for person in people[: spec["phones"]]:
        session = SessionStore()
        remember(session, person)
        session.create()
        sessions.append(session.session_key)
print("BENCH " + json.dumps({{"meeting": meeting.pk, "sessions": sessions,
                             "topics": [t.pk for t in topics]}}))
"""


def make_meeting(target, phones: int) -> dict:
    """The issue's large meeting, made in the target's database."""
    slots, rooms, topics, people = SIZES["large"]
    instance = generate(slots, rooms, topics, people)
    spec = {
        "slots": slots,
        "capacities": [room.capacity for room in instance.rooms],
        "people": people,
        "phones": phones + 1,
        "topics": [
            {
                "id": topic.id,
                "conveners": sorted(topic.conveners),
                "interested": sorted(topic.interested - topic.conveners),
            }
            for topic in instance.topics
        ],
    }
    script = MEETING_SCRIPT.format(spec=json.dumps(spec))
    output = manage(target.tree, target.environment, "shell", "-c", script)
    return json.loads(next(x for x in output.splitlines() if x.startswith("BENCH "))[6:])


class Sockets:
    """N phone sockets, each noting when it first sees the text a tap is waited for."""

    def __init__(self, sockets) -> None:
        self.sockets = sockets
        self.markers: tuple[str, ...] = ()
        self.seen: list[float | None] = [None] * len(sockets)
        self.all_seen = asyncio.Event()
        self.readers = [asyncio.create_task(self.read(i, s)) for i, s in enumerate(sockets)]

    async def read(self, index: int, socket) -> None:
        with contextlib.suppress(Exception):
            async for message in socket:
                if not isinstance(message, str) or not self.markers:
                    continue
                if self.seen[index] is None and all(m in message for m in self.markers):
                    self.seen[index] = time.monotonic()
                    if all(seen is not None for seen in self.seen):
                        self.all_seen.set()

    def wait_for(self, *markers: str) -> None:
        self.markers, self.seen = markers, [None] * len(self.sockets)
        self.all_seen.clear()

    async def close(self) -> None:
        for socket in self.sockets:
            await socket.close()
        for reader in self.readers:
            reader.cancel()


async def phone_client(base: str, meeting: int, session: str) -> tuple[httpx.AsyncClient, str]:
    client = httpx.AsyncClient(base_url=base, cookies={"sessionid": session}, trust_env=False)
    page = await client.get(f"/m/{meeting}/")
    return client, csrf_header(page.text)


async def facilitator_client(base: str, meeting: int) -> tuple[httpx.AsyncClient, str]:
    client = httpx.AsyncClient(base_url=base, follow_redirects=True, timeout=60, trust_env=False)
    login = await client.get("/accounts/login/")
    token = login.cookies.get("csrftoken") or client.cookies.get("csrftoken")
    await client.post(
        "/accounts/login/", data={**DEMO_LOGIN, "csrfmiddlewaretoken": token}, headers={}
    )
    page = await client.get(f"/meetings/{meeting}/projector/")
    if "suggest-form" not in page.text:
        raise RuntimeError("the projector has no suggestion control")
    return client, csrf_header(page.text)


async def suggest(client: httpx.AsyncClient, csrf: str, meeting: int) -> tuple[float, float]:
    """Ask for a suggestion as the projector does; when the request started and ended."""
    started = time.monotonic()
    answer = await client.post(
        f"/meetings/{meeting}/suggestion/",
        data={"allow_moves": "1"},
        headers={"X-CSRFToken": csrf, "HX-Request": "true"},
    )
    if "suggestion-ghosts" not in answer.text:
        raise RuntimeError(f"no suggestion came back ({answer.status_code}): {answer.text[:300]}")
    return started, time.monotonic()


def interest_count(page: str, topic: int) -> int:
    """The count a page shows on a topic's card."""
    card = page[page.index(f'id="topic-{topic}"') :]
    return int(re.search(r'data-count="(\d+)"', card).group(1))


class Tapper:
    """One phone tapping "I want to join" on a topic, each tap timed to the last socket."""

    def __init__(self, client, csrf, meeting, topic, count, sockets, timeout) -> None:
        self.client, self.csrf, self.meeting, self.topic = client, csrf, meeting, topic
        self.count, self.sockets, self.timeout = count, sockets, timeout
        self.marked = False
        self.lost = 0

    async def tap(self) -> tuple[float, float, float] | None:
        """(start, end, seconds until every socket had it); None if one never did."""
        self.marked = not self.marked
        count = self.count + (1 if self.marked else 0)
        self.sockets.wait_for(f'id="topic-{self.topic}"', f'data-count="{count}"')
        started = time.monotonic()
        await self.client.post(
            f"/m/{self.meeting}/topics/{self.topic}/interest/",
            headers={"X-CSRFToken": self.csrf, "HX-Request": "true"},
        )
        try:
            await asyncio.wait_for(self.sockets.all_seen.wait(), self.timeout)
        except TimeoutError:
            self.lost += 1
            return None
        ended = time.monotonic()
        return started, ended, ended - started


async def measure(target, made: dict, args) -> dict:
    server = target.servers[0]
    meeting, sessions = made["meeting"], made["sessions"]
    path = f"/ws/meetings/{meeting}/"
    log(f"opening {args.phones} sockets")
    opened = []
    for session in sessions[1:]:
        opened.append(await open_socket(server.port, path, f"sessionid={session}"))
    sockets = Sockets(opened)
    tapper_client, tapper_csrf = await phone_client(server.base, meeting, sessions[0])
    facilitator, csrf = await facilitator_client(server.base, meeting)
    topic = made["topics"][-1]  # the least wanted: its card is small
    count = interest_count((await tapper_client.get(f"/m/{meeting}/")).text, topic)
    tapper = Tapper(tapper_client, tapper_csrf, meeting, topic, count, sockets, args.timeout)
    await asyncio.sleep(1)

    log("the first suggestion starts the worker process")
    started, ended = await suggest(facilitator, csrf, meeting)
    first = ended - started

    log(f"{args.taps} taps with nothing else going on")
    idle = []
    for _ in range(args.taps):
        found = await tapper.tap()
        if found:
            idle.append(found[2] * 1000)
        await asyncio.sleep(args.pause)

    log(f"{args.suggestions} suggestions, tapping while each is computed")
    during, suggestions, taps_per_suggestion = [], [], []
    for _ in range(args.suggestions):
        task = asyncio.create_task(suggest(facilitator, csrf, meeting))
        taps = []
        while not task.done():
            found = await tapper.tap()
            if found:
                taps.append(found)
        started, ended = await task
        inside = [tap for tap in taps if tap[0] >= started and tap[1] <= ended]
        during += [tap[2] * 1000 for tap in inside]
        suggestions.append((ended - started) * 1000)
        taps_per_suggestion.append(len(inside))
        await asyncio.sleep(args.pause)
    await sockets.close()
    await tapper_client.aclose()
    await facilitator.aclose()
    return {
        "suggestion_first_call_ms": round(first * 1000),
        "suggestion_ms": spread(suggestions, 0),
        "tap_to_last_phone_ms_idle": spread(idle),
        "tap_to_last_phone_ms_during_suggestion": spread(during),
        "taps_inside_each_suggestion": taps_per_suggestion,
        "lost": tapper.lost,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--phones", type=int, default=100)
    parser.add_argument("--taps", type=int, default=30)
    parser.add_argument("--suggestions", type=int, default=5)
    parser.add_argument("--pause", type=float, default=0.1, help="seconds between taps")
    parser.add_argument("--timeout", type=float, default=10.0)
    parser.add_argument("--db", choices=["postgres", "sqlite"], default="postgres")
    args = parser.parse_args()
    stop_on_sigterm()
    raise_open_files_limit()
    load = load_average()
    with running(None, db=args.db, processes=1, layer="memory") as target:
        log("making the 8 × 8 meeting: 60 topics, 600 people")
        made = make_meeting(target, args.phones)
        figures = asyncio.run(measure(target, made, args))
    report(
        "suggestion_live",
        {"phones": args.phones, "db": args.db, "layer": "memory", "processes": 1},
        load,
        **figures,
    )


if __name__ == "__main__":
    main()
