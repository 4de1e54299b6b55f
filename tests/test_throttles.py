"""Per-client limits: a room behind one address joins freely, a guesser is slowed down."""

from __future__ import annotations

import socket
import time

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from sessions_app import throttles
from sessions_app.models import Initiative, Meeting, Participant, Reflection, Topic

from .factories import joined, make_meeting

pytestmark = pytest.mark.django_db

VENUE = "203.0.113.7"  # one venue's NAT: every phone in the room has this address
SLOW_DOWN = "Slow down: that was too many tries in a short time."


@pytest.fixture(autouse=True)
def _cache_answers(monkeypatch):
    """Start with a cache that answers, whatever an earlier test did to it."""
    monkeypatch.setattr(throttles, "_cache_rests_until", 0.0)


@pytest.fixture
def limits(settings):
    """Set some limits low for a test: limits(drafts="2/d"). Per day: the windows are fixed,
    and one that ended in the middle of a test would start the count again."""

    def lower(**rates: str) -> None:
        settings.THROTTLES = {**settings.THROTTLES, **rates}

    return lower


def _phone(participant: Participant, address: str = VENUE) -> Client:
    client = Client(REMOTE_ADDR=address, HTTP_ACCEPT_LANGUAGE="en")
    return joined(client, participant)


def _join(meeting: Meeting, name: str, address: str = VENUE):
    client = Client(REMOTE_ADDR=address)
    url = reverse("join_code", args=[meeting.join_code])
    return client.post(url, {"name": name, "organization": "Umeå kommun"})


def test_two_hundred_phones_behind_one_address_all_join_within_a_minute(meeting):
    started = time.monotonic()

    answers = [_join(meeting, f"Phone {number}") for number in range(200)]

    assert time.monotonic() - started < 60
    assert [a["Location"] for a in answers] == [reverse("phone", args=[meeting.pk])] * 200
    assert meeting.people.count() == 200


def test_a_client_guessing_codes_is_slowed_down_well_before_its_sixtieth_wrong_code(meeting):
    guesser = Client(REMOTE_ADDR="198.51.100.23", HTTP_ACCEPT_LANGUAGE="en")
    answers = [guesser.get(reverse("join"), {"code": f"WRONG{n:02d}"}) for n in range(59)]

    refused = [n for n, answer in enumerate(answers, start=1) if answer.status_code == 429]
    # The 21st, or the 41st if the minute's window ended during the run.
    assert refused and refused[0] in (21, 41)
    assert refused == list(range(refused[0], 60))
    assert SLOW_DOWN in answers[-1].content.decode()
    # The right code says nothing either: a guess that hits is not told apart.
    right = guesser.get(reverse("join"), {"code": meeting.join_code})
    assert right.status_code == 429 and SLOW_DOWN in right.content.decode()
    typed = guesser.get(reverse("join_code", args=[meeting.join_code]))
    assert SLOW_DOWN in typed.content.decode() and meeting.title not in typed.content.decode()


def test_wrong_codes_count_against_the_guesser_only(meeting, limits):
    limits(wrong_codes="3/d")
    guesser = Client(REMOTE_ADDR="198.51.100.23")
    for n in range(4):
        guesser.get(reverse("join_code", args=[f"WRONG{n}"]))

    refused = guesser.get(reverse("join"), {"code": "WRONG9"})
    neighbour = _join(meeting, "Lina", address="198.51.100.24")

    assert refused.status_code == 429
    assert neighbour["Location"] == reverse("phone", args=[meeting.pk])


def test_right_codes_are_not_counted_as_wrong_ones(meeting, limits):
    limits(wrong_codes="3/d")
    phone = Client(REMOTE_ADDR=VENUE)

    answers = [phone.get(reverse("join"), {"code": meeting.join_code}) for _ in range(10)]

    assert {a["Location"] for a in answers} == {reverse("join_code", args=[meeting.join_code])}


