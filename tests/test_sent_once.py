"""A phone's write sent again after its answer was lost is saved once (views/once.py)."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from sessions_app.models import Initiative, Meeting, Participant, Reflection, SentWrite, Topic

from .factories import joined
from .test_concurrency import on_postgres, run_together

pytestmark = pytest.mark.django_db

KEY = "0123456789abcdef0123456789abcdef"


@pytest.fixture
def ann(meeting):
    return Participant.objects.create(meeting=meeting, name="Ann", organization="INAB")


@pytest.fixture
def phone(client, ann):
    return joined(client, ann)


def send(phone, name, meeting, **data):
    return phone.post(reverse(name, args=[meeting.pk]), data, HTTP_HX_REQUEST="true")


def test_a_proposal_sent_twice_with_its_key_is_saved_once(phone, meeting):
    first = send(phone, "phone_topic_create", meeting, title="Ports", request_key=KEY)
    again = send(phone, "phone_topic_create", meeting, title="Ports", request_key=KEY)

    assert list(Topic.objects.values_list("title", flat=True)) == ["Ports"]
    # The second answer is the first's: the phone's own list, with the topic in it.
    assert again.status_code == first.status_code == 200
    assert "Ports" in again.content.decode()


def test_proposals_with_different_keys_or_none_are_each_saved(phone, meeting):
    send(phone, "phone_topic_create", meeting, title="Ports", request_key=KEY)
    send(phone, "phone_topic_create", meeting, title="Ports", request_key=KEY[::-1])
    send(phone, "phone_topic_create", meeting, title="Ports")
    send(phone, "phone_topic_create", meeting, title="Ports")

    assert Topic.objects.filter(title="Ports").count() == 4


def test_a_refused_write_keeps_no_key_so_the_corrected_one_is_saved(phone, meeting):
    refused = send(phone, "phone_topic_create", meeting, title="   ", request_key=KEY)

    assert refused.status_code == 422 and not SentWrite.objects.exists()
    send(phone, "phone_topic_create", meeting, title="Ports", request_key=KEY)

    assert list(Topic.objects.values_list("title", flat=True)) == ["Ports"]


@pytest.mark.parametrize("key", ["", "x" * 32, KEY.upper(), KEY + "0", "\x00" * 32, "٣" * 32])
def test_a_key_of_another_form_is_ignored_and_the_write_saved(phone, meeting, key):
    response = send(phone, "phone_topic_create", meeting, title="Ports", request_key=key)

    assert response.status_code == 200
    assert Topic.objects.filter(title="Ports").count() == 1
    assert not SentWrite.objects.exists()


def test_keys_are_per_phone(client, phone, meeting, ann):
    send(phone, "phone_topic_create", meeting, title="Ports", request_key=KEY)
    bo = Participant.objects.create(meeting=meeting, name="Bo")
    joined(client, bo)

    send(client, "phone_topic_create", meeting, title="Rail", request_key=KEY)

    assert sorted(Topic.objects.values_list("convener__name", "title")) == [
        ("Ann", "Ports"),
        ("Bo", "Rail"),
    ]


def test_an_initiative_sent_twice_is_on_the_plan_once(phone, meeting):
    meeting.phase = Meeting.Phase.ACTION_PLAN
    meeting.save()
    data = {"who": "Lina", "what": "A first meeting", "levels": ["F"], "request_key": KEY}

    send(phone, "phone_initiative_raise", meeting, **data)
    again = send(phone, "phone_initiative_raise", meeting, **data)

    assert Initiative.objects.count() == 1
    assert "Your initiative is on the action plan." in again.content.decode()


def test_a_reflection_sent_twice_is_left_once(phone, meeting):
    meeting.phase = Meeting.Phase.CLOSING
    meeting.save()

    send(phone, "phone_reflection_create", meeting, text="Good day", request_key=KEY)
    again = send(phone, "phone_reflection_create", meeting, text="Good day", request_key=KEY)

    assert Reflection.objects.count() == 1
    assert "your reflection is in" in again.content.decode()


@on_postgres
@pytest.mark.django_db(transaction=True)
def test_the_same_write_arriving_twice_at_once_is_saved_once(meeting, ann):
    """Two copies of one proposal in flight together: the key's row lets one through."""
    phones = []
    for _ in range(2):
        phones.append(joined(Client(), ann))
    answers = []

    def post(phone):
        def call():
            answers.append(
                send(phone, "phone_topic_create", meeting, title="Ports", request_key=KEY)
            )

        return call

    run_together(post(phones[0]), post(phones[1]))

    assert [answer.status_code for answer in answers] == [200, 200]
    assert Topic.objects.filter(title="Ports").count() == 1
