"""The live meeting's websocket: join the meeting's groups, send the state, forward events.

Besides the fragments, a socket hears its meeting's live revision every few seconds through
the channel layer (the heartbeat), and answers a page that asks for the whole state. A page
that hears of a revision it never received asks for the state; a page that hears nothing
says so (static/js/live.js). So every screen comes back to the database's state by itself
after a fault, without a reload.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import json
import logging
import time
import weakref
from collections import Counter
from dataclasses import dataclass
from importlib import import_module
from types import SimpleNamespace

from channels.consumer import get_handler_name
from channels.db import database_sync_to_async
from channels.exceptions import StopConsumer
from channels.generic.websocket import AsyncWebsocketConsumer
from channels.layers import get_channel_layer
from django.conf import settings
from django.contrib import auth
from django.contrib.auth.models import AnonymousUser
from django.contrib.sessions.backends.base import SessionBase
from django.contrib.sessions.backends.db import SessionStore as DatabaseSession
from django.contrib.sessions.models import Session
from django.utils import timezone

from . import fragments, realtime
from .hub import hub
from .identity import token_in
from .kept import PerLoop
from .models import Meeting, Participant
from .permissions import can_facilitate

logger = logging.getLogger(__name__)

# Clients only ever send small control messages; anything bigger is refused.
MAX_MESSAGE_BYTES = 1024
ALLOWED_MESSAGES = {"ping", "state"}
CLOSE_FORBIDDEN = 4403
CLOSE_BAD_MESSAGE = 4400
# 1009 ("too big") is the protocol's own; the server library refuses it from applications.
CLOSE_TOO_BIG = 4413
HEARTBEAT_SECONDS = 5.0
# A page asks for the state when it missed something; more often than this is refused.
STATE_AT_MOST_EVERY = 2.0


@dataclass(frozen=True)
class Opening:
    """What a socket learns on connecting, in one trip to the database."""

    facilitator: bool
    groups: list[str]
    state: str


def _session_data(sessions: list[SessionBase]) -> list[dict]:
    """What each browser's session holds: those kept in the database read in one query,
    any other kind through its own store."""
    keys = {
        session.session_key
        for session in sessions
        if isinstance(session, DatabaseSession) and session.session_key
    }
    rows = dict(
        Session.objects.filter(session_key__in=keys, expire_date__gt=timezone.now()).values_list(
            "session_key", "session_data"
        )
    )
    data = []
    for session in sessions:
        if not isinstance(session, DatabaseSession):
            data.append(dict(session.items()))
        elif session.session_key in rows:
            data.append(session.decode(rows[session.session_key]))
        else:
            data.append({})
    return data


def _open_many(requests: list[tuple[SessionBase, int]]) -> list[Opening | None]:
    """For each connecting browser (its session and the meeting it asks for): who it is,
    which of the meeting's groups it may join, and the state it is shown; None if nobody
    we know. In a storm of reconnecting phones the trips to the worker thread queue behind
    one another: the browsers waiting together are read together, in a few queries."""
    data = _session_data([session for session, _ in requests])
    meeting_ids = [meeting_id for _, meeting_id in requests]
    tokens = [token_in(each, pk) for each, pk in zip(data, meeting_ids, strict=True)]
    participants = {
        (participant.meeting_id, participant.token): participant
        for participant in Participant.objects.select_related("meeting").filter(
            token__in={token for token in tokens if token}
        )
    }
    # The meetings of the phones come with their participants; the others' are read here.
    meetings = Meeting.objects.in_bulk(
        {
            pk
            for pk, token in zip(meeting_ids, tokens, strict=True)
            if (pk, token) not in participants
        }
    )
    openings = []
    for (session, meeting_id), each, token in zip(requests, data, tokens, strict=True):
        participant = participants.get((meeting_id, token))
        meeting = participant.meeting if participant else meetings.get(meeting_id)
        # Only a logged-in browser has a user to read (and to check against its session).
        user = (
            auth.get_user(SimpleNamespace(session=session))
            if auth.SESSION_KEY in each
            else AnonymousUser()
        )
        facilitator = meeting is not None and can_facilitate(user, meeting)
        if not facilitator and participant is None:
            openings.append(None)
            continue
        groups = [realtime.meeting_group(meeting.pk)]
        if facilitator:
            groups.append(realtime.facilitators_group(meeting.pk))
            # Logging out ends this socket, so it stops hearing what only facilitators may.
            groups.append(realtime.session_group(session.session_key))
        if participant is not None:
            groups.append(realtime.participant_group(participant.pk))
        state = fragments.state_of(meeting, facilitator=facilitator)
        openings.append(Opening(facilitator, groups, state))
    return openings


# At most this many connecting sockets are read in one trip to the database.
OPEN_AT_ONCE = 100


class Opener:
    """The connecting sockets of one event loop, read from the database together: those
    that arrive while a trip is under way go in the next one."""

    def __init__(self) -> None:
        self.waiting: list[tuple[SessionBase, int, asyncio.Future]] = []
        self.task: asyncio.Task | None = None

    async def open(self, session: SessionBase, meeting_id: int) -> Opening | None:
        loop = asyncio.get_running_loop()
        future = loop.create_future()
        self.waiting.append((session, meeting_id, future))
        if self.task is None or self.task.done():
            self.task = loop.create_task(self._trips())
        return await future

    async def _trips(self) -> None:
        while self.waiting:
            batch = self.waiting[:OPEN_AT_ONCE]
            del self.waiting[:OPEN_AT_ONCE]
            try:
                openings = await database_sync_to_async(_open_many)(
                    [(session, meeting_id) for session, meeting_id, _ in batch]
                )
            except Exception as error:
                openings = [error] * len(batch)
            for (_, _, future), opening in zip(batch, openings, strict=True):
                if future.done():  # the socket gave up waiting
                    continue
                if isinstance(opening, Exception):
                    future.set_exception(opening)
                else:
                    future.set_result(opening)


# The opener of the running event loop.
opener = PerLoop(Opener)


def _revisions(meeting_ids: list[int]) -> dict[int, int]:
    return dict(Meeting.objects.filter(pk__in=meeting_ids).values_list("pk", "live_revision"))


class Heartbeat:
    """One task per event loop: every few seconds, each meeting with sockets here hears its
    live revision through the channel layer. When the layer fails, the pages notice the
    silence; when it comes back, they notice what they missed."""

    def __init__(self) -> None:
        self.meetings: Counter[int] = Counter()
        self.task: asyncio.Task | None = None

    def join(self, meeting_id: int) -> None:
        self.meetings[meeting_id] += 1
        if self.task is None or self.task.done():
            self.task = asyncio.get_running_loop().create_task(self._beat())

    def leave(self, meeting_id: int) -> None:
        self.meetings[meeting_id] -= 1
        if self.meetings[meeting_id] <= 0:
            del self.meetings[meeting_id]

    async def _beat(self) -> None:
        while self.meetings:
            await asyncio.sleep(HEARTBEAT_SECONDS)
            try:
                revisions = await database_sync_to_async(_revisions)(list(self.meetings))
                layer = get_channel_layer()
                for meeting_id, revision in revisions.items():
                    event = {"type": "meeting.revision", "revision": revision}
                    await asyncio.wait_for(
                        layer.group_send(realtime.meeting_group(meeting_id), event),
                        realtime.SEND_TIMEOUT,
                    )
            except Exception:
                # A frozen layer or database: the pages notice the silence and say so.
                logger.warning("The live revision could not be sent", exc_info=True)


# The heartbeat of the running event loop.
heartbeat = PerLoop(Heartbeat)


# A full collection once the server has let go of this many sockets. A closed socket
# leaves cycles (Twisted's and autobahn's protocol objects, cancelled tasks) that the
# collector's own schedule, with the imported heap frozen (openspace/asgi.py), reached only
# after about five rounds of a thousand phones coming and going; meanwhile the process grew
# by 25 MiB a round. They become garbage when Daphne drops the connection, in a check once
# a second (`Server.application_checker`), not when the socket ends; Daphne drops the task
# it ran the socket in at the same moment, and a weak reference to that task tells when.
# Passes timed from the sockets' ends could come before that check: the next round then
# opened beside what they missed, and the process stepped up by several MiB
# (docs/benchmarks.md, "The tenth round").
SWEEP_AFTER_RELEASES = 100


class Sweeper:
    """A full collection once the server has let go of sockets that ended."""

    def __init__(self) -> None:
        self.loop = asyncio.get_running_loop()
        self.released = 0
        self.pass_due = False

    def ended(self) -> None:
        """Called in the task the server runs the socket in, which it keeps until it lets go
        of the connection."""
        weakref.finalize(asyncio.current_task(), self.let_go).atexit = False

    def let_go(self) -> None:
        # The task may go in a collection on another thread, or after the loop closed.
        with contextlib.suppress(RuntimeError):
            self.loop.call_soon_threadsafe(self.count)

    def count(self) -> None:
        self.released += 1
        if self.released >= SWEEP_AFTER_RELEASES and not self.pass_due:
            # After the counts already queued (the rest of the server's check), which it frees too.
            self.pass_due = True
            self.loop.call_soon(self.sweep)

    def sweep(self) -> None:
        released, self.released, self.pass_due = self.released, 0, False
        started = time.perf_counter()
        found = gc.collect()
        took = (time.perf_counter() - started) * 1000
        logger.info("Swept what %d sockets left: %d objects in %.0f ms", released, found, took)


# The sweeper of the running event loop.
sweeper = PerLoop(Sweeper)


class MeetingConsumer(AsyncWebsocketConsumer):
    """One open page of a meeting: a projector or a phone.

    It hears its groups through the process's hub (hub.py), not through a channel of its
    own: the alias names no layer, so Channels opens none for it.
    """

    channel_layer_alias = "hub"

    joined: list[str]
    meeting_id: int | None = None
    facilitator = False
    state_sent_at = 0.0
    # What the groups sent before the state went out: passed on after it, in order.
    held: list[dict] | None = None

    async def __call__(self, scope, receive, send) -> None:
        self.joined = []
        try:
            await super().__call__(scope, receive, send)
        finally:
            # Also when the server cancels the socket without a disconnect.
            self.leave_all()
            sweeper().ended()

    async def dispatch(self, message: dict) -> None:
        # Channels' own dispatch first hops to the worker thread to close old database
        # connections (`aclose_old_connections`), for every message a socket gets: a
        # thousand hops when a room's phones connect or leave at once, queued on the one
        # thread that reads the connecting sockets' states. This consumer reaches the
        # database only through `database_sync_to_async`, which closes them around each
        # call itself (docs/benchmarks.md, "The eleventh round"): not through Django's
        # async ORM (`aget`, `auser`), which would leave them to the next call's close.
        handler = getattr(self, get_handler_name(message), None)
        if not handler:
            raise ValueError(f"No handler for message type {message['type']}")
        await handler(message)

    async def websocket_disconnect(self, message: dict) -> None:
        # Channels' own, without its hop (above) and without the channel layer's groups,
        # which this consumer does not join (it has no channel: the hub carries its groups).
        await self.disconnect(message["code"])
        raise StopConsumer

    def leave_all(self) -> None:
        for group in self.joined:
            hub().leave(group, self)
        self.joined = []
        if self.meeting_id is not None:
            heartbeat().leave(self.meeting_id)
            self.meeting_id = None

    async def join(self, group: str) -> None:
        self.joined.append(group)
        await hub().join(group, self)

    async def connect(self) -> None:
        meeting_id = self.scope["url_route"]["kwargs"]["meeting_id"]
        self.held = []
        # Listen before reading the state, so that no change falls between the two; what
        # arrives meanwhile is held until the state has gone out.
        await self.join(realtime.meeting_group(meeting_id))
        opening = await opener().open(self.session(), meeting_id)
        if opening is None:
            self.leave_all()
            # Accept first: a close before accepting reaches the browser as 1006, and the
            # page could not tell "you are not in this meeting" from a lost network.
            await self.accept()
            await self.close(code=CLOSE_FORBIDDEN)
            return
        for group in opening.groups[1:]:
            await self.join(group)
        state = opening.state
        if opening.facilitator and self.held:
            # The meeting changed while the state was read, perhaps in what only the
            # facilitators' group carries, which this socket had not joined yet: read again.
            state = await database_sync_to_async(fragments.current_state_of)(
                meeting_id, facilitator=True
            )
        self.facilitator = opening.facilitator
        await self.accept()
        self.meeting_id = meeting_id
        heartbeat().join(meeting_id)
        # Sent on every (re)connect: htmx drops what was broadcast while the socket was down.
        await self.send_text_state(state)
        while self.held:
            await self.forward(self.held.pop(0))
        self.held = None

    def session(self) -> SessionBase:
        """The browser's session, by its cookie, as Django's session middleware finds it."""
        key = self.scope["cookies"].get(settings.SESSION_COOKIE_NAME)
        return import_module(settings.SESSION_ENGINE).SessionStore(key)

    async def send_text_state(self, state: str) -> None:
        self.state_sent_at = time.monotonic()
        if state:
            await self.send(text_data=state)

    async def send_state(self) -> None:
        """Send the whole state of the meeting as it is now."""
        self.state_sent_at = time.monotonic()
        state = await database_sync_to_async(fragments.current_state_of)(
            self.meeting_id, facilitator=self.facilitator
        )
        await self.send_text_state(state)

    async def deliver(self, event: dict) -> None:
        """A message of one of the socket's groups, from the hub."""
        if self.held is not None:
            self.held.append(event)
            return
        await self.forward(event)

    async def forward(self, event: dict) -> None:
        kind = event["type"]
        if kind == realtime.EVENT_TYPE:
            # Fragments rendered once for the whole group.
            await self.send(text_data=event["html"])
        elif kind == "meeting.revision":
            # The heartbeat: the meeting's live revision as the database has it.
            await self.send(
                text_data=json.dumps({"type": "revision", "revision": event["revision"]})
            )
        elif kind == "session.ended":
            # The browser's facilitator logged out: this socket may no longer listen.
            await self.close(code=CLOSE_FORBIDDEN)

    async def disconnect(self, code: int) -> None:
        self.leave_all()

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        raw = text_data if text_data is not None else bytes_data or b""
        size = len(raw.encode() if isinstance(raw, str) else raw)
        if size > MAX_MESSAGE_BYTES:
            await self.close(code=CLOSE_TOO_BIG)
            return
        try:
            message = json.loads(raw)
        except (ValueError, UnicodeDecodeError):
            message = None
        # A type that is a list or an object cannot even be looked up in the set.
        kind = message.get("type") if isinstance(message, dict) else None
        if not isinstance(kind, str) or kind not in ALLOWED_MESSAGES:
            await self.close(code=CLOSE_BAD_MESSAGE)
            return
        if kind == "state":
            if time.monotonic() - self.state_sent_at >= STATE_AT_MOST_EVERY:
                await self.send_state()
            return
        await self.send(text_data=json.dumps({"type": "pong"}))
