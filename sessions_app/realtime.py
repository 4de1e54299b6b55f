"""Live updates: group names, and broadcasts that render each fragment once per change.

A change is announced after its transaction commits. The fragments it touched are
rendered once, in the meeting's language, and the same text goes to every socket of
the group: personal marks ("mine", "I'm interested") are applied in each browser from
the page's own identity, so the shared text never depends on who receives it.
"""

from __future__ import annotations

from collections.abc import Iterable

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction
from django.db.models import Count
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.html import format_html

from .models import Meeting, Topic

# Fragment name → the template partial that renders it. Shared fragments go to the
# meeting's group (projectors and phones alike); the others only to facilitators.
# "row:<slot id>" and "card:<topic id>" name one row of the grid or one topic's card,
# so that a change sends only what it changed.
SHARED_FRAGMENTS = {
    "stage": "sessions_app/live.html#stage",
    "grid": "sessions_app/live.html#grid",
    "tray": "sessions_app/live.html#tray",
}
PART_FRAGMENTS = {
    "row": "sessions_app/live.html#row",
    "card": "sessions_app/live.html#card",
}
FACILITATOR_FRAGMENTS = {
    "phase_control": "sessions_app/projector.html#phase_control",
    "moderation": "sessions_app/projector.html#moderation",
}
AGENDA = ("grid", "tray")
EVENT_TYPE = "meeting.fragments"


def meeting_group(meeting_id: int) -> str:
    """Every open page of a meeting: projectors and phones."""
    return f"meeting-{meeting_id}"


def facilitators_group(meeting_id: int) -> str:
    """The pages of a meeting's facilitators, for what participants do not see."""
    return f"meeting-{meeting_id}-facilitators"


def participant_group(participant_id: int) -> str:
    """The open pages of one participant, told when their own topics change."""
    return f"participant-{participant_id}"


def fragment_context(meeting: Meeting, names: Iterable[str]) -> dict:
    """Everything the named fragments need, read once for all of them."""
    # Imported here: board reads the agenda, whose writes announce through this module.
    from .board import build_board

    kinds = {name.split(":")[0] for name in names}
    context: dict = {"meeting": meeting, "phases": Meeting.Phase.choices}
    if kinds & {"grid", "tray", "row", "card"}:
        context["board"] = build_board(meeting)
    if "stage" in kinds:
        context["facilitators"] = list(meeting.facilitators.all())
    if "moderation" in kinds:
        by_status = dict(
            meeting.topics.values_list("status").annotate(n=Count("pk")).values_list("status", "n")
        )
        context["counts"] = {
            "people": meeting.people.count(),
            "drafts": by_status.get(Topic.Status.DRAFT, 0),
            "shared": by_status.get(Topic.Status.SHARED, 0),
            "placed": by_status.get(Topic.Status.PLACED, 0),
        }
    return context


def _render_part(kind: str, key: str, context: dict) -> str:
    """One row of the grid or one card, found on the board; nothing if it is gone."""
    board = context["board"]
    if kind == "row":
        rows = [row for row in board.rows if str(row.slot.pk) == key]
        return "".join(
            render_to_string(PART_FRAGMENTS["row"], context | {"row": row}) for row in rows
        )
    cards = [cell.card for row in board.rows for cell in row.cells if cell.card] + board.tray
    return "".join(
        render_to_string(PART_FRAGMENTS["card"], context | {"card": card, "card_oob": True})
        for card in cards
        if str(card.topic.pk) == key
    )


def _rows_first(name: str) -> bool:
    """Sort key putting the grid's rows before every other fragment."""
    return name.partition(":")[0] != "row"


def render_fragments(meeting: Meeting, names: Iterable[str], **extra) -> str:
    """Render the named fragments once each, in the meeting's language, as one text.

    Rows of the grid come first. The browser parses a message inside a <template>, where
    a <tr> that follows a non-table element (such as the tray's <section>) is dropped.
    """
    names = sorted(dict.fromkeys(names), key=_rows_first)
    templates = {**SHARED_FRAGMENTS, **FACILITATOR_FRAGMENTS}
    with translation.override(meeting.language):
        context = fragment_context(meeting, names) | extra
        parts = []
        for name in names:
            kind, _, key = name.partition(":")
            if kind in PART_FRAGMENTS:
                parts.append(_render_part(kind, key, context))
            else:
                parts.append(render_to_string(templates[name], context))
        return "".join(parts)


