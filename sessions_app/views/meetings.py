"""Pages: the meetings list and a meeting's overview with its agenda."""

from __future__ import annotations

from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import translation

from ..board import build_board
from ..identity import participant_for
from ..models import Meeting, Topic
from ..permissions import can_facilitate, can_read, may_download


def home(request: HttpRequest) -> HttpResponse:
    meetings = list(
        Meeting.objects.select_related("series").annotate(
            topic_count=Count("topics", filter=Q(topics__status=Topic.Status.PLACED))
        )
    )
    return render(
        request,
        "sessions_app/home.html",
        {"meetings": meetings, "codes_for": codes_shown_to(request.user, meetings)},
    )


def codes_shown_to(user, meetings: list[Meeting]) -> set[int]:
    """The meetings whose join code this user may see: the code lets anyone in."""
    if not user.is_authenticated or not user.is_active:
        return set()
    if user.has_perm("sessions_app.view_meeting") or user.has_perm("sessions_app.change_meeting"):
        return {meeting.pk for meeting in meetings}
    return set(user.facilitations.values_list("meeting_id", flat=True))


def meeting_detail(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = get_object_or_404(Meeting.objects.select_related("series"), pk=pk)
    with translation.override(meeting.language):
        return render(
            request,
            "sessions_app/meeting_detail.html",
            {
                "meeting": meeting,
                "board": build_board(meeting),
                "facilitators": meeting.facilitators.all(),
                "may_download": may_download(
                    request.user, meeting, participant=participant_for(request.session, meeting)
                ),
                "may_facilitate": can_facilitate(request.user, meeting),
                # The join code lets anyone into the meeting: only for those who run it
                # or read everything (and on the projector).
                "may_read": can_read(request.user, meeting),
            },
        )
