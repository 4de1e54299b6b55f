"""The facilitators' writes outside the wall: the phases, closing and publishing.

Closing makes the meeting read-only and renders its documentation in the background, so
that it is ready before people leave. A closed meeting is reopened into its closing.
"""

from __future__ import annotations

from collections.abc import Callable

from django.db import transaction
from django.utils.translation import gettext as _

from . import announce, pdf
from .errors import FacilitationError
from .models import Meeting
from .qr import qr_svg


@transaction.atomic
def set_phase(*, meeting: Meeting, phase: str) -> Meeting:
    """Move the meeting to another phase; every projector and phone follows."""
    if phase not in Meeting.Phase.values:
        raise FacilitationError(_("There is no such phase."))
    meeting = Meeting.objects.locked(meeting.pk)
    if meeting.phase == Meeting.Phase.CLOSED and phase not in (
        Meeting.Phase.CLOSED,
        Meeting.Phase.CLOSING,
    ):
        raise FacilitationError(_("A closed meeting is reopened into its closing first."))
    if meeting.phase != phase:
        meeting.phase = phase
        meeting.save(update_fields=["phase", "updated_at"])
        announce.phase_changed(meeting)
        if phase == Meeting.Phase.CLOSED:
            meeting_id = meeting.pk
            transaction.on_commit(lambda: pdf.render_in_background(meeting_id), robust=True)
    return meeting


@transaction.atomic
def publish_documents(*, meeting: Meeting, public: bool) -> Meeting:
    """Let anyone with the link download the closed meeting's documents, or only its own."""
    meeting = Meeting.objects.locked(meeting.pk)
    # An update, not a save: who may download changes nothing the documents show.
    Meeting.objects.filter(pk=meeting.pk).update(documents_public=public)
    meeting.documents_public = public
    return meeting


@transaction.atomic
def new_join_code(*, meeting: Meeting, join_url_of: Callable[[str], str]) -> Meeting:
    """Give the meeting a new join code: the old one, and QR codes with it, stop working;
    phones that joined keep working, since their addresses name the meeting by its id."""
    meeting = Meeting.objects.locked(meeting.pk)
    meeting.join_code = Meeting.unused_join_code()
    meeting.save(update_fields=["join_code", "updated_at"])
    url = join_url_of(meeting.join_code)
    announce.join_code_changed(meeting, join_url=url, qr_svg=qr_svg(url))
    return meeting
