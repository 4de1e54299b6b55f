"""The suggested placement on the projector: asked for, previewed, applied, refused."""

from __future__ import annotations

import html as html_lib
import re

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from sessions_app import realtime
from sessions_app.models import Facilitator, Interest, Meeting, Participant, Topic
from sessions_app.views import suggestion as suggestion_views

from .factories import cell_of, joined, make_meeting, make_topic, wall

pytestmark = pytest.mark.django_db


@pytest.fixture
def agenda_meeting(meeting) -> Meeting:
    meeting.phase = Meeting.Phase.AGENDA
    meeting.save()
    return meeting


@pytest.fixture
def facilitator_client(client, agenda_meeting):
    user = get_user_model().objects.create_user("lead", password="pw")
    Facilitator.objects.create(meeting=agenda_meeting, name="Lead", user=user)
    client.force_login(user)
    return client


@pytest.fixture
def other_facilitator_client(client, agenda_meeting):
    """A facilitator, but of another meeting."""
    user = get_user_model().objects.create_user("other", password="pw")
    Facilitator.objects.create(meeting=make_meeting(title="Other"), name="Other", user=user)
    client.force_login(user)
    return client


@pytest.fixture
def participant_client(client, agenda_meeting):
    """A phone that joined the meeting: no account."""
    ann = Participant.objects.create(meeting=agenda_meeting, name="Ann")
    return joined(client, ann)


@pytest.fixture
def clashing(agenda_meeting) -> dict[str, Topic]:
    """Freight in A1 and Ports in the tray, wanted by the same five people; C1's slot is
    the only free one apart from slot 2 and 3's cells."""
    people = [Participant.objects.create(meeting=agenda_meeting, name=f"P{n}") for n in range(5)]
    freight = make_topic(agenda_meeting, title="Freight", cell="A1")
    ports = make_topic(agenda_meeting, title="Ports")
    for person in people:
        Interest.objects.create(topic=freight, participant=person)
        Interest.objects.create(topic=ports, participant=person)
    return {"freight": freight, "ports": ports}


def suggest(client, meeting, **data):
    return client.post(
        reverse("suggest_placement", args=[meeting.pk]), data, HTTP_HX_REQUEST="true"
    )


def apply(client, meeting, moves, choice="all", unplaced=()):
    data = {"move": list(moves), "unplaced": list(unplaced), "apply": choice}
    return client.post(reverse("apply_suggestion", args=[meeting.pk]), data, HTTP_HX_REQUEST="true")


def form_values(page: str, name: str) -> list[str]:
    """The hidden values a preview's form holds under this name."""
    found = re.findall(rf'<input type="hidden" name="{name}" value="([^"]*)">', page)
    return [html_lib.unescape(value) for value in found]


def text_of(response) -> str:
    return html_lib.unescape(re.sub(r"\s+", " ", response.content.decode()))


def test_suggest_previews_ghosts_and_scores_to_this_browser_only(
    facilitator_client, agenda_meeting, clashing, sent
):
    response = suggest(facilitator_client, agenda_meeting)

    page = text_of(response)
    assert 'id="suggestion"' in page and 'id="suggestion-ghosts"' in page
    # Ports goes to slot 2, away from Freight: its five people need not choose.
    assert 'class="ghost" data-cell="A2"' in page and "Ports" in page
    assert "Clashes</dt><dd>0 → <strong>0</strong>" in page
    assert "Apply 1 change" in page
    assert form_values(page, "move") == [
        f"{clashing['ports'].pk}:::" + ":".join(map(str, cell_of(agenda_meeting, "A2").values()))
    ]
    assert wall(agenda_meeting) == {"A1": "Freight"}
    assert sent == []


def test_suggest_then_apply_all_places_every_topic_and_clears_the_preview(
    facilitator_client, agenda_meeting, clashing, sent, django_capture_on_commit_callbacks
):
    make_topic(agenda_meeting, title="Docks")
    preview = suggest(facilitator_client, agenda_meeting).content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        response = apply(facilitator_client, agenda_meeting, form_values(preview, "move"))

    page = text_of(response)
    assert "2 topics are now where the suggestion put them." in page
    assert '<section id="suggestion" class="suggestion" hx-swap-oob="true" hidden>' in page
    assert set(wall(agenda_meeting).values()) == {"Freight", "Ports", "Docks"}
    # Every phone hears of the whole change at once.
    assert [group for group, _ in sent].count(realtime.meeting_group(agenda_meeting.pk)) == 1


def test_apply_one_card_places_it_and_shows_the_rest(facilitator_client, agenda_meeting, clashing):
    docks = make_topic(agenda_meeting, title="Docks")
    preview = suggest(facilitator_client, agenda_meeting).content.decode()
    moves = form_values(preview, "move")

    response = apply(facilitator_client, agenda_meeting, moves, choice=str(docks.pk))

    page = text_of(response)
    assert "“Docks” is now in" in page
    assert form_values(page, "move") == [m for m in moves if not m.startswith(f"{docks.pk}:")]
    assert "Docks" in wall(agenda_meeting).values()
    assert "Ports" not in wall(agenda_meeting).values()


