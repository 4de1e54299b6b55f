"""A phone's participant, read with its meeting by the SQL composed once: the same objects
as Django's own query gives, in one query, and no one for a token that is not theirs."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest

from sessions_app.identity import SESSION_KEY, participant_in
from sessions_app.models import Meeting, Participant
from tests.factories import make_meeting

pytestmark = pytest.mark.django_db


def fields(instance) -> dict:
    return {field.attname: getattr(instance, field.attname) for field in instance._meta.fields}


def session_of(meeting_id: int, token: str) -> dict:
    return {SESSION_KEY: {str(meeting_id): token}}


def test_the_participant_comes_with_its_meeting_as_django_reads_them(django_assert_num_queries):
    meeting = make_meeting()
    Meeting.objects.filter(pk=meeting.pk).update(
        purpose=["Lära av varandra", "Nätverka"],
        lookback=[{"title": "Ökad delaktighet"}],
        documents_public=True,
    )
    participant = Participant.objects.create(meeting=meeting, name="Åsa", organization="Skola")

    with django_assert_num_queries(1):
        found = participant_in(session_of(meeting.pk, participant.token), meeting.pk)
        assert found.meeting.title == meeting.title

    expected = Participant.objects.select_related("meeting").get(pk=participant.pk)
    assert fields(found) == fields(expected)
    assert fields(found.meeting) == fields(expected.meeting)
    # The fields the database keeps in its own form arrive as Python's.
    assert found.meeting.purpose == ["Lära av varandra", "Nätverka"]
    assert found.meeting.lookback == [{"title": "Ökad delaktighet"}]
    assert found.meeting.documents_public is True
    assert isinstance(found.meeting.grid_version, uuid.UUID)
    assert isinstance(found.created_at, dt.datetime)
    assert found.created_at.tzinfo is not None
    # Read from the database, as any object the ORM gives: it saves as an update.
    assert not found._state.adding
    assert not found.meeting._state.adding


def test_a_saved_change_reaches_the_next_read(meeting):
    participant = Participant.objects.create(meeting=meeting, name="Bo")
    session = session_of(meeting.pk, participant.token)
    participant_in(session, meeting.pk)

    Meeting.objects.filter(pk=meeting.pk).update(phase=Meeting.Phase.CLOSED)
    Participant.objects.filter(pk=participant.pk).update(name="Bo Ek")

    found = participant_in(session, meeting.pk)
    assert found.name == "Bo Ek"
    assert found.meeting.phase == Meeting.Phase.CLOSED


def test_no_participant_for_a_token_of_another_meeting_or_none(meeting, django_assert_num_queries):
    other = make_meeting(title="Another meeting")
    participant = Participant.objects.create(meeting=meeting, name="Cia")

    with django_assert_num_queries(1):
        assert participant_in(session_of(other.pk, participant.token), other.pk) is None
    assert participant_in(session_of(meeting.pk, "not-a-token"), meeting.pk) is None
    with django_assert_num_queries(0):
        assert participant_in({}, meeting.pk) is None
