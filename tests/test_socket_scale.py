"""What keeps a thousand phones cheap: one subscription per group and process, one trip to
the database per connect with as many queries at any size, one rendered state per revision,
and nothing left behind when the sockets leave."""

from __future__ import annotations

import asyncio
import gc
import sys
import threading
import weakref

import channels.consumer
import channels.db
import channels.generic.websocket
import pytest
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from django.db import connection
from django.test.utils import CaptureQueriesContext

from sessions_app import clock, consumers, fragments, realtime
from sessions_app.hub import Hub, hub
from sessions_app.models import Participant

from .factories import make_topic
from .test_consumers import (  # noqa: F401 (a fixture that closes the worker's connections)
    MARKER,
    _close_worker_connections,
    close_code,
    facilitator_cookie,
    listening,
    participant_cookie,
    socket,
)

pytestmark = pytest.mark.django_db(transaction=True)


def phones(meeting, count: int) -> list:
    people = Participant.objects.bulk_create(
        Participant(meeting=meeting, name=f"Phone {n}") for n in range(count)
    )
    return [participant_cookie(person) for person in people]


@pytest.fixture(autouse=True)
def _no_kept_states(monkeypatch):
    # A state kept by an earlier test, of a meeting with the same id and revision, would
    # be counted as rendered.
    monkeypatch.setattr(fragments, "_states", type(fragments._states)(fragments._states.size))
    # A state is kept for a minute of the clock (the slot under way changes on the
    # minute): a test that crossed one would render it again, and count its queries.
    stopped = clock.now()
    monkeypatch.setattr(clock, "now", lambda: stopped)


@pytest.fixture
def trips(monkeypatch) -> list[tuple[int, int]]:
    """Each trip of connecting sockets to the database: how many sockets, how many queries."""
    counted = []
    opened = consumers._open_many

    def counting(requests):
        with CaptureQueriesContext(connection) as queries:
            result = opened(requests)
        counted.append((len(requests), len(queries)))
        return result

    monkeypatch.setattr(consumers, "_open_many", counting)
    return counted


@pytest.mark.parametrize("size", [3, 40])
async def test_a_phone_connects_in_one_trip_with_as_many_queries_at_any_size(meeting, trips, size):
    for n in range(size):
        await database_sync_to_async(make_topic)(meeting, title=f"Topic {n}")
    cookies = await database_sync_to_async(phones)(meeting, size)

    async with listening(*(socket(meeting, cookie) for cookie in cookies[:3])) as states:
        assert all(f"Topic {size - 1}" in state for state in states)

    # One trip per socket; after the first, which renders the state: the session and the
    # participant with its meeting, however large the meeting.
    assert trips[1:] == [(1, 2), (1, 2)]


@pytest.mark.parametrize("size", [10, 60])
async def test_sockets_connecting_together_are_read_together(meeting, trips, size):
    cookies = await database_sync_to_async(phones)(meeting, size + 1)
    async with listening(socket(meeting, cookies[0])):  # renders the state
        communicators = [socket(meeting, cookie) for cookie in cookies[1:]]
        try:
            connected = await asyncio.gather(*(each.connect(timeout=10) for each in communicators))
            states = [await each.receive_from(timeout=5) for each in communicators]
        finally:
            for each in communicators:
                await each.disconnect()

    assert all(ok for ok, _ in connected) and len(set(states)) == 1
    # Those that arrived while a trip was under way went in the next: a few trips, each
    # with two queries (the sessions, the participants with their meetings) for them all.
    assert sum(count for count, _ in trips[1:]) == size and len(trips[1:]) <= 3
    assert all(queries == 2 for _, queries in trips[1:])


async def test_the_state_is_rendered_once_for_every_socket_at_one_revision(meeting, monkeypatch):
    renders = []
    render = fragments.current_state

    def counting(meeting, *, facilitator):
        renders.append(facilitator)
        return render(meeting, facilitator=facilitator)

    monkeypatch.setattr(fragments, "current_state", counting)
    cookies = await database_sync_to_async(phones)(meeting, 5)

    async with listening(*(socket(meeting, cookie) for cookie in cookies)) as states:
        assert len(set(states)) == 1

    assert renders == [False]


