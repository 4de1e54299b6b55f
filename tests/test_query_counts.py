"""The pages and the socket's state read a meeting in a fixed number of queries, whatever its
size: a meeting of 100 people and 100 topics costs what one of 10 does."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from sessions_app import agenda, fragments, realtime
from sessions_app.models import (
    Dot,
    Facilitator,
    Initiative,
    InitiativeMember,
    Interest,
    Meeting,
    Participant,
    Pen,
    Reflection,
    Report,
    Topic,
)

from .factories import SESSION_QUERIES, joined, make_meeting

pytestmark = pytest.mark.django_db

SIZES = [10, 100]
SESSION = SESSION_QUERIES
# What a phone page reads for itself: the participant with its meeting, its topics and
# those shared with it (their slots and rooms from the kept grid), its marks, and its
# session where it is not kept. The sections every
# phone shows alike are read once per revision of the meeting, by the first page (or
# socket) that needs them.
PHONE_PAGE = SESSION + 3
# The first page after a change also renders those sections: the board (rooms, slots and
# the grid's version, the first time the grid is read: on the phone page, by the phone's
# own topics before the board; the topics with those merged into
# them, interest, co-signing partners), the gallery
# (reports, photos, dots), the facilitators, the plan with its members, and the closing
# circle.
SHARED_SECTIONS = 13
# The projector page: the session, the user, the meeting with the facilitator check (a
# facilitator's permissions are not read), then every section (rendered for it, not kept)
# with the facilitators' own: the moderation's counts.
PROJECTOR_PAGE = SESSION + 17
# A socket's state: the meeting, then every section when none was rendered yet.
STATE = 1
# The messages of a change on the wall, to every page and to the facilitators: the board
# once for both (the topics with those merged into them, interest, co-signing partners:
# its rooms and slots are kept since the change read them) and the moderation's two
# counts. The meeting is the one the change locked and counted (announce.claim), as it
# commits: not read again. The nudges of the conveners of the changed topics, in the
# same delivery, read nothing.
WALL_CHANGE = 5
# A move or a swap leaves as many topics placed as before: the counts are not read again.
WALL_MOVE = WALL_CHANGE - 2


def grow(size: int) -> tuple[Meeting, Participant]:
    """A meeting at its closing with `size` people and topics: 9 placed with reports, the
    rest raised, each person wanting two topics and giving a dot; initiatives with
    members, reflections. Returns it and one of its people, who has topics of their own."""
    meeting = make_meeting(language=Meeting.Language.ENGLISH)
    people = Participant.objects.bulk_create(
        Participant(meeting=meeting, name=f"Person {n}") for n in range(size)
    )
    cells = [(slot, room) for slot in meeting.slots.all() for room in meeting.rooms.all()]
    topics = Topic.objects.bulk_create(
        Topic(
            meeting=meeting,
            title=f"Question {n}",
            convener=people[n],
            partner=people[n - 1],
            partner_signed=n % 2 == 0,
            status=Topic.Status.PLACED if n < len(cells) else Topic.Status.RAISED,
            slot=cells[n][0] if n < len(cells) else None,
            room=cells[n][1] if n < len(cells) else None,
        )
        for n in range(size)
    )
    placed = topics[: len(cells)]
    Report.objects.bulk_create(Report(topic=topic, summary="We talked.") for topic in placed)
    Interest.objects.bulk_create(
        Interest(topic=topics[(n + step) % size], participant=person)
        for n, person in enumerate(people)
        for step in (1, 2)
    )
    Dot.objects.bulk_create(
        Dot(topic=placed[n % len(placed)], participant=person) for n, person in enumerate(people)
    )
    Pen.objects.bulk_create(Pen(topic=topic, participant=topic.convener) for topic in placed)
    initiatives = Initiative.objects.bulk_create(
        Initiative(meeting=meeting, who=f"Group {n}", what=f"Plan {n}", levels="G")
        for n in range(size // 5)
    )
    InitiativeMember.objects.bulk_create(
        InitiativeMember(
            initiative=initiatives[n % len(initiatives)], name=person.name, participant=person
        )
        for n, person in enumerate(people)
    )
    Reflection.objects.bulk_create(
        Reflection(meeting=meeting, text=f"Thought {n}", participant=person)
        for n, person in enumerate(people)
    )
    Facilitator.objects.create(meeting=meeting, name="Lead")
    Meeting.objects.filter(pk=meeting.pk).update(phase=Meeting.Phase.CLOSING)
    meeting.bump_revision()
    return meeting, people[1]


def as_phone(client, person: Participant):
    return joined(client, person)


@pytest.mark.parametrize("size", SIZES)
def test_the_phone_page_reads_the_same_few_queries_at_any_size(
    client, size, django_assert_num_queries
):
    meeting, person = grow(size)
    phone = as_phone(client, person)
    url = reverse("phone", args=[meeting.pk])

    with django_assert_num_queries(PHONE_PAGE + SHARED_SECTIONS):
        first = phone.get(url)
    with django_assert_num_queries(PHONE_PAGE):
        again = phone.get(url)

    # Both show the whole meeting, and this phone's own things.
    for page in (first, again):
        html = page.content.decode()
        assert f'data-me="{person.pk}"' in html
        assert html.count('<article class="my-topic"') == 1
        assert html.count('<article class="my-topic shared-topic"') == 1
        assert html.count('<article class="card') == size
        assert html.count('<tr class="initiative"') == size // 5
        assert html.count('<li class="reflection"') == size


@pytest.mark.parametrize("size", SIZES)
def test_the_projector_page_reads_the_same_queries_at_any_size(
    client, size, django_assert_num_queries
):
    meeting, _ = grow(size)
    user = get_user_model().objects.create_user("lead", password="pw")
    Facilitator.objects.filter(meeting=meeting).update(user=user)
    client.force_login(user)

    with django_assert_num_queries(PROJECTOR_PAGE):
        page = client.get(reverse("projector", args=[meeting.pk]))

    assert page.content.decode().count('<article class="card') == size


@pytest.mark.parametrize("size", SIZES)
def test_the_state_on_connecting_reads_the_same_queries_at_any_size(
    size, django_assert_num_queries
):
    meeting, _ = grow(size)

    with django_assert_num_queries(STATE + SHARED_SECTIONS):
        state = fragments.current_state_of(meeting.pk, facilitator=False)
    with django_assert_num_queries(STATE):
        again = fragments.current_state_of(meeting.pk, facilitator=False)

    assert again == state and state.count('<article class="card') == size


def delivered(meeting: Meeting, deliveries, sent) -> tuple[str, str]:
    """Make the captured deliveries; what went to every page, and to the facilitators."""
    sent.clear()
    for delivery in deliveries:
        delivery()
    messages = dict(sent)
    return (
        messages[realtime.meeting_group(meeting.pk)],
        messages[realtime.facilitators_group(meeting.pk)],
    )


@pytest.mark.parametrize("size", SIZES)
def test_a_change_on_the_wall_reads_the_board_once_for_all_its_messages(
    size, sent, django_capture_on_commit_callbacks, django_assert_num_queries
):
    meeting, _ = grow(size)
    topic = meeting.topics.filter(status=Topic.Status.PLACED).first()
    with django_capture_on_commit_callbacks() as deliveries:
        agenda.unplace_topic(meeting=meeting, topic_id=topic.pk)

    with django_assert_num_queries(WALL_CHANGE):
        to_all, to_facilitators = delivered(meeting, deliveries, sent)

    assert f'id="slot-{topic.slot_id}"' in to_all
    assert f'data-topic="{topic.pk}"' in to_all.partition('id="tray"')[2]
    assert 'id="wall-summary"' in to_facilitators and 'id="moderation"' in to_facilitators
    # The nudges of its convener and co-signer are made in the same delivery, after the
    # pages' messages: not in a second one, rendered while the first is being written to
    # the sockets. The pages' messages carry no nudge.
    assert topic.partner_signed and len(deliveries) == 1
    assert [group for group, _ in sent] == [
        realtime.meeting_group(meeting.pk),
        realtime.facilitators_group(meeting.pk),
        realtime.participant_group(topic.convener_id),
        realtime.participant_group(topic.partner_id),
    ]
    assert all('id="nudge"' in text for _, text in sent[2:])
    assert 'id="nudge"' not in to_all + to_facilitators


# The changes that leave every count of the moderation panel as it was. In `grow`'s wall
# (three rooms), the first placed topic holds the first cell of slot 1 and the fourth the
# first of slot 2; the fourth has no co-signer and its convener convenes nothing in slot 1,
# nor does the tray's first topic: none of these changes meets a clash.
def _move(meeting, first, fourth, raised):
    """Free the first topic's cell, and give the move of the fourth into it."""
    slot_id, room_id = first.slot_id, first.room_id
    agenda.unplace_topic(meeting=meeting, topic_id=first.pk)
    return lambda: agenda.move_topic(
        meeting=meeting, topic_id=fourth.pk, slot_id=slot_id, room_id=room_id
    )


