"""The channel layer that carries live updates: Redis when REDIS_URL is set, else our
in-memory layer, whose behaviour past Channels' own is checked here."""

from __future__ import annotations

import asyncio
import os
import uuid

import pytest
from channels.layers import InMemoryChannelLayer as ChannelsInMemoryChannelLayer
from channels.layers import get_channel_layer
from django.conf import settings

from sessions_app.layers import InMemoryChannelLayer


@pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="needs REDIS_URL")
async def test_redis_layer_delivers_a_group_message_to_every_member():
    assert settings.CHANNEL_LAYERS["default"]["BACKEND"] == "channels_redis.core.RedisChannelLayer"
    layer = get_channel_layer()
    group = f"test-{uuid.uuid4().hex}"
    first, second = await layer.new_channel(), await layer.new_channel()
    await layer.group_add(group, first)
    await layer.group_add(group, second)

    await layer.group_send(group, {"type": "meeting.html", "html": "<div id=a1>Å</div>"})

    assert (await layer.receive(first))["html"] == "<div id=a1>Å</div>"
    assert (await layer.receive(second))["html"] == "<div id=a1>Å</div>"
    await layer.group_discard(group, first)
    await layer.group_discard(group, second)
    await layer.flush()


@pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="needs REDIS_URL")
async def test_redis_layer_keeps_an_idle_socket_waiting_past_its_blocking_pop():
    # redis-py 8 times reads out after 5 s, as long as channels-redis' blocking pop
    # waits; without a longer socket timeout an idle receive fails and the phone's
    # socket closes with 1011.
    layer = get_channel_layer()
    channel = await layer.new_channel()

    with pytest.raises(asyncio.TimeoutError):
        await asyncio.wait_for(layer.receive(channel), timeout=layer.brpop_timeout + 2)

    await layer.flush()


async def test_default_layer_delivers_a_group_message():
    layer = get_channel_layer()
    channel = await layer.new_channel()
    await layer.group_add("meeting-test", channel)

    await layer.group_send("meeting-test", {"type": "meeting.html", "html": "<p>ok</p>"})

    assert (await layer.receive(channel))["html"] == "<p>ok</p>"
    await layer.group_discard("meeting-test", channel)


async def test_in_memory_layer_sends_a_group_message_to_every_member_once():
    layer = InMemoryChannelLayer()
    channels = [await layer.new_channel() for _ in range(3)]
    for channel in channels:
        await layer.group_add("room", channel)
    await layer.group_add("elsewhere", await layer.new_channel())

    await layer.group_send("room", {"type": "meeting.fragments", "html": "<p>A1</p>"})

    for channel in channels:
        assert (await layer.receive(channel))["html"] == "<p>A1</p>"
    assert all(not queue.qsize() for queue in layer.channels.values())


async def test_in_memory_layer_still_expires_messages_and_members_but_at_most_once_a_second(
    monkeypatch,
):
    layer = InMemoryChannelLayer(expiry=0, group_expiry=0)
    stale = await layer.new_channel()
    await layer.group_add("room", stale)
    await layer.group_send("room", {"type": "meeting.fragments", "html": "old"})
    layer.cleaned_at = 0.0  # a second has passed since the last cleaning

    cleaned = []
    original = ChannelsInMemoryChannelLayer._clean_expired
    monkeypatch.setattr(
        ChannelsInMemoryChannelLayer,
        "_clean_expired",
        lambda self: cleaned.append(1) or original(self),
    )
    await asyncio.sleep(0.01)
    await layer.group_send("room", {"type": "meeting.fragments", "html": "new"})
    await layer.group_send("room", {"type": "meeting.fragments", "html": "newer"})

    assert cleaned == [1]  # the second send within the second did not clean again
    assert stale not in layer.groups.get("room", {})  # its expired message removed it


async def test_a_full_queue_drops_the_message_for_that_channel_only():
    layer = InMemoryChannelLayer(capacity=1)
    full, free = await layer.new_channel(), await layer.new_channel()
    await layer.group_add("room", full)
    await layer.send(full, {"type": "meeting.fragments", "html": "waiting"})
    await layer.group_add("room", free)

    await layer.group_send("room", {"type": "meeting.fragments", "html": "news"})

    assert (await layer.receive(free))["html"] == "news"
    assert (await layer.receive(full))["html"] == "waiting"