def test_joins_past_the_limit_are_refused_in_the_meetings_language(limits):
    limits(joins="2/d")
    meeting = make_meeting(language=Meeting.Language.SWEDISH)

    answers = [_join(meeting, name) for name in ("Ann", "Bo", "Cecilia")]

    assert answers[2].status_code == 429 and int(answers[2]["Retry-After"]) >= 1
    assert "Sakta i backarna" in answers[2].content.decode()
    assert list(meeting.people.values_list("name", flat=True)) == ["Ann", "Bo"]
    # Another meeting in the same venue is counted apart.
    other = make_meeting(title="Another meeting")
    assert _join(other, "Cecilia")["Location"] == reverse("phone", args=[other.pk])


def test_logins_are_refused_after_too_many_wrong_passwords_even_the_right_one(client, limits):
    limits(logins="5/d")
    User.objects.create_user("lead", password="the-right-one")
    url = reverse("login")

    for n in range(5):
        client.post(url, {"username": "lead", "password": f"guess {n}"})
    right = client.post(
        url, {"username": "lead", "password": "the-right-one"}, HTTP_ACCEPT_LANGUAGE="en"
    )

    assert right.status_code == 429 and SLOW_DOWN in right.content.decode()
    assert "_auth_user_id" not in client.session


def test_the_admin_login_has_the_same_limit(client, limits):
    limits(logins="2/d")
    User.objects.create_superuser("admin", password="the-right-one")
    url = reverse("admin:login")

    for n in range(2):
        client.post(url, {"username": "admin", "password": f"guess {n}"})
    right = client.post(url, {"username": "admin", "password": "the-right-one"})

    assert right.status_code == 429 and "Sakta i backarna" in right.content.decode()
    assert "_auth_user_id" not in client.session


def test_a_right_password_within_the_limit_logs_in(client, limits):
    limits(logins="5/d")
    User.objects.create_user("lead", password="the-right-one")
    url = reverse("login")

    for n in range(4):
        client.post(url, {"username": "lead", "password": f"guess {n}"})
    response = client.post(url, {"username": "lead", "password": "the-right-one"})

    assert response["Location"] == reverse("home")
    assert client.session["_auth_user_id"]


def test_drafts_past_the_limit_are_refused_where_the_phone_shows_a_refusal(meeting, limits):
    limits(drafts="2/d")
    ann = Participant.objects.create(meeting=meeting, name="Ann")
    phone = _phone(ann)
    url = reverse("phone_topic_create", args=[meeting.pk])

    for title in ("One", "Two"):
        phone.post(url, {"title": title}, HTTP_HX_REQUEST="true")
    third = phone.post(url, {"title": "Three"}, HTTP_HX_REQUEST="true")

    html = third.content.decode()
    assert third.status_code == 429
    assert 'id="mine"' in html and 'id="mine-error"' in html and SLOW_DOWN in html
    assert sorted(Topic.objects.values_list("title", flat=True)) == ["One", "Two"]
    # Another participant behind the same address writes on.
    bo = Participant.objects.create(meeting=meeting, name="Bo")
    _phone(bo).post(url, {"title": "Bo's"}, HTTP_HX_REQUEST="true")
    assert Topic.objects.filter(convener=bo).exists()


def test_a_draft_past_the_limit_without_htmx_gets_the_phone_page_with_the_message(meeting, limits):
    limits(drafts="1/d")
    phone = _phone(Participant.objects.create(meeting=meeting, name="Ann"))
    url = reverse("phone_topic_create", args=[meeting.pk])

    phone.post(url, {"title": "One"})
    second = phone.post(url, {"title": "Two"})

    assert second.status_code == 429
    assert SLOW_DOWN in second.content.decode() and ">Two</textarea>" in second.content.decode()
    assert list(Topic.objects.values_list("title", flat=True)) == ["One"]


def test_initiatives_past_the_limit_are_refused_and_not_saved(meeting, limits):
    limits(initiatives="1/d")
    meeting.phase = Meeting.Phase.ACTION_PLAN
    meeting.save()
    phone = _phone(Participant.objects.create(meeting=meeting, name="Ann"))
    url = reverse("phone_initiative_raise", args=[meeting.pk])
    data = {"who": "Ann", "levels": ["F"]}

    phone.post(url, {**data, "what": "A first"}, HTTP_HX_REQUEST="true")
    second = phone.post(url, {**data, "what": "A second"}, HTTP_HX_REQUEST="true")

    html = second.content.decode()
    assert second.status_code == 429 and 'id="raise-result"' in html and SLOW_DOWN in html
    assert list(Initiative.objects.values_list("what", flat=True)) == ["A first"]