def test_apply_refuses_all_when_the_wall_changed_meanwhile(
    facilitator_client, agenda_meeting, clashing, sent, django_capture_on_commit_callbacks
):
    make_topic(agenda_meeting, title="Docks")
    moves = form_values(suggest(facilitator_client, agenda_meeting).content.decode(), "move")
    target = moves[-1].split(":")
    # Someone else puts a topic in the last move's cell before the facilitator applies.
    Topic.objects.create(
        meeting=agenda_meeting,
        title="Late",
        convener=Participant.objects.create(meeting=agenda_meeting, name="Late"),
        status=Topic.Status.PLACED,
        slot_id=int(target[3]),
        room_id=int(target[4]),
    )
    before = wall(agenda_meeting)

    with django_capture_on_commit_callbacks(execute=True):
        response = apply(facilitator_client, agenda_meeting, moves)

    assert response.status_code == 422
    assert "is already taken by “Late”." in text_of(response)
    assert wall(agenda_meeting) == before
    assert sent == []


@pytest.mark.parametrize(
    "client_name", ["client", "participant_client", "other_facilitator_client"]
)
def test_suggest_and_apply_are_refused_to_anyone_but_its_facilitators(
    request, client_name, agenda_meeting, clashing
):
    client = request.getfixturevalue(client_name)
    move = f"{clashing['ports'].pk}:::" + _cell_value(agenda_meeting, "B2")

    asked = suggest(client, agenda_meeting)
    applied = apply(client, agenda_meeting, [move])

    for response in (asked, applied):
        assert "Ports" not in response.content.decode()
        if client_name == "other_facilitator_client":
            assert response.status_code == 403
        else:
            assert response["Location"].startswith(reverse("login"))
    assert wall(agenda_meeting) == {"A1": "Freight"}


def _cell_value(meeting, code: str) -> str:
    return ":".join(str(pk) for pk in cell_of(meeting, code).values())


@pytest.mark.parametrize(
    ("move", "choice", "message"),
    [
        ("999999:::{B2}", "all", "That topic is not part of this meeting."),
        ("{ports}:::{other}", "all", "That time slot does not exist in this meeting."),
        ("{ports}:::{B2}\x00", "all", "This suggestion cannot be read. Ask for a new one."),
        ("{ports}:::99999999999999999999:1", "all", "This suggestion cannot be read."),
        ("{ports}:{A1}:{B2}", "all", "“Ports” was moved after the suggestion was made."),
        ("{freight}:::{B2}", "all", "“Freight” was moved after the suggestion was made."),
        ("{ports}:::{B2}", "9" * 40, "That topic is not part of the suggestion."),
        ("{ports}:::{B2}", "\x00", "That topic is not part of the suggestion."),
        ("{ports}:::{A1}", "all", "A1 is already taken by “Freight”."),
        ("", "all", "This suggestion cannot be read."),
    ],
)
def test_apply_refuses_odd_input_clearly_and_changes_nothing(
    facilitator_client, agenda_meeting, clashing, move, choice, message
):
    other = make_meeting(title="Other")
    value = move.format(
        ports=clashing["ports"].pk,
        freight=clashing["freight"].pk,
        A1=_cell_value(agenda_meeting, "A1"),
        B2=_cell_value(agenda_meeting, "B2"),
        other=_cell_value(other, "B2"),
    )

    response = apply(facilitator_client, agenda_meeting, [value], choice=choice)

    assert response.status_code == 422
    assert message in text_of(response)
    assert wall(agenda_meeting) == {"A1": "Freight"}


def test_apply_without_any_move_says_there_is_nothing(facilitator_client, agenda_meeting):
    response = apply(facilitator_client, agenda_meeting, [])

    assert response.status_code == 422
    assert "There is nothing to apply." in text_of(response)


def test_apply_refuses_a_huge_number_of_moves(facilitator_client, agenda_meeting, clashing):
    value = f"{clashing['ports'].pk}:::" + _cell_value(agenda_meeting, "B2")

    response = apply(facilitator_client, agenda_meeting, [value] * 501)

    assert "This suggestion cannot be read." in text_of(response)
    assert wall(agenda_meeting) == {"A1": "Freight"}


def test_suggest_is_refused_before_the_agenda_and_once_closed(
    facilitator_client, agenda_meeting, clashing
):
    for phase in (Meeting.Phase.OPENING, Meeting.Phase.CLOSED):
        Meeting.objects.filter(pk=agenda_meeting.pk).update(phase=phase)

        response = suggest(facilitator_client, agenda_meeting)

        assert response.status_code == 422
        assert "suggested from the creation of the agenda until the meeting closes" in (
            text_of(response)
        )
        assert 'id="suggestion-ghosts"' not in response.content.decode()


