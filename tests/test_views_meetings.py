"""The meetings list and a meeting's overview page."""

from __future__ import annotations

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_home_lists_meetings_with_their_join_codes(client, seed_meeting):
    response = client.get(reverse("home"))

    html = response.content.decode()
    assert "Lärandeträff 4" in html
    assert seed_meeting.join_code in html
    assert reverse("meeting_detail", args=[seed_meeting.pk]) in html


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