def test_reflections_past_the_limit_are_refused_and_not_saved(meeting, limits):
    limits(reflections="1/d")
    meeting.phase = Meeting.Phase.CLOSING
    meeting.save()
    phone = _phone(Participant.objects.create(meeting=meeting, name="Ann"))
    url = reverse("phone_reflection_create", args=[meeting.pk])

    phone.post(url, {"text": "Good day"}, HTTP_HX_REQUEST="true")
    second = phone.post(url, {"text": "Again"}, HTTP_HX_REQUEST="true")

    html = second.content.decode()
    assert second.status_code == 429 and 'id="reflection-result"' in html and SLOW_DOWN in html
    assert list(Reflection.objects.values_list("text", flat=True)) == ["Good day"]


def test_the_client_is_the_address_that_connected_unless_that_is_a_trusted_proxy(rf, settings):
    settings.TRUSTED_PROXIES = ["10.0.0.0/8", "192.0.2.1"]

    def address(remote: str, forwarded: str = "") -> str:
        return throttles.client_address(
            rf.get("/", REMOTE_ADDR=remote, HTTP_X_FORWARDED_FOR=forwarded)
        )

    # A client that is no proxy cannot choose what it is counted as.
    assert address("198.51.100.23", "203.0.113.9") == "198.51.100.23"
    # Behind proxies: the right-most address that is not one of them; the left is made up.
    assert address("10.0.0.5", "1.1.1.1, 203.0.113.9") == "203.0.113.9"
    assert address("10.0.0.5", "1.1.1.1, 203.0.113.9, 192.0.2.1") == "203.0.113.9"
    assert address("10.0.0.5", "") == "10.0.0.5"
    # One IPv6 household is one client, and IPv4 seen through IPv6 is IPv4.
    assert address("2001:db8:1:2:3:4:5:6") == "2001:db8:1:2::/64"
    assert address("::ffff:198.51.100.23") == "198.51.100.23"


def test_a_venue_behind_a_trusted_proxy_is_counted_by_its_own_address(meeting, limits, settings):
    settings.TRUSTED_PROXIES = ["127.0.0.1"]
    limits(wrong_codes="2/d")
    proxy = {"REMOTE_ADDR": "127.0.0.1"}
    guesser = Client(**proxy, HTTP_X_FORWARDED_FOR="198.51.100.23")
    for n in range(3):
        guesser.get(reverse("join"), {"code": f"WRONG{n}"})

    phone = Client(**proxy, HTTP_X_FORWARDED_FOR="203.0.113.7")
    answer = phone.get(reverse("join"), {"code": meeting.join_code})

    assert guesser.get(reverse("join"), {"code": "WRONG9"}).status_code == 429
    assert answer["Location"] == reverse("join_code", args=[meeting.join_code])


def _unused_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def silent_redis():
    """A port that takes connections and never answers, as a frozen Redis does."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(50)
        yield listener.getsockname()[1]


@pytest.mark.parametrize("frozen", [False, True], ids=["closed port", "silent port"])
def test_joins_go_on_quickly_when_the_limits_cache_is_unreachable(
    meeting, settings, silent_redis, frozen
):
    port = silent_redis if frozen else _unused_port()
    settings.CACHES = {
        **settings.CACHES,
        "throttles": {
            **settings.CACHES["throttles"],
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{port}/0",
            "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
        },
    }

    started = time.monotonic()
    first = _join(meeting, "Ann")
    first_took = time.monotonic() - started
    for name in ("Bo", "Cecilia", "David"):
        _join(meeting, name)
    all_took = time.monotonic() - started

    assert first["Location"] == reverse("phone", args=[meeting.pk])
    assert first_took < 1 and all_took < 1.5
    assert meeting.people.count() == 4
