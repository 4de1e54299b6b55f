"""One subscription per group and process: the channel layer reaches a process once, and
the process hands each message to its own sockets of the group in one loop.

Channels gives every consumer a channel of its own and puts a copy of each group message
on it: at a thousand phones a broadcast is a thousand layer messages and a thousand task
wake-ups, and over Redis a thousand copies pulled one round trip at a time. Here the
sockets of a process register with its hub instead; for each group with a socket here,
the hub holds one channel in the layer's group and one task that receives from it and
passes every message to each registered socket. The layer's own API is all it uses.
"""

from __future__ import annotations

import asyncio
import logging
from contextlib import suppress
from dataclasses import dataclass, field
from typing import Protocol

from channels.layers import get_channel_layer

from .kept import PerLoop

logger = logging.getLogger(__name__)

# After the layer failed (Redis gone), wait this long before subscribing again.
RETRY_SECONDS = 1.0


class Member(Protocol):
    async def deliver(self, event: dict) -> None:
        """Take one message sent to a group the member joined."""


@dataclass(eq=False)
class Subscription:
    group: str
    ready: asyncio.Future
    # A dict as an ordered set: sockets hear a message in the order they joined.
    members: dict[Member, None] = field(default_factory=dict)
    channel: str = ""
    task: asyncio.Task | None = None


class Hub:
    """The groups that sockets on one event loop listen to."""

    def __init__(self) -> None:
        self.subscriptions: dict[str, Subscription] = {}

    async def join(self, group: str, member: Member) -> None:
        """Once this returns, every message sent to the group reaches the member."""
        subscription = self.subscriptions.get(group)
        if subscription is None:
            loop = asyncio.get_running_loop()
            subscription = Subscription(group, loop.create_future())
            self.subscriptions[group] = subscription
            subscription.task = loop.create_task(self._pump(subscription))
        subscription.members[member] = None
        try:
            # Shielded: one socket giving up must not end the subscription of the others.
            await asyncio.shield(subscription.ready)
        except BaseException:
            self.leave(group, member)
            raise

    def leave(self, group: str, member: Member) -> None:
        """Hear the group no more; the last member out ends the subscription."""
        subscription = self.subscriptions.get(group)
        if subscription is None:
            return
        subscription.members.pop(member, None)
        if not subscription.members:
            del self.subscriptions[group]
            if subscription.task is not None:
                subscription.task.cancel()

    def members(self, group: str) -> int:
        subscription = self.subscriptions.get(group)
        return len(subscription.members) if subscription else 0

    async def _pump(self, subscription: Subscription) -> None:
        layer = get_channel_layer()
        try:
            try:
                subscription.channel = await layer.new_channel()
                await layer.group_add(subscription.group, subscription.channel)
            except Exception as error:
                if self.subscriptions.get(subscription.group) is subscription:
                    del self.subscriptions[subscription.group]
                subscription.ready.set_exception(error)
                return
            subscription.ready.set_result(None)
            while True:
                try:
                    event = await layer.receive(subscription.channel)
                except Exception:
                    logger.warning("The group %s could not be heard", subscription.group)
                    await asyncio.sleep(RETRY_SECONDS)
                    # A Redis that came back empty forgot the group: join it again.
                    with suppress(Exception):
                        await layer.group_add(subscription.group, subscription.channel)
                    continue
                for member in list(subscription.members):
                    try:
                        await member.deliver(event)
                    except Exception:
                        logger.exception("A message could not be passed to a socket")
        finally:
            # The ended task's traceback holds this frame, which holds the subscription: let
            # go of the task, or the cycle (with the layer's queue it waited on) stays in
            # memory until the collector's rare full pass (docs/benchmarks.md).
            subscription.task = None
            if not subscription.ready.done():
                subscription.ready.cancel()
            if subscription.channel:
                with suppress(Exception):
                    await layer.group_discard(subscription.group, subscription.channel)


# The hub of the running event loop.
hub = PerLoop(Hub)
