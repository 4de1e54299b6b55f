"""The meetings list and a meeting's overview page."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group, User
from django.test import Client
from django.urls import reverse

from sessions_app import agenda, realtime
from sessions_app.identity import SESSION_KEY
from sessions_app.models import Facilitator, Participant
from sessions_app.signals import COORDINATORS_GROUP

from .factories import make_meeting, make_topic

pytestmark = pytest.mark.django_db


def test_home_lists_meetings_without_their_join_codes_for_visitors(client, seed_meeting):
    response = client.get(reverse("home"))

    html = response.content.decode()
    assert "Lärandeträff 4" in html
    assert reverse("meeting_detail", args=[seed_meeting.pk]) in html
    assert seed_meeting.join_code not in html
    meeting_page = client.get(reverse("meeting_detail", args=[seed_meeting.pk])).content.decode()
    assert seed_meeting.join_code not in meeting_page


def test_join_codes_show_to_a_meetings_facilitators_and_to_coordinators(client, seed_meeting):
    other = make_meeting(title="Elsewhere")
    lead = User.objects.create_user("lead", password="pw")
    Facilitator.objects.create(meeting=seed_meeting, name="Lead", user=lead)
    coordinator = User.objects.create_user("kristina", password="pw")
    coordinator.groups.add(Group.objects.get(name=COORDINATORS_GROUP))

    client.force_login(lead)
    lead_home = client.get(reverse("home")).content.decode()
    client.force_login(coordinator)
    coordinator_home = client.get(reverse("home")).content.decode()

    assert seed_meeting.join_code in lead_home and other.join_code not in lead_home
    assert seed_meeting.join_code in coordinator_home and other.join_code in coordinator_home


def test_a_facilitator_gives_the_meeting_a_new_join_code_and_joined_phones_keep_working(
    client, seed_meeting, sent, django_capture_on_commit_callbacks
):
    phone = Client()
    ann = Participant.objects.create(meeting=seed_meeting, name="Ann")
    session = phone.session
    session[SESSION_KEY] = {str(seed_meeting.pk): ann.token}
    session.save()
    lead = User.objects.create_user("lead", password="pw")
    Facilitator.objects.create(meeting=seed_meeting, name="Lead", user=lead)
    client.force_login(lead)
    old = seed_meeting.join_code

    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("new_join_code", args=[seed_meeting.pk]))

    seed_meeting.refresh_from_db()
    assert seed_meeting.join_code != old
    assert Client().get(reverse("join_code", args=[old])).status_code == 404
    assert phone.get(reverse("phone", args=[seed_meeting.pk])).status_code == 200
    projectors = dict(sent)[realtime.facilitators_group(seed_meeting.pk)]
    assert seed_meeting.join_code in projectors and f"/j/{seed_meeting.join_code}/" in projectors


def test_home_without_meetings_says_how_to_get_one(client):
    response = client.get(reverse("home"))

    assert "load_demo" in response.content.decode()


def test_meeting_detail_shows_the_agenda_grid_in_the_meetings_language(client, seed_meeting):
    response = client.get(reverse("meeting_detail", args=[seed_meeting.pk]))

    html = response.content.decode()
    assert "13.45–14.10" in html
    assert "Hur kan vi accelerera omställning till hållbara arbetsmaskiner?" in html
    assert "Lucas Röhlinger, Umeå kommun" in html
    assert html.count('<span class="code">') == 8
    assert 'lang="sv"' in html


def test_meeting_detail_of_an_unknown_meeting_is_not_found(client):
    response = client.get(reverse("meeting_detail", args=[999]))

    assert response.status_code == 404
    assert "Lärandeträff" not in response.content.decode()


def test_meeting_detail_names_every_convener_as_the_board_does(client, meeting):
    ann = Participant.objects.create(meeting=meeting, name="Ann", organization="INAB")
    bo = Participant.objects.create(meeting=meeting, name="Bo", organization="RISE")
    target = make_topic(meeting, title="Freight", convener=ann, cell="A1")
    target.partner, target.partner_signed = bo, True
    target.save()
    source = make_topic(meeting, title="Goods")
    agenda.merge_topics(meeting=meeting, topic_id=source.pk, into_id=target.pk)

    html = client.get(reverse("meeting_detail", args=[meeting.pk])).content.decode()

    cell = html.split('<span class="code">A1</span>', 1)[1].split("</td>", 1)[0]
    assert "Ann, INAB; Bo, RISE; Convener of Goods" in cell


@pytest.mark.parametrize("topics", [2, 12])
def test_meeting_detail_query_count_does_not_grow_with_topics(
    client, meeting, django_assert_num_queries, topics
):
    cells = [f"{room}{slot}" for slot in range(1, 4) for room in "ABC"]
    for i in range(topics):
        make_topic(meeting, title=f"Topic {i}", cell=cells[i] if i < len(cells) else None)

    # As before the grid was kept, with its version read the first time (board.grid).
    with django_assert_num_queries(7):
        response = client.get(reverse("meeting_detail", args=[meeting.pk]))

    assert response.content.decode().count("Convener of Topic ") == topics
