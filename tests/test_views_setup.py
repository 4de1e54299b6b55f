"""The facilitator's setup screens: details, facilitators, links, slots and rooms."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth.models import Permission, User
from django.urls import reverse

from sessions_app import realtime
from sessions_app.models import Facilitator, Meeting, Room, Series, Slot

from .factories import formset, make_meeting, make_topic

pytestmark = pytest.mark.django_db


@pytest.fixture
def organiser(client) -> User:
    """A logged-in user who may create meetings (and so run any of them)."""
    user = User.objects.create_user("organiser", password="pw")
    user.user_permissions.add(
        *Permission.objects.filter(codename__in=["add_meeting", "change_meeting"])
    )
    client.force_login(user)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return user


@pytest.fixture
def stranger(client) -> User:
    """A logged-in user with no right to any meeting."""
    user = User.objects.create_user("stranger", password="pw")
    client.force_login(user)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return user


def meeting_data(**overrides) -> dict:
    data = {
        "title": "Lärandeträff 5",
        "date": "2024-09-12",
        "language": "sv",
        "purpose": "Att följa upp\n\n  Att hitta vägar framåt  ",
        "lookback": "Våga stanna i det jobbiga",
        "method": "Open Space",
        "dots_per_person": "3",
        **formset("facilitators", [{"name": "Rebecka Janols", "role": "innovationsledare"}]),
        **formset(
            "links", [{"title": "Metodbanken", "url": "https://www.metodbanken.se/post/open-space"}]
        ),
    }
    data.update(overrides)
    return data


def test_meeting_create_saves_every_setup_field(client, organiser):
    response = client.post(reverse("meeting_create"), meeting_data())

    meeting = Meeting.objects.get()
    assert response.url == reverse("meeting_slots", args=[meeting.pk])
    assert meeting.title == "Lärandeträff 5"
    assert meeting.date == dt.date(2024, 9, 12)
    assert meeting.purpose == ["Att följa upp", "Att hitta vägar framåt"]
    assert meeting.lookback == ["Våga stanna i det jobbiga"]
    assert [(f.name, f.role) for f in meeting.facilitators.all()] == [
        ("Rebecka Janols", "innovationsledare")
    ]
    assert [link.url for link in meeting.links.all()] == [
        "https://www.metodbanken.se/post/open-space"
    ]
    assert len(meeting.join_code) == 6


def test_meeting_create_can_start_a_new_series(client, organiser):
    client.post(
        reverse("meeting_create"),
        meeting_data(new_series_title="Leda omställning", new_series_organizer="Umeå kommun"),
    )

    meeting = Meeting.objects.get()
    assert meeting.series == Series.objects.get(title="Leda omställning", organizer="Umeå kommun")


def test_meeting_create_refuses_a_link_that_is_not_http(client, organiser):
    data = meeting_data(**{"links-0-url": "javascript:alert(1)"})

    response = client.post(reverse("meeting_create"), data)

    assert response.status_code == 422
    assert "Enter a valid URL." in response.content.decode()
    assert Meeting.objects.count() == 0


def test_meeting_create_refuses_a_taken_number_in_the_series(client, organiser, seed_meeting):
    data = meeting_data(series=str(seed_meeting.series_id), number="4")

    response = client.post(reverse("meeting_create"), data)

    assert "already has a meeting number 4" in response.content.decode()
    assert Meeting.objects.count() == 1


def test_meeting_create_is_refused_without_permission(client, stranger):
    response = client.post(reverse("meeting_create"), meeting_data())

    assert response.status_code == 403
    assert Meeting.objects.count() == 0


def test_meeting_create_asks_an_anonymous_visitor_to_log_in(client):
    response = client.get(reverse("meeting_create"))

    assert response.url.startswith(reverse("login"))


def test_meeting_edit_shows_the_current_setup(client, organiser, seed_meeting):
    response = client.get(reverse("meeting_edit", args=[seed_meeting.pk]))

    html = response.content.decode()
    assert "Att hitta vägar framåt" in html
    assert "Rebecka Janols" in html
    assert "metodbanken.se" in html


def test_meeting_edit_by_a_linked_facilitator_saves(client, stranger):
    meeting = make_meeting()
    Facilitator.objects.create(meeting=meeting, name="Stranger", user=stranger)
    data = meeting_data(title="Renamed")
    data.update(formset("facilitators", [], initial=0))

    client.post(reverse("meeting_edit", args=[meeting.pk]), data)

    meeting.refresh_from_db()
    assert meeting.title == "Renamed"


@pytest.fixture
def own_meeting(stranger) -> Meeting:
    """A meeting the stranger runs as its linked facilitator, without rights to others."""
    meeting = make_meeting()
    Facilitator.objects.create(meeting=meeting, name="Stranger", user=stranger)
    return meeting


def edit_data(**overrides) -> dict:
    data = meeting_data(**overrides)
    data.update(formset("facilitators", [], initial=0))
    return data


def test_series_of_meetings_one_does_not_run_are_not_offered(client, own_meeting, seed_meeting):
    html = client.get(reverse("meeting_edit", args=[own_meeting.pk])).content.decode()

    assert seed_meeting.series.title not in html


def test_joining_a_series_one_does_not_run_is_refused(client, own_meeting, seed_meeting):
    url = reverse("meeting_edit", args=[own_meeting.pk])

    response = client.post(url, edit_data(title="Renamed", series=str(seed_meeting.series_id)))

    own_meeting.refresh_from_db()
    assert response.status_code == 422
    assert "Select a valid choice" in response.content.decode()
    assert (own_meeting.series, own_meeting.title) == (None, "Test meeting")


def test_naming_a_series_one_does_not_run_as_new_is_refused(client, own_meeting, seed_meeting):
    series = seed_meeting.series
    data = edit_data(new_series_title=series.title, new_series_organizer=series.organizer)

    response = client.post(reverse("meeting_edit", args=[own_meeting.pk]), data)

    own_meeting.refresh_from_db()
    assert "you run no meeting of it" in response.content.decode()
    assert own_meeting.series is None


def test_a_series_one_runs_a_meeting_of_can_be_chosen(client, stranger, own_meeting, seed_meeting):
    Facilitator.objects.create(meeting=seed_meeting, name="Stranger", user=stranger)
    data = edit_data(series=str(seed_meeting.series_id), number="5")

    client.post(reverse("meeting_edit", args=[own_meeting.pk]), data)

    own_meeting.refresh_from_db()
    assert own_meeting.series == seed_meeting.series


def test_the_account_is_typed_by_username_and_no_account_is_listed(client, own_meeting):
    User.objects.create_superuser("root-account", password="pw")
    User.objects.create_user("rebecka", password="pw")
    url = reverse("meeting_edit", args=[own_meeting.pk])
    rows = [{"name": "Rebecka Janols", "role": "", "user": "rebecka"}]

    page = client.get(url).content.decode()
    client.post(url, {**meeting_data(), **formset("facilitators", rows)})

    assert "root-account" not in page and "rebecka" not in page
    facilitator = own_meeting.facilitators.get(name="Rebecka Janols")
    assert facilitator.user.username == "rebecka"
    again = client.get(url).content.decode()
    assert 'value="rebecka"' in again


def test_an_unknown_username_is_refused_and_nothing_changes(client, own_meeting):
    rows = [{"name": "Nobody", "role": "", "user": "no-such-user"}]
    data = {**meeting_data(title="Renamed"), **formset("facilitators", rows)}

    response = client.post(reverse("meeting_edit", args=[own_meeting.pk]), data)

    own_meeting.refresh_from_db()
    assert "No active account has this username." in response.content.decode()
    assert own_meeting.title == "Test meeting"
    assert list(own_meeting.facilitators.values_list("name", flat=True)) == ["Stranger"]


@pytest.mark.parametrize(
    "field, value",
    [("title", "Tr\u202effen"), ("location", "Rum\x07"), ("purpose", "Ett\n\x00Två")],
)
def test_setup_text_with_control_characters_is_refused(client, own_meeting, field, value):
    response = client.post(
        reverse("meeting_edit", args=[own_meeting.pk]), edit_data(**{field: value})
    )

    own_meeting.refresh_from_db()
    assert response.status_code == 422
    html = response.content.decode()
    assert "invisible control characters" in html or "Null characters are not allowed" in html
    assert own_meeting.title == "Test meeting" and own_meeting.location == ""


def test_setup_text_keeps_right_to_left_writing_and_emoji(client, own_meeting):
    title = "مرحبا 👩‍👩‍👧 Träff"

    client.post(reverse("meeting_edit", args=[own_meeting.pk]), edit_data(title=title))

    own_meeting.refresh_from_db()
    assert own_meeting.title == title


def test_the_facilitator_sets_how_many_dots_each_person_gives(client, own_meeting):
    url = reverse("meeting_edit", args=[own_meeting.pk])

    client.post(url, edit_data(dots_per_person="5"))
    refused = client.post(url, edit_data(dots_per_person="99", title="Renamed"))

    own_meeting.refresh_from_db()
    assert own_meeting.dots_per_person == 5 and own_meeting.title == "Lärandeträff 5"
    assert "Ensure this value is less than or equal to 20." in refused.content.decode()


def test_meeting_edit_is_refused_to_a_user_who_does_not_facilitate(client, stranger):
    meeting = make_meeting()

    response = client.post(reverse("meeting_edit", args=[meeting.pk]), meeting_data(title="X"))

    meeting.refresh_from_db()
    assert response.status_code == 403
    assert meeting.title == "Test meeting"


def test_meeting_slots_generates_the_seeds_three_slots(client, organiser):
    meeting = Meeting.objects.create(title="New", date=dt.date(2024, 5, 7))

    client.post(
        reverse("meeting_slots", args=[meeting.pk]),
        {"first_starts": "13:45", "length": "25", "gap": "5", "count": "3"},
    )

    response = client.get(reverse("meeting_slots", args=[meeting.pk]))
    spans = [(f"{s.starts:%H:%M}", f"{s.ends:%H:%M}") for s in meeting.slots.all()]
    assert spans == [("13:45", "14:10"), ("14:15", "14:40"), ("14:45", "15:10")]
    assert "14.45–15.10" in response.content.decode()


def test_meeting_slots_regenerating_keeps_placed_topics_in_their_slot(client, organiser):
    meeting = make_meeting(slots=3)
    topic = make_topic(meeting, title="Freight", cell="B2")

    client.post(
        reverse("meeting_slots", args=[meeting.pk]),
        {"first_starts": "09:00", "length": "45", "gap": "15", "count": "4"},
    )

    topic.refresh_from_db()
    assert topic.code == "B2"
    assert f"{topic.slot.starts:%H:%M}" == "10:00"
    assert meeting.slots.count() == 4


def test_meeting_slots_refuses_to_drop_a_slot_holding_a_topic(client, organiser):
    meeting = make_meeting(slots=3)
    make_topic(meeting, title="Freight", cell="A3")
    before = list(Slot.objects.values_list("number", "starts", "ends"))

    response = client.post(
        reverse("meeting_slots", args=[meeting.pk]),
        {"first_starts": "09:00", "length": "30", "gap": "0", "count": "2"},
    )

    assert "Slot 3 still holds “Freight”" in response.content.decode()
    assert list(Slot.objects.values_list("number", "starts", "ends")) == before


def test_meeting_slots_refuses_slots_past_midnight(client, organiser):
    meeting = Meeting.objects.create(title="Late", date=dt.date(2024, 5, 7))

    response = client.post(
        reverse("meeting_slots", args=[meeting.pk]),
        {"first_starts": "23:00", "length": "45", "gap": "15", "count": "2"},
    )

    assert "would end after midnight" in response.content.decode()
    assert not meeting.slots.exists()


def test_meeting_rooms_adds_renames_and_sets_capacity(client, organiser):
    meeting = make_meeting(rooms="AB")
    a, b = meeting.rooms.all()
    data = formset(
        "rooms",
        [
            {"id": a.pk, "code": "A", "name": "Stora salen", "capacity": "30"},
            {"id": b.pk, "code": "B", "name": "", "capacity": ""},
            {"code": "C", "name": "Biblioteket", "capacity": "8"},
        ],
        initial=2,
    )

    client.post(reverse("meeting_rooms", args=[meeting.pk]), data)

    rooms = [(r.code, r.name, r.capacity) for r in meeting.rooms.order_by("code")]
    assert rooms == [("A", "Stora salen", 30), ("B", "", None), ("C", "Biblioteket", 8)]


def test_meeting_rooms_refuses_a_bad_code(client, organiser):
    meeting = make_meeting(rooms="A")
    a = meeting.rooms.get()
    data = formset(
        "rooms",
        [{"id": a.pk, "code": "A", "name": ""}, {"code": "A 1", "name": ""}],
        initial=1,
    )

    response = client.post(reverse("meeting_rooms", args=[meeting.pk]), data)

    assert response.status_code == 422
    assert "1–3 letters or digits" in response.content.decode()
    assert list(meeting.rooms.values_list("code", flat=True)) == ["A"]


def test_meeting_rooms_refuses_to_remove_a_room_holding_a_topic(client, organiser):
    meeting = make_meeting(rooms="AB")
    make_topic(meeting, title="Freight", cell="B1")
    a, b = meeting.rooms.all()
    data = formset(
        "rooms",
        [{"id": a.pk, "code": "A", "name": ""}, {"id": b.pk, "code": "B", "DELETE": "on"}],
        initial=2,
    )

    response = client.post(reverse("meeting_rooms", args=[meeting.pk]), data)

    assert "Room B still holds “Freight”" in response.content.decode()
    assert Room.objects.filter(meeting=meeting).count() == 2


def test_meeting_setup_speaks_swedish_to_a_swedish_browser(client, organiser):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "sv"

    response = client.post(reverse("meeting_create"), meeting_data(date="7 maj"))

    assert "Fyll i ett giltigt datum." in response.content.decode()
    assert Meeting.objects.count() == 0


def test_meeting_rooms_is_refused_to_a_user_who_does_not_facilitate(client, stranger):
    meeting = make_meeting(rooms="A")

    response = client.get(reverse("meeting_rooms", args=[meeting.pk]))

    assert response.status_code == 403
    assert "Stora" not in response.content.decode()


def test_meeting_detail_offers_setup_to_its_facilitators_only(client, organiser, seed_meeting):
    url = reverse("meeting_detail", args=[seed_meeting.pk])

    assert reverse("meeting_rooms", args=[seed_meeting.pk]) in client.get(url).content.decode()
    client.logout()
    assert reverse("meeting_rooms", args=[seed_meeting.pk]) not in client.get(url).content.decode()


def test_home_offers_a_new_meeting_to_organisers_only(client, organiser):
    assert reverse("meeting_create") in client.get(reverse("home")).content.decode()
    client.logout()
    assert reverse("meeting_create") not in client.get(reverse("home")).content.decode()


def test_meeting_copy_starts_the_next_meeting_from_the_setup(client, organiser, seed_meeting):
    seed_meeting.theme = "Vägar framåt"
    seed_meeting.save()

    response = client.post(reverse("meeting_copy", args=[seed_meeting.pk]), follow=True)

    copy = Meeting.objects.exclude(pk=seed_meeting.pk).get()
    assert response.redirect_chain[-1][0] == reverse("meeting_edit", args=[copy.pk])
    assert "Give it its date" in response.content.decode()
    assert (copy.series, copy.number, copy.date) == (seed_meeting.series, 5, None)
    assert copy.lookback == [*seed_meeting.lookback, "Vägar framåt"]
    assert [f.name for f in copy.facilitators.all()] == ["Rebecka Janols", "Ellen Grahn"]
    assert [f"{s.starts:%H:%M}" for s in copy.slots.all()] == ["13:45", "14:15", "14:45"]
    assert [r.code for r in copy.rooms.all()] == ["A", "B", "C"]
    assert not copy.topics.exists() and not copy.initiatives.exists()
    assert copy.join_code != seed_meeting.join_code


def test_meeting_copy_is_refused_to_a_user_who_does_not_facilitate(client, stranger, seed_meeting):
    response = client.post(reverse("meeting_copy", args=[seed_meeting.pk]))

    assert response.status_code == 403
    assert Meeting.objects.count() == 1


def test_meeting_create_lets_a_creator_without_wider_rights_run_it(client):
    user = User.objects.create_user("host", password="pw", first_name="Ellen", last_name="Grahn")
    user.user_permissions.add(Permission.objects.get(codename="add_meeting"))
    client.force_login(user)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"

    response = client.post(reverse("meeting_create"), meeting_data(), follow=True)

    meeting = Meeting.objects.get()
    assert response.redirect_chain[-1][0] == reverse("meeting_slots", args=[meeting.pk])
    assert "Generate the slots" in response.content.decode()
    assert meeting.facilitators.get(user=user).name == "Ellen Grahn"


def test_meeting_create_with_an_error_starts_no_series(client, organiser):
    response = client.post(
        reverse("meeting_create"), meeting_data(new_series_title="Ghost", date="not a date")
    )

    assert response.status_code == 422
    assert not Series.objects.exists()
    assert not Meeting.objects.exists()


def test_meeting_copy_of_a_long_title_fits_and_speaks_the_meetings_language(client, organiser):
    meeting = make_meeting(title="Å" * 200)

    client.post(reverse("meeting_copy", args=[meeting.pk]))

    copy = Meeting.objects.exclude(pk=meeting.pk).get()
    assert len(copy.title) == 200
    assert copy.title.startswith("Kopia av ÅÅÅ")


def test_meeting_rooms_change_reaches_every_open_page(
    client, organiser, sent, django_capture_on_commit_callbacks
):
    meeting = make_meeting(rooms="A")
    a = meeting.rooms.get()
    data = formset(
        "rooms", [{"id": a.pk, "code": "A", "name": ""}, {"code": "B", "name": "Biblioteket"}], 1
    )

    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("meeting_rooms", args=[meeting.pk]), data)

    shared = [html for group, html in sent if group == realtime.meeting_group(meeting.pk)]
    assert len(shared) == 1
    assert "Biblioteket" in shared[0]


def test_meeting_slots_change_reaches_every_open_page(
    client, organiser, sent, django_capture_on_commit_callbacks
):
    meeting = make_meeting(slots=1)

    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("meeting_slots", args=[meeting.pk]),
            {"first_starts": "09:00", "length": "30", "gap": "10", "count": "2"},
        )

    shared = [html for group, html in sent if group == realtime.meeting_group(meeting.pk)]
    assert "09.40–10.10" in shared[0]


def test_a_closed_meetings_setup_is_refused_with_a_message(client, organiser):
    meeting = make_meeting(rooms="AB", title="Closed one", language="en")
    meeting.phase = Meeting.Phase.CLOSED
    meeting.save()
    a, b = meeting.rooms.all()
    rooms = [{"id": a.pk, "code": "A", "name": "Hall", "capacity": ""}]
    posts = {
        "meeting_edit": edit_data(title="Renamed after closing"),
        "meeting_slots": {"first_starts": "09:00", "length": "25", "gap": "5", "count": "5"},
        "meeting_rooms": formset("rooms", rooms, initial=1),
    }

    for name, data in posts.items():
        response = client.post(reverse(name, args=[meeting.pk]), data)

        assert response.status_code == 422, name
        assert "This meeting is closed; reopen it into its closing" in response.content.decode()
    meeting.refresh_from_db()
    assert meeting.title == "Closed one" and meeting.slots.count() == 3
    assert list(meeting.rooms.values_list("name", flat=True)) == ["", ""]
