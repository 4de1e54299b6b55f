"""The fragments of a live page: which template partial renders each, and what it reads.

A change is rendered once, in the meeting's language, and the same text goes to every
socket of a group: personal marks ("mine", "I'm interested") are applied in each browser
from the page's own identity, so the shared text never depends on who receives it. The
pages render the same partials, so a cell looks the same from a page load or a socket.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Count
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.safestring import SafeString, mark_safe

from . import clock
from .board import Board, build_board
from .gallery import ReportCard, build_gallery
from .kept import Kept
from .models import Initiative, Meeting, Topic

# Fragment name → the template partial that renders it. Shared fragments go to the
# meeting's group (projectors and phones alike); facilitators' only to facilitators;
# personal ones to one participant's pages. "row:<slot id>" and "card:<topic id>" name
# one row of the grid or one topic's card, so that a change sends only what it changed.
SHARED = {
    "stage": "sessions_app/live.html#stage",
    "grid": "sessions_app/live.html#grid",
    "tray": "sessions_app/live.html#tray",
    "now": "sessions_app/phases.html#now",
    "reports": "sessions_app/phases.html#reports",
    "lookback": "sessions_app/closing.html#lookback",
    "plan": "sessions_app/closing.html#plan",
    "closing": "sessions_app/closing.html#closing",
    "farewell": "sessions_app/closing.html#farewell",
}
PARTS = {
    "row": "sessions_app/live.html#row",
    "card": "sessions_app/live.html#card",
    "report": "sessions_app/phases.html#report",
}
FACILITATORS = {
    "phase_control": "sessions_app/projector.html#phase_control",
    "moderation": "sessions_app/projector.html#moderation",
    "spotlight": "sessions_app/phases.html#spotlight",
    "reflections": "sessions_app/closing.html#reflections",
    "wall_summary": "sessions_app/suggestion.html#wall_summary",
}
# Sent as they change, never part of a page's state: the state holds the same in full, or
# (the join panel, whose address only a request knows) the page itself.
UPDATES = {
    "dots": "sessions_app/phases.html#dots",
    "join_panel": "sessions_app/projector.html#join_panel",
}
PERSONAL = {
    "nudge": "sessions_app/phone.html#nudge",
}
TEMPLATES = {**SHARED, **FACILITATORS, **UPDATES, **PERSONAL}
AGENDA = ("grid", "tray")
# The sections of a page that follow the phase: what the room does now.
PHASE_SECTIONS = ("stage", "lookback", "now", "reports", "plan", "closing", "farewell")
REPORT_PHASES = (
    Meeting.Phase.VERNISSAGE,
    Meeting.Phase.ACTION_PLAN,
    Meeting.Phase.CLOSING,
    Meeting.Phase.CLOSED,
)
PLAN_PHASES = (Meeting.Phase.ACTION_PLAN, Meeting.Phase.CLOSING, Meeting.Phase.CLOSED)
CLOSING_PHASES = (Meeting.Phase.CLOSING, Meeting.Phase.CLOSED)


def context_for(meeting: Meeting, names: Iterable[str]) -> dict:
    """Everything the named fragments need, read once for all of them."""
    kinds = {name.partition(":")[0] for name in names}
    context: dict = {
        "meeting": meeting,
        "phases": Meeting.Phase.choices,
        "report_phases": REPORT_PHASES,
        "plan_phases": PLAN_PHASES,
        "closing_phases": CLOSING_PHASES,
    }
    board_kinds = {"grid", "tray", "row", "card", "now", "reports", "report", "dots", "spotlight"}
    if kinds & (board_kinds | {"wall_summary"}):
        context["board"] = build_board(meeting)
    if kinds & {"reports", "report", "dots", "spotlight"}:
        context["gallery"] = build_gallery(meeting, context["board"])
    if "now" in kinds:
        context |= _now(meeting, context["board"])
    if "spotlight" in kinds:
        context["spotlight"] = _spotlight(meeting, context["gallery"])
    if "stage" in kinds:
        context["facilitators"] = list(meeting.facilitators.all())
    if "lookback" in kinds:
        context["open_initiatives"] = list(Initiative.objects.open_before(meeting))
    if "plan" in kinds:
        context["initiatives"] = list(
            meeting.initiatives.select_related(
                "source_topic__slot", "source_topic__room"
            ).prefetch_related("members")
        )
    if kinds & {"closing", "reflections"}:
        context["reflections"] = list(meeting.reflections.select_related("participant"))
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


def _now(meeting: Meeting, board: Board) -> dict:
    """The slot under way (or next) and the one after, as rows of the wall."""
    at = clock.now()
    moment = clock.moment([row.slot for row in board.rows], at)
    rows = {row.slot.pk: row for row in board.rows}
    return {
        "moment": moment,
        "server_now": at,
        "now_row": rows.get(moment.current.pk) if moment.current else None,
        "next_row": rows.get(moment.following.pk) if moment.following else None,
    }


def _spotlight(meeting: Meeting, gallery: list[ReportCard]) -> dict | None:
    """The report shown full screen, with the reports before and after it that have one."""
    if meeting.phase not in REPORT_PHASES:
        return None
    written = [item for item in gallery if item.report is not None]
    for index, item in enumerate(written):
        if item.topic.pk == meeting.spotlight_id:
            return {
                "item": item,
                "previous": written[index - 1] if index > 0 else None,
                "following": written[index + 1] if index + 1 < len(written) else None,
            }
    return None


def _render_part(kind: str, key: str, context: dict) -> str:
    """One row of the grid, one card or one report, found on the board; nothing if gone."""
    board = context["board"]
    if kind == "row":
        rows = [row for row in board.rows if str(row.slot.pk) == key]
        return "".join(render_to_string(PARTS["row"], context | {"row": row}) for row in rows)
    if kind == "report":
        return "".join(
            render_to_string(PARTS["report"], context | {"item": item, "report_oob": True})
            for item in context["gallery"]
            if str(item.topic.pk) == key
        )
    return "".join(
        render_to_string(PARTS["card"], context | {"card": card, "card_oob": True})
        for card in board.cards()
        if str(card.topic.pk) == key
    )


def _rows_first(name: str) -> bool:
    """Sort key putting the grid's rows before every other fragment."""
    return name.partition(":")[0] != "row"


