"""The facilitators' writes outside the wall: moving the meeting from phase to phase."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from . import announce
from .errors import FacilitationError
from .models import Meeting


@transaction.atomic
def set_phase(*, meeting: Meeting, phase: str) -> Meeting:
    """Move the meeting to another phase; every projector and phone follows."""
    if phase not in Meeting.Phase.values:
        raise FacilitationError(_("There is no such phase."))
    meeting = Meeting.objects.locked(meeting.pk)
    if meeting.phase != phase:
        meeting.phase = phase
        meeting.save(update_fields=["phase", "updated_at"])
        announce.phase_changed(meeting)
    return meeting
