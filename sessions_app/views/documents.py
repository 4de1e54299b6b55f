"""Downloads: the documentation PDF, the action plan as CSV, the agenda as iCalendar.

Facilitators and coordinators download the documentation and the action plan at any
time; everyone else once the meeting is closed, and until then they get a page that
says so in the meeting's language. The agenda is public like the meeting page that
shows it.

These are plain sync views on purpose: under Daphne each runs in a worker thread, so
a PDF being laid out never holds up the event loop that serves the websockets.
"""

from __future__ import annotations

from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import translation
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from .. import exports, pdf
from ..identity import participant_for
from ..models import Meeting
from ..permissions import may_download

DOCUMENTATION = gettext_lazy("Documentation (PDF)")
ACTION_PLAN_EXCEL = gettext_lazy("Action plan (CSV for Excel)")
ACTION_PLAN = gettext_lazy("Action plan (CSV, comma-separated)")


def _meeting(pk: int) -> Meeting:
    return get_object_or_404(Meeting.objects.select_related("series"), pk=pk)


def _may_download(request: HttpRequest, meeting: Meeting) -> bool:
    participant = participant_for(request.session, meeting)
    return may_download(request.user, meeting, participant=participant)


def _not_yet(request: HttpRequest, meeting: Meeting, document: Promise) -> HttpResponse:
    """Say, in the meeting's language, when this document comes, or whose it is.

    403, since the document exists but is not this visitor's yet; a visitor who is not
    logged in may be one of the meeting's facilitators, so the page offers a login that
    comes back here.
    """
    login_url = None
    if not request.user.is_authenticated:
        login_url = redirect_to_login(request.get_full_path())["Location"]
    with translation.override(meeting.language):
        return render(
            request,
            "sessions_app/document_not_yet.html",
            {"meeting": meeting, "document": document, "login_url": login_url},
            status=403,
        )


def _attachment(data: bytes, content_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(data, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "private, no-cache"
    return response


@require_GET
def documentation_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = _meeting(pk)
    if not _may_download(request, meeting):
        return _not_yet(request, meeting, DOCUMENTATION)
    return _attachment(
        pdf.proceedings_pdf(meeting),
        "application/pdf",
        exports.export_filename(meeting, ".pdf"),
    )


def _action_plan(
    request: HttpRequest, pk: int, *, delimiter: str, suffix: str, document: Promise
) -> HttpResponse:
    meeting = _meeting(pk)
    if not _may_download(request, meeting):
        return _not_yet(request, meeting, document)
    return _attachment(
        exports.action_plan_csv(meeting, delimiter=delimiter),
        "text/csv; charset=utf-8",
        exports.export_filename(meeting, suffix),
    )


@require_GET
def action_plan_csv(request: HttpRequest, pk: int) -> HttpResponse:
    """The action plan split by commas (RFC 4180), for every program but Excel."""
    return _action_plan(
        request, pk, delimiter=exports.COMMA, suffix="-action-plan.csv", document=ACTION_PLAN
    )


@require_GET
def action_plan_excel_csv(request: HttpRequest, pk: int) -> HttpResponse:
    """The action plan split by semicolons, as Excel reads it where decimals take a comma."""
    return _action_plan(
        request,
        pk,
        delimiter=exports.SEMICOLON,
        suffix="-action-plan-excel.csv",
        document=ACTION_PLAN_EXCEL,
    )


@require_GET
def agenda_ics(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = get_object_or_404(Meeting, pk=pk)
    return _attachment(
        exports.agenda_ics(meeting),
        "text/calendar; charset=utf-8",
        exports.export_filename(meeting, ".ics"),
    )
