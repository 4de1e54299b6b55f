"""The agenda wall: each change allowed, and each broken rule refused, changing nothing."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.db.models import RestrictedError

from sessions_app import agenda, realtime
from sessions_app.board import conveners_of
from sessions_app.errors import AgendaError
from sessions_app.models import Interest, Meeting, Participant, Topic

from .factories import cell_of, make_meeting, make_topic, wall

pytestmark = pytest.mark.django_db


def test_place_topic_puts_a_raised_topic_in_an_empty_cell(meeting):
    topic = make_topic(meeting, title="Freight")
    # Creating the topic raised the revision already; count from the database's number.
    meeting.refresh_from_db()
    revision = meeting.revision

    agenda.place_topic(meeting=meeting, topic_id=topic.pk, **cell_of(meeting, "B2"))

    topic.refresh_from_db()
    meeting.refresh_from_db()
    assert topic.status == Topic.Status.PLACED
    assert topic.code == "B2"
    assert wall(meeting) == {"B2": "Freight"}
    assert meeting.revision == revision + 1


def test_place_topic_refuses_a_taken_cell(meeting):
    make_topic(meeting, title="First", cell="A1")
    second = make_topic(meeting, title="Second")

    with pytest.raises(AgendaError, match="A1 is already taken by “First”"):
        agenda.place_topic(meeting=meeting, topic_id=second.pk, **cell_of(meeting, "A1"))

    second.refresh_from_db()
    assert second.status == Topic.Status.RAISED
    assert wall(meeting) == {"A1": "First"}


def test_place_topic_refuses_a_convener_in_two_rooms_of_one_slot(meeting):
    lina = Participant.objects.create(meeting=meeting, name="Lina Samuelsson")
    make_topic(meeting, title="Freight", convener=lina, cell="A1")
    other = make_topic(meeting, title="Ports", convener=lina)

    with pytest.raises(AgendaError, match="Lina Samuelsson already convenes A1"):
        agenda.place_topic(meeting=meeting, topic_id=other.pk, **cell_of(meeting, "B1"))

    assert wall(meeting) == {"A1": "Freight"}


def test_place_topic_allows_a_convener_in_another_slot(meeting):
    lina = Participant.objects.create(meeting=meeting, name="Lina Samuelsson")
    make_topic(meeting, title="Freight", convener=lina, cell="A1")
    other = make_topic(meeting, title="Ports", convener=lina)

    agenda.place_topic(meeting=meeting, topic_id=other.pk, **cell_of(meeting, "A2"))

    assert wall(meeting) == {"A1": "Freight", "A2": "Ports"}


def test_place_topic_refuses_a_slot_of_another_meeting(meeting):
    elsewhere = make_meeting(title="Elsewhere")
    topic = make_topic(meeting)

    with pytest.raises(AgendaError, match="time slot does not exist"):
        agenda.place_topic(
            meeting=meeting,
            topic_id=topic.pk,
            slot_id=elsewhere.slots.get(number=1).pk,
            room_id=meeting.rooms.get(code="A").pk,
        )

    topic.refresh_from_db()
    assert topic.status == Topic.Status.RAISED
    assert topic.slot_id is None


def test_place_topic_refuses_a_room_of_another_meeting(meeting):
    elsewhere = make_meeting(title="Elsewhere")
    topic = make_topic(meeting)

    with pytest.raises(AgendaError, match="room does not exist"):
        agenda.place_topic(
            meeting=meeting,
            topic_id=topic.pk,
            slot_id=meeting.slots.get(number=1).pk,
            room_id=elsewhere.rooms.get(code="A").pk,
        )

    assert wall(meeting) == {}


def test_place_topic_refuses_a_slot_that_does_not_exist(meeting):
    topic = make_topic(meeting)

    with pytest.raises(AgendaError, match="time slot does not exist"):
        agenda.place_topic(
            meeting=meeting, topic_id=topic.pk, slot_id=999_999, room_id=meeting.rooms.first().pk
        )

    assert wall(meeting) == {}


def test_place_topic_refuses_a_topic_of_another_meeting(meeting):
    foreign = make_topic(make_meeting(title="Elsewhere"))

    with pytest.raises(AgendaError, match="not part of this meeting"):
        agenda.place_topic(meeting=meeting, topic_id=foreign.pk, **cell_of(meeting, "A1"))

    foreign.refresh_from_db()
    assert foreign.slot_id is None


@pytest.mark.parametrize(
    "status", [Topic.Status.DRAFT, Topic.Status.SHARED, Topic.Status.WITHDRAWN]
)
def test_place_topic_refuses_a_topic_not_raised(meeting, status):
    topic = make_topic(meeting, status=status)

    with pytest.raises(AgendaError, match="cannot be changed that way"):
        agenda.place_topic(meeting=meeting, topic_id=topic.pk, **cell_of(meeting, "A1"))

    topic.refresh_from_db()
    assert topic.status == status
    assert wall(meeting) == {}


def test_move_topic_moves_to_an_empty_cell(meeting):
    topic = make_topic(meeting, title="Freight", cell="A1")

    agenda.move_topic(meeting=meeting, topic_id=topic.pk, **cell_of(meeting, "C3"))

    assert wall(meeting) == {"C3": "Freight"}


def test_move_topic_refuses_a_taken_cell(meeting):
    topic = make_topic(meeting, title="Freight", cell="A1")
    make_topic(meeting, title="Ports", cell="B1")

    with pytest.raises(AgendaError, match="B1 is already taken"):
        agenda.move_topic(meeting=meeting, topic_id=topic.pk, **cell_of(meeting, "B1"))

    assert wall(meeting) == {"A1": "Freight", "B1": "Ports"}


def test_move_topic_refuses_a_double_booked_convener(meeting):
    lina = Participant.objects.create(meeting=meeting, name="Lina")
    make_topic(meeting, title="Freight", convener=lina, cell="A1")
    ports = make_topic(meeting, title="Ports", convener=lina, cell="A2")

    with pytest.raises(AgendaError, match="Lina already convenes A1"):
        agenda.move_topic(meeting=meeting, topic_id=ports.pk, **cell_of(meeting, "B1"))

    assert wall(meeting) == {"A1": "Freight", "A2": "Ports"}


def test_move_topic_within_its_own_slot_is_allowed(meeting):
    topic = make_topic(meeting, title="Freight", cell="A1")

    agenda.move_topic(meeting=meeting, topic_id=topic.pk, **cell_of(meeting, "B1"))

    assert wall(meeting) == {"B1": "Freight"}


def test_move_topic_refuses_a_topic_in_the_tray(meeting):
    topic = make_topic(meeting)

    with pytest.raises(AgendaError, match="cannot be changed that way"):
        agenda.move_topic(meeting=meeting, topic_id=topic.pk, **cell_of(meeting, "A1"))

    assert wall(meeting) == {}


def test_swap_topics_exchanges_two_cells(meeting):
    first = make_topic(meeting, title="Freight", cell="A1")
    second = make_topic(meeting, title="Ports", cell="B2")

    agenda.swap_topics(meeting=meeting, topic_id=first.pk, other_id=second.pk)

    assert wall(meeting) == {"B2": "Freight", "A1": "Ports"}


def test_swap_topics_puts_a_tray_topic_in_the_others_cell(meeting):
    placed = make_topic(meeting, title="Freight", cell="A1")
    tray = make_topic(meeting, title="Ports")

    agenda.swap_topics(meeting=meeting, topic_id=tray.pk, other_id=placed.pk)

    placed.refresh_from_db()
    assert wall(meeting) == {"A1": "Ports"}
    assert placed.status == Topic.Status.RAISED


def test_swap_topics_refuses_when_a_convener_would_be_double_booked(meeting):
    lina = Participant.objects.create(meeting=meeting, name="Lina")
    make_topic(meeting, title="Freight", convener=lina, cell="C2")
    ports = make_topic(meeting, title="Ports", convener=lina, cell="A1")
    roads = make_topic(meeting, title="Roads", cell="A2")

    with pytest.raises(AgendaError, match="Lina already convenes C2"):
        agenda.swap_topics(meeting=meeting, topic_id=ports.pk, other_id=roads.pk)

    assert wall(meeting) == {"C2": "Freight", "A1": "Ports", "A2": "Roads"}


def test_swap_topics_refuses_two_tray_topics(meeting):
    first, second = make_topic(meeting, title="One"), make_topic(meeting, title="Two")

    with pytest.raises(AgendaError, match="Neither topic is on the wall"):
        agenda.swap_topics(meeting=meeting, topic_id=first.pk, other_id=second.pk)

    assert wall(meeting) == {}


def test_swap_topics_refuses_a_topic_with_itself(meeting):
    topic = make_topic(meeting, title="One", cell="A1")

    with pytest.raises(AgendaError, match="with itself"):
        agenda.swap_topics(meeting=meeting, topic_id=topic.pk, other_id=topic.pk)

    assert wall(meeting) == {"A1": "One"}


def test_unplace_topic_returns_it_to_the_tray(meeting):
    topic = make_topic(meeting, title="Freight", cell="A1")

    agenda.unplace_topic(meeting=meeting, topic_id=topic.pk)

    topic.refresh_from_db()
    assert topic.status == Topic.Status.RAISED
    assert wall(meeting) == {}


def test_unplace_topic_refuses_a_topic_not_on_the_wall(meeting):
    topic = make_topic(meeting)

    with pytest.raises(AgendaError, match="cannot be changed that way"):
        agenda.unplace_topic(meeting=meeting, topic_id=topic.pk)

    topic.refresh_from_db()
    assert topic.status == Topic.Status.RAISED


def test_merge_topics_keeps_both_conveners_and_titles_and_moves_interest(meeting):
    target = make_topic(meeting, title="Freight", cell="A1")
    source = make_topic(meeting, title="Goods flows")
    fan = Participant.objects.create(meeting=meeting, name="Fan")
    both = Participant.objects.create(meeting=meeting, name="Both")
    Interest.objects.create(topic=source, participant=fan)
    Interest.objects.create(topic=source, participant=both)
    Interest.objects.create(topic=target, participant=both)

    agenda.merge_topics(meeting=meeting, topic_id=source.pk, into_id=target.pk)

    source.refresh_from_db()
    assert source.status == Topic.Status.MERGED
    assert source.merged_into == target
    assert [t.title for t in target.merged_from.all()] == ["Goods flows"]
    assert conveners_of(target) == {target.convener_id, source.convener_id}
    assert sorted(target.interests.values_list("participant__name", flat=True)) == ["Both", "Fan"]
    assert not source.interests.exists()
    assert wall(meeting) == {"A1": "Freight"}


def test_merge_topics_refuses_a_convener_clash_in_the_target_slot(meeting):
    lina = Participant.objects.create(meeting=meeting, name="Lina")
    make_topic(meeting, title="Ports", convener=lina, cell="B1")
    target = make_topic(meeting, title="Freight", cell="A1")
    source = make_topic(meeting, title="Goods", convener=lina)

    with pytest.raises(AgendaError, match="Lina already convenes B1"):
        agenda.merge_topics(meeting=meeting, topic_id=source.pk, into_id=target.pk)

    source.refresh_from_db()
    assert source.status == Topic.Status.RAISED
    assert source.merged_into is None


def test_merge_topics_makes_the_merged_convener_count_in_later_placements(meeting):
    lina = Participant.objects.create(meeting=meeting, name="Lina")
    target = make_topic(meeting, title="Freight")
    source = make_topic(meeting, title="Goods", convener=lina)
    make_topic(meeting, title="Ports", convener=lina, cell="B1")
    agenda.merge_topics(meeting=meeting, topic_id=source.pk, into_id=target.pk)

    with pytest.raises(AgendaError, match="Lina already convenes B1"):
        agenda.place_topic(meeting=meeting, topic_id=target.pk, **cell_of(meeting, "A1"))

    assert wall(meeting) == {"B1": "Ports"}


def test_a_topic_merged_into_one_in_the_slot_makes_its_convener_count_there(meeting):
    lina = Participant.objects.create(meeting=meeting, name="Lina")
    ports = make_topic(meeting, title="Ports", cell="B1")
    goods = make_topic(meeting, title="Goods", convener=lina)
    agenda.merge_topics(meeting=meeting, topic_id=goods.pk, into_id=ports.pk)
    freight = make_topic(meeting, title="Freight", convener=lina, cell="A2")

    with pytest.raises(AgendaError, match="Lina already convenes B1"):
        agenda.move_topic(meeting=meeting, topic_id=freight.pk, **cell_of(meeting, "A1"))

    assert wall(meeting) == {"B1": "Ports", "A2": "Freight"}


def test_merge_topics_refuses_merging_into_itself(meeting):
    topic = make_topic(meeting)

    with pytest.raises(AgendaError, match="into itself"):
        agenda.merge_topics(meeting=meeting, topic_id=topic.pk, into_id=topic.pk)

    topic.refresh_from_db()
    assert topic.status == Topic.Status.RAISED


def test_merge_topics_refuses_a_withdrawn_topic(meeting):
    target = make_topic(meeting, title="Freight")
    gone = make_topic(meeting, title="Gone", status=Topic.Status.WITHDRAWN)

    with pytest.raises(AgendaError, match="cannot be changed that way"):
        agenda.merge_topics(meeting=meeting, topic_id=gone.pk, into_id=target.pk)

    gone.refresh_from_db()
    assert gone.merged_into is None


def test_withdraw_topic_frees_its_cell(meeting):
    topic = make_topic(meeting, title="Freight", cell="A1")

    agenda.withdraw_topic(meeting=meeting, topic_id=topic.pk)

    topic.refresh_from_db()
    assert topic.status == Topic.Status.WITHDRAWN
    assert wall(meeting) == {}


@pytest.mark.parametrize("status", [Topic.Status.DRAFT, Topic.Status.RAISED])
def test_withdrawing_a_topic_sends_the_facilitators_counts_once(
    meeting, sent, django_capture_on_commit_callbacks, status
):
    topic = make_topic(meeting, title="Freight", status=status)

    with django_capture_on_commit_callbacks(execute=True):
        agenda.withdraw_topic(meeting=meeting, topic_id=topic.pk)

    group = realtime.facilitators_group(meeting.pk)
    panels = [html for to, html in sent if to == group and 'id="moderation"' in html]
    assert len(panels) == 1


def test_withdraw_topic_refuses_a_merged_topic(meeting):
    target = make_topic(meeting, title="Freight")
    source = make_topic(meeting, title="Goods")
    agenda.merge_topics(meeting=meeting, topic_id=source.pk, into_id=target.pk)

    with pytest.raises(AgendaError, match="cannot be changed that way"):
        agenda.withdraw_topic(meeting=meeting, topic_id=source.pk)

    source.refresh_from_db()
    assert source.status == Topic.Status.MERGED


def test_deleting_a_meeting_takes_its_wall_with_it(seed_meeting):
    seed_meeting.delete()

    assert not Topic.objects.exists()
    assert not Participant.objects.exists()


def test_a_slot_holding_a_topic_cannot_be_deleted_alone(meeting):
    make_topic(meeting, title="Freight", cell="A1")

    with pytest.raises(RestrictedError):
        meeting.slots.get(number=1).delete()

    assert wall(meeting) == {"A1": "Freight"}


def test_topic_clean_refuses_a_cell_of_another_meeting(meeting):
    elsewhere = make_meeting(title="Elsewhere")
    topic = make_topic(meeting)
    topic.slot = elsewhere.slots.get(number=1)
    topic.room = elsewhere.rooms.get(code="A")

    with pytest.raises(ValidationError) as refused:
        topic.clean()

    assert set(refused.value.message_dict) == {"slot", "room"}


def test_place_topic_refuses_a_co_signing_partner_in_two_rooms_of_one_slot(meeting):
    ann = Participant.objects.create(meeting=meeting, name="Ann")
    bob = Participant.objects.create(meeting=meeting, name="Bob")
    make_topic(meeting, title="Ann's question", convener=ann, cell="A1")
    cosigned = make_topic(meeting, title="Bob's question", convener=bob)
    cosigned.partner, cosigned.partner_signed = ann, True
    cosigned.save()

    with pytest.raises(AgendaError, match="Ann already convenes A1"):
        agenda.place_topic(meeting=meeting, topic_id=cosigned.pk, **cell_of(meeting, "B1"))

    assert wall(meeting) == {"A1": "Ann's question"}


def test_place_topic_ignores_a_partner_who_has_not_co_signed(meeting):
    ann = Participant.objects.create(meeting=meeting, name="Ann")
    make_topic(meeting, title="Ann's question", convener=ann, cell="A1")
    shared = make_topic(meeting, title="Bob's question")
    shared.partner = ann
    shared.save()

    agenda.place_topic(meeting=meeting, topic_id=shared.pk, **cell_of(meeting, "B1"))

    assert wall(meeting) == {"A1": "Ann's question", "B1": "Bob's question"}


def test_a_closed_meeting_refuses_every_change_to_its_wall(meeting):
    placed = make_topic(meeting, title="Freight", cell="A1")
    waiting = make_topic(meeting, title="Ports")
    meeting.phase = meeting.Phase.CLOSED
    meeting.save()

    for change in (
        lambda: agenda.place_topic(meeting=meeting, topic_id=waiting.pk, **cell_of(meeting, "B1")),
        lambda: agenda.move_topic(meeting=meeting, topic_id=placed.pk, **cell_of(meeting, "C3")),
        lambda: agenda.swap_topics(meeting=meeting, topic_id=placed.pk, other_id=waiting.pk),
        lambda: agenda.unplace_topic(meeting=meeting, topic_id=placed.pk),
        lambda: agenda.merge_topics(meeting=meeting, topic_id=waiting.pk, into_id=placed.pk),
        lambda: agenda.withdraw_topic(meeting=meeting, topic_id=placed.pk),
    ):
        with pytest.raises(AgendaError, match="closed"):
            change()

    assert wall(meeting) == {"A1": "Freight"}
    waiting.refresh_from_db()
    assert waiting.status == Topic.Status.RAISED


@pytest.mark.parametrize("action", ["place", "move", "swap", "unplace", "apply"])
def test_every_change_of_the_wall_raises_the_documents_and_the_live_revision_once(meeting, action):
    placed = make_topic(meeting, title="Freight", cell="A1")
    raised = make_topic(meeting, title="Ports")
    target = cell_of(meeting, "B2")
    before = Meeting.objects.values_list("revision", "live_revision").get(pk=meeting.pk)
    updated = Topic.objects.get(pk=placed.pk).updated_at

    if action == "place":
        agenda.place_topic(meeting=meeting, topic_id=raised.pk, **target)
    elif action == "move":
        agenda.move_topic(meeting=meeting, topic_id=placed.pk, **target)
    elif action == "swap":
        agenda.swap_topics(meeting=meeting, topic_id=raised.pk, other_id=placed.pk)
    elif action == "unplace":
        agenda.unplace_topic(meeting=meeting, topic_id=placed.pk)
    else:
        Meeting.objects.filter(pk=meeting.pk).update(phase=Meeting.Phase.AGENDA)
        move = agenda.Move(placed.pk, (placed.slot_id, placed.room_id), **target)
        agenda.apply_placement(meeting=meeting, moves=[move])

    after = Meeting.objects.values_list("revision", "live_revision").get(pk=meeting.pk)
    # The PDF is made again after any of them, and every page hears of it.
    assert after == (before[0] + 1, before[1] + 1)
    if action != "place":
        assert Topic.objects.get(pk=placed.pk).updated_at > updated
