"""The smart wall with the database: shared-interest warnings, the count of people who must
choose, pins, and applying a suggested placement all or nothing."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from sessions_app import agenda, fragments, realtime, services, smartwall
from sessions_app.agenda import Move
from sessions_app.board import build_board
from sessions_app.errors import AgendaError
from sessions_app.models import Interest, Meeting, Participant, Topic
from sessions_app.placement import suggest_placement

from .factories import cell_of, make_meeting, make_topic, wall, without_revision_mark
from .test_concurrency import on_postgres, run_together

pytestmark = pytest.mark.django_db


def _people(meeting: Meeting, count: int, prefix: str = "P") -> list[Participant]:
    return [Participant.objects.create(meeting=meeting, name=f"{prefix}{n}") for n in range(count)]


def _mark(topic: Topic, people: list[Participant]) -> None:
    for person in people:
        Interest.objects.create(topic=topic, participant=person)


def _cell(meeting: Meeting, code: str) -> tuple[int, int]:
    found = cell_of(meeting, code)
    return found["slot_id"], found["room_id"]


def _move(meeting: Meeting, topic: Topic, code: str, *, source: str | None = None) -> Move:
    return Move(topic.pk, _cell(meeting, source) if source else None, *_cell(meeting, code))


def _warnings(meeting: Meeting) -> dict[str, list[str]]:
    return {card.topic.title: card.warnings for card in build_board(meeting).cards()}


@pytest.fixture
def agenda_meeting(meeting) -> Meeting:
    meeting.phase = Meeting.Phase.AGENDA
    meeting.save()
    return meeting


@pytest.fixture
def shared_pair(meeting) -> dict:
    """Freight (A1) wanted by its convener and three people; Ports (B1) by its convener,
    two of those three and two more."""
    people = _people(meeting, 5)
    freight = make_topic(meeting, title="Freight", cell="A1")
    ports = make_topic(meeting, title="Ports", cell="B1")
    _mark(freight, people[:3])
    _mark(ports, people[1:5])
    return {"freight": freight, "ports": ports, "people": people}


# ---------- Shared interest on the wall ----------


def test_shared_interest_warns_both_cards_once_three_people_want_both(meeting, shared_pair):
    assert _warnings(meeting) == {"Freight": [], "Ports": []}

    services.toggle_interest(participant=shared_pair["people"][0], topic_id=shared_pair["ports"].pk)

    text = "A1 and B1 share 3 of the 4 people interested in A1."
    assert _warnings(meeting) == {"Freight": [text], "Ports": [text]}


def test_shared_interest_warning_goes_when_a_mark_is_taken_back(meeting, shared_pair):
    services.toggle_interest(participant=shared_pair["people"][0], topic_id=shared_pair["ports"].pk)
    services.toggle_interest(participant=shared_pair["people"][1], topic_id=shared_pair["ports"].pk)

    assert _warnings(meeting) == {"Freight": [], "Ports": []}


def test_shared_interest_warning_goes_when_a_topic_moves_to_another_slot(meeting, shared_pair):
    _mark(shared_pair["ports"], shared_pair["people"][:1])
    assert _warnings(meeting)["Ports"]

    agenda.move_topic(meeting=meeting, topic_id=shared_pair["ports"].pk, **cell_of(meeting, "B2"))

    assert _warnings(meeting) == {"Freight": [], "Ports": []}


def test_shared_interest_counts_a_convener_who_marked_another_topic_of_the_slot(meeting):
    lina = Participant.objects.create(meeting=meeting, name="Lina")
    people = _people(meeting, 2)
    freight = make_topic(meeting, title="Freight", convener=lina, cell="A1")
    ports = make_topic(meeting, title="Ports", cell="B1")
    _mark(freight, people)
    _mark(ports, [*people, lina])

    assert _warnings(meeting)["Freight"] == ["A1 and B1 share 3 of the 3 people interested in A1."]


def test_shared_interest_warning_reaches_every_page_in_the_meeting_language(
    shared_pair, sent, django_capture_on_commit_callbacks
):
    meeting = shared_pair["ports"].meeting
    Meeting.objects.filter(pk=meeting.pk).update(language=Meeting.Language.SWEDISH)
    person = shared_pair["people"][0]

    with django_capture_on_commit_callbacks(execute=True):
        services.toggle_interest(participant=person, topic_id=shared_pair["ports"].pk)
    shared = without_revision_mark(dict(sent)[realtime.meeting_group(meeting.pk)])
    sent.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.toggle_interest(participant=person, topic_id=shared_pair["ports"].pk)
    after = without_revision_mark(dict(sent)[realtime.meeting_group(meeting.pk)])

    text = "A1 och B1 delar 3 av de 4 som vill vara med i A1."
    assert shared.count(text) == 2  # on both cards
    assert text not in after and 'class="slot-row"' in after


def test_wall_summary_counts_the_people_who_must_choose(meeting, shared_pair):
    html = fragments.render(meeting, ["wall_summary"])
    assert "2 people must choose between two topics they want in the same slot." in html

    agenda.move_topic(meeting=meeting, topic_id=shared_pair["ports"].pk, **cell_of(meeting, "B2"))

    html = fragments.render(meeting, ["wall_summary"])
    assert "No one must choose between two topics they want in the same slot." in html


def test_wall_summary_in_swedish(meeting, shared_pair):
    Meeting.objects.filter(pk=meeting.pk).update(language=Meeting.Language.SWEDISH)
    meeting.refresh_from_db()

    html = fragments.render(meeting, ["wall_summary"])

    assert "2 personer måste välja mellan två ämnen de vill vara med i under samma pass." in html


def test_a_move_sends_the_facilitators_the_count_of_people_who_must_choose(
    meeting, shared_pair, sent, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        agenda.move_topic(
            meeting=meeting, topic_id=shared_pair["ports"].pk, **cell_of(meeting, "B2")
        )

    facilitators = dict(sent)[realtime.facilitators_group(meeting.pk)]
    assert "No one must choose" in facilitators
    assert 'id="wall-summary"' not in dict(sent)[realtime.meeting_group(meeting.pk)]


@pytest.mark.parametrize("size", [4, 32])
def test_board_and_its_summary_cost_the_same_queries_however_many_topics(
    django_assert_num_queries, size
):
    meeting = make_meeting(slots=6, rooms="ABCDEF", language="en")
    people = _people(meeting, 8)
    cells = [f"{room}{slot}" for slot in range(1, 7) for room in "ABCDEF"]
    for n in range(size):
        topic = make_topic(meeting, title=f"T{n}", cell=cells[n] if n % 2 else None)
        _mark(topic, people[n % 4 : n % 4 + 4])
        if n % 4 == 1:
            Topic.objects.filter(pk=topic.pk).update(pinned=True)

    # rooms, slots and the grid's version (read once per version, board.grid), the topics
    # with those merged into them, interest
    with django_assert_num_queries(5):
        board = build_board(meeting)
        assert len(board.cards()) == size
    # The rooms and slots are kept from then on (board.grid).
    with CaptureQueriesContext(connection) as queries:
        html = fragments.render(meeting, ["grid", "tray", "wall_summary"])
    assert html.count('<article class="card') == size
    assert len(queries) == 2


# ---------- Pins ----------


def test_pin_topic_holds_a_placed_topic_and_leaving_the_wall_lets_go(meeting):
    freight = make_topic(meeting, title="Freight", cell="A1")

    agenda.pin_topic(meeting=meeting, topic_id=freight.pk, pinned=True)
    freight.refresh_from_db()
    assert freight.pinned
    assert build_board(meeting).wall.topics[0].pinned

    agenda.unplace_topic(meeting=meeting, topic_id=freight.pk)
    freight.refresh_from_db()
    assert not freight.pinned and freight.status == Topic.Status.RAISED


def test_pin_topic_refuses_a_topic_in_the_tray(meeting):
    ports = make_topic(meeting, title="Ports")

    with pytest.raises(AgendaError, match="“Ports” is raised and cannot be changed that way."):
        agenda.pin_topic(meeting=meeting, topic_id=ports.pk, pinned=True)
    ports.refresh_from_db()
    assert not ports.pinned


def test_a_pinned_card_says_so(meeting, sent, django_capture_on_commit_callbacks):
    freight = make_topic(meeting, title="Freight", cell="A1")

    with django_capture_on_commit_callbacks(execute=True):
        agenda.pin_topic(meeting=meeting, topic_id=freight.pk, pinned=True)

    shared = dict(sent)[realtime.meeting_group(meeting.pk)]
    assert 'data-pinned="true"' in shared and '<span class="pin-badge">pinned</span>' in shared


# ---------- Applying a suggestion ----------


def test_apply_placement_places_and_moves_together_in_one_update(
    agenda_meeting, sent, django_capture_on_commit_callbacks
):
    freight = make_topic(agenda_meeting, title="Freight", cell="A1")
    ports = make_topic(agenda_meeting, title="Ports", cell="B1")
    docks = make_topic(agenda_meeting, title="Docks")
    # Freight and Ports trade cells, and Docks takes C2: no order of single moves would do.
    moves = [
        _move(agenda_meeting, freight, "B1", source="A1"),
        _move(agenda_meeting, ports, "A1", source="B1"),
        _move(agenda_meeting, docks, "C2"),
    ]

    with django_capture_on_commit_callbacks(execute=True):
        topics = agenda.apply_placement(meeting=agenda_meeting, moves=moves)

    assert [topic.title for topic in topics] == ["Freight", "Ports", "Docks"]
    assert wall(agenda_meeting) == {"A1": "Ports", "B1": "Freight", "C2": "Docks"}
    groups = [group for group, _html in sent]
    assert groups.count(realtime.meeting_group(agenda_meeting.pk)) == 1
    assert groups.count(realtime.facilitators_group(agenda_meeting.pk)) == 1
    shared = dict(sent)[realtime.meeting_group(agenda_meeting.pk)]
    assert 'id="tray"' in shared and shared.count('class="slot-row"') == 2


def test_apply_placement_is_all_or_nothing(
    agenda_meeting, sent, django_capture_on_commit_callbacks
):
    freight = make_topic(agenda_meeting, title="Freight", cell="A1")
    ports = make_topic(agenda_meeting, title="Ports")
    docks = make_topic(agenda_meeting, title="Docks")
    make_topic(agenda_meeting, title="Late", cell="C3")
    moves = [
        _move(agenda_meeting, freight, "B2", source="A1"),
        _move(agenda_meeting, ports, "A1"),
        _move(agenda_meeting, docks, "C3"),  # taken meanwhile by Late
    ]
    before = wall(agenda_meeting)
    revision = Meeting.objects.get(pk=agenda_meeting.pk).live_revision

    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(AgendaError, match="C3 is already taken by “Late”."),
    ):
        agenda.apply_placement(meeting=agenda_meeting, moves=moves)

    assert wall(agenda_meeting) == before == {"A1": "Freight", "C3": "Late"}
    assert Topic.objects.get(pk=ports.pk).status == Topic.Status.RAISED
    assert Meeting.objects.get(pk=agenda_meeting.pk).live_revision == revision
    assert sent == []


def test_apply_placement_refuses_moving_a_pinned_topic(agenda_meeting):
    freight = make_topic(agenda_meeting, title="Freight", cell="A1")
    agenda.pin_topic(meeting=agenda_meeting, topic_id=freight.pk, pinned=True)

    with pytest.raises(AgendaError, match="“Freight” is pinned to its cell."):
        agenda.apply_placement(
            meeting=agenda_meeting, moves=[_move(agenda_meeting, freight, "B2", source="A1")]
        )
    assert wall(agenda_meeting) == {"A1": "Freight"}


def test_apply_placement_keeps_a_co_signer_out_of_two_rooms(agenda_meeting):
    lina = Participant.objects.create(meeting=agenda_meeting, name="Lina")
    ports = make_topic(agenda_meeting, title="Ports", cell="B1")
    Topic.objects.filter(pk=ports.pk).update(partner=lina, partner_signed=True)
    own = make_topic(agenda_meeting, title="Lina's own", convener=lina)

    with pytest.raises(
        AgendaError, match="Lina already convenes B1 in slot 1 and cannot be in two rooms."
    ):
        agenda.apply_placement(meeting=agenda_meeting, moves=[_move(agenda_meeting, own, "A1")])
    assert wall(agenda_meeting) == {"B1": "Ports"}


def test_apply_placement_keeps_the_convener_of_a_merged_topic_out_of_two_rooms(agenda_meeting):
    per = Participant.objects.create(meeting=agenda_meeting, name="Per")
    target = make_topic(agenda_meeting, title="Freight", cell="A2")
    source = make_topic(agenda_meeting, title="Cargo", convener=per)
    agenda.merge_topics(meeting=agenda_meeting, topic_id=source.pk, into_id=target.pk)
    own = make_topic(agenda_meeting, title="Per's own", convener=per)

    with pytest.raises(AgendaError, match="Per already convenes A2 in slot 2"):
        agenda.apply_placement(meeting=agenda_meeting, moves=[_move(agenda_meeting, own, "C2")])
    agenda.apply_placement(meeting=agenda_meeting, moves=[_move(agenda_meeting, own, "C3")])
    assert wall(agenda_meeting) == {"A2": "Freight", "C3": "Per's own"}


def test_apply_placement_refuses_two_moves_into_one_cell(agenda_meeting):
    ports = make_topic(agenda_meeting, title="Ports")
    docks = make_topic(agenda_meeting, title="Docks")

    with pytest.raises(AgendaError, match="puts “Ports” and “Docks” both in B2"):
        agenda.apply_placement(
            meeting=agenda_meeting,
            moves=[_move(agenda_meeting, ports, "B2"), _move(agenda_meeting, docks, "B2")],
        )
    assert wall(agenda_meeting) == {}


def test_apply_placement_refuses_a_merged_or_withdrawn_topic(agenda_meeting):
    ports = make_topic(agenda_meeting, title="Ports")
    docks = make_topic(agenda_meeting, title="Docks")
    agenda.withdraw_topic(meeting=agenda_meeting, topic_id=docks.pk)

    with pytest.raises(AgendaError, match="“Docks” is withdrawn and cannot be changed that way."):
        agenda.apply_placement(
            meeting=agenda_meeting,
            moves=[_move(agenda_meeting, ports, "A1"), _move(agenda_meeting, docks, "B1")],
        )
    assert wall(agenda_meeting) == {}


def test_apply_placement_refuses_a_cell_of_another_meeting(agenda_meeting):
    ports = make_topic(agenda_meeting, title="Ports")
    other = make_meeting(title="Other")

    with pytest.raises(AgendaError, match="That time slot does not exist in this meeting."):
        agenda.apply_placement(meeting=agenda_meeting, moves=[_move(other, ports, "A1")])
    room = _cell(other, "A1")[1]
    with pytest.raises(AgendaError, match="That room does not exist in this meeting."):
        agenda.apply_placement(
            meeting=agenda_meeting,
            moves=[Move(ports.pk, None, _cell(agenda_meeting, "A1")[0], room)],
        )


@on_postgres
@pytest.mark.django_db(transaction=True)
def test_apply_placement_and_a_placement_at_once_never_share_a_cell():
    meeting = make_meeting(language="en")
    Meeting.objects.filter(pk=meeting.pk).update(phase=Meeting.Phase.AGENDA)
    ports, docks, late = (make_topic(meeting, title=t) for t in ("Ports", "Docks", "Late"))
    moves = [_move(meeting, ports, "A1"), _move(meeting, docks, "B1")]

    outcomes = run_together(
        lambda: agenda.apply_placement(meeting=meeting, moves=moves),
        lambda: agenda.place_topic(meeting=meeting, topic_id=late.pk, **cell_of(meeting, "B1")),
    )

    assert sorted(o.split(":")[0] for o in outcomes) == ["done", "refused"]
    if outcomes[0] == "done":
        assert wall(meeting) == {"A1": "Ports", "B1": "Docks"}
    else:
        assert wall(meeting) == {"B1": "Late"}


@pytest.mark.parametrize("phase", [Meeting.Phase.OPENING, Meeting.Phase.CLOSED])
def test_apply_placement_only_from_the_agenda_until_the_meeting_closes(agenda_meeting, phase):
    ports = make_topic(agenda_meeting, title="Ports")
    Meeting.objects.filter(pk=agenda_meeting.pk).update(phase=phase)

    with pytest.raises(AgendaError):
        agenda.apply_placement(meeting=agenda_meeting, moves=[_move(agenda_meeting, ports, "A1")])
    assert wall(agenda_meeting) == {}


# ---------- A suggestion from the database, end to end ----------


def _busy_meeting() -> Meeting:
    """Nine topics for nine cells, with co-signers, a merge, a pin and shared interest."""
    meeting = make_meeting(slots=3, rooms="ABC", language="en")
    Meeting.objects.filter(pk=meeting.pk).update(phase=Meeting.Phase.CLOSING)
    meeting.refresh_from_db()
    people = _people(meeting, 12)
    conveners = _people(meeting, 4, prefix="C")
    topics = [make_topic(meeting, title=f"T{n}", convener=conveners[n % 4]) for n in range(10)]
    Topic.objects.filter(pk=topics[1].pk).update(partner=conveners[2], partner_signed=True)
    agenda.merge_topics(meeting=meeting, topic_id=topics[9].pk, into_id=topics[0].pk)
    for n, topic in enumerate(topics[:9]):
        _mark(topic, people[n % 5 : n % 5 + 5])
    agenda.place_topic(meeting=meeting, topic_id=topics[3].pk, **cell_of(meeting, "B2"))
    agenda.pin_topic(meeting=meeting, topic_id=topics[3].pk, pinned=True)
    return meeting


def test_a_suggestion_applied_keeps_every_rule_and_leaves_the_pin(
    django_capture_on_commit_callbacks,
):
    meeting = _busy_meeting()
    board = build_board(meeting)

    suggestion = suggest_placement(board.wall, allow_moves=True)
    agenda.apply_placement(meeting=meeting, moves=smartwall.moves_of(suggestion, board))

    after = build_board(meeting)
    assert wall(meeting)["B2"] == "T3"
    assert all("at the same time" not in w for card in after.placed for w in card.warnings)
    assert after.score == suggestion.after
    assert len(after.placed) + len(after.tray) == 9
    assert {u.topic for u in suggestion.unplaced} == {card.topic.pk for card in after.tray}


def test_the_same_meeting_gets_the_same_suggestion():
    meeting = _busy_meeting()

    first = suggest_placement(build_board(meeting).wall, allow_moves=True)
    second = suggest_placement(build_board(meeting).wall, allow_moves=True)

    assert first == second


def test_preview_scores_the_wall_before_and_after(agenda_meeting, shared_pair):
    board = build_board(agenda_meeting)
    move = _move(agenda_meeting, shared_pair["ports"], "B2", source="B1")

    shown = smartwall.preview(board, [move], [])

    assert (shown.before.clashes, shown.after.clashes) == (2, 0)
    assert [(g.source_code, g.target_code, g.card.topic.title) for g in shown.ghosts] == [
        ("B1", "B2", "Ports")
    ]
    assert smartwall.read_moves([g.value for g in shown.ghosts]) == [move]
