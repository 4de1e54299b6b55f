"""The facilitator's projector: the phase's screen, the board and its actions, the phase control."""

from __future__ import annotations

from functools import wraps

import qrcode
import qrcode.image.svg
from django import forms
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from .. import agenda, realtime, services
from ..agenda import AgendaError
from ..models import Meeting
from ..permissions import facilitated_meeting

ALL_FRAGMENTS = [*realtime.SHARED_FRAGMENTS, *realtime.FACILITATOR_FRAGMENTS]


def facilitator_view(view):
    """Log in first; then only the meeting's facilitators may go on (others get 403)."""

    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, pk: int, *args, **kwargs) -> HttpResponse:
        meeting = facilitated_meeting(request.user, pk)
        with translation.override(meeting.language):
            return view(request, meeting, *args, **kwargs)

    return wrapper


def join_url(request: HttpRequest, meeting: Meeting) -> str:
    return request.build_absolute_uri(reverse("join_code", args=[meeting.join_code]))


def qr_svg(url: str) -> str:
    """The join address as an SVG QR code, drawn inline so it needs no extra request."""
    image = qrcode.make(url, image_factory=qrcode.image.svg.SvgPathImage, border=1)
    return image.to_string(encoding="unicode")


@facilitator_view
def projector(request: HttpRequest, meeting: Meeting) -> HttpResponse:
    url = join_url(request, meeting)
    context = realtime.fragment_context(meeting, ALL_FRAGMENTS) | {
        "join_url": url,
        "qr_svg": qr_svg(url),
        "socket_path": realtime.socket_path(meeting.pk),
    }
    return render(request, "sessions_app/projector.html", context)


class BoardActionForm(forms.Form):
    action = forms.ChoiceField(
        choices=[(a, a) for a in ("place", "move", "swap", "unplace", "merge", "withdraw")]
    )
    topic = forms.IntegerField(min_value=1)
    slot = forms.IntegerField(min_value=1, required=False)
    room = forms.IntegerField(min_value=1, required=False)
    other = forms.IntegerField(min_value=1, required=False)

    def clean(self) -> dict:
        data = super().clean()
        action = data.get("action")
        if action in ("place", "move") and not (data.get("slot") and data.get("room")):
            raise forms.ValidationError(_("Choose a cell."))
        if action in ("swap", "merge") and not data.get("other"):
            raise forms.ValidationError(_("Choose the other topic."))
        return data


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
    topic = agenda.withdraw_topic(meeting=meeting, topic_id=topic_id)
    return _("“%(title)s” was withdrawn.") % {"title": topic.title}


def _board_message(request: HttpRequest, meeting: Meeting, text: str, *, error: bool):
    return render(
        request,
        "sessions_app/projector.html#board_message",
        {"meeting": meeting, "message": text, "is_error": error},
        status=422 if error else 200,
    )


@require_POST
@facilitator_view
def board_action(request: HttpRequest, meeting: Meeting) -> HttpResponse:
    """Place, move, swap, unplace, merge or withdraw; the board itself updates over the socket."""
    form = BoardActionForm(request.POST)
    if not form.is_valid():
        text = " ".join(e for errors in form.errors.values() for e in errors)
        return _board_message(request, meeting, text, error=True)
    try:
        text = _run_board_action(meeting, form.cleaned_data)
    except AgendaError as error:
        return _board_message(request, meeting, str(error), error=True)
    if not request.htmx:
        return redirect("projector", pk=meeting.pk)
    return _board_message(request, meeting, text, error=False)


@require_POST
@facilitator_view
def set_phase(request: HttpRequest, meeting: Meeting) -> HttpResponse:
    """Move the meeting to the chosen phase; projectors and phones follow over their sockets."""
    try:
        meeting = services.set_phase(meeting=meeting, phase=request.POST.get("phase", ""))
    except services.ParticipationError as error:
        return _board_message(request, meeting, str(error), error=True)
    if not request.htmx:
        return redirect("projector", pk=meeting.pk)
    context = realtime.fragment_context(meeting, ["phase_control"])
    return render(request, "sessions_app/projector.html#phase_control", context)
