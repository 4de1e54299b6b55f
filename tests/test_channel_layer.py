"""The channel layer that carries live updates: Redis when REDIS_URL is set."""

from __future__ import annotations

import asyncio
import os
import uuid

import pytest
from channels.layers import get_channel_layer
from django.conf import settings


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
