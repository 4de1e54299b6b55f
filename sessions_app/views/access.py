"""The guards of the views: who reaches a facilitator's page, and which participant a phone is.

Each guard answers in HTTP (404, 403, a redirect to log in or to join) from the pure
answers of `permissions` and `identity`, and runs the view in the meeting's language.
"""

from __future__ import annotations

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django_htmx.http import HttpResponseClientRedirect

from ..identity import participant_in
from ..models import Meeting
from ..permissions import User, can_facilitate, with_facilitation
from ..statements import Statement

CODE_MAX = 12


# Every request of a facilitator reads its meeting, with whether they are linked to it.
_facilitated = Statement(
    lambda meeting_id, user_id: (
        with_facilitation(Meeting.objects.select_related("series"), user_id)
        .filter(pk=meeting_id)
        .order_by()
    ),
    meeting_id=-1,
    user_id=-2,
)


def facilitated_meeting(user: User, pk: int) -> Meeting:
    """The meeting with this id, if the user may run it: 404 if none, 403 if not theirs."""
    if user.is_authenticated:
        meeting = _facilitated.one(meeting_id=pk, user_id=user.pk)
    else:
        meeting = Meeting.objects.filter(pk=pk).first()
    if meeting is None:
        raise Http404
    if not can_facilitate(user, meeting):
        raise PermissionDenied(_("Only this meeting's facilitators can do that."))
    return meeting


def facilitator_view(view=None, *, meeting_language: bool = False):
    """Log in first; then only the meeting's facilitators may go on (others get 403).

    The view gets the meeting instead of its id. Pages the room sees (the projector) speak
    the meeting's language; setup pages speak the facilitator's.
    """

    def decorate(view):
        @login_required
        @wraps(view)
        def wrapper(request: HttpRequest, pk: int, *args, **kwargs) -> HttpResponse:
            meeting = facilitated_meeting(request.user, pk)
            if not meeting_language:
                return view(request, meeting, *args, **kwargs)
            with translation.override(meeting.language):
                return view(request, meeting, *args, **kwargs)

        return wrapper

    return decorate if view is None else decorate(view)


def normalize_code(code: str) -> str:
    """A join code as typed on a phone: any case; spaces, dashes and anything that is not a
    letter or digit (a NUL byte, say) ignored."""
    return "".join(char for char in code.upper() if char.isascii() and char.isalnum())[:CODE_MAX]


def number(raw: str | None) -> int | None:
    """A whole number as a form or an address sends it (ASCII digits only, such as an id),
    or None for anything else: "¹" or "٣" are digits to Python, not ids."""
    raw = raw or ""
    return int(raw) if raw.isascii() and raw.isdigit() and len(raw) < 16 else None


def meeting_for_code(code: str) -> Meeting | None:
    code = normalize_code(code)
    return Meeting.objects.filter(join_code=code).first() if code else None


def unknown_code(request: HttpRequest, code: str) -> HttpResponse:
    message = _("No meeting has the code %(code)s. Check the code on the screen and try again.") % {
        "code": normalize_code(code)
    }
    return render(request, "sessions_app/join.html", {"error": message, "code": code}, status=404)


def participant_view(view):
    """Find the meeting and the browser's participant in it, or send them to join.

    A phone's addresses name the meeting by its id, not its join code: a facilitator may
    give the meeting a new code, and phones that joined keep working.
    """

    @wraps(view)
    def wrapper(request: HttpRequest, meeting_id: int, *args, **kwargs) -> HttpResponse:
        participant = participant_in(request.session, meeting_id)
        if participant is None:
            get_object_or_404(Meeting, pk=meeting_id)
            # To the page where the code is typed, never to the code's own address: the
            # id is easy to guess, and the code is what lets someone in.
            if request.htmx:
                return HttpResponseClientRedirect(reverse("join"))
            return redirect("join")
        meeting = participant.meeting
        with translation.override(meeting.language):
            return view(request, participant, *args, **kwargs)

    return wrapper
