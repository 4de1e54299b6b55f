"""The closing circle: the facilitators' summary, and reflections from the room.

A reflection may be anonymous: the app keeps who wrote it (to limit and remove what is
sent), and never shows it. Facilitators hide a reflection from the projector and the
documentation, or show it again.
"""

from __future__ import annotations

from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from . import announce, text
from .errors import DomainError
from .models import Meeting, Participant, Reflection

SUMMARY_MAX = 10_000
REFLECTION_MAX = 2_000


class ClosingError(DomainError):
    """A summary or reflection the meeting does not take now."""


def _locked_closing(meeting_id: int) -> Meeting:
    meeting = Meeting.objects.locked(meeting_id)
    if meeting.phase == Meeting.Phase.CLOSED:
        raise ClosingError(_("This meeting is closed."))
    if meeting.phase != Meeting.Phase.CLOSING:
        raise ClosingError(_("This is for the closing circle, which has not begun."))
    return meeting


@transaction.atomic
def write_summary(*, meeting: Meeting, typed: str) -> Meeting:
    """Save the facilitators' summary of the day, written during the closing."""
    summary = text.paragraphs(typed, limit=SUMMARY_MAX)
    meeting = _locked_closing(meeting.pk)
    meeting.summary = summary
    meeting.save(update_fields=["summary", "updated_at"])
    announce.closing_changed(meeting)
    return meeting


@transaction.atomic
def leave_reflection(*, participant: Participant, typed: str, anonymous: bool) -> Reflection:
    """Add a reflection to the closing circle, with or without the writer's name."""
    said = text.paragraphs(typed, limit=REFLECTION_MAX, required=_("Write your reflection first."))
    meeting = _locked_closing(participant.meeting_id)
    last = meeting.reflections.aggregate(last=Max("position"))["last"]
    reflection = Reflection.objects.create(
        meeting=meeting,
        participant=participant,
        text=said,
        anonymous=anonymous,
        position=0 if last is None else last + 1,
    )
    announce.reflections_gathered(meeting)
    return reflection


@transaction.atomic
def set_visible(*, meeting: Meeting, reflection_id: int, visible: bool) -> Reflection:
    """Show a reflection on the projector and in the documentation, or hide it there."""
    meeting = Meeting.objects.locked(meeting.pk)
    if meeting.phase == Meeting.Phase.CLOSED:
        raise ClosingError(_("This meeting is closed."))
    reflection = meeting.reflections.filter(pk=reflection_id).first()
    if reflection is None:
        raise ClosingError(_("That reflection is not part of this meeting."))
    reflection.is_visible = visible
    reflection.save(update_fields=["is_visible"])
    announce.closing_changed(meeting)
    return reflection
