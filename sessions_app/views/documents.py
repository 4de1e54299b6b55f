"""Downloads: the documentation PDF, the action plan as CSV, the agenda as iCalendar.

Facilitators and coordinators download the documentation and the action plan at any
time; everyone else once the meeting is closed. The agenda is public like the meeting
page that shows it.

These are plain sync views on purpose: under Daphne each runs in a worker thread, so
a PDF being laid out never holds up the event loop that serves the websockets.
"""

from __future__ import annotations

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from .. import exports, pdf
from ..models import Meeting
from ..permissions import may_download


def _downloadable(request: HttpRequest, pk: int) -> Meeting | HttpResponse:
    meeting = get_object_or_404(Meeting.objects.select_related("series"), pk=pk)
    if may_download(request.user, meeting):
        return meeting
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    with translation.override(meeting.language):
        raise PermissionDenied(
            _("The documentation can be downloaded here once the meeting is closed.")
        )


def _attachment(data: bytes, content_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(data, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "private, no-cache"
    return response


@require_GET
def documentation_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = _downloadable(request, pk)
    if isinstance(meeting, HttpResponse):
        return meeting
    return _attachment(
        pdf.proceedings_pdf(meeting),
        "application/pdf",
        exports.export_filename(meeting, ".pdf"),
    )


@require_GET
def action_plan_csv(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = _downloadable(request, pk)
    if isinstance(meeting, HttpResponse):
        return meeting
    return _attachment(
        exports.action_plan_csv(meeting),
        "text/csv; charset=utf-8",
        exports.export_filename(meeting, "-action-plan.csv"),
    )


@require_GET
def agenda_ics(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = get_object_or_404(Meeting, pk=pk)
    return _attachment(
        exports.agenda_ics(meeting),
        "text/calendar; charset=utf-8",
        exports.export_filename(meeting, ".ics"),
    )
