"""The in-memory channel layer for one process, made fit for a room of a thousand phones.

Channels' own cleans every channel and every group member on every send and receive,
which is quadratic in the number of sockets (58% of a broadcast's time at 1,000 phones),
and sends a group message through one task and one copy per socket. This subclass cleans
at most once a second and puts one copy of a group message on every socket's queue
directly. It overrides `_clean_expired`, a private method of Channels 4.3: the version is
pinned to 4.3 (pyproject.toml) and tests/test_channel_layer.py checks what this relies on.
A fix belongs upstream; docs/benchmarks.md says so.
"""

from __future__ import annotations

import asyncio
import time
from copy import deepcopy

from channels.layers import InMemoryChannelLayer as ChannelsInMemoryChannelLayer


class InMemoryChannelLayer(ChannelsInMemoryChannelLayer):
    """Channels' in-memory layer, cleaning at most once a second, sending groups in one pass."""

    CLEAN_EVERY = 1.0
    cleaned_at = 0.0

    def _clean_expired(self) -> None:
        now = time.monotonic()
        if now - self.cleaned_at < self.CLEAN_EVERY:
            return
        self.cleaned_at = now
        super()._clean_expired()

    async def group_send(self, group: str, message: dict) -> None:
        """Put one copy of the message on the queue of every channel of the group.

        Consumers only read the messages they receive, so one copy serves them all; a
        full queue drops the message for that channel, as Channels' own layer does.
        """
        assert isinstance(message, dict), "Message is not a dict"
        self.require_valid_group_name(group)
        self._clean_expired()
        entry = (time.time() + self.expiry, deepcopy(message))
        for channel in list(self.groups.get(group, ())):
            queue = self.channels.setdefault(
                channel, asyncio.Queue(maxsize=self.get_capacity(channel))
            )
            try:
                queue.put_nowait(entry)
            except asyncio.QueueFull:
                continue
