"""The one read model of the wall: cells, conveners, interest and warnings."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import transaction

from sessions_app import agenda, setup
from sessions_app.board import build_board, conveners_by_topic, conveners_of, grid, seated
from sessions_app.models import Meeting, Participant, Room, Slot, Topic

from .factories import make_meeting, make_topic

pytestmark = pytest.mark.django_db


def test_build_board_reads_the_seed_wall(seed_meeting):
    board = build_board(seed_meeting)

    codes = [[c.card.topic.code if c.card else "" for c in row.cells] for row in board.rows]
    assert [room.code for room in board.rooms] == ["A", "B", "C"]
    assert codes == [["A1", "B1", "C1"], ["A2", "B2", "C2"], ["A3", "B3", ""]]
    assert [[c.code for c in row.cells] for row in board.rows][2] == ["A3", "B3", "C3"]
    assert board.tray == []


@pytest.mark.parametrize("topics", [3, 30])
def test_build_board_query_count_does_not_grow_with_topics(django_assert_num_queries, topics):
    meeting = make_meeting(slots=6, rooms="ABCDEF")
    cells = [f"{room}{slot}" for slot in range(1, 7) for room in "ABCDEF"]
    for i in range(topics):
        make_topic(meeting, title=f"Topic {i}", cell=cells[i] if i % 2 else None)

    # rooms, slots and the grid's version (read once per version, board.grid), the topics
    # with those merged into them, interest
    with django_assert_num_queries(5):
        board = build_board(meeting)
        assert len(board.cards()) == topics
        assert all(card.names and card.topic.code for card in board.placed)


def test_the_co_signer_of_a_merged_topic_convenes_the_topic_it_was_merged_into(
    meeting, django_assert_num_queries
):
    target = make_topic(meeting, title="Freight", cell="A1")
    source = make_topic(meeting, title="Goods")
    lina = Participant.objects.create(meeting=meeting, name="Lina")
    Topic.objects.filter(pk=source.pk).update(partner=lina, partner_signed=True)
    agenda.merge_topics(meeting=meeting, topic_id=source.pk, into_id=target.pk)
    everyone = {target.convener_id, source.convener_id, lina.pk}

    # the topics with the one merged, interest, and the co-signer (the grid is kept since
    # the merge read it)
    with django_assert_num_queries(3):
        board = build_board(meeting)

    [card] = board.placed
    assert set(card.people) == everyone and card.merged_titles == ["Goods"]
    assert conveners_of(target) == everyone


def test_topics_merged_into_a_withdrawn_one_are_not_read_for_the_wall(
    meeting, django_assert_num_queries
):
    target = make_topic(meeting, title="Freight")
    source = make_topic(meeting, title="Goods")
    lina = Participant.objects.create(meeting=meeting, name="Lina")
    Topic.objects.filter(pk=source.pk).update(partner=lina, partner_signed=True)
    agenda.merge_topics(meeting=meeting, topic_id=source.pk, into_id=target.pk)
    agenda.withdraw_topic(meeting=meeting, topic_id=target.pk)
    make_topic(meeting, title="Ports", cell="A1")

    # the topics with the merged one, interest: no co-signer is on the wall (the grid is
    # kept since the merge read it)
    with django_assert_num_queries(2):
        board = build_board(meeting)

    [card] = board.cards()
    assert card.names == ["Convener of Ports"] and card.merged_titles == []


def test_conveners_by_topic_reads_any_number_of_topics_in_two_queries(
    meeting, django_assert_num_queries
):
    topics = [make_topic(meeting, title=f"Topic {n}") for n in range(5)]
    agenda.merge_topics(meeting=meeting, topic_id=topics[4].pk, into_id=topics[0].pk)
    topics[1].partner, topics[1].partner_signed = topics[2].convener, True
    topics[1].save()
    for topic in topics[:4]:
        topic.refresh_from_db()
        topic.convener  # noqa: B018 - loaded as build_board's select_related does

    with django_assert_num_queries(2):
        conveners = conveners_by_topic(topics[:4])

    assert [p.name for p in conveners[topics[0].pk].people] == [
        "Convener of Topic 0",
        "Convener of Topic 4",
    ]
    assert conveners[topics[0].pk].merged_titles == ["Topic 4"]
    assert conveners[topics[1].pk].ids == {topics[1].convener_id, topics[2].convener_id}


# ---------- The grid, kept by its version ----------


def fresh(meeting: Meeting) -> Meeting:
    """The meeting as a request reads it."""
    return Meeting.objects.get(pk=meeting.pk)


def grid_codes(meeting: Meeting) -> tuple[list[str], list[str]]:
    layout = grid(fresh(meeting))
    return [room.code for room in layout.rooms], [str(slot) for slot in layout.slots]


def test_the_grid_is_read_once_per_version(django_assert_num_queries):
    meeting = make_meeting(slots=2, rooms="AB")
    grid(fresh(meeting))
    read = fresh(meeting)

    with django_assert_num_queries(0):
        layout = grid(read)

    assert [room.code for room in layout.rooms] == ["A", "B"]
    assert [slot.number for slot in layout.slots] == [1, 2]
    # Each call makes objects of its own: what one caller sets, no other sees.
    layout.rooms[0].code = "Z"
    assert grid(read).rooms[0].code == "A"


def test_every_change_of_a_slot_or_room_renews_the_kept_grid():
    meeting = make_meeting(slots=2, rooms="AB")
    grid_codes(meeting)

    Room.objects.create(meeting=meeting, code="C", position=2)
    assert grid_codes(meeting)[0] == ["A", "B", "C"]
    room = Room.objects.get(meeting=meeting, code="A")
    room.code = "D"
    room.position = 9
    room.save()
    assert grid_codes(meeting)[0] == ["B", "C", "D"]
    Room.objects.filter(meeting=meeting, code="B").delete()
    assert grid_codes(meeting)[0] == ["C", "D"]

    slot = Slot.objects.get(meeting=meeting, number=2)
    slot.starts, slot.ends = dt.time(9, 0), dt.time(9, 30)
    slot.save()
    assert grid_codes(meeting)[1][1] == "2: 09:00–09:30"
    setup.generate_slots(
        meeting=fresh(meeting), first_starts=dt.time(10, 0), length=20, gap=5, count=3
    )
    assert grid_codes(meeting)[1] == ["1: 10:00–10:20", "2: 10:25–10:45", "3: 10:50–11:10"]


def test_a_meeting_saved_from_an_older_copy_keeps_the_grids_version():
    meeting = make_meeting(slots=1, rooms="A")
    older = fresh(meeting)
    assert grid_codes(meeting)[0] == ["A"]
    Room.objects.create(meeting=meeting, code="B", position=1)

    older.title = "Renamed"
    older.save()

    assert older.grid_version == fresh(meeting).grid_version
    assert grid_codes(meeting)[0] == ["A", "B"]


def test_a_copy_read_before_the_grid_changed_keeps_nothing_under_its_version(
    django_assert_num_queries,
):
    meeting = make_meeting(slots=1, rooms="A")
    older = fresh(meeting)
    Room.objects.create(meeting=meeting, code="B", position=1)

    # Read as it is now, and not kept: the version the copy names is gone.
    assert [room.code for room in grid(older).rooms] == ["A", "B"]
    with django_assert_num_queries(3):
        grid(older)
    assert grid_codes(meeting)[0] == ["A", "B"]


def test_a_change_rolled_back_leaves_no_grid_a_later_one_could_find():
    meeting = make_meeting(slots=1, rooms="A")
    before = fresh(meeting).grid_version
    with pytest.raises(RuntimeError), transaction.atomic():
        Room.objects.create(meeting=meeting, code="B", position=1)
        assert grid_codes(meeting)[0] == ["A", "B"]
        raise RuntimeError("rolled back")

    assert fresh(meeting).grid_version == before
    assert grid_codes(meeting)[0] == ["A"]
    Room.objects.create(meeting=meeting, code="C", position=1)
    assert grid_codes(meeting)[0] == ["A", "C"]


def test_a_topic_in_a_cell_an_older_grid_lacks_is_seated_from_the_grid_read_anew(
    django_assert_num_queries,
):
    meeting = make_meeting(rooms="AB")
    grid(meeting)
    # A room is added, and a topic placed in it, after this copy of the meeting was read.
    Room.objects.create(meeting=meeting, code="D", position=3)
    placed = Topic.objects.get(pk=make_topic(meeting, title="New room", cell="D2").pk)
    waiting = Topic.objects.get(pk=make_topic(meeting, title="Tray").pk)

    # The rooms and the slots as they are now: never the topic's own, one at a time.
    with django_assert_num_queries(2):
        layout = seated(meeting, [placed, waiting])
    with django_assert_num_queries(0):
        assert placed.code == "D2"
        assert waiting.slot is None and waiting.room is None
    assert [room.code for room in layout.rooms] == ["A", "B", "D"]