def _swap_on_the_wall(meeting, first, fourth, raised):
    return lambda: agenda.swap_topics(meeting=meeting, topic_id=fourth.pk, other_id=first.pk)


def _swap_with_the_tray(meeting, first, fourth, raised):
    return lambda: agenda.swap_topics(meeting=meeting, topic_id=raised.pk, other_id=first.pk)


COUNTS_UNCHANGED = {
    "move": _move,
    "swap on the wall": _swap_on_the_wall,
    "swap with the tray": _swap_with_the_tray,
}


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("change", COUNTS_UNCHANGED)
def test_a_move_or_a_swap_does_not_send_the_moderation_counts_again(
    size, change, sent, django_capture_on_commit_callbacks, django_assert_num_queries
):
    meeting, _ = grow(size)
    placed = list(meeting.topics.filter(status=Topic.Status.PLACED).order_by("pk"))
    first, fourth = placed[0], placed[3]
    raised = meeting.topics.filter(status=Topic.Status.RAISED).order_by("pk").first()
    assert first.slot_id != fourth.slot_id and not fourth.partner_signed
    make_change = COUNTS_UNCHANGED[change](meeting, first, fourth, raised)
    counts = fragments.context_for(meeting, ["moderation"])["counts"]
    with django_capture_on_commit_callbacks() as deliveries:
        make_change()

    with django_assert_num_queries(WALL_MOVE):
        to_all, to_facilitators = delivered(meeting, deliveries, sent)

    assert f'id="slot-{first.slot_id}"' in to_all
    assert 'id="wall-summary"' in to_facilitators
    assert 'id="moderation"' not in to_facilitators
    assert fragments.context_for(meeting, ["moderation"])["counts"] == counts
