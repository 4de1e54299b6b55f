"""The facilitator at the projector, in a process of their own, for the live benchmarks.

    python bench/facilitator.py http://127.0.0.1:PORT MEETING_ID

Logs in as the demo facilitator, opens the projector, and prints one JSON line with what
the page says: its websocket path, the board's URL, the join URL and the wall's cells.
Then, for each JSON line {"topic", "slot", "room"} read on stdin, moves that topic with the
board's own POST (as htmx sends it) and prints when the POST started and when its answer
came, on the machine's monotonic clock, which the benchmark's client shares.

A process of its own, so that the time of the answer is not delayed by the client reading
a thousand sockets on the same event loop.
"""

from __future__ import annotations

import json
import re
import sys
import time

import httpx
from harness import DEMO_LOGIN, attribute, cells, csrf_header, path_of


def log_in(client: httpx.Client, meeting_id: str) -> str:
    """Open the projector, logging in on the way; returns the projector page."""
    page = client.get(f"/meetings/{meeting_id}/projector/")
    if "ws-connect" not in page.text:
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
        if token is None:
            raise RuntimeError(f"no login form at {page.url}")
        page = client.post(page.url, data={**DEMO_LOGIN, "csrfmiddlewaretoken": token.group(1)})
    if "ws-connect" not in page.text:
        raise RuntimeError(f"the projector did not open after logging in ({page.status_code})")
    return page.text


def open_projector(client: httpx.Client, meeting_id: str) -> dict:
    """What the projector page says: its socket, the board's URL, the join URL, the cells."""
    page = log_in(client, meeting_id)
    join = re.search(r'class="join-how"[^<]*<strong>([^<]+)</strong>', page)
    return {
        "socket": attribute(page, "ws-connect"),
        "board": attribute(page, "data-board-url"),
        "join": path_of(join.group(1)) if join else None,
        "cells": cells(page),
        "csrf": csrf_header(page),
    }


def main() -> None:
    base, meeting_id = sys.argv[1], sys.argv[2]
    with httpx.Client(base_url=base, follow_redirects=True, timeout=60, trust_env=False) as client:
        projector = open_projector(client, meeting_id)
        headers = {"X-CSRFToken": projector["csrf"], "HX-Request": "true"}
        print(json.dumps(projector), flush=True)
        for line in sys.stdin:
            move = json.loads(line)
            started = time.monotonic()
            answer = client.post(
                projector["board"], data={"action": "move", **move}, headers=headers
            )
            answered = time.monotonic()
            text = re.sub(r"<[^>]+>", "", answer.text).strip()
            print(
                json.dumps(
                    {
                        "started": started,
                        "answered": answered,
                        "status": answer.status_code,
                        "message": text[:200],
                    }
                ),
                flush=True,
            )


if __name__ == "__main__":
    main()
