"""The vernissage: dots within the allowance, never on one's own topic, and a report full screen."""

from __future__ import annotations

import pytest

from sessions_app import realtime, vernissage
from sessions_app.models import Dot, Meeting, Participant, Report
from sessions_app.vernissage import VernissageError

from .factories import make_meeting, make_topic

pytestmark = pytest.mark.django_db


@pytest.fixture
def walking(meeting):
    """A meeting at its vernissage, with four written reports."""
    meeting.phase = Meeting.Phase.VERNISSAGE
    meeting.dots_per_person = 2
    meeting.save()
    for cell in ("A1", "B1", "C1", "A2"):
        topic = make_topic(meeting, title=f"Topic {cell}", cell=cell)
        Report.objects.create(topic=topic, summary=f"About {cell}")
    return meeting


@pytest.fixture
def ann(walking):
    return Participant.objects.create(meeting=walking, name="Ann")


def topic_at(meeting, code):
    return next(t for t in meeting.topics.select_related("slot", "room") if t.code == code)


def dotted(participant) -> set[str]:
    return {dot.topic.code for dot in participant.dots.select_related("topic__slot", "topic__room")}


def test_dots_go_on_reports_up_to_the_allowance(walking, ann):
    vernissage.give_dot(participant=ann, topic_id=topic_at(walking, "A1").pk)
    vernissage.give_dot(participant=ann, topic_id=topic_at(walking, "B1").pk)

    with pytest.raises(VernissageError, match="all your 2 dots"):
        vernissage.give_dot(participant=ann, topic_id=topic_at(walking, "C1").pk)

    assert dotted(ann) == {"A1", "B1"}


def test_a_dot_taken_back_can_go_elsewhere(walking, ann):
    for code in ("A1", "B1"):
        vernissage.give_dot(participant=ann, topic_id=topic_at(walking, code).pk)

    vernissage.take_back_dot(participant=ann, topic_id=topic_at(walking, "A1").pk)
    vernissage.give_dot(participant=ann, topic_id=topic_at(walking, "C1").pk)

    assert dotted(ann) == {"B1", "C1"}


def test_one_dot_a_report(walking, ann):
    vernissage.give_dot(participant=ann, topic_id=topic_at(walking, "A1").pk)

    with pytest.raises(VernissageError, match="already"):
        vernissage.give_dot(participant=ann, topic_id=topic_at(walking, "A1").pk)

    assert Dot.objects.count() == 1


def test_no_dot_on_a_topic_one_convenes(walking, ann):
    own = make_topic(walking, title="Mine", convener=ann, cell="B2")
    Report.objects.create(topic=own, summary="Ours")

    with pytest.raises(VernissageError, match="not your own"):
        vernissage.give_dot(participant=ann, topic_id=own.pk)

    assert not Dot.objects.exists()


def test_no_dot_on_a_topic_without_a_report_or_of_another_meeting(walking, ann):
    bare = make_topic(walking, title="Bare", cell="B2")
    elsewhere = make_meeting(title="Elsewhere")
    foreign = make_topic(elsewhere, title="Foreign", cell="A1")
    Report.objects.create(topic=foreign, summary="There")

    for topic in (bare, foreign):
        with pytest.raises(VernissageError, match="not on this meeting's wall"):
            vernissage.give_dot(participant=ann, topic_id=topic.pk)

    assert not Dot.objects.exists()


@pytest.mark.parametrize(
    ("phase", "message"),
    [
        (Meeting.Phase.DISCUSSIONS, "at the vernissage and in the action plan"),
        (Meeting.Phase.CLOSING, "at the vernissage and in the action plan"),
        (Meeting.Phase.CLOSED, "closed"),
    ],
)
def test_dots_are_given_at_the_vernissage_and_in_the_action_plan(walking, ann, phase, message):
    walking.phase = phase
    walking.save()

    with pytest.raises(VernissageError, match=message):
        vernissage.give_dot(participant=ann, topic_id=topic_at(walking, "A1").pk)

    assert not Dot.objects.exists()


def test_dots_are_given_in_the_action_plan_too(walking, ann):
    walking.phase = Meeting.Phase.ACTION_PLAN
    walking.save()

    vernissage.give_dot(participant=ann, topic_id=topic_at(walking, "A1").pk)

    assert dotted(ann) == {"A1"}


def test_giving_a_dot_sends_the_counts_with_the_next_second(
    walking, ann, sent, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        vernissage.give_dot(participant=ann, topic_id=topic_at(walking, "A1").pk)

    [(group, html)] = sent
    assert group == realtime.meeting_group(walking.pk)
    a1 = topic_at(walking, "A1").pk
    assert f'id="dots-{a1}" hx-swap-oob="true" data-count="1"' in html
    assert "About A1" not in html  # only the counts, not the reports


def test_one_report_goes_full_screen_on_the_projectors(
    walking, sent, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        vernissage.show_full_screen(meeting=walking, topic_id=topic_at(walking, "B1").pk)

    walking.refresh_from_db()
    assert walking.spotlight.code == "B1"
    [(everyone, _mark), (group, html)] = sent
    assert everyone == realtime.meeting_group(walking.pk)
    assert group == realtime.facilitators_group(walking.pk)
    # Code order: A1, A2, B1, C1.
    assert "About B1" in html and "← A2" in html and "C1 →" in html and "A1" not in html


def test_full_screen_does_not_renew_the_documents(walking):
    walking.refresh_from_db()
    before = walking.revision

    vernissage.show_full_screen(meeting=walking, topic_id=topic_at(walking, "B1").pk)

    walking.refresh_from_db()
    assert walking.revision == before


def test_full_screen_refuses_a_topic_without_a_report(walking):
    bare = make_topic(walking, title="Bare", cell="B2")

    with pytest.raises(VernissageError):
        vernissage.show_full_screen(meeting=walking, topic_id=bare.pk)

    walking.refresh_from_db()
    assert walking.spotlight is None
