"""Screens that heal: the live revision every change raises, the marks that say what a
message holds, the heartbeat, the state a page asks for, and logging out."""

from __future__ import annotations

import json
import re

import pytest
from channels.db import database_sync_to_async
from django.contrib.auth import get_user_model
from django.test import Client

from sessions_app import agenda, announce, consumers, fragments, realtime, services, vernissage
from sessions_app.errors import AgendaError
from sessions_app.models import Facilitator, Meeting, Participant, Report, Room

from .factories import make_topic
from .test_consumers import (  # noqa: F401 (a fixture that closes the worker's connections)
    _close_worker_connections,
    listening,
    participant_cookie,
    socket,
)

MARK = re.compile(r'data-covers="([\d ]*)" data-rendered="(\d+)"')


def live_revision(meeting) -> int:
    return Meeting.objects.values_list("live_revision", flat=True).get(pk=meeting.pk)


def covers(html: str) -> tuple[list[int], int]:
    found = MARK.search(html)
    return [int(r) for r in found[1].split()], int(found[2])


@pytest.mark.django_db
def test_every_change_raises_the_live_revision_and_says_so(
    meeting, sent, django_capture_on_commit_callbacks
):
    ann = Participant.objects.create(meeting=meeting, name="Ann")
    topic = make_topic(meeting, title="Freight", cell="A1")
    before = live_revision(meeting)

    with django_capture_on_commit_callbacks(execute=True):
        services.toggle_interest(participant=ann, topic_id=topic.pk)

    assert live_revision(meeting) == before + 1
    assert covers(sent[0][1]) == ([before + 1], before + 1)


@pytest.mark.django_db
def test_a_change_only_facilitators_see_still_tells_every_page_its_revision(
    meeting, sent, django_capture_on_commit_callbacks
):
    ann = Participant.objects.create(meeting=meeting, name="Ann")
    before = live_revision(meeting)

    with django_capture_on_commit_callbacks(execute=True):
        services.create_draft(participant=ann, title="Private")

    everyone = dict(sent)[realtime.meeting_group(meeting.pk)]
    assert covers(everyone) == ([before + 1], before + 1) and "Private" not in everyone


@pytest.mark.django_db
def test_gathered_changes_cover_every_revision_they_hold(meeting, monkeypatch):
    meeting.phase = Meeting.Phase.VERNISSAGE
    meeting.save()
    topics = [make_topic(meeting, title=f"T{n}", cell=f"A{n}") for n in (1, 2)]
    for topic in topics:
        Report.objects.create(topic=topic, summary="Written")
    ann = Participant.objects.create(meeting=meeting, name="Ann")
    waiting = []
    monkeypatch.setattr(
        realtime, "after_commit", lambda render, **options: waiting.append((render, options))
    )
    before = live_revision(meeting)

    for topic in topics:
        vernissage.give_dot(participant=ann, topic_id=topic.pk)

    items = frozenset(item for _render, options in waiting for item in options["items"])
    assert {options["key"] for _render, options in waiting} == {("gathered", meeting.pk)}
    [(group, html)] = waiting[0][0](items)
    assert group == realtime.meeting_group(meeting.pk)
    assert covers(html) == ([before + 1, before + 2], before + 2)


@pytest.mark.django_db
def test_saving_a_meeting_read_earlier_never_lowers_the_live_revision(meeting):
    stale = Meeting.objects.get(pk=meeting.pk)
    for _ in range(3):
        announce.raise_live_revision(meeting.pk)

    stale.title = "Renamed"
    stale.save()

    assert live_revision(meeting) == 3 and stale.live_revision == 3


@pytest.mark.django_db
def test_the_state_is_rendered_once_per_revision(meeting, django_assert_num_queries):
    first = fragments.current_state_of(meeting.pk, facilitator=False)

    with django_assert_num_queries(1):  # the revision only
        again = fragments.current_state_of(meeting.pk, facilitator=False)
    announce.raise_live_revision(meeting.pk)
    changed = fragments.current_state_of(meeting.pk, facilitator=False)

    assert again is first and changed is not first
    assert 'data-state="true"' in first and covers(changed)[1] == 1


in_transactions = pytest.mark.django_db(transaction=True)


@in_transactions
async def test_a_socket_hears_the_meetings_revision_every_few_seconds(meeting, monkeypatch):
    monkeypatch.setattr(consumers, "HEARTBEAT_SECONDS", 0.05)
    ann = await database_sync_to_async(Participant.objects.create)(meeting=meeting, name="Ann")
    phone = socket(meeting, await database_sync_to_async(participant_cookie)(ann))

    async with listening(phone):
        await database_sync_to_async(announce.raise_live_revision)(meeting.pk)
        beats = []
        while {"type": "revision", "revision": 1} not in beats and len(beats) < 100:
            beats.append(json.loads(await phone.receive_from(timeout=5)))

    assert beats[-1] == {"type": "revision", "revision": 1}


