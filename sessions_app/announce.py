"""What each kind of change tells the open pages, sent once its transaction commits.

Every write calls one of these inside its transaction; the fragments are rendered after
the commit, from the database as it then is, and sent through `realtime`.
"""

from __future__ import annotations

from collections.abc import Iterable

from . import fragments, realtime
from .models import Meeting, Topic


def _broadcast(meeting_id: int, shared: tuple[str, ...], facilitators: tuple[str, ...]) -> None:
    meeting = Meeting.objects.get(pk=meeting_id)
    if shared:
        html = fragments.render(meeting, shared)
        realtime.send_to_group(realtime.meeting_group(meeting_id), html)
    if facilitators:
        html = fragments.render(meeting, facilitators)
        realtime.send_to_group(realtime.facilitators_group(meeting_id), html)


def fragments_changed(
    meeting_id: int, *, shared: Iterable[str] = (), facilitators: Iterable[str] = ()
) -> None:
    """After commit, send the fragments: shared ones to every page, the rest to facilitators."""
    shared, facilitators = tuple(shared), tuple(facilitators)
    realtime.after_commit(lambda: _broadcast(meeting_id, shared, facilitators))


def agenda_changed(meeting: Meeting, *, slot_ids: Iterable[int | None] | None = None) -> None:
    """Rows of the wall or its tray changed: everyone gets those rows and the tray again.

    A whole row, not a single cell, because a move can start or end a convener's clash
    with another cell of the same slot.
    """
    fragments_changed(
        meeting.pk, shared=fragments.agenda_names(slot_ids), facilitators=["moderation"]
    )


def setup_changed(meeting: Meeting) -> None:
    """The meeting's details, slots or rooms changed: every page gets its stage and wall anew."""
    fragments_changed(meeting.pk, shared=["stage", *fragments.AGENDA], facilitators=["moderation"])


def card_changed(topic: Topic) -> None:
    """Only a topic's card changed, such as its title or interest count: send that card."""
    fragments_changed(topic.meeting_id, shared=[f"card:{topic.pk}"])


def phase_changed(meeting: Meeting) -> None:
    """The meeting moved to another phase: every projector and phone follows."""
    fragments_changed(
        meeting.pk, shared=["stage", *fragments.AGENDA], facilitators=["phase_control"]
    )


def moderation_changed(meeting: Meeting) -> None:
    """Something only facilitators see changed, such as a new private draft."""
    fragments_changed(meeting.pk, facilitators=["moderation"])


def nudge(participant_ids: Iterable[int | None], *, meeting: Meeting) -> None:
    """After commit, tell these participants' phones to fetch their own things again.

    What is personal is never broadcast: the phone asks for it over HTTP, as itself.
    """
    groups = [realtime.participant_group(pk) for pk in dict.fromkeys(participant_ids) if pk]
    if not groups:
        return

    def send() -> None:
        html = fragments.render(meeting, ["nudge"])
        for group in groups:
            realtime.send_to_group(group, html)

    realtime.after_commit(send)
