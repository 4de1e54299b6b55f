"""The one read model of the wall: cells, conveners, interest and warnings."""

from __future__ import annotations

import pytest

from sessions_app import agenda
from sessions_app.board import build_board, conveners_by_topic, conveners_of
from sessions_app.models import Participant, Topic

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

    # rooms, slots, the topics with those merged into them, interest
    with django_assert_num_queries(4):
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

    # rooms, slots, the topics with the one merged, interest, and the co-signer
    with django_assert_num_queries(5):
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

    # rooms, slots, the topics with the merged one, interest: no co-signer is on the wall
    with django_assert_num_queries(4):
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
