"""The live meeting's websocket: join the meeting's groups, send the state, forward events."""

from __future__ import annotations

import json
from dataclasses import dataclass

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer

from . import fragments, realtime
from .identity import participant_for
from .models import Meeting
from .permissions import can_facilitate

# Clients only ever send small control messages; anything bigger is refused.
MAX_MESSAGE_BYTES = 1024
ALLOWED_MESSAGES = {"ping"}
CLOSE_FORBIDDEN = 4403
CLOSE_BAD_MESSAGE = 4400
CLOSE_TOO_BIG = 1009


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
    if participant is not None:
        groups.append(realtime.participant_group(participant.pk))
    return Access(meeting, facilitator, groups)


class MeetingConsumer(AsyncWebsocketConsumer):
    """One open page of a meeting: a projector or a phone."""

    groups_joined: list[str]

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
        self.groups_joined = access.groups
        await self.accept()
        # Sent on every (re)connect: htmx drops what was broadcast while the socket was down.
        # Read after joining the groups, so that no change falls between the two.
        state = await database_sync_to_async(fragments.current_state)(
            access.meeting, facilitator=access.facilitator
        )
        await self.send(text_data=state)

    async def disconnect(self, code: int) -> None:
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
        if not isinstance(message, dict) or message.get("type") not in ALLOWED_MESSAGES:
            await self.close(code=CLOSE_BAD_MESSAGE)
            return
        await self.send(text_data=json.dumps({"type": "pong"}))

    async def meeting_fragments(self, event: dict) -> None:
        """Forward fragments rendered once for the whole group."""
        await self.send(text_data=event["html"])
