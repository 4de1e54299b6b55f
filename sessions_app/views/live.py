"""The state of a live page over HTTP: what a page fetches when it must catch up by itself."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from .. import fragments
from ..identity import participant_for
from ..models import Meeting
from ..permissions import can_facilitate


@never_cache
@require_GET
def live_state(request: HttpRequest, pk: int) -> HttpResponse:
    """Every fragment a page of this meeting shows, as the socket sends it on connecting.

    A page asks for it when the day moves on to the next slot, so that what it shows
    follows the clock even when nothing else changes.
    """
    meeting = get_object_or_404(Meeting, pk=pk)
    facilitator = can_facilitate(request.user, meeting)
    if not facilitator and participant_for(request.session, meeting) is None:
        return HttpResponse(status=403)
    return HttpResponse(fragments.current_state(meeting, facilitator=facilitator))
