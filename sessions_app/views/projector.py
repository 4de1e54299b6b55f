"""The facilitator's projector: the phase's screen, the board and its actions, the phase control."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from .. import agenda, facilitation, fragments, realtime, vernissage
from ..errors import DomainError
from ..forms import BoardActionForm
from ..models import Meeting
from ..qr import qr_svg
from .access import facilitator_view, number

ALL_FRAGMENTS = [*fragments.SHARED, *fragments.FACILITATORS]


def join_url(request: HttpRequest, meeting: Meeting) -> str:
    return request.build_absolute_uri(reverse("join_code", args=[meeting.join_code]))


@facilitator_view(meeting_language=True)
def projector(request: HttpRequest, meeting: Meeting) -> HttpResponse:
    url = join_url(request, meeting)
    context = fragments.context_for(meeting, ALL_FRAGMENTS) | {
        "join_url": url,
        "qr_svg": qr_svg(url),
        "socket_path": realtime.socket_path(meeting.pk),
    }
    return render(request, "sessions_app/projector.html", context)


def _run_board_action(meeting: Meeting, data: dict) -> str:
    """Do what the board asked, through the agenda's rules; returns what happened."""
    action, topic_id = data["action"], data["topic"]
    if action == "place":
        topic = agenda.place_topic(
            meeting=meeting, topic_id=topic_id, slot_id=data["slot"], room_id=data["room"]
        )
        return _("“%(title)s” is now in %(code)s.") % {"title": topic.title, "code": topic.code}
    if action == "move":
        topic = agenda.move_topic(
            meeting=meeting, topic_id=topic_id, slot_id=data["slot"], room_id=data["room"]
        )
        return _("“%(title)s” is now in %(code)s.") % {"title": topic.title, "code": topic.code}
    if action == "swap":
        first, second = agenda.swap_topics(
            meeting=meeting, topic_id=topic_id, other_id=data["other"]
        )
        return _("Swapped “%(first)s” and “%(second)s”.") % {
            "first": first.title,
            "second": second.title,
        }
    if action == "unplace":
        topic = agenda.unplace_topic(meeting=meeting, topic_id=topic_id)
        return _("“%(title)s” is back among the raised topics.") % {"title": topic.title}
    if action == "merge":
        target = agenda.merge_topics(meeting=meeting, topic_id=topic_id, into_id=data["other"])
        return _("Merged into “%(title)s”.") % {"title": target.title}
    if action in ("pin", "unpin"):
        topic = agenda.pin_topic(meeting=meeting, topic_id=topic_id, pinned=action == "pin")
        if topic.pinned:
            return _("“%(title)s” is pinned to %(code)s: a suggestion leaves it there.") % {
                "title": topic.title,
                "code": topic.code,
            }
        return _("“%(title)s” is no longer pinned.") % {"title": topic.title}
    topic = agenda.withdraw_topic(meeting=meeting, topic_id=topic_id)
    return _("“%(title)s” was withdrawn.") % {"title": topic.title}


def board_message(request: HttpRequest, meeting: Meeting, text: str, *, error: bool):
    return render(
        request,
        "sessions_app/projector.html#board_message",
        {"meeting": meeting, "message": text, "is_error": error},
        status=422 if error else 200,
    )


@require_POST
@facilitator_view(meeting_language=True)
def board_action(request: HttpRequest, meeting: Meeting) -> HttpResponse:
    """Place, move, swap, unplace, merge, withdraw or pin; the board updates over the socket."""
    form = BoardActionForm(request.POST)
    if not form.is_valid():
        text = " ".join(e for errors in form.errors.values() for e in errors)
        return board_message(request, meeting, text, error=True)
    try:
        text = _run_board_action(meeting, form.cleaned_data)
    except DomainError as error:
        return board_message(request, meeting, str(error), error=True)
    if not request.htmx:
        return redirect("projector", pk=meeting.pk)
    return board_message(request, meeting, text, error=False)


@require_POST
@facilitator_view(meeting_language=True)
def set_phase(request: HttpRequest, meeting: Meeting) -> HttpResponse:
    """Move the meeting to the chosen phase; projectors and phones follow over their sockets."""
    try:
        meeting = facilitation.set_phase(meeting=meeting, phase=request.POST.get("phase", ""))
    except DomainError as error:
        return board_message(request, meeting, str(error), error=True)
    if not request.htmx:
        return redirect("projector", pk=meeting.pk)
    context = fragments.context_for(meeting, ["phase_control"])
    return render(request, "sessions_app/projector.html#phase_control", context)


@require_POST
@facilitator_view(meeting_language=True)
def spotlight(request: HttpRequest, meeting: Meeting) -> HttpResponse:
    """Show one report full screen on every projector, or go back to all of them."""
    raw = request.POST.get("topic", "")
    topic_id = number(raw)
    if raw and topic_id is None:
        return board_message(
            request, meeting, _("That report is not on this meeting's wall."), error=True
        )
    try:
        vernissage.show_full_screen(meeting=meeting, topic_id=topic_id)
    except DomainError as error:
        return board_message(request, meeting, str(error), error=True)
    if not request.htmx:
        return redirect("projector", pk=meeting.pk)
    return HttpResponse(status=204)


@require_POST
@facilitator_view
def new_join_code(request: HttpRequest, meeting: Meeting) -> HttpResponse:
    """Give the meeting a new join code, such as after the old one was shared too widely."""
    meeting = facilitation.new_join_code(
        meeting=meeting,
        join_url_of=lambda code: request.build_absolute_uri(reverse("join_code", args=[code])),
    )
    messages.success(
        request,
        _("The meeting's join code is now %(code)s. Phones that joined keep working.")
        % {"code": meeting.join_code},
    )
    return redirect("meeting_detail", meeting.pk)
