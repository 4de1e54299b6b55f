"""The transport of live updates: group names, the socket's path, and sending after commit.

It knows nothing of templates or read models: `fragments` renders what a change shows and
`announce` decides what each change sends; this module only delivers the text.
"""

from __future__ import annotations

from collections.abc import Callable

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

EVENT_TYPE = "meeting.fragments"
# The websocket's route (see routing.py); `socket_path` fills in the meeting.
SOCKET_ROUTE = "ws/meetings/<int:meeting_id>/"


def meeting_group(meeting_id: int) -> str:
    """Every open page of a meeting: projectors and phones."""
    return f"meeting-{meeting_id}"


def facilitators_group(meeting_id: int) -> str:
    """The pages of a meeting's facilitators, for what participants do not see."""
    return f"meeting-{meeting_id}-facilitators"


def participant_group(participant_id: int) -> str:
    """The open pages of one participant, told when their own things change."""
    return f"participant-{participant_id}"


def socket_path(meeting_id: int) -> str:
    """Where a page of the meeting opens its websocket."""
    return "/" + SOCKET_ROUTE.replace("<int:meeting_id>", str(meeting_id))


def send_to_group(group: str, html: str) -> None:
    """Send one rendered text to every socket of a group."""
    async_to_sync(get_channel_layer().group_send)(group, {"type": EVENT_TYPE, "html": html})


def after_commit(send: Callable[[], None]) -> None:
    """Run `send` once the current transaction commits; never if it rolls back.

    robust: a channel layer that is down must not turn a saved change into an error.
    """
    transaction.on_commit(send, robust=True)
