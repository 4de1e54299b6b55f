"""Participant-side writes and the phase: what each allows, refuses, and announces."""

from __future__ import annotations

import pytest

from sessions_app import agenda, realtime, services
from sessions_app.errors import ParticipationError
from sessions_app.models import Interest, Meeting, Participant, Topic

from .factories import cell_of, make_meeting, make_topic, without_revision_mark

pytestmark = pytest.mark.django_db


@pytest.fixture
def ann(meeting):
    return Participant.objects.create(meeting=meeting, name="Ann")


def test_join_meeting_tidies_name_and_organisation(meeting):
    person = services.join_meeting(meeting=meeting, name="  Lina   S ", organization=" INAB ")

    assert (person.name, person.organization) == ("Lina S", "INAB")


def test_join_meeting_refuses_a_closed_meeting(meeting):
    meeting.phase = Meeting.Phase.CLOSED
    meeting.save()

    with pytest.raises(ParticipationError, match="closed"):
        services.join_meeting(meeting=meeting, name="Late")
    assert not Participant.objects.exists()


def test_create_draft_tells_only_the_facilitators(
    ann, meeting, sent, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        services.create_draft(participant=ann, title="Secret idea")

    everyone, facilitators = sent
    assert everyone[0] == realtime.meeting_group(meeting.pk)
    assert without_revision_mark(everyone[1]) == ""  # only that something changed
    assert facilitators[0] == realtime.facilitators_group(meeting.pk)
    assert "Secret idea" not in facilitators[1] and "1 private draft" in facilitators[1]


def test_raise_topic_sends_the_tray_to_everyone_rendered_once(
    ann, meeting, sent, django_capture_on_commit_callbacks
):
    draft = services.create_draft(participant=ann, title="Ports")
    sent.clear()

    with django_capture_on_commit_callbacks(execute=True):
        services.raise_topic(participant=ann, topic_id=draft.pk)

    groups = [group for group, _html in sent]
    assert groups == [realtime.meeting_group(meeting.pk), realtime.facilitators_group(meeting.pk)]
    shared = sent[0][1]
    assert 'id="tray"' in shared and "Ports" in shared and 'hx-swap-oob="true"' in shared


def test_raise_topic_refuses_someone_elses_topic(ann, meeting):
    theirs = make_topic(meeting, title="Theirs", status=Topic.Status.DRAFT)

    with pytest.raises(ParticipationError, match="Only the person who proposed"):
        services.raise_topic(participant=ann, topic_id=theirs.pk)
    theirs.refresh_from_db()
    assert theirs.status == Topic.Status.DRAFT


def test_share_topic_to_someone_new_drops_an_earlier_signature(ann, meeting):
    bo = Participant.objects.create(meeting=meeting, name="Bo")
    cy = Participant.objects.create(meeting=meeting, name="Cy")
    topic = services.create_draft(participant=ann, title="Ports")
    services.share_topic(participant=ann, topic_id=topic.pk, partner_id=bo.pk)
    services.cosign_topic(participant=bo, topic_id=topic.pk)

    services.share_topic(participant=ann, topic_id=topic.pk, partner_id=cy.pk)

    topic.refresh_from_db()
    assert topic.partner == cy and not topic.partner_signed


def test_share_topic_refuses_oneself(ann):
    topic = services.create_draft(participant=ann, title="Ports")

    with pytest.raises(ParticipationError, match="someone else"):
        services.share_topic(participant=ann, topic_id=topic.pk, partner_id=ann.pk)


def test_cosign_topic_refuses_someone_it_was_not_shared_with(ann, meeting):
    bo = Participant.objects.create(meeting=meeting, name="Bo")
    topic = services.create_draft(participant=ann, title="Ports")

    with pytest.raises(ParticipationError, match="Only the partner"):
        services.cosign_topic(participant=bo, topic_id=topic.pk)


def test_toggle_interest_marks_and_unmarks(ann, meeting):
    topic = make_topic(meeting, title="Freight")

    assert services.toggle_interest(participant=ann, topic_id=topic.pk) is True
    assert services.interests_of(ann) == [topic.pk]
    assert services.toggle_interest(participant=ann, topic_id=topic.pk) is False
    assert not Interest.objects.exists()


def test_toggle_interest_refuses_a_topic_of_another_meeting(ann):
    foreign = make_topic(make_meeting(title="Other"), title="Foreign")

    with pytest.raises(ParticipationError):
        services.toggle_interest(participant=ann, topic_id=foreign.pk)


def test_withdraw_own_topic_frees_nothing_placed(ann, meeting):
    placed = make_topic(meeting, title="Placed", convener=ann, cell="A1")

    with pytest.raises(ParticipationError, match="ask a facilitator"):
        services.withdraw_own_topic(participant=ann, topic_id=placed.pk)
    placed.refresh_from_db()
    assert placed.status == Topic.Status.PLACED


def test_toggle_interest_sends_a_raised_topic_card_only(
    ann, meeting, sent, django_capture_on_commit_callbacks
):
    topic = make_topic(meeting, title="Freight")
    make_topic(meeting, title="Ports", cell="B1")

    with django_capture_on_commit_callbacks(execute=True):
        services.toggle_interest(participant=ann, topic_id=topic.pk)

    [(group, html)] = sent
    assert group == realtime.meeting_group(meeting.pk)
    assert (
        without_revision_mark(html)
        .lstrip()
        .startswith(f'<article class="card" id="topic-{topic.pk}" hx-swap-oob="true"')
    )
    assert "1 wants to join" in html and "Ports" not in html


def test_toggle_interest_sends_a_placed_topic_row_whose_warnings_may_change(
    ann, meeting, sent, django_capture_on_commit_callbacks
):
    topic = make_topic(meeting, title="Freight", cell="A1")
    make_topic(meeting, title="Ports", cell="B1")
    make_topic(meeting, title="Docks", cell="A2")

    with django_capture_on_commit_callbacks(execute=True):
        services.toggle_interest(participant=ann, topic_id=topic.pk)

    shared = without_revision_mark(dict(sent)[realtime.meeting_group(meeting.pk)])
    assert shared.lstrip().startswith(f'<tr class="slot-row" id="slot-{topic.slot_id}"')
    assert "1 wants to join" in shared and "Ports" in shared and "Docks" not in shared
    assert 'id="wall-summary"' in dict(sent)[realtime.facilitators_group(meeting.pk)]


def test_moving_a_topic_sends_its_old_and_new_rows_only(
    meeting, sent, django_capture_on_commit_callbacks
):
    topic = make_topic(meeting, title="Freight", cell="A1")

    with django_capture_on_commit_callbacks(execute=True):
        agenda.move_topic(meeting=meeting, topic_id=topic.pk, **cell_of(meeting, "B3"))

    shared = dict(sent)[realtime.meeting_group(meeting.pk)]
    slots = {slot.number: slot.pk for slot in meeting.slots.all()}
    assert f'id="slot-{slots[1]}"' in shared and f'id="slot-{slots[3]}"' in shared
    assert f'id="slot-{slots[2]}"' not in shared and 'id="tray"' not in shared


@pytest.fixture
def shared_with_bo(ann, meeting):
    """Ann's draft, shared with Bo: (topic, Bo)."""
    bo = Participant.objects.create(meeting=meeting, name="Bo")
    topic = services.create_draft(participant=ann, title="Freight")
    services.share_topic(participant=ann, topic_id=topic.pk, partner_id=bo.pk)
    return topic, bo


@pytest.mark.parametrize(
    "change",
    [
        lambda ann, topic: services.edit_topic(participant=ann, topic_id=topic.pk, title="Ports"),
        lambda ann, topic: services.raise_topic(participant=ann, topic_id=topic.pk),
        lambda ann, topic: services.withdraw_own_topic(participant=ann, topic_id=topic.pk),
    ],
    ids=["edit", "raise", "withdraw"],
)
def test_partner_is_told_when_a_shared_topic_changes(
    ann, shared_with_bo, sent, django_capture_on_commit_callbacks, change
):
    topic, bo = shared_with_bo

    with django_capture_on_commit_callbacks(execute=True):
        change(ann, topic)

    assert realtime.participant_group(bo.pk) in [group for group, _html in sent]


@pytest.mark.parametrize(
    "change",
    [
        lambda ann, bo, topic: services.edit_topic(participant=ann, topic_id=topic.pk, title="X"),
        lambda ann, bo, topic: services.share_topic(
            participant=ann, topic_id=topic.pk, partner_id=bo.pk
        ),
        lambda ann, bo, topic: services.cosign_topic(participant=bo, topic_id=topic.pk),
        lambda ann, bo, topic: services.withdraw_own_topic(participant=ann, topic_id=topic.pk),
    ],
    ids=["edit", "share", "co-sign", "withdraw"],
)
def test_a_closed_meeting_takes_no_more_changes_to_topics(ann, meeting, shared_with_bo, change):
    topic, bo = shared_with_bo
    meeting.phase = Meeting.Phase.CLOSED
    meeting.save()

    with pytest.raises(ParticipationError, match="This meeting is closed."):
        change(ann, bo, topic)

    topic.refresh_from_db()
    assert (topic.title, topic.status, topic.partner_signed) == (
        "Freight",
        Topic.Status.SHARED,
        False,
    )


@pytest.mark.parametrize("raised", [False, True], ids=["draft", "raised"])
def test_withdrawing_ones_topic_sends_the_facilitators_counts_once(
    ann, meeting, sent, django_capture_on_commit_callbacks, raised
):
    topic = services.create_draft(participant=ann, title="Freight")
    if raised:
        services.raise_topic(participant=ann, topic_id=topic.pk)

    with django_capture_on_commit_callbacks(execute=True):
        services.withdraw_own_topic(participant=ann, topic_id=topic.pk)

    to_facilitators = realtime.facilitators_group(meeting.pk)
    panels = [
        html for group, html in sent if group == to_facilitators and 'id="moderation"' in html
    ]
    assert len(panels) == 1
    assert Topic.objects.get(pk=topic.pk).status == Topic.Status.WITHDRAWN


def test_edit_topic_without_a_description_keeps_the_one_it_has(ann):
    topic = services.create_draft(participant=ann, title="Freight", description="Goods by rail")

    services.edit_topic(participant=ann, topic_id=topic.pk, title="Freight flows")

    topic.refresh_from_db()
    assert (topic.title, topic.description) == ("Freight flows", "Goods by rail")
