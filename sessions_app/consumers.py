"""The live meeting's websocket: join the meeting's groups, send the state, forward events.

Besides the fragments, a socket hears its meeting's live revision every few seconds through
the channel layer (the heartbeat), and answers a page that asks for the whole state. A page
that hears of a revision it never received asks for the state; a page that hears nothing
says so (static/js/live.js). So every screen comes back to the database's state by itself
after a fault, without a reload.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections import Counter
from dataclasses import dataclass

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from channels.layers import get_channel_layer

from . import fragments, realtime
from .identity import participant_for
from .models import Meeting
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
class Access:
    meeting: Meeting
    facilitator: bool
    groups: list[str]


def _access(scope: dict, meeting_id: int) -> Access | None:
    """Which of the meeting's groups this socket may join; None if nobody we know."""
    meeting = Meeting.objects.filter(pk=meeting_id).first()
    if meeting is None:
        return None
    facilitator = can_facilitate(scope["user"], meeting)
    participant = participant_for(scope["session"], meeting)
    if not facilitator and participant is None:
        return None
    groups = [realtime.meeting_group(meeting.pk)]
    if facilitator:
        groups.append(realtime.facilitators_group(meeting.pk))
        # Logging out ends this socket, so it stops hearing what only facilitators may.
        groups.append(realtime.session_group(scope["session"].session_key))
    if participant is not None:
        groups.append(realtime.participant_group(participant.pk))
    return Access(meeting, facilitator, groups)


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


heartbeats: dict[asyncio.AbstractEventLoop, Heartbeat] = {}


def heartbeat() -> Heartbeat:
    """The heartbeat of the running event loop."""
    loop = asyncio.get_running_loop()
    for old in [old for old in heartbeats if old.is_closed()]:
        del heartbeats[old]
    return heartbeats.setdefault(loop, Heartbeat())


# Handlers that only forward what they were sent: they touch no database.
FORWARDING = {"meeting.fragments", "meeting.revision"}


class MeetingConsumer(AsyncWebsocketConsumer):
    """One open page of a meeting: a projector or a phone."""

    async def dispatch(self, message: dict) -> None:
        """Forward broadcasts at once; everything else goes through Channels' dispatch.

        Channels closes old database connections before every handler, a trip to its one
        sync thread; for a broadcast that touches no database, that trip is the slowest
        part of reaching a thousand phones.
        """
        if message["type"] in FORWARDING:
            await getattr(self, message["type"].replace(".", "_"))(message)
            return
        await super().dispatch(message)

    groups_joined: list[str]
    access: Access | None = None
    state_sent_at = 0.0

    async def connect(self) -> None:
        self.groups_joined = []
        meeting_id = self.scope["url_route"]["kwargs"]["meeting_id"]
        access = await database_sync_to_async(_access)(self.scope, meeting_id)
        if access is None:
            # Accept first: a close before accepting reaches the browser as 1006, and the
            # page could not tell "you are not in this meeting" from a lost network.
            await self.accept()
            await self.close(code=CLOSE_FORBIDDEN)
            return
        for group in access.groups:
            await self.channel_layer.group_add(group, self.channel_name)
        self.groups_joined, self.access = access.groups, access
        await self.accept()
        heartbeat().join(access.meeting.pk)
        # Sent on every (re)connect: htmx drops what was broadcast while the socket was down.
        # Read after joining the groups, so that no change falls between the two.
        await self.send_state()

    async def send_state(self) -> None:
        """Send the whole state of the meeting as it is now."""
        self.state_sent_at = time.monotonic()
        state = await database_sync_to_async(fragments.current_state_of)(
            self.access.meeting.pk, facilitator=self.access.facilitator
        )
        if state:
            await self.send(text_data=state)

    async def disconnect(self, code: int) -> None:
        if self.access is not None:
            heartbeat().leave(self.access.meeting.pk)
        for group in self.groups_joined:
            await self.channel_layer.group_discard(group, self.channel_name)

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

    async def meeting_fragments(self, event: dict) -> None:
        """Forward fragments rendered once for the whole group."""
        await self.send(text_data=event["html"])

    async def meeting_revision(self, event: dict) -> None:
        """Forward the heartbeat: the meeting's live revision as the database has it."""
        await self.send(text_data=json.dumps({"type": "revision", "revision": event["revision"]}))

    async def session_ended(self, event: dict) -> None:
        """The browser's facilitator logged out: this socket may no longer listen."""
        await self.close(code=CLOSE_FORBIDDEN)
