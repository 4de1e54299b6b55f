"""The action plan: raising, adopting, joining, leaving, editing, merging, and the look-back."""

from __future__ import annotations

import pytest

from sessions_app import action_plan, fragments, realtime
from sessions_app.action_plan import PlanError
from sessions_app.errors import DomainError
from sessions_app.models import Initiative, InitiativeMember, Meeting, Participant, Series

from .factories import make_meeting, make_topic

pytestmark = pytest.mark.django_db


@pytest.fixture
def planning(meeting):
    meeting.phase = Meeting.Phase.ACTION_PLAN
    meeting.save()
    return meeting


@pytest.fixture
def ann(planning):
    return Participant.objects.create(meeting=planning, name="Ann", organization="INAB")


@pytest.fixture
def bo(planning):
    return Participant.objects.create(meeting=planning, name="Bo", organization="RISE")


def raise_one(participant, **overrides):
    fields = {"who": str(participant), "what": "Start a hub", "levels": ["U"], "when": "August"}
    return action_plan.raise_initiative(participant=participant, **fields | overrides)


def members(initiative) -> list[str]:
    return list(initiative.members.values_list("name", flat=True))


def test_raising_an_initiative_puts_it_on_the_plan(planning, ann):
    initiative = raise_one(ann, who="Lina, INAB, Malin, GoP (UK)", levels=["U", "F"])

    initiative.refresh_from_db()
    assert (initiative.who, initiative.what, initiative.levels, initiative.when) == (
        "Lina, INAB, Malin, GoP (UK)",
        "Start a hub",
        "FU",
        "August",
    )
    assert initiative.raised_by == ann and initiative.status == Initiative.Status.OPEN


def test_adopting_a_report_names_its_topic(planning, ann):
    topic = make_topic(planning, title="Freight", cell="B2")

    initiative = raise_one(ann, what="Freight by rail", topic_id=topic.pk)

    assert initiative.source_topic == topic


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"what": "  "}, "what the initiative is"),
        ({"who": ""}, "who takes the initiative"),
        ({"levels": []}, "one or more levels"),
        ({"levels": ["X"]}, "one or more levels"),
        ({"what": "x" * 1001}, "at most 1000 characters"),
        ({"when": "x" * 201}, "at most 200 characters"),
        ({"topic_id": 999_999}, "not on this meeting's agenda"),
    ],
)
def test_a_bad_initiative_is_refused_and_nothing_is_saved(planning, ann, overrides, message):
    with pytest.raises(DomainError, match=message):
        raise_one(ann, **overrides)

    assert not Initiative.objects.exists()


@pytest.mark.parametrize(
    ("phase", "message"),
    [
        (Meeting.Phase.VERNISSAGE, "in the action plan and the closing"),
        (Meeting.Phase.CLOSED, "closed"),
    ],
)
def test_initiatives_are_raised_in_the_action_plan_and_the_closing(planning, ann, phase, message):
    planning.phase = phase
    planning.save()

    with pytest.raises(PlanError, match=message):
        raise_one(ann)

    assert not Initiative.objects.exists()


def test_joining_and_leaving_with_a_tap(planning, ann, bo):
    initiative = raise_one(ann)

    action_plan.join_initiative(participant=bo, initiative_id=initiative.pk)
    action_plan.join_initiative(participant=bo, initiative_id=initiative.pk)  # a second tap
    assert members(initiative) == ["Bo, RISE"]
    action_plan.leave_initiative(participant=bo, initiative_id=initiative.pk)

    assert members(initiative) == []


def test_a_participant_of_another_meeting_is_refused_every_change(planning, ann):
    initiative = raise_one(ann)
    elsewhere = make_meeting(title="Elsewhere")
    elsewhere.phase = Meeting.Phase.ACTION_PLAN
    elsewhere.save()
    eve = Participant.objects.create(meeting=elsewhere, name="Eve")

    with pytest.raises(PlanError, match="not part of this meeting"):
        action_plan.join_initiative(participant=eve, initiative_id=initiative.pk)
    for change in (
        lambda: action_plan.edit_initiative(
            meeting=elsewhere,
            initiative_id=initiative.pk,
            who="Eve",
            what="Mine",
            levels=["F"],
            when="",
        ),
        lambda: action_plan.add_member(meeting=elsewhere, initiative_id=initiative.pk, name="Eve"),
        lambda: action_plan.remove_initiative(meeting=elsewhere, initiative_id=initiative.pk),
    ):
        with pytest.raises(PlanError, match="not part of this meeting"):
            change()

    initiative.refresh_from_db()
    assert initiative.what == "Start a hub" and members(initiative) == []


