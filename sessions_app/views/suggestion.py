"""The facilitator's suggested placement: asked for, previewed in their own browser, applied.

The suggestion is computed in the placement package's worker process and awaited, so that
the server goes on serving phones meanwhile. Its preview goes back to the browser that
asked, and to no other page: it lives there, as a form, until it is applied or discarded.
"""

from __future__ import annotations

from concurrent.futures.process import BrokenProcessPool

from asgiref.sync import sync_to_async
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from .. import agenda, smartwall
from ..board import Board, build_board
from ..errors import AgendaError, DomainError
from ..models import Meeting
from ..placement import InstanceError, Suggestion, Unplaced, suggest_placement_async
from .access import facilitated_meeting, facilitator_view, number
from .projector import board_message

SUGGESTION = "sessions_app/suggestion.html#suggestion"
BOARD_MESSAGE = "sessions_app/projector.html#board_message"


def _answer(
    request: HttpRequest,
    meeting: Meeting,
    preview: smartwall.Preview | None,
    message: str = "",
) -> HttpResponse:
    """The preview (or none, to clear it) and what the board says, both swapped by id."""
    context = {"meeting": meeting, "preview": preview}
    html = render_to_string(SUGGESTION, context, request)
    html += render_to_string(BOARD_MESSAGE, {"message": message, "is_error": False}, request)
    return HttpResponse(html)


def _first_preview(
    request: HttpRequest, meeting: Meeting, board: Board, suggestion: Suggestion
) -> HttpResponse:
    moves = smartwall.moves_of(suggestion, board)
    if not moves and not suggestion.unplaced:
        # An earlier preview goes too: it no longer says anything true.
        return _answer(
            request, meeting, None, _("The suggestion would change nothing on the wall.")
        )
    preview = smartwall.preview(board, moves, suggestion.unplaced)
    return _answer(request, meeting, preview)


@require_POST
@login_required
async def suggest_placement(request: HttpRequest, pk: int) -> HttpResponse:
    """Compute a suggested placement of the raised topics and show it to this browser only."""
    meeting = await sync_to_async(facilitated_meeting)(await request.auser(), pk)
    allow_moves = request.POST.get("allow_moves", "") == "1"
    with translation.override(meeting.language):
        try:
            board = await sync_to_async(smartwall.board_for_suggestion)(meeting)
            suggestion = await suggest_placement_async(board.wall, allow_moves=allow_moves)
        except DomainError as error:
            return await sync_to_async(board_message)(request, meeting, str(error), error=True)
        except InstanceError:
            text = _("The wall cannot be read as it stands. Reload the page and try again.")
            return await sync_to_async(board_message)(request, meeting, text, error=True)
        except (TimeoutError, BrokenProcessPool):
            text = _("The suggestion took too long. Try again in a moment.")
            return await sync_to_async(board_message)(request, meeting, text, error=True)
        return await sync_to_async(_first_preview)(request, meeting, board, suggestion)


@require_POST
@facilitator_view(meeting_language=True)
def apply_suggestion(request: HttpRequest, meeting: Meeting) -> HttpResponse:
    """Apply the whole preview, or one of its cards; what remains is shown again."""
    try:
        moves = smartwall.read_moves(request.POST.getlist("move"))
        unplaced: list[Unplaced] = smartwall.read_unplaced(request.POST.getlist("unplaced"))
        chosen = _chosen(moves, request.POST.get("apply", ""))
        topics = agenda.apply_placement(meeting=meeting, moves=chosen)
    except DomainError as error:
        return board_message(request, meeting, str(error), error=True)
    remaining = [move for move in moves if move not in chosen]
    preview = smartwall.preview(build_board(meeting), remaining, unplaced) if remaining else None
    return _answer(request, meeting, preview, smartwall.applied_message(topics))


def _chosen(moves: list[agenda.Move], choice: str) -> list[agenda.Move]:
    """All the moves, or the one of the topic named."""
    if choice == "all":
        return moves
    topic_id = number(choice)
    chosen = [move for move in moves if move.topic_id == topic_id]
    if not chosen:
        raise AgendaError(_("That topic is not part of the suggestion."))
    return chosen
