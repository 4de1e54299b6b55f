"""The projector: its page, the board's actions and the phase control, for each role."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from sessions_app import fragments
from sessions_app.board import build_board
from sessions_app.models import Facilitator, Interest, Meeting, Participant, Topic
from sessions_app.permissions import can_facilitate, with_facilitation

from .factories import SESSION_QUERIES, cell_of, make_meeting, make_topic, wall

pytestmark = pytest.mark.django_db


@pytest.fixture
def facilitator(meeting):
    user = get_user_model().objects.create_user("lead", password="pw")
    Facilitator.objects.create(meeting=meeting, name="Lead", user=user)
    return user


@pytest.fixture
def facilitator_client(client, facilitator):
    client.force_login(facilitator)
    return client


@pytest.fixture
def stranger_client(client):
    client.force_login(get_user_model().objects.create_user("stranger", password="pw"))
    return client


def board_post(client, meeting, *, cell: str | None = None, **data):
    """Post a board action as htmx does; `cell` such as "A1" names the target cell."""
    if cell is not None:
        target = cell_of(meeting, cell)
        data.update(slot=target["slot_id"], room=target["room_id"])
    return client.post(reverse("board_action", args=[meeting.pk]), data, HTTP_HX_REQUEST="true")


def test_projector_shows_the_board_the_tray_and_the_join_code(facilitator_client, meeting):
    make_topic(meeting, title="Freight", cell="A1")
    make_topic(meeting, title="Ports")

    response = facilitator_client.get(reverse("projector", args=[meeting.pk]))

    html = response.content.decode()
    assert 'id="cell-A1"' in html and "Freight" in html
    assert 'id="tray"' in html and "Ports" in html
    assert meeting.join_code in html
    assert "<svg" in html  # the QR code
    assert f'ws-connect="/ws/meetings/{meeting.pk}/"' in html
    assert f"/j/{meeting.join_code}/" in html


def test_projector_follows_the_meeting_language(facilitator_client, meeting):
    html = facilitator_client.get(reverse("projector", args=[meeting.pk])).content.decode()
    assert "Whoever comes is the right people" in html

    meeting.language = Meeting.Language.SWEDISH
    meeting.save()

    html = facilitator_client.get(reverse("projector", args=[meeting.pk])).content.decode()
    assert "Vilka som än kommer är rätt personer" in html
    assert ">Skapa agendan</button>" in html


def test_board_action_says_a_broken_rule_in_the_meeting_language(facilitator_client, meeting):
    meeting.language = Meeting.Language.SWEDISH
    meeting.save()
    make_topic(meeting, title="First", cell="A1")
    second = make_topic(meeting, title="Second")

    response = board_post(facilitator_client, meeting, action="place", topic=second.pk, cell="A1")

    assert "A1 är redan upptagen av ”First”." in response.content.decode()
    assert wall(meeting) == {"A1": "First"}


def test_projector_sends_anonymous_visitors_to_log_in(client, meeting):
    response = client.get(reverse("projector", args=[meeting.pk]))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_projector_refuses_a_user_who_does_not_facilitate_the_meeting(stranger_client, meeting):
    response = stranger_client.get(reverse("projector", args=[meeting.pk]))

    assert response.status_code == 403
    assert meeting.join_code not in response.content.decode()


@pytest.mark.parametrize("pk", [10**6, 2**63, 10**30])
def test_projector_of_no_meeting_is_not_found(facilitator_client, meeting, pk):
    """No meeting has the id, or no column could hold it: "not found", never an error."""
    make_topic(meeting, title="Placed", cell="B2")
    before = wall(meeting)
    response = facilitator_client.get(f"/meetings/{pk}/projector/")
    posted = facilitator_client.post(f"/meetings/{pk}/board/", {"action": "move"})
    moved = board_post(facilitator_client, meeting, action="move", topic=pk, cell="A1")

    assert (response.status_code, posted.status_code) == (404, 404)
    assert moved.status_code == 422
    assert "not part of this meeting" in moved.content.decode()
    assert wall(meeting) == before


def test_projector_lets_users_with_the_change_permission_run_any_meeting(client, meeting):
    user = get_user_model().objects.create_user("staff", password="pw")
    user.user_permissions.add(Permission.objects.get(codename="change_meeting"))
    client.force_login(user)

    response = client.get(reverse("projector", args=[meeting.pk]))

    assert meeting.join_code in response.content.decode()


def test_board_action_places_a_topic_and_says_so(facilitator_client, meeting):
    topic = make_topic(meeting, title="Freight")

    response = board_post(facilitator_client, meeting, action="place", topic=topic.pk, cell="B2")

    assert wall(meeting) == {"B2": "Freight"}
    assert "“Freight” is now in B2." in response.content.decode()


def test_board_action_moves_swaps_and_unplaces(facilitator_client, meeting):
    first = make_topic(meeting, title="First", cell="A1")
    second = make_topic(meeting, title="Second", cell="B1")

    board_post(facilitator_client, meeting, action="move", topic=first.pk, cell="C3")
    assert wall(meeting) == {"C3": "First", "B1": "Second"}

    board_post(facilitator_client, meeting, action="swap", topic=first.pk, other=second.pk)
    assert wall(meeting) == {"B1": "First", "C3": "Second"}

    response = board_post(facilitator_client, meeting, action="unplace", topic=second.pk)
    assert wall(meeting) == {"B1": "First"}
    assert "back among the raised topics" in response.content.decode()


def test_board_action_merges_and_withdraws(facilitator_client, meeting):
    target = make_topic(meeting, title="Freight", cell="A1")
    source = make_topic(meeting, title="Cargo")
    gone = make_topic(meeting, title="Gone", cell="B1")

    board_post(facilitator_client, meeting, action="merge", topic=source.pk, other=target.pk)
    board_post(facilitator_client, meeting, action="withdraw", topic=gone.pk)

    source.refresh_from_db()
    gone.refresh_from_db()
    assert source.status == Topic.Status.MERGED and source.merged_into_id == target.pk
    assert gone.status == Topic.Status.WITHDRAWN
    assert wall(meeting) == {"A1": "Freight"}


def test_board_action_shows_a_broken_rule_and_changes_nothing(facilitator_client, meeting):
    make_topic(meeting, title="First", cell="A1")
    second = make_topic(meeting, title="Second")

    response = board_post(facilitator_client, meeting, action="place", topic=second.pk, cell="A1")

    assert response.status_code == 422
    html = response.content.decode()
    assert 'id="board-message"' in html and "is-error" in html
    assert "A1 is already taken by “First”." in html
    assert wall(meeting) == {"A1": "First"}
    second.refresh_from_db()
    assert second.status == Topic.Status.RAISED


def test_board_action_refuses_a_topic_of_another_meeting(facilitator_client, meeting):
    other = make_meeting(title="Other")
    foreign = make_topic(other, title="Foreign")

    response = board_post(facilitator_client, meeting, action="place", topic=foreign.pk, cell="A1")

    assert "That topic is not part of this meeting." in response.content.decode()
    assert wall(meeting) == {} and wall(other) == {}


def test_board_action_refuses_an_incomplete_request(facilitator_client, meeting):
    topic = make_topic(meeting, title="Freight")

    response = board_post(facilitator_client, meeting, action="place", topic=topic.pk)

    assert "Choose a cell." in response.content.decode()
    assert wall(meeting) == {}


def test_board_action_is_refused_to_a_stranger(stranger_client, meeting):
    topic = make_topic(meeting, title="Freight")

    response = board_post(stranger_client, meeting, action="place", topic=topic.pk, cell="A1")

    assert response.status_code == 403
    assert wall(meeting) == {}


def test_board_action_only_accepts_post(facilitator_client, meeting):
    response = facilitator_client.get(reverse("board_action", args=[meeting.pk]))

    assert response.status_code == 405


def test_set_phase_moves_the_meeting_and_returns_the_control(facilitator_client, meeting):
    response = facilitator_client.post(
        reverse("set_phase", args=[meeting.pk]), {"phase": "agenda"}, HTTP_HX_REQUEST="true"
    )

    meeting.refresh_from_db()
    assert meeting.phase == Meeting.Phase.AGENDA
    html = response.content.decode()
    assert 'id="phase-control"' in html
    assert 'value="agenda" class="phase-step is-current" aria-current="step"' in html


def test_set_phase_refuses_an_unknown_phase(facilitator_client, meeting):
    response = facilitator_client.post(
        reverse("set_phase", args=[meeting.pk]), {"phase": "party"}, HTTP_HX_REQUEST="true"
    )

    meeting.refresh_from_db()
    assert meeting.phase == Meeting.Phase.OPENING
    assert "There is no such phase." in response.content.decode()


def test_set_phase_is_refused_to_strangers_and_anonymous_visitors(client, stranger_client, meeting):
    stranger_client.post(reverse("set_phase", args=[meeting.pk]), {"phase": "closed"})
    stranger_client.logout()
    client.post(reverse("set_phase", args=[meeting.pk]), {"phase": "closed"})

    meeting.refresh_from_db()
    assert meeting.phase == Meeting.Phase.OPENING


def test_board_shows_interest_and_warns_of_a_full_room(facilitator_client, meeting):
    room = meeting.rooms.get(code="A")
    room.capacity = 1
    room.save()
    topic = make_topic(meeting, title="Freight", cell="A1")
    for name in ("Ann", "Bo"):
        Interest.objects.create(
            topic=topic, participant=Participant.objects.create(meeting=meeting, name=name)
        )

    html = facilitator_client.get(reverse("projector", args=[meeting.pk])).content.decode()

    assert "2 want to join" in html
    assert "A1: 2 want to join, room A holds 1." in html


def test_board_warns_of_a_convener_in_two_rooms_at_once(facilitator_client, meeting):
    lina = Participant.objects.create(meeting=meeting, name="Lina")
    per = Participant.objects.create(meeting=meeting, name="Per")
    make_topic(meeting, title="Freight", convener=lina, cell="A1")
    ports = make_topic(meeting, title="Ports", convener=per, cell="B1")
    # Lina co-signed Per's topic after both were placed: now she convenes two at once.
    Topic.objects.filter(pk=ports.pk).update(partner=lina, partner_signed=True)

    html = facilitator_client.get(reverse("projector", args=[meeting.pk])).content.decode()

    assert "Lina convenes A1, B1 at the same time." in html


@pytest.mark.parametrize("topics", [3, 30])
def test_board_reads_in_the_same_number_of_queries_however_many_topics(
    django_assert_num_queries, topics
):
    meeting = make_meeting(slots=6, rooms="ABCDE")
    people = [Participant.objects.create(meeting=meeting, name=f"P{n}") for n in range(topics)]
    cells = [f"{room}{slot}" for slot in range(1, 7) for room in "ABCDE"]
    for n in range(topics):
        topic = make_topic(
            meeting, title=f"T{n}", convener=people[n], cell=cells[n] if n % 2 else None
        )
        Interest.objects.create(topic=topic, participant=people[(n + 1) % topics])
        merged = make_topic(meeting, title=f"M{n}", convener=people[(n + 2) % topics])
        Topic.objects.filter(pk=merged.pk).update(status="merged", merged_into=topic)

    # rooms, slots and the grid's version (read once per version, board.grid), the topics
    # with those merged into them, interest counts
    with django_assert_num_queries(5):
        board = build_board(meeting)

    placed = sum(1 for row in board.rows for cell in row.cells if cell.card)
    assert placed + len(board.tray) == topics


def _wall_of(topics: int) -> Meeting:
    meeting = make_meeting(slots=6, rooms="ABCDE")
    cells = [f"{room}{slot}" for slot in range(1, 7) for room in "ABCDE"]
    for n in range(topics):
        person = Participant.objects.create(meeting=meeting, name=f"P{n}")
        topic = make_topic(
            meeting, title=f"T{n}", convener=person, cell=cells[n] if n % 2 else None
        )
        Interest.objects.create(topic=topic, participant=person)
    return meeting


def test_projector_page_costs_the_same_queries_for_3_and_30_topics(client):
    user = get_user_model().objects.create_user("staff", password="pw")
    user.user_permissions.add(Permission.objects.get(codename="change_meeting"))
    client.force_login(user)
    counts = []
    for topics in (3, 30):
        meeting = _wall_of(topics)
        with CaptureQueriesContext(connection) as queries:
            html = client.get(reverse("projector", args=[meeting.pk])).content.decode()
        assert html.count('<article class="card') == topics
        counts.append(len(queries))

    assert counts[0] == counts[1]


def test_broadcast_render_costs_the_same_queries_for_3_and_30_topics():
    counts = []
    for topics in (3, 30):
        meeting = _wall_of(topics)
        with CaptureQueriesContext(connection) as queries:
            html = fragments.render(meeting, [*fragments.SHARED])
        assert html.count('<article class="card') == topics
        counts.append(len(queries))

    assert counts[0] == counts[1]


def test_meeting_page_links_its_facilitators_to_the_projector(facilitator_client, client, meeting):
    projector_url = reverse("projector", args=[meeting.pk])

    html = facilitator_client.get(reverse("meeting_detail", args=[meeting.pk])).content.decode()
    facilitator_client.logout()
    anonymous = client.get(reverse("meeting_detail", args=[meeting.pk])).content.decode()

    assert f'href="{projector_url}"' in html
    assert f'href="{projector_url}"' not in anonymous
    assert f'href="{reverse("join")}"' in anonymous


def test_a_move_on_the_board_is_answered_in_a_fixed_number_of_queries(
    facilitator_client, meeting, django_assert_num_queries, django_capture_on_commit_callbacks
):
    topic = make_topic(meeting, title="Freight", cell="A1")
    make_topic(meeting, title="Ports", cell="B3")
    target = cell_of(meeting, "C3")
    facilitator_client.get(reverse("projector", args=[meeting.pk]))

    # The session when it is not kept in memory (several processes, with Redis); the
    # user, the meeting with its facilitator link; in the transaction (a savepoint and
    # its release here) the meeting locked with both its revisions raised, in one statement
    # that returns it (announce.claim), the topic, the slot's topics (the cell's occupant
    # among them) with those merged into them or into the topic (whose conveners convene
    # them), and the topic's update. The cell's slot and room are kept since the projector
    # page read them (board.grid).
    revisions = Meeting.objects.values_list("revision", "live_revision").get(pk=meeting.pk)
    with django_capture_on_commit_callbacks(), django_assert_num_queries(SESSION_QUERIES + 8):
        response = board_post(
            facilitator_client,
            meeting,
            action="move",
            topic=topic.pk,
            slot=target["slot_id"],
            room=target["room_id"],
        )

    assert "“Freight” is now in C3." in response.content.decode()
    assert wall(meeting) == {"B3": "Ports", "C3": "Freight"}
    # The documents' revision (the PDF's cache) and the live pages' each went up by one.
    after = Meeting.objects.values_list("revision", "live_revision").get(pk=meeting.pk)
    assert after == (revisions[0] + 1, revisions[1] + 1)


def test_a_facilitator_link_read_with_the_meeting_counts_only_for_its_user(
    meeting, facilitator, django_assert_num_queries
):
    stranger = get_user_model().objects.create_user("stranger", password="pw")
    for_lead = with_facilitation(Meeting.objects.all(), facilitator.pk).get(pk=meeting.pk)
    for_stranger = with_facilitation(Meeting.objects.all(), stranger.pk).get(pk=meeting.pk)

    with django_assert_num_queries(0):
        assert can_facilitate(facilitator, for_lead)
    # The stranger's permission is read (their own or their groups', in one query); the
    # link is not, it came with the meeting.
    with django_assert_num_queries(1):
        assert not can_facilitate(stranger, for_stranger)
    # Read for one user, the meeting's answer is never taken for another's.
    assert not can_facilitate(stranger, for_lead)
    assert can_facilitate(facilitator, for_stranger)
