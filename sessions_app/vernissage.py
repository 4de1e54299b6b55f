"""The vernissage: dots on the reports that should go on, and one report shown full screen.

Each participant has the meeting's number of dots, at most one on a report, never on a
topic they convene. Dots are given at the vernissage and in the action plan, and the
participant's row is locked while they are counted, so that taps at once cannot give
more dots than the allowance.
"""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from . import announce
from .board import conveners_of
from .errors import DomainError
from .models import Dot, Meeting, Participant, Report, Topic

DOT_PHASES = (Meeting.Phase.VERNISSAGE, Meeting.Phase.ACTION_PLAN)


class VernissageError(DomainError):
    """A dot or a spotlight the meeting does not allow."""


def _locked_for_dots(participant: Participant) -> Meeting:
    meeting = Meeting.objects.locked(participant.meeting_id)
    if meeting.phase == Meeting.Phase.CLOSED:
        raise VernissageError(_("This meeting is closed."))
    if meeting.phase not in DOT_PHASES:
        raise VernissageError(_("Dots are given at the vernissage and in the action plan."))
    Participant.objects.select_for_update().filter(pk=participant.pk).first()
    return meeting


def _reported_topic(meeting: Meeting, topic_id: int) -> Topic:
    topic = Topic.objects.filter(meeting=meeting, pk=topic_id, status=Topic.Status.PLACED).first()
    if topic is None or not Report.objects.filter(topic=topic).exists():
        raise VernissageError(_("That report is not on this meeting's wall."))
    return topic


@transaction.atomic
def give_dot(*, participant: Participant, topic_id: int) -> Dot:
    """Put one of the participant's dots on a report."""
    meeting = _locked_for_dots(participant)
    topic = _reported_topic(meeting, topic_id)
    if participant.pk in conveners_of(topic):
        raise VernissageError(_("Your dots go on other people's topics, not your own."))
    if Dot.objects.filter(topic=topic, participant=participant).exists():
        raise VernissageError(_("You have given this report a dot already."))
    used = Dot.objects.filter(participant=participant).count()
    if used >= meeting.dots_per_person:
        raise VernissageError(
            _("You have given all your %(count)s dots. Take one back to give it again.")
            % {"count": meeting.dots_per_person}
        )
    dot = Dot.objects.create(topic=topic, participant=participant)
    announce.dots_changed(meeting)
    return dot


@transaction.atomic
def take_back_dot(*, participant: Participant, topic_id: int) -> None:
    """Take the participant's dot off a report, to give it elsewhere."""
    meeting = _locked_for_dots(participant)
    deleted, _counts = Dot.objects.filter(topic_id=topic_id, participant=participant).delete()
    if not deleted:
        raise VernissageError(_("You have no dot on that report."))
    announce.dots_changed(meeting)


def dots_of(participant: Participant) -> list[int]:
    """Ids of the topics whose reports got this participant's dots."""
    return list(participant.dots.values_list("topic_id", flat=True))


@transaction.atomic
def show_full_screen(*, meeting: Meeting, topic_id: int | None) -> Meeting:
    """Show one report full screen on every projector, or none again."""
    meeting = Meeting.objects.locked(meeting.pk)
    if topic_id is not None:
        if meeting.phase not in (*DOT_PHASES, Meeting.Phase.CLOSING):
            raise VernissageError(_("Reports are shown full screen from the vernissage on."))
        _reported_topic(meeting, topic_id)
    # An update, not a save: which report is on the screen is not part of the documents.
    Meeting.objects.filter(pk=meeting.pk).update(spotlight_id=topic_id)
    meeting.spotlight_id = topic_id
    announce.spotlight_changed(meeting)
    return meeting