async def test_a_process_is_one_member_of_the_meetings_group_however_many_sockets(
    meeting, monkeypatch
):
    cookies = await database_sync_to_async(phones)(meeting, 4)
    group = realtime.meeting_group(meeting.pk)
    communicators = [socket(meeting, cookie) for cookie in cookies]
    layer = get_channel_layer()
    added, discarded = [], []

    def counting(method, channels: list[str]):
        async def count(group_name, channel):
            if group_name == group:
                channels.append(channel)
            await method(group_name, channel)

        return count

    monkeypatch.setattr(layer, "group_add", counting(layer.group_add, added))
    monkeypatch.setattr(layer, "group_discard", counting(layer.group_discard, discarded))

    async with listening(*communicators):
        assert len(added) == 1 and hub().members(group) == 4
        await layer.group_send(group, {"type": realtime.EVENT_TYPE, "html": MARKER})
        for communicator in communicators:
            assert await communicator.receive_from(timeout=5) == MARKER

    # Nothing is left once they have all gone: no subscription, no member in the layer.
    for _ in range(100):
        if discarded:
            break
        await asyncio.sleep(0.01)
    assert hub().members(group) == 0 and group not in hub().subscriptions
    assert discarded == added


def _changing_while_reading(monkeypatch, meeting, html: str) -> None:
    """A change is broadcast while the connecting socket reads its state."""
    opened = consumers._open_many

    def racing(requests):
        result = opened(requests)
        async_to_sync(get_channel_layer().group_send)(
            realtime.meeting_group(meeting.pk), {"type": realtime.EVENT_TYPE, "html": html}
        )
        return result

    monkeypatch.setattr(consumers, "_open_many", racing)


async def test_a_change_broadcast_while_the_state_is_read_follows_the_state(meeting, monkeypatch):
    [cookie] = await database_sync_to_async(phones)(meeting, 1)
    _changing_while_reading(monkeypatch, meeting, MARKER)
    phone = socket(meeting, cookie)

    async with listening(phone) as [state]:
        assert 'data-state="true"' in state
        assert await phone.receive_from(timeout=5) == MARKER


async def test_a_facilitator_is_sent_the_state_again_when_the_meeting_changed_meanwhile(
    meeting, monkeypatch
):
    cookie = await database_sync_to_async(facilitator_cookie)(meeting)
    _changing_while_reading(monkeypatch, meeting, MARKER)
    projector = socket(meeting, cookie)
    renders = []
    read = fragments.current_state_of

    def reading_again(meeting_id, *, facilitator):
        renders.append(facilitator)
        return read(meeting_id, facilitator=facilitator)

    monkeypatch.setattr(fragments, "current_state_of", reading_again)

    async with listening(projector) as [state]:
        assert 'id="moderation"' in state
        assert await projector.receive_from(timeout=5) == MARKER

    # What only the facilitators' group carries may have changed too: read after joining it.
    assert renders == [True]


async def test_a_refused_socket_hears_nothing_sent_while_it_was_checked(meeting, monkeypatch):
    _changing_while_reading(monkeypatch, meeting, MARKER)

    assert await close_code(socket(meeting, None)) == consumers.CLOSE_FORBIDDEN
    assert hub().members(realtime.meeting_group(meeting.pk)) == 0


def test_the_socket_has_no_channel_of_its_own():
    # The alias names no layer: Channels opens no channel and no receiving task per socket.
    from channels.layers import get_channel_layer as layer_of

    assert layer_of(consumers.MeetingConsumer.channel_layer_alias) is None


async def test_sockets_that_ended_are_swept_once_the_server_has_let_go_of_them(
    meeting, monkeypatch
):
    collections = []

    def collect() -> int:
        collections.append(1)
        return 0

    monkeypatch.setattr(consumers, "SWEEP_AFTER_RELEASES", 2)
    monkeypatch.setattr(consumers.gc, "collect", collect)
    cookies = await database_sync_to_async(phones)(meeting, 2)
    # Each communicator keeps the task it runs its socket in, as Daphne keeps a
    # connection's until its check once a second.
    first, second, third = socket(meeting, cookies[0]), socket(meeting, cookies[1]), socket(meeting)
    async with listening(first, second):
        pass
    assert await close_code(third) == consumers.CLOSE_FORBIDDEN
    await asyncio.sleep(0.2)
    assert collections == []  # all three ended, but their garbage is still held

    del first
    await asyncio.sleep(0.2)
    assert collections == []  # one let go of: not yet worth a pass

    del third  # refused, and as much garbage
    for _ in range(100):
        if collections:
            break
        await asyncio.sleep(0.01)
    assert collections == [1]

    del second
    await asyncio.sleep(0.2)
    assert collections == [1]  # counted anew from the pass