def test_suggest_says_so_when_the_worker_takes_too_long(
    facilitator_client, agenda_meeting, clashing, monkeypatch
):
    async def slow(*args, **kwargs):
        raise TimeoutError

    monkeypatch.setattr(suggestion_views, "suggest_placement_async", slow)

    response = suggest(facilitator_client, agenda_meeting)

    assert response.status_code == 422
    assert "The suggestion took too long. Try again in a moment." in text_of(response)


def test_suggest_with_nothing_to_change_says_so(facilitator_client, agenda_meeting):
    make_topic(agenda_meeting, title="Freight", cell="A1")

    response = suggest(facilitator_client, agenda_meeting)

    assert "The suggestion would change nothing on the wall." in text_of(response)
    # An earlier preview in the page is cleared.
    assert '<section id="suggestion" class="suggestion" hx-swap-oob="true" hidden>' in (
        response.content.decode()
    )


def test_suggest_lists_what_stays_in_the_tray_and_why(facilitator_client):
    meeting = make_meeting(slots=1, rooms="A", language=Meeting.Language.ENGLISH)
    Meeting.objects.filter(pk=meeting.pk).update(phase=Meeting.Phase.AGENDA)
    Facilitator.objects.create(
        meeting=meeting, name="Lead", user=get_user_model().objects.get(username="lead")
    )
    make_topic(meeting, title="Freight", cell="A1")
    make_topic(meeting, title="Ports")

    page = text_of(suggest(facilitator_client, meeting))

    assert "Stay in the tray" in page
    assert "Ports</strong>: Every cell of the wall is taken." in page
    assert "Apply" not in page.split("Stay in the tray")[0].split("suggestion-actions")[1]


def test_suggest_moves_placed_topics_only_when_allowed(
    facilitator_client, agenda_meeting, clashing
):
    Topic.objects.filter(pk=clashing["ports"].pk).update(
        status=Topic.Status.PLACED, **{k[:-3]: v for k, v in cell_of(agenda_meeting, "B1").items()}
    )

    kept = text_of(suggest(facilitator_client, agenda_meeting))
    moved = text_of(suggest(facilitator_client, agenda_meeting, allow_moves="1"))

    assert "The suggestion would change nothing on the wall." in kept
    assert "Suggested, from " in moved
    assert "Clashes</dt><dd>5 → <strong>0</strong>" in moved


def test_suggest_leaves_a_pinned_topic_where_it_is(facilitator_client, agenda_meeting, clashing):
    Topic.objects.filter(pk=clashing["ports"].pk).update(
        status=Topic.Status.PLACED,
        pinned=True,
        **{k[:-3]: v for k, v in cell_of(agenda_meeting, "B1").items()},
    )
    Topic.objects.filter(pk=clashing["freight"].pk).update(pinned=True)

    page = text_of(suggest(facilitator_client, agenda_meeting, allow_moves="1"))

    assert "The suggestion would change nothing on the wall." in page


def test_suggestion_preview_speaks_the_meeting_language(
    facilitator_client, agenda_meeting, clashing
):
    Meeting.objects.filter(pk=agenda_meeting.pk).update(language=Meeting.Language.SWEDISH)

    page = text_of(suggest(facilitator_client, agenda_meeting))

    assert "Föreslagen placering" in page
    assert "Krockar" in page and "Över kapacitet" in page


def test_pin_and_unpin_through_the_board(facilitator_client, agenda_meeting, clashing):
    url = reverse("board_action", args=[agenda_meeting.pk])
    freight, ports = clashing["freight"], clashing["ports"]

    pinned = facilitator_client.post(
        url, {"action": "pin", "topic": freight.pk}, HTTP_HX_REQUEST="true"
    )
    freight.refresh_from_db()
    assert freight.pinned
    assert "“Freight” is pinned to A1: a suggestion leaves it there." in text_of(pinned)

    refused = facilitator_client.post(
        url, {"action": "pin", "topic": ports.pk}, HTTP_HX_REQUEST="true"
    )
    assert "“Ports” is raised and cannot be changed that way." in text_of(refused)

    facilitator_client.post(url, {"action": "unpin", "topic": freight.pk}, HTTP_HX_REQUEST="true")
    freight.refresh_from_db()
    assert not freight.pinned


def test_suggest_reads_the_wall_in_the_same_queries_however_many_topics(facilitator_client):
    counts = []
    for size in (3, 24):
        meeting = make_meeting(slots=4, rooms="ABCDEF", language="en")
        Meeting.objects.filter(pk=meeting.pk).update(phase=Meeting.Phase.AGENDA)
        Facilitator.objects.create(
            meeting=meeting, name="Lead", user=get_user_model().objects.get(username="lead")
        )
        people = [Participant.objects.create(meeting=meeting, name=f"P{n}") for n in range(6)]
        for n in range(size):
            topic = make_topic(meeting, title=f"T{n}")
            for person in people[n % 3 : n % 3 + 3]:
                Interest.objects.create(topic=topic, participant=person)
        with CaptureQueriesContext(connection) as queries:
            page = suggest(facilitator_client, meeting).content.decode()
        assert page.count('class="ghost"') == size
        counts.append(len(queries))

    assert counts[0] == counts[1]