def current_state(meeting: Meeting, *, facilitator: bool) -> str:
    """What a page receives on connecting, so a reconnected page catches up by itself."""
    names = [*SHARED_FRAGMENTS]
    if facilitator:
        names += [*FACILITATOR_FRAGMENTS]
    return render_fragments(meeting, names)


def send_to_group(group: str, html: str) -> None:
    """Send one rendered text to every socket of a group."""
    async_to_sync(get_channel_layer().group_send)(group, {"type": EVENT_TYPE, "html": html})


def broadcast(
    meeting_id: int, *, shared: Iterable[str] = (), facilitators: Iterable[str] = ()
) -> None:
    """Render the fragments now and send them: shared ones to all, the rest to facilitators."""
    shared, facilitators = list(shared), list(facilitators)
    meeting = Meeting.objects.get(pk=meeting_id)
    if shared:
        send_to_group(meeting_group(meeting_id), render_fragments(meeting, shared))
    if facilitators:
        send_to_group(facilitators_group(meeting_id), render_fragments(meeting, facilitators))


def announce(
    meeting_id: int, *, shared: Iterable[str] = (), facilitators: Iterable[str] = ()
) -> None:
    """After the current transaction commits, broadcast the fragments it changed."""
    shared, facilitators = tuple(shared), tuple(facilitators)
    # robust: a channel layer that is down must not turn a saved change into an error.
    transaction.on_commit(
        lambda: broadcast(meeting_id, shared=shared, facilitators=facilitators), robust=True
    )


def agenda_fragments(slot_ids: Iterable[int | None] | None) -> list[str]:
    """The fragments to send when these rows changed; an id of None stands for the tray.

    Without ids, the whole grid and the tray go out.
    """
    slot_ids = list(dict.fromkeys(slot_ids or ()))
    if not slot_ids:
        return [*AGENDA]
    names = [f"row:{pk}" for pk in slot_ids if pk is not None]
    if None in slot_ids:
        names.append("tray")
    return names


def announce_agenda(meeting: Meeting, *, slot_ids: Iterable[int | None] | None = None) -> None:
    """Rows of the wall or its tray changed: everyone gets those rows and the tray again.

    A whole row, not a single cell, because a move can start or end a convener's clash
    with another cell of the same slot.
    """
    announce(meeting.pk, shared=agenda_fragments(slot_ids), facilitators=["moderation"])


def announce_setup(meeting: Meeting) -> None:
    """The meeting's details, slots or rooms changed: every page gets its stage and wall anew."""
    announce(meeting.pk, shared=["stage", *AGENDA], facilitators=["moderation"])


def nudge(participant_ids: Iterable[int | None], *, join_code: str) -> None:
    """After commit, tell these participants' phones to fetch their own topics again.

    What is personal is never broadcast: the phone asks for it over HTTP, as itself.
    """
    url = reverse("phone", args=[join_code]) + "?part=mine"
    html = format_html(
        '<div id="nudge" hx-swap-oob="true" hx-get="{}" hx-trigger="load" hx-swap="none"></div>',
        url,
    )
    groups = [participant_group(pk) for pk in dict.fromkeys(participant_ids) if pk is not None]

    def send() -> None:
        for group in groups:
            send_to_group(group, html)

    transaction.on_commit(send, robust=True)


def announce_card(topic: Topic) -> None:
    """Only the topic's card changed, such as its interest count: send that card."""
    announce(topic.meeting_id, shared=[f"card:{topic.pk}"])


def announce_topic(topic: Topic) -> None:
    """A raised topic's title or conveners changed: send its card, which is in the tray.

    A placed topic cannot be edited or co-signed any more, so no row is ever affected.
    """
    announce_card(topic)


def announce_phase(meeting: Meeting) -> None:
    """The meeting moved to another phase: every projector and phone follows."""
    announce(meeting.pk, shared=["stage", *AGENDA], facilitators=["phase_control"])


def announce_moderation(meeting: Meeting) -> None:
    """Something only facilitators see changed, such as a new private draft."""
    announce(meeting.pk, facilitators=["moderation"])


def socket_path(meeting_id: int) -> str:
    """Where a page of the meeting opens its websocket (see routing.py)."""
    return f"/ws/meetings/{meeting_id}/"