async def test_a_socket_makes_no_hop_of_its_own_to_the_worker_thread(meeting, monkeypatch):
    hops = []

    async def hop() -> None:
        hops.append(1)

    monkeypatch.setattr(channels.consumer, "aclose_old_connections", hop)
    monkeypatch.setattr(channels.generic.websocket, "aclose_old_connections", hop)
    cookie = (await database_sync_to_async(phones)(meeting, 1))[0]
    communicator = socket(meeting, cookie)

    async with listening(communicator):
        await communicator.send_to(text_data='{"type": "ping"}')
        assert "pong" in await communicator.receive_from(timeout=5)

    # Channels' consumers hop before connecting, before each message and twice on leaving;
    # this one goes to the worker thread only to read the database.
    assert hops == []


async def test_each_trip_to_the_database_closes_old_connections_before_and_after(monkeypatch):
    # What the socket relies on instead of those hops.
    calls = []
    monkeypatch.setattr(channels.db, "close_old_connections", lambda: calls.append("close"))

    await database_sync_to_async(lambda: calls.append("read"))()

    assert calls == ["close", "read", "close"]


async def test_a_message_of_no_known_type_is_still_an_error():
    with pytest.raises(ValueError, match="No handler for message type websocket.nothing"):
        await consumers.MeetingConsumer().dispatch({"type": "websocket.nothing"})


@pytest.fixture
def one_process_layer(settings) -> None:
    """The one process's layer, for counting what stays behind: channels-redis keeps
    buffers of its own (by hundreds of blocks) and a cancelled receive's traceback, with
    the hub pump's frame, until its own next clean-up."""
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "sessions_app.layers.InMemoryChannelLayer"}}


# Phones in each round of the test that nothing stays behind, and the rounds.
LEAK_PHONES = 200
WARM_ROUNDS, LEAK_ROUNDS = 8, 5


async def test_phones_coming_and_going_leave_nothing_behind(meeting, one_process_layer):
    # The live heap, not the process's size: the allocator keeps and gives back memory a
    # MiB at a time, so a small leak hides in RSS for many rounds (docs/benchmarks.md,
    # "The eleventh round"). A block is the smallest object Python allocates.
    cookies = await database_sync_to_async(phones)(meeting, LEAK_PHONES)

    async def come_and_go() -> int:
        async with listening(*(socket(meeting, cookie) for cookie in cookies)):
            pass
        await asyncio.sleep(0.05)  # the communicators' tasks end
        gc.collect()
        return sys.getallocatedblocks()

    warmed = [await come_and_go() for _ in range(WARM_ROUNDS)][-1]
    later = [await come_and_go() for _ in range(LEAK_ROUNDS)]

    # Without a leak, after eight rounds that fill the caches up to their bounds (on
    # PostgreSQL too), it grew by at most 312 blocks in five rounds, against the 1000 that
    # one object kept for each socket adds.
    assert max(later) - warmed < LEAK_PHONES * LEAK_ROUNDS, (warmed, later)


async def test_a_socket_let_go_of_in_another_thread_is_counted_on_the_loop():
    sweeper = consumers.Sweeper()
    counted_in = []
    count = sweeper.count

    def counting() -> None:
        counted_in.append(threading.get_ident())
        count()

    sweeper.count = counting
    # A task in a cycle goes in a collection, which may run on a database thread.
    await asyncio.to_thread(sweeper.let_go)
    assert counted_in == [threading.get_ident()]
    assert sweeper.released == 1


def test_a_socket_let_go_of_after_its_loop_closed_is_not_an_error():
    async def made() -> consumers.Sweeper:
        return consumers.Sweeper()

    loop = asyncio.new_event_loop()
    sweeper = loop.run_until_complete(made())
    loop.close()

    sweeper.let_go()  # as a test's communicator, freed after its loop closed

    assert sweeper.released == 0


class _Member:
    async def deliver(self, event: dict) -> None:
        pass


async def test_a_subscription_that_ended_is_freed_at_once_not_by_the_collector(
    one_process_layer,
):
    own, member = Hub(), _Member()
    await own.join("freed", member)
    subscription = own.subscriptions["freed"]
    task, freed = subscription.task, weakref.ref(subscription)
    gc.disable()
    try:
        own.leave("freed", member)
        await asyncio.wait([task])
        del subscription, task
        await asyncio.sleep(0)
        # Without a cycle, the last reference gone frees it: a room's thousand sockets
        # leaving leave no garbage to pile up until the collector's rare full pass.
        assert freed() is None
    finally:
        gc.enable()