def test_a_facilitator_adds_people_by_name_edits_and_removes(planning, ann):
    initiative = raise_one(ann)

    action_plan.add_member(meeting=planning, initiative_id=initiative.pk, name="Anki W, INAB")
    action_plan.edit_initiative(
        meeting=planning,
        initiative_id=initiative.pk,
        who="Kansliet",
        what="Temagrupp mellanrumsledarskap",
        levels=["G"],
        when="",
    )
    initiative.refresh_from_db()
    assert (initiative.who, initiative.what, initiative.levels) == (
        "Kansliet",
        "Temagrupp mellanrumsledarskap",
        "G",
    )
    assert members(initiative) == ["Anki W, INAB"]

    action_plan.remove_initiative(meeting=planning, initiative_id=initiative.pk)
    assert not Initiative.objects.exists() and not InitiativeMember.objects.exists()


def test_merging_keeps_the_targets_words_and_joins_levels_and_members(planning, ann, bo):
    target = raise_one(ann, what="A hub every third Thursday", levels=["U"], when="August")
    source = raise_one(bo, what="Meet again", levels=["F", "U"], when="Soon")
    action_plan.join_initiative(participant=bo, initiative_id=target.pk)
    action_plan.join_initiative(participant=bo, initiative_id=source.pk)
    action_plan.add_member(meeting=planning, initiative_id=source.pk, name="RISE")

    merged = action_plan.merge_initiatives(
        meeting=planning, initiative_id=source.pk, into_id=target.pk
    )

    merged.refresh_from_db()
    assert (merged.what, merged.when, merged.levels) == (
        "A hub every third Thursday",
        "August",
        "FU",
    )
    assert members(merged) == ["Bo, RISE", "RISE"]
    assert not Initiative.objects.filter(pk=source.pk).exists()


def test_joining_is_gathered_into_one_broadcast_a_second(
    planning, ann, bo, sent, django_capture_on_commit_callbacks
):
    initiative = raise_one(ann)

    with django_capture_on_commit_callbacks(execute=True):
        action_plan.join_initiative(participant=bo, initiative_id=initiative.pk)

    [(group, html)] = sent
    assert group == realtime.meeting_group(planning.pk)
    assert 'id="plan"' in html and "Bo, RISE" in html


def test_the_look_back_of_meeting_5_shows_the_open_initiatives_of_meetings_1_to_4(db):
    series = Series.objects.create(title="Leda omställning tillsammans")
    meetings = []
    for number in range(1, 6):
        meeting = make_meeting(title=f"Lärandeträff {number}")
        meeting.series, meeting.number = series, number
        meeting.save()
        meetings.append(meeting)
    for meeting in meetings[:4]:
        for status in Initiative.Status.values:
            Initiative.objects.create(
                meeting=meeting,
                who="Someone",
                what=f"{meeting.title}: {status}",
                levels="G",
                status=status,
            )
    latest = meetings[4]

    html = fragments.render(latest, ["lookback"])

    for meeting in meetings[:4]:
        assert f"{meeting.title}: open" in html
        assert f"{meeting.title}: done" not in html and f"{meeting.title}: dropped" not in html


def test_a_later_meetings_facilitator_marks_an_earlier_closed_meetings_initiative(db):
    series = Series.objects.create(title="Series")
    earlier, later = make_meeting(title="One"), make_meeting(title="Two")
    for number, meeting in enumerate((earlier, later), start=1):
        meeting.series, meeting.number = series, number
        meeting.save()
    earlier.phase = Meeting.Phase.CLOSED
    earlier.save()
    initiative = Initiative.objects.create(meeting=earlier, who="A", what="Hub", levels="U")

    action_plan.set_status(meeting=later, initiative_id=initiative.pk, status="done")

    initiative.refresh_from_db()
    assert initiative.status == Initiative.Status.DONE
    assert "Hub" not in fragments.render(later, ["lookback"])


def test_a_meeting_of_another_series_or_an_earlier_number_cannot_mark_it(db):
    series, other = Series.objects.create(title="Series"), Series.objects.create(title="Other")
    first, second, stranger = (make_meeting(title=t) for t in ("One", "Two", "Elsewhere"))
    for meeting, in_series, number in (
        (first, series, 1),
        (second, series, 2),
        (stranger, other, 3),
    ):
        meeting.series, meeting.number = in_series, number
        meeting.save()
    initiative = Initiative.objects.create(meeting=second, who="A", what="Hub", levels="U")

    for meeting in (first, stranger):
        with pytest.raises(PlanError, match="not part of this meeting or its series"):
            action_plan.set_status(meeting=meeting, initiative_id=initiative.pk, status="done")

    initiative.refresh_from_db()
    assert initiative.status == Initiative.Status.OPEN
