"""The meeting's websocket: who may listen, what they get on connect, and what reaches whom."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.contrib.sessions.backends.base import SessionBase
from django.db import connections
from django.test import Client

from sessions_app import agenda, facilitation, realtime, reporting, services, vernissage
from sessions_app.models import Facilitator, Meeting, Participant, Report

from .factories import (
    cell_of,
    make_meeting,
    make_topic,
    participant_session_key,
    without_revision_mark,
)

pytestmark = pytest.mark.django_db(transaction=True)


ORIGIN = (b"origin", b"http://testserver")


def asgi_application():
    """The project's ASGI application, imported only once tests run.

    AllowedHostsOriginValidator reads ALLOWED_HOSTS when it is built; built during
    collection it would miss the "testserver" host that the test environment adds.
    """
    from openspace.asgi import application

    return application


def participant_cookie(participant: Participant) -> bytes:
    return f"{settings.SESSION_COOKIE_NAME}={participant_session_key(participant)}".encode()


def facilitator_cookie(meeting) -> bytes:
    user = get_user_model().objects.create_user(f"lead{meeting.pk}", password="pw")
    Facilitator.objects.create(meeting=meeting, name="Lead", user=user)
    client = Client()
    client.force_login(user)
    name = settings.SESSION_COOKIE_NAME
    return f"{name}={client.cookies[name].value}".encode()


# Connecting renders the state; the first render in a run also loads the URLconf and
# templates, which can take longer than WebsocketCommunicator's default second.
def socket(meeting, cookie: bytes | None = None, origin=ORIGIN) -> WebsocketCommunicator:
    headers = [origin] if origin else []
    if cookie:
        headers.append((b"cookie", cookie))
    return WebsocketCommunicator(asgi_application(), f"/ws/meetings/{meeting.pk}/", headers=headers)


@asynccontextmanager
async def listening(*communicators: WebsocketCommunicator) -> AsyncIterator[list[str]]:
    """Connect every socket and read its state on connect; always disconnect them after."""
    try:
        states = []
        for communicator in communicators:
            connected, _ = await communicator.connect(timeout=10)
            assert connected
            states.append(await communicator.receive_from(timeout=5))
        yield states
    finally:
        for communicator in communicators:
            await communicator.disconnect()


MARKER = '<div id="marker"></div>'


async def assert_next_is_marker(communicator: WebsocketCommunicator, group: str) -> None:
    """Nothing reached the socket before a marker sent to its group after the action.

    Waiting for a later message, not for a quiet moment, cannot pass merely because an
    unwanted message was slow.
    """
    await get_channel_layer().group_send(group, {"type": realtime.EVENT_TYPE, "html": MARKER})
    assert await communicator.receive_from(timeout=5) == MARKER


async def close_code(communicator: WebsocketCommunicator) -> int:
    """How the server ended a socket it refused: accepted, then closed with a code.

    Refused during the handshake instead, the browser would see 1006 and keep trying.
    """
    try:
        connected, _ = await communicator.connect(timeout=10)
        assert connected, "refused in the handshake: the page would never learn why"
        message = await communicator.receive_output(timeout=5)
        assert message["type"] == "websocket.close", "the socket received data before closing"
        return message["code"]
    finally:
        await communicator.disconnect()


def user_cookie(username: str, *permissions: str) -> bytes:
    user = get_user_model().objects.create_user(username, password="pw")
    user.user_permissions.add(*Permission.objects.filter(codename__in=permissions))
    client = Client()
    client.force_login(user)
    name = settings.SESSION_COOKIE_NAME
    return f"{name}={client.cookies[name].value}".encode()


@pytest.fixture(autouse=True)
async def _close_worker_connections():
    """Close the database connections opened by the consumer's worker thread.

    Otherwise PostgreSQL refuses to drop the test database at the end of the run.
    """
    yield
    await database_sync_to_async(connections.close_all)()


@pytest.fixture
def phone_cookie(meeting):
    return participant_cookie(Participant.objects.create(meeting=meeting, name="Ann"))


async def test_socket_sends_the_current_state_on_connect(meeting, phone_cookie):
    await database_sync_to_async(make_topic)(meeting, title="Freight", cell="B2")
    await database_sync_to_async(make_topic)(meeting, title="Ports")
    async with listening(socket(meeting, phone_cookie)) as [state]:
        assert 'id="stage"' in state and 'id="grid"' in state and 'id="tray"' in state
        assert 'id="cell-B2"' in state and "Freight" in state and "Ports" in state
        assert 'hx-swap-oob="true"' in state
        assert 'id="moderation"' not in state  # facilitators only


async def test_socket_gives_a_facilitator_the_facilitators_fragments_too(meeting):
    cookie = await database_sync_to_async(facilitator_cookie)(meeting)
    async with listening(socket(meeting, cookie)) as [state]:
        assert 'id="moderation"' in state and 'id="phase-control"' in state
        assert 'id="grid"' in state


async def test_a_broadcast_reaches_a_socket_without_its_session_being_looked_at(
    meeting, phone_cookie, monkeypatch
):
    """A socket reads its session once, on connecting, and never writes it: what its groups
    send goes straight to the server (a session middleware looked at it on every send)."""
    looked = []
    phone = socket(meeting, phone_cookie)
    async with listening(phone) as [state]:
        assert 'id="grid"' in state
        for name in ("is_empty", "get_expire_at_browser_close", "save"):
            monkeypatch.setattr(SessionBase, name, lambda *args, name=name: looked.append(name))
        monkeypatch.setattr(
            SessionBase, "modified", property(lambda self: looked.append("modified")), raising=False
        )
        for _ in range(3):
            await assert_next_is_marker(phone, realtime.meeting_group(meeting.pk))
    assert looked == []


async def test_placement_reaches_every_socket_of_the_meeting_and_no_other(meeting, phone_cookie):
    topic = await database_sync_to_async(make_topic)(meeting, title="Freight")
    other_meeting = await database_sync_to_async(make_meeting)(title="Elsewhere")
    stranger = await database_sync_to_async(Participant.objects.create)(
        meeting=other_meeting, name="Bo"
    )
    projector = socket(meeting, await database_sync_to_async(facilitator_cookie)(meeting))
    phone = socket(meeting, phone_cookie)
    elsewhere = socket(other_meeting, await database_sync_to_async(participant_cookie)(stranger))
    cell = await database_sync_to_async(cell_of)(meeting, "B2")

    async with listening(projector, phone, elsewhere):
        await database_sync_to_async(agenda.place_topic)(meeting=meeting, topic_id=topic.pk, **cell)

        for communicator in (projector, phone):
            message = await communicator.receive_from(timeout=5)
            # Only what changed: the row of slot 2 and the tray, not the whole grid.
            assert f'id="slot-{cell["slot_id"]}"' in message and 'id="tray"' in message
            assert 'id="grid"' not in message and message.count('class="slot-row"') == 1
            cell_html = message.split('id="cell-B2"', 1)[1].split("</td>", 1)[0]
            assert "Freight" in cell_html
        await assert_next_is_marker(elsewhere, realtime.meeting_group(other_meeting.pk))


async def test_phase_change_reaches_the_phones(meeting, phone_cookie):
    phone = socket(meeting, phone_cookie)
    async with listening(phone):
        await database_sync_to_async(facilitation.set_phase)(meeting=meeting, phase="agenda")

        message = await phone.receive_from(timeout=5)
        assert 'data-phase="agenda"' in message
        assert 'id="phase-control"' not in message  # that one goes to facilitators only
        await assert_next_is_marker(phone, realtime.meeting_group(meeting.pk))


async def test_a_private_draft_reaches_only_the_facilitators(meeting, phone_cookie):
    ann = await database_sync_to_async(Participant.objects.get)(meeting=meeting, name="Ann")
    phone = socket(meeting, phone_cookie)
    projector = socket(meeting, await database_sync_to_async(facilitator_cookie)(meeting))
    async with listening(phone, projector):
        await database_sync_to_async(services.create_draft)(participant=ann, title="My secret idea")

        mark = await projector.receive_from(timeout=5)
        message = await projector.receive_from(timeout=5)
        assert without_revision_mark(mark) == ""  # every page hears that something changed
        assert 'id="moderation"' in message and "1 private draft" in message
        assert "My secret idea" not in message
        assert without_revision_mark(await phone.receive_from(timeout=5)) == ""
        await assert_next_is_marker(phone, realtime.meeting_group(meeting.pk))


async def test_socket_refuses_a_foreign_origin(meeting, phone_cookie):
    phone = socket(meeting, phone_cookie, origin=(b"origin", b"http://evil.example"))

    try:
        connected, _ = await phone.connect(timeout=10)
    finally:
        await phone.disconnect()

    assert not connected


async def test_socket_refuses_a_browser_that_has_not_joined(meeting):
    assert await close_code(socket(meeting)) == 4403


@pytest.mark.parametrize(
    "permissions",
    [(), ("view_meeting",)],
    ids=["a logged-in user", "a coordinator, who reads documents but runs nothing"],
)
async def test_socket_refuses_a_user_who_does_not_facilitate(meeting, permissions):
    cookie = await database_sync_to_async(user_cookie)("someone", *permissions)

    assert await close_code(socket(meeting, cookie)) == 4403


async def test_socket_refuses_the_facilitator_of_another_meeting(meeting):
    other_meeting = await database_sync_to_async(make_meeting)(title="Elsewhere")
    cookie = await database_sync_to_async(facilitator_cookie)(other_meeting)

    assert await close_code(socket(meeting, cookie)) == 4403


async def test_socket_refuses_a_participant_of_another_meeting(meeting):
    other_meeting = await database_sync_to_async(make_meeting)(title="Elsewhere")
    stranger = await database_sync_to_async(Participant.objects.create)(
        meeting=other_meeting, name="Bo"
    )
    cookie = await database_sync_to_async(participant_cookie)(stranger)

    assert await close_code(socket(meeting, cookie)) == 4403


async def test_socket_refuses_an_unknown_meeting(meeting, phone_cookie):
    communicator = WebsocketCommunicator(
        asgi_application(), "/ws/meetings/999999/", headers=[ORIGIN, (b"cookie", phone_cookie)]
    )

    assert await close_code(communicator) == 4403


async def test_socket_answers_a_ping(meeting, phone_cookie):
    phone = socket(meeting, phone_cookie)
    async with listening(phone):
        await phone.send_to(text_data=json.dumps({"type": "ping"}))

        assert json.loads(await phone.receive_from(timeout=5)) == {"type": "pong"}


async def test_socket_closes_on_an_oversized_message(meeting, phone_cookie):
    phone = socket(meeting, phone_cookie)
    async with listening(phone):
        await phone.send_to(text_data=json.dumps({"type": "ping", "pad": "x" * 5000}))

        assert await phone.receive_output() == {"type": "websocket.close", "code": 4413}


@pytest.mark.parametrize("text", ["not json", "[1, 2]", '{"type": "place"}'])
async def test_socket_closes_on_a_message_it_does_not_know(meeting, phone_cookie, text):
    phone = socket(meeting, phone_cookie)
    async with listening(phone):
        await phone.send_to(text_data=text)

        assert await phone.receive_output() == {"type": "websocket.close", "code": 4400}


async def test_sharing_a_draft_nudges_only_the_partner_to_fetch_their_topics(meeting, phone_cookie):
    ann = await database_sync_to_async(Participant.objects.get)(meeting=meeting, name="Ann")
    bo = await database_sync_to_async(Participant.objects.create)(meeting=meeting, name="Bo")
    cy = await database_sync_to_async(Participant.objects.create)(meeting=meeting, name="Cy")
    draft = await database_sync_to_async(services.create_draft)(participant=ann, title="Pairs")
    partner = socket(meeting, await database_sync_to_async(participant_cookie)(bo))
    bystander = socket(meeting, await database_sync_to_async(participant_cookie)(cy))
    async with listening(partner, bystander):
        await database_sync_to_async(services.share_topic)(
            participant=ann, topic_id=draft.pk, partner_id=bo.pk
        )

        messages = [await partner.receive_from(timeout=5) for _ in range(2)]
        [nudge] = [message for message in messages if 'id="nudge"' in message]
        assert f"/m/{meeting.pk}/?part=mine" in nudge
        assert not any("Pairs" in message for message in messages)  # fetched by the partner
        assert without_revision_mark(await bystander.receive_from(timeout=5)) == ""
        await assert_next_is_marker(bystander, realtime.meeting_group(meeting.pk))


async def test_placing_a_topic_nudges_its_convener(meeting, phone_cookie):
    ann = await database_sync_to_async(Participant.objects.get)(meeting=meeting, name="Ann")
    topic = await database_sync_to_async(make_topic)(meeting, title="Freight", convener=ann)
    phone = socket(meeting, phone_cookie)
    cell = await database_sync_to_async(cell_of)(meeting, "A1")
    async with listening(phone):
        await database_sync_to_async(agenda.place_topic)(meeting=meeting, topic_id=topic.pk, **cell)

        messages = [await phone.receive_from(timeout=5), await phone.receive_from(timeout=5)]
        assert any('id="nudge"' in message for message in messages)  # her own list: placed
        assert any("Freight" in message for message in messages)  # the row everyone gets


async def test_a_report_saved_reaches_the_other_sockets(meeting, phone_cookie):
    ann = await database_sync_to_async(Participant.objects.get)(meeting=meeting, name="Ann")
    topic = await database_sync_to_async(make_topic)(
        meeting, title="Freight", convener=ann, cell="B2"
    )
    meeting.phase = Meeting.Phase.VERNISSAGE
    await database_sync_to_async(meeting.save)()
    projector = socket(meeting, await database_sync_to_async(facilitator_cookie)(meeting))

    async with listening(projector, socket(meeting, phone_cookie)):
        await database_sync_to_async(reporting.save_field)(
            meeting=meeting,
            topic_id=topic.pk,
            writer=reporting.Writer(participant=ann),
            field="summary",
            typed="Trains and ports",
            version=0,
        )

        message = without_revision_mark(await projector.receive_from(timeout=5))
        assert message.lstrip().startswith(f'<article class="report-card" id="report-{topic.pk}"')
        assert "Trains and ports" in message


async def test_dots_given_at_once_reach_the_sockets_as_one_broadcast(meeting, phone_cookie):
    topics = []
    for cell in ("A1", "B1"):
        topic = await database_sync_to_async(make_topic)(meeting, title=f"Topic {cell}", cell=cell)
        await database_sync_to_async(Report.objects.create)(topic=topic, summary=cell)
        topics.append(topic)
    meeting.phase = Meeting.Phase.VERNISSAGE
    await database_sync_to_async(meeting.save)()
    ann = await database_sync_to_async(Participant.objects.get)(meeting=meeting, name="Ann")
    phone = socket(meeting, phone_cookie)

    async with listening(phone):
        for topic in topics:
            await database_sync_to_async(vernissage.give_dot)(participant=ann, topic_id=topic.pk)

        message = await phone.receive_from(timeout=5)
        for topic in topics:
            assert f'id="dots-{topic.pk}" hx-swap-oob="true" data-count="1"' in message
        await assert_next_is_marker(phone, realtime.meeting_group(meeting.pk))
