"""The facilitators' writes outside the wall: the phase."""

from __future__ import annotations

import pytest

from sessions_app import announce, facilitation, realtime
from sessions_app.errors import FacilitationError
from sessions_app.models import Meeting

pytestmark = pytest.mark.django_db


def test_set_phase_announces_the_stage_to_all_and_the_control_to_facilitators(
    meeting, sent, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        facilitation.set_phase(meeting=meeting, phase=Meeting.Phase.DISCUSSIONS)

    meeting.refresh_from_db()
    assert meeting.phase == Meeting.Phase.DISCUSSIONS
    shared = dict(sent)[realtime.meeting_group(meeting.pk)]
    assert 'data-phase="discussions"' in shared
    assert 'id="phase-control"' in dict(sent)[realtime.facilitators_group(meeting.pk)]


def test_set_phase_to_the_same_phase_announces_nothing(
    meeting, sent, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        facilitation.set_phase(meeting=meeting, phase=meeting.phase)

    assert sent == []


def test_announcements_render_in_the_meeting_language(
    meeting, sent, django_capture_on_commit_callbacks
):
    meeting.language = Meeting.Language.SWEDISH
    meeting.save()

    with django_capture_on_commit_callbacks(execute=True):
        announce.fragments_changed(meeting.pk, shared=["stage"])

    assert "Välkommen" in sent[0][1]


def test_set_phase_refuses_an_unknown_phase_and_changes_nothing(meeting, sent):
    with pytest.raises(FacilitationError, match="no such phase"):
        facilitation.set_phase(meeting=meeting, phase="lunch")

    meeting.refresh_from_db()
    assert meeting.phase == Meeting.Phase.OPENING and sent == []
