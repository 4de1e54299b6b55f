"""The transport of live updates: group names, the socket's path, and an outbox that sends.

It knows nothing of templates or read models: `fragments` renders what a change shows and
`announce` decides what each change sends; this module only delivers texts to groups.

Deliveries leave the request: a write commits, hands its delivery to the outbox and
answers at once. The outbox runs on the server's event loop, renders each delivery in a
worker thread and sends it with a bounded wait, one delivery after the other so that
they arrive in the order they were made. Deliveries with the same key that come within
a short window are merged into one (a room tapping dots at once makes one broadcast).
Where no server loop runs (management commands, plain tests), a delivery is made at once.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass, field

from asgiref.sync import async_to_sync, sync_to_async
from channels.layers import get_channel_layer
from django.db import close_old_connections, transaction

logger = logging.getLogger(__name__)

EVENT_TYPE = "meeting.fragments"
# The websocket's route (see routing.py); `socket_path` fills in the meeting.
SOCKET_ROUTE = "ws/meetings/<int:meeting_id>/"
# A send that takes longer than this (a frozen Redis) is given up; the screens catch up
# by themselves (see consumers.py).
SEND_TIMEOUT = 5.0

# What a delivery makes when its time comes: (group, text) pairs to send, from the items
# gathered under its key; a dict instead of a text is sent as the event itself.
Render = Callable[[frozenset[str]], list[tuple[str, str | dict]]]


def meeting_group(meeting_id: int) -> str:
    """Every open page of a meeting: projectors and phones."""
    return f"meeting-{meeting_id}"


def facilitators_group(meeting_id: int) -> str:
    """The pages of a meeting's facilitators, for what participants do not see."""
    return f"meeting-{meeting_id}-facilitators"


def participant_group(participant_id: int) -> str:
    """The open pages of one participant, told when their own things change."""
    return f"participant-{participant_id}"


def session_group(session_key: str | None) -> str:
    """The sockets a logged-in browser opened, ended when it logs out."""
    digest = hashlib.sha256((session_key or "").encode()).hexdigest()[:32]
    return f"session-{digest}"


def end_session_sockets(sender, request, user, **kwargs) -> None:
    """On logging out, close the sockets the browser opened as that user."""
    if request is None or not request.session.session_key:
        return
    group = session_group(request.session.session_key)
    outbox.post(lambda _items: [(group, {"type": "session.ended"})])


def socket_path(meeting_id: int) -> str:
    """Where a page of the meeting opens its websocket."""
    return "/" + SOCKET_ROUTE.replace("<int:meeting_id>", str(meeting_id))


def fragments_event(html: str) -> dict:
    """The channel layer's event that carries rendered fragments to a group's sockets."""
    return {"type": EVENT_TYPE, "html": html}


def send_to_group(group: str, html: str) -> None:
    """Send one rendered text to every socket of a group, from synchronous code."""
    async_to_sync(get_channel_layer().group_send)(group, fragments_event(html))


def _render_in_thread(render: Render, items: frozenset[str]) -> list[tuple[str, str]]:
    try:
        return render(items)
    finally:
        # A worker thread is no request: give back its database connection as one would.
        close_old_connections()


@dataclass
class _Gathering:
    render: Render
    items: set[str] = field(default_factory=set)


class Outbox:
    """Deliveries of one process, made in order on the server's event loop."""

    def __init__(self) -> None:
        self.loop: asyncio.AbstractEventLoop | None = None
        self._last: asyncio.Task | None = None
        self._gathering: dict[Hashable, _Gathering] = {}

    def bind(self, loop: asyncio.AbstractEventLoop) -> None:
        """Make deliveries on this loop: the one that serves the sockets."""
        if self.loop is not loop:
            self.loop, self._last, self._gathering = loop, None, {}

    def post(
        self,
        render: Render,
        *,
        key: Hashable | None = None,
        items: Iterable[str] = (),
        window: float = 0.0,
    ) -> None:
        """Deliver what `render` makes; with a key, merge what comes within `window` seconds."""
        items = frozenset(items)
        loop = self.loop
        if loop is None or loop.is_closed():
            for group, payload in render(items):
                if isinstance(payload, dict):
                    async_to_sync(get_channel_layer().group_send)(group, payload)
                else:
                    send_to_group(group, payload)
            return
        loop.call_soon_threadsafe(self._accept, render, key, items, window)

    def _accept(
        self, render: Render, key: Hashable | None, items: frozenset[str], window: float
    ) -> None:
        if key is None:
            self._queue(render, items)
            return
        gathering = self._gathering.get(key)
        if gathering is None:
            gathering = self._gathering[key] = _Gathering(render)
            asyncio.get_running_loop().call_later(window, self._release, key)
        gathering.items |= items

    def _release(self, key: Hashable) -> None:
        gathering = self._gathering.pop(key)
        self._queue(gathering.render, frozenset(gathering.items))

    def _queue(self, render: Render, items: frozenset[str]) -> None:
        self._last = asyncio.get_running_loop().create_task(
            self._deliver(self._last, render, items)
        )

    async def _deliver(
        self, previous: asyncio.Task | None, render: Render, items: frozenset[str]
    ) -> None:
        if previous is not None:
            await asyncio.wait([previous])
        try:
            messages = await sync_to_async(_render_in_thread, thread_sensitive=False)(render, items)
            layer = get_channel_layer()
            for group, payload in messages:
                event = (
                    payload if isinstance(payload, dict) else {"type": EVENT_TYPE, "html": payload}
                )
                await asyncio.wait_for(layer.group_send(group, event), SEND_TIMEOUT)
        except Exception:
            logger.exception("A live update could not be delivered")


outbox = Outbox()


def after_commit(
    render: Render,
    *,
    key: Hashable | None = None,
    items: Iterable[str] = (),
    window: float = 0.0,
) -> None:
    """Once the current transaction commits, deliver what `render` makes; never on rollback."""
    items = tuple(items)
    transaction.on_commit(
        lambda: outbox.post(render, key=key, items=items, window=window), robust=True
    )


class BindOutbox:
    """ASGI middleware: the outbox delivers on the loop that serves this process's requests."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send):
        outbox.bind(asyncio.get_running_loop())
        return await self.app(scope, receive, send)
