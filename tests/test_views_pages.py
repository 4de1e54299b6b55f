"""What every page carries for people and browsers: ids that descriptions point to, a
favicon, one htmx configuration, and lines that read well when a detail is missing."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import Permission, User
from django.contrib.staticfiles import finders
from django.test import Client
from django.urls import reverse

from sessions_app.identity import remember
from sessions_app.models import Participant, Series

from .factories import make_meeting, make_topic

pytestmark = pytest.mark.django_db


@pytest.fixture
def organiser(client) -> User:
    """A logged-in user who may create and run meetings."""
    user = User.objects.create_user("organiser", password="pw")
    user.user_permissions.add(
        *Permission.objects.filter(codename__in=["add_meeting", "change_meeting"])
    )
    client.force_login(user)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return user


def _phone_client(meeting) -> Client:
    """A browser that has joined the meeting as a participant."""
    phone = Client()
    session = phone.session
    remember(session, Participant.objects.create(meeting=meeting, name="Ada"))
    session.save()
    return phone


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def _dangling_descriptions(html: str) -> list[str]:
    """The ids that aria-describedby names but no element of the page has."""
    ids = set(re.findall(r'\sid="([^"]+)"', html))
    named = [i for v in re.findall(r'aria-describedby="([^"]+)"', html) for i in v.split()]
    return [i for i in named if i not in ids]


def test_meeting_page_without_a_date_leaves_no_empty_place_between_dots(client):
    meeting = make_meeting(title="Copied")
    meeting.series = Series.objects.create(title="Leda omställning")
    meeting.date = None
    meeting.location = "Umeå"
    meeting.save()

    html = client.get(reverse("meeting_detail", args=[meeting.pk])).content.decode()

    assert "Leda omställning · Umeå" in _text(html)
    assert not re.search(r"·\s*·", _text(html))


def test_identify_page_without_a_date_starts_with_the_place(client):
    meeting = make_meeting()
    meeting.date = None
    meeting.location = "Umeå"
    meeting.save()

    html = client.get(reverse("join_code", args=[meeting.join_code])).content.decode()

    assert '<p class="quiet">Umeå</p>' in html


@pytest.mark.parametrize("page", ["meeting_edit", "meeting_slots", "meeting_rooms"])
def test_setup_pages_have_every_described_id(client, organiser, page):
    meeting = make_meeting()

    html = client.get(reverse(page, args=[meeting.pk])).content.decode()

    assert _dangling_descriptions(html) == []
    if page == "meeting_edit":  # purpose and look-back have help texts
        assert 'aria-describedby="id_purpose_helptext"' in html


def test_a_refused_setup_field_is_described_by_its_error(client, organiser):
    meeting = make_meeting()

    response = client.post(
        reverse("meeting_slots", args=[meeting.pk]),
        {"first_starts": "13:45", "length": "0", "gap": "5", "count": "3"},
    )
    html = response.content.decode()

    assert 'aria-invalid="true" aria-describedby="id_length_error"' in html
    assert 'id="id_length_error"' in html
    assert _dangling_descriptions(html) == []


def test_rooms_page_carries_the_empty_room_to_add(client, organiser):
    meeting = make_meeting()

    html = client.get(reverse("meeting_rooms", args=[meeting.pk])).content.decode()

    template = html[html.index('<template data-empty-form="rooms">') : html.index("</template>")]
    assert 'name="rooms-__prefix__-code"' in template
    assert 'data-add-form="rooms" hidden>Add a room</button>' in html


@pytest.mark.parametrize("page", ["home", "join", "phone"])
def test_pages_link_a_favicon_and_configure_htmx_once(client, page):
    meeting = make_meeting()
    browser = _phone_client(meeting) if page == "phone" else client
    url = reverse(page, args=[meeting.pk]) if page == "phone" else reverse(page)

    html = browser.get(url).content.decode()

    assert re.search(r'<link rel="icon" href="[^"]*favicon\.svg"', html)
    assert html.count('name="htmx-config"') == 1
    assert html.count("django_htmx/htmx-2.min.js") == 1
    assert ("django_htmx/ext/hx-ws-2.min.js" in html) is (page == "phone")
    assert finders.find("favicon.svg")


def test_phone_refusing_a_proposal_marks_the_field_invalid_without_javascript(client):
    meeting = make_meeting()
    phone = _phone_client(meeting)

    response = phone.post(reverse("phone_topic_create", args=[meeting.pk]), {"title": " "})
    html = response.content.decode()

    field = re.search(r'<textarea id="new-title"[^>]*>', html).group(0)
    assert 'aria-invalid="true"' in field and 'aria-describedby="mine-error"' in field
    assert 'id="mine-error"' in html


def test_phone_names_each_join_button_for_its_topic(client):
    meeting = make_meeting(language="en")
    make_topic(meeting, title="Cargo bikes", cell="A1")
    phone = _phone_client(meeting)

    html = phone.get(reverse("phone", args=[meeting.pk])).content.decode()

    assert f'<h1 class="phone-meeting">{meeting.title}</h1>' in html
    start = html.index('class="interest-toggle"')
    button = html[start : html.index("</button>", start)]
    assert '<span class="visually-hidden">: Cargo bikes</span>' in button


@pytest.mark.parametrize("path", ["/accounts/password_reset/", "/accounts/password_change/"])
def test_password_pages_that_need_mail_are_off(client, path):
    response = client.get(path)

    assert response.status_code == 404
