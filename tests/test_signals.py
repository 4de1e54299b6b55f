"""The meeting's revision follows every change of what its documents show."""

from __future__ import annotations

import os

import pytest
from django.contrib.auth.models import Group
from django.core.files.base import ContentFile

from sessions_app.models import Initiative, InitiativeMember, Meeting, Report, ReportPhoto, Topic
from sessions_app.signals import COORDINATORS_GROUP

from .factories import make_meeting, make_topic

pytestmark = pytest.mark.django_db


def revision_of(meeting: Meeting) -> int:
    return Meeting.objects.values_list("revision", flat=True).get(pk=meeting.pk)


def test_revision_rises_when_a_report_changes(seed_meeting):
    topic = seed_meeting.topics.get(title__startswith="Vad behövs")
    before = revision_of(seed_meeting)

    report = Report.objects.create(topic=topic, summary="Vi pratade om nätverk.")
    after_create = revision_of(seed_meeting)
    report.summary = "Vi pratade om nätverk och mötesplatser."
    report.save()

    assert after_create > before
    assert revision_of(seed_meeting) > after_create


def test_revision_rises_when_a_member_signs_up_or_leaves(seed_meeting):
    initiative = seed_meeting.initiatives.first()
    before = revision_of(seed_meeting)

    member = InitiativeMember.objects.create(initiative=initiative, name="Anna, RISE")
    signed_up = revision_of(seed_meeting)
    member.delete()

    assert signed_up > before
    assert revision_of(seed_meeting) > signed_up


def test_revision_rises_on_the_meetings_own_save_and_the_instance_knows_it(seed_meeting):
    before = revision_of(seed_meeting)

    seed_meeting.summary = "Ny sammanfattning."
    seed_meeting.save()

    assert seed_meeting.revision == revision_of(seed_meeting) == before + 1


def test_revision_of_a_stale_instance_never_goes_back(seed_meeting):
    stale = Meeting.objects.get(pk=seed_meeting.pk)
    make_topic(seed_meeting, title="Ett nytt ämne")
    after_topic = revision_of(seed_meeting)

    stale.location = "Stadshuset"
    stale.save()

    assert revision_of(seed_meeting) == after_topic + 1


def test_revision_rises_on_a_save_with_update_fields(seed_meeting):
    before = revision_of(seed_meeting)

    seed_meeting.phase = Meeting.Phase.CLOSED
    seed_meeting.save(update_fields=["phase"])

    assert seed_meeting.revision == revision_of(seed_meeting) == before + 1


def test_revision_of_later_meetings_rises_when_an_earlier_initiative_closes(seed_meeting):
    later = make_meeting(title="Lärandeträff 5")
    later.series, later.number = seed_meeting.series, 5
    later.save()
    before = revision_of(later)
    initiative = seed_meeting.initiatives.first()

    initiative.status = Initiative.Status.DONE
    initiative.save()

    assert revision_of(later) > before


def test_revision_of_other_meetings_stays(seed_meeting):
    other = make_meeting(title="Another meeting")
    before = revision_of(other)

    Initiative.objects.filter(meeting=seed_meeting).first().delete()
    make_topic(seed_meeting, title="Only here", status=Topic.Status.RAISED)

    assert revision_of(other) == before


def test_coordinators_group_may_view_everything_and_change_nothing(db):
    group = Group.objects.get(name=COORDINATORS_GROUP)
    codenames = set(group.permissions.values_list("codename", flat=True))

    assert {"view_meeting", "view_topic", "view_report", "view_initiative"} <= codenames
    assert all(name.startswith("view_") for name in codenames)


def test_deleting_a_photo_removes_its_file_once_committed(
    seed_meeting, django_capture_on_commit_callbacks
):
    report = Report.objects.create(topic=seed_meeting.topics.first())
    photo = ReportPhoto(report=report, caption="Sheet")
    photo.image.save("sheet.png", ContentFile(b"not checked here"), save=True)
    stored = photo.image.path

    with django_capture_on_commit_callbacks(execute=True):
        photo.delete()

    assert not os.path.exists(stored)
    assert not ReportPhoto.objects.exists()