@in_transactions
async def test_a_page_that_asks_gets_the_whole_state_but_not_too_often(meeting, monkeypatch):
    monkeypatch.setattr(consumers, "HEARTBEAT_SECONDS", 3600)
    ann = await database_sync_to_async(Participant.objects.create)(meeting=meeting, name="Ann")
    phone = socket(meeting, await database_sync_to_async(participant_cookie)(ann))

    async with listening(phone):
        await phone.send_to(text_data=json.dumps({"type": "state"}))  # right after connecting
        await phone.send_to(text_data=json.dumps({"type": "ping"}))
        assert json.loads(await phone.receive_from(timeout=5)) == {"type": "pong"}
        monkeypatch.setattr(consumers, "STATE_AT_MOST_EVERY", 0)
        await phone.send_to(text_data=json.dumps({"type": "state"}))
        state = await phone.receive_from(timeout=5)

    assert 'data-state="true"' in state and 'id="stage"' in state


@in_transactions
async def test_logging_out_ends_the_facilitators_sockets(meeting):
    user = await database_sync_to_async(get_user_model().objects.create_user)("lead", password="pw")
    await database_sync_to_async(Facilitator.objects.create)(meeting=meeting, name="L", user=user)
    browser = Client()
    await database_sync_to_async(browser.force_login)(user)
    cookie = f"sessionid={browser.cookies['sessionid'].value}".encode()
    projector = socket(meeting, cookie)

    async with listening(projector):
        await database_sync_to_async(browser.post)("/accounts/logout/")
        closing = await projector.receive_output(timeout=5)

    assert closing == {"type": "websocket.close", "code": consumers.CLOSE_FORBIDDEN}


# ---------- A change of the wall, locked and counted in one statement ----------


def revisions(meeting) -> tuple[int, int]:
    return Meeting.objects.values_list("revision", "live_revision").get(pk=meeting.pk)


@pytest.mark.django_db
@pytest.mark.parametrize("returning", [True, False], ids=["update returning", "lock then raise"])
def test_a_claimed_change_is_delivered_as_of_its_own_revision(
    meeting, sent, django_capture_on_commit_callbacks, monkeypatch, returning
):
    if not returning:
        # A database that cannot answer an UPDATE with the row: a locking read instead.
        monkeypatch.setattr(announce, "UPDATE_RETURNING", set())
    topic = make_topic(meeting, title="Freight", cell="A1")
    free = meeting.slots.get(number=2).pk, meeting.rooms.get(code="B").pk
    before = revisions(meeting)

    with django_capture_on_commit_callbacks() as deliveries:
        agenda.move_topic(meeting=meeting, topic_id=topic.pk, slot_id=free[0], room_id=free[1])
    assert revisions(meeting) == (before[0] + 1, before[1] + 1)
    # Another change commits before the move's delivery is made.
    announce.raise_live_revision(meeting.pk)
    for delivery in deliveries:
        delivery()

    everyone = dict(sent)[realtime.meeting_group(meeting.pk)]
    assert covers(everyone) == ([before[1] + 1], before[1] + 1)
    assert 'id="cell-B2"' in everyone and "Freight" in everyone


@pytest.mark.django_db
def test_a_refused_change_of_the_wall_counts_nothing_and_sends_nothing(
    meeting, sent, django_capture_on_commit_callbacks
):
    freight = make_topic(meeting, title="Freight", cell="A1")
    ports = make_topic(meeting, title="Ports", cell="B1")
    raised = make_topic(meeting, title="Waiting")
    before = revisions(meeting)
    a1 = {"slot_id": freight.slot_id, "room_id": freight.room_id}

    with django_capture_on_commit_callbacks(execute=True):
        for refused in (
            lambda: agenda.move_topic(meeting=meeting, topic_id=ports.pk, **a1),
            lambda: agenda.place_topic(meeting=meeting, topic_id=raised.pk, **a1),
            lambda: agenda.swap_topics(meeting=meeting, topic_id=ports.pk, other_id=ports.pk),
            lambda: agenda.merge_topics(meeting=meeting, topic_id=ports.pk, into_id=ports.pk),
            lambda: agenda.unplace_topic(meeting=meeting, topic_id=raised.pk),
            lambda: agenda.apply_placement(meeting=meeting, moves=[]),
        ):
            with pytest.raises(AgendaError):
                refused()

    assert revisions(meeting) == before
    assert sent == []


@pytest.mark.django_db
def test_claiming_a_meeting_that_is_gone_says_so():
    with pytest.raises(Meeting.DoesNotExist):
        announce.claim(10**9)


@pytest.mark.django_db
def test_a_delivery_made_after_the_grid_changed_shows_the_grid_as_it_is(
    meeting, sent, django_capture_on_commit_callbacks
):
    freight = make_topic(meeting, title="Freight", cell="A1")
    with django_capture_on_commit_callbacks() as deliveries:
        agenda.move_topic(
            meeting=meeting,
            topic_id=freight.pk,
            slot_id=freight.slot_id,
            room_id=meeting.rooms.get(code="B").pk,
        )
    # A room is added, and a topic placed in it, before the move's delivery is made.
    Room.objects.create(meeting=meeting, code="D", position=3)
    make_topic(meeting, title="Ports", cell="D1")
    for delivery in deliveries:
        delivery()

    everyone = dict(sent)[realtime.meeting_group(meeting.pk)]
    assert 'id="cell-B1"' in everyone and 'id="cell-D1"' in everyone and "Ports" in everyone