def render_each(meeting: Meeting, names: Iterable[str], **extra) -> dict[str, str]:
    """Each named fragment's text, in the meeting's language, from one reading of the
    database for all of them."""
    names = list(dict.fromkeys(names))
    with translation.override(meeting.language):
        context = context_for(meeting, names) | extra
        texts = {}
        for name in names:
            kind, _, key = name.partition(":")
            if kind in PARTS:
                texts[name] = _render_part(kind, key, context)
            else:
                texts[name] = render_to_string(TEMPLATES[name], context)
        return texts


def render(meeting: Meeting, names: Iterable[str], **extra) -> str:
    """Render the named fragments once each, in the meeting's language, as one text.

    Rows of the grid come first. The browser parses a message inside a <template>, where
    a <tr> that follows a non-table element (such as the tray's <section>) is dropped.
    """
    return render_groups(meeting, names, **extra)[0]


def render_groups(meeting: Meeting, *groups: Iterable[str], **extra) -> list[str]:
    """One text per group of names, as `render` makes it, from one reading of the database
    for all of them: a change's message to every page and the one to its facilitators
    often need the same board."""
    groups = [sorted(dict.fromkeys(names), key=_rows_first) for names in groups]
    texts = render_each(meeting, [name for names in groups for name in names], **extra)
    return ["".join(texts[name] for name in names) for names in groups]


def revision_mark(*, covers: Iterable[int], rendered: int, state: bool = False) -> str:
    """The element that tells a page which changes a message holds (see static/js/live.js)."""
    return render_to_string(
        "sessions_app/live.html#revision",
        {"covers": " ".join(map(str, sorted(covers))), "rendered": rendered, "state": state},
    )


# What a page shows of a meeting, other than its own marks, is the same text for every
# page at one live revision and one minute of the clock (the slot under way changes on
# the minute): each section is rendered once, then kept for the pages that load, connect
# or ask after it. Both revisions are in the key: a save outside the announcements (the
# shell, an import) raises the documents' revision through the signals, and must not be
# hidden by the cache either. The creation time tells apart two meetings that were given
# the same id in turn (a test's rolled-back transaction gives it again on SQLite).
_sections: Kept[dict[str, SafeString]] = Kept(64)


def as_of(meeting: Meeting) -> tuple:
    """What a meeting's kept texts are valid for: its revisions, and the minute."""
    minute = clock.now().replace(second=0, microsecond=0)
    return (meeting.pk, meeting.created_at, meeting.live_revision, meeting.revision, minute)


def sections(meeting: Meeting, names: Iterable[str]) -> dict[str, SafeString]:
    """The named sections (of SHARED and FACILITATORS) as of the meeting read, each
    rendered once per revision and minute however many pages ask for it."""
    names = list(dict.fromkeys(names))
    key = as_of(meeting)
    kept = _sections.get(key, {})
    missing = [name for name in names if name not in kept]
    if missing:
        # Rendering reads the database, outside any lock: two threads that miss at once
        # both render the same text, and the second keeps its own.
        # Safe: the templates' own output, escaped as they rendered it.
        rendered = {name: mark_safe(text) for name, text in render_each(meeting, missing).items()}
        kept = _sections.put(key, {**_sections.get(key, {}), **rendered})
    return {name: kept[name] for name in names}


def current_state(meeting: Meeting, *, facilitator: bool) -> str:
    """Everything a page shows, as of the meeting's live revision: what a page receives on
    connecting, and asks for when it missed a change."""
    names = [*SHARED]
    if facilitator:
        names += [*FACILITATORS]
    return "".join(sections(meeting, names).values()) + revision_mark(
        covers=(), rendered=meeting.live_revision, state=True
    )


# The whole state, joined, for the sockets that connect at one revision.
_states: Kept[str] = Kept(64)


def current_state_of(meeting_id: int, *, facilitator: bool) -> str:
    """The meeting's state for a projector or a phone, rendered once per live revision."""
    try:
        meeting = Meeting.objects.get(pk=meeting_id)
    except Meeting.DoesNotExist:
        return ""
    return state_of(meeting, facilitator=facilitator)


def state_of(meeting: Meeting, *, facilitator: bool) -> str:
    """The state of a meeting just read, from the kept texts when its revisions match."""
    key = (facilitator, *as_of(meeting))
    state = _states.get(key)
    if state is None:
        state = _states.put(key, current_state(meeting, facilitator=facilitator))
    return state


def agenda_names(slot_ids: Iterable[int | None] | None) -> list[str]:
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
