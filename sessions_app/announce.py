"""What each kind of change tells the open pages, once its transaction commits.

Every write calls one of these inside its transaction. Each change raises the meeting's
live revision there, in the database, and its delivery says which revisions it covers
and at which revision it was rendered: a page that sees a revision it never received
asks for the whole state (static/js/live.js), so a lost delivery heals by itself. The
fragments are rendered when the delivery is made, from the database as it then is; a
change of the wall (`claim`) gives its own meeting row, as it committed.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable

from django.db import connection
from django.db.models import F

from . import fragments, realtime
from .models import Meeting, Topic

# Changes that a room makes many of at once (dots, sign-ups, report edits) are gathered
# per meeting for this long and sent as one broadcast.
GATHER_SECONDS = 1.0
REVISION_ITEM = "revision:"


# The databases whose UPDATE can return the row it changed, in this spelling.
UPDATE_RETURNING = {"postgresql", "sqlite"}


def raise_live_revision(meeting_id: int, *, documents: bool = False) -> int:
    """Count one more change of what live pages show; return the meeting's new revision.

    With `documents`, raise the documents' revision in the same statement, for a change
    saved without signals (see signals.py). One trip to the database where it can answer
    the update with the new value: every write waits for it inside its transaction.
    """
    raised = ["live_revision", "revision"] if documents else ["live_revision"]
    if connection.vendor not in UPDATE_RETURNING:
        Meeting.objects.filter(pk=meeting_id).update(**{f: F(f) + 1 for f in raised})
        return Meeting.objects.values_list("live_revision", flat=True).get(pk=meeting_id)
    with connection.cursor() as cursor:
        cursor.execute(_raising(raised, returning=["live_revision"]), [meeting_id])
        row = cursor.fetchone()
    if row is None:
        raise Meeting.DoesNotExist(f"No meeting has the id {meeting_id}.")
    return row[0]


def claim(meeting_id: int) -> Meeting:
    """Lock the meeting's row for a change of its wall, and count the change: both of its
    revisions raised, as `raise_live_revision(documents=True)` raises them. Returns the
    meeting as the change will commit it.

    One statement where the database can answer an UPDATE with the row, in place of a
    locking read and then the raise (0.95 ms against 1.5 on the benchmark machine). The
    change must then be announced with this meeting (`agenda_changed(claimed=True)`),
    which counts it no more, or be refused and rolled back: a revision counted and never
    delivered would make every open page ask for the whole state.
    """
    if connection.vendor not in UPDATE_RETURNING:
        raise_live_revision(meeting_id, documents=True)
        return Meeting.objects.locked(meeting_id)
    every_field = [field.name for field in Meeting._meta.concrete_fields]
    # Read through `raw` for the fields' own conversions (a JSON list, a UUID on SQLite).
    claimed = Meeting.objects.raw(
        _raising(["live_revision", "revision"], returning=every_field),
        [meeting_id],
        using=connection.alias,
    )
    for meeting in claimed:
        return meeting
    raise Meeting.DoesNotExist(f"No meeting has the id {meeting_id}.")


def _raising(raised: list[str], *, returning: list[str]) -> str:
    """An UPDATE of one meeting (its key the one parameter) that adds one to each of the
    `raised` fields and returns the `returning` ones, as the database has them then."""
    name = connection.ops.quote_name

    def column(field: str) -> str:
        return name(Meeting._meta.get_field(field).column)

    changes = ", ".join(f"{column(field)} = {column(field)} + 1" for field in raised)
    return (
        f"UPDATE {name(Meeting._meta.db_table)} SET {changes} "
        f"WHERE {name(Meeting._meta.pk.column)} = %s "
        f"RETURNING {', '.join(column(field) for field in returning)}"
    )


def _split(items: Iterable[str]) -> tuple[list[str], list[int]]:
    """Fragment names, and the revisions gathered with them."""
    names, revisions = [], []
    for item in items:
        if item.startswith(REVISION_ITEM):
            revisions.append(int(item.removeprefix(REVISION_ITEM)))
        else:
            names.append(item)
    return names, revisions


def _nudged_groups(participant_ids: Iterable[int | None]) -> list[str]:
    return [realtime.participant_group(pk) for pk in dict.fromkeys(participant_ids) if pk]


def _rendered(
    meeting_id: int,
    shared: Iterable[str],
    facilitators: Iterable[str],
    revisions: list[int],
    *,
    nudged: Iterable[str] = (),
    meeting: Meeting | None = None,
    **extra,
) -> list[tuple[str, str]]:
    shared, facilitators, nudged = tuple(shared), tuple(facilitators), tuple(nudged)
    if meeting is None:
        try:
            meeting = Meeting.objects.get(pk=meeting_id)
        except Meeting.DoesNotExist:
            return []
    # Every page hears of every change, if only by its revision, so that none of them
    # mistakes a change it did not need for one it missed. The mark goes last: a message
    # that starts with a grid's rows must start with them (see fragments.render).
    for_all, for_facilitators, nudge = fragments.render_groups(
        meeting, shared, facilitators, ["nudge"] if nudged else [], **extra
    )
    for_all += fragments.revision_mark(covers=revisions, rendered=meeting.live_revision)
    messages = [(realtime.meeting_group(meeting_id), for_all)]
    if facilitators:
        messages.append((realtime.facilitators_group(meeting_id), for_facilitators))
    return messages + [(group, nudge) for group in nudged]


def fragments_changed(
    meeting_id: int,
    *,
    shared: Iterable[str] = (),
    facilitators: Iterable[str] = (),
    documents: bool = False,
    nudge: Iterable[int | None] = (),
    claimed: Meeting | None = None,
) -> None:
    """After commit, send the fragments: shared ones to every page, the rest to facilitators.

    With `documents`, the documents' revision is raised too (see `raise_live_revision`).
    The participants in `nudge` are nudged in the same delivery (see `announce.nudge`).
    A change whose meeting was `claimed` (see `claim`) is counted already, and is rendered
    with that meeting as it commits, not with one read again: the delivery then says it
    was rendered at the change's own revision, never a later one, which no page mistakes
    for news it has not had."""
    shared, facilitators = tuple(shared), tuple(facilitators)
    nudged = _nudged_groups(nudge)
    if claimed is None:
        revision, meeting = raise_live_revision(meeting_id, documents=documents), None
    else:
        # A copy of its own: the request goes on with the one it holds.
        revision, meeting = claimed.live_revision, copy.copy(claimed)
    realtime.after_commit(
        lambda _items: _rendered(
            meeting_id, shared, facilitators, [revision], nudged=nudged, meeting=meeting
        )
    )


def gathered(meeting_id: int, *, shared: Iterable[str] = (), facilitators: Iterable[str] = ()):
    """After commit, send these fragments with the others of the meeting's next second."""
    revision = f"{REVISION_ITEM}{raise_live_revision(meeting_id)}"

    def render(items: frozenset[str]) -> list[tuple[str, str]]:
        names, revisions = _split(items)
        for_facilitators = [name for name in names if name in fragments.FACILITATORS]
        for_all = [name for name in names if name not in fragments.FACILITATORS]
        return _rendered(meeting_id, for_all, for_facilitators, revisions)

    realtime.after_commit(
        render,
        key=("gathered", meeting_id),
        items=[*shared, *facilitators, revision],
        window=GATHER_SECONDS,
    )


def agenda_changed(
    meeting: Meeting,
    *,
    slot_ids: Iterable[int | None] | None = None,
    counts_changed: bool = True,
    nudge: Iterable[int | None] = (),
    claimed: bool = False,
) -> None:
    """Rows of the wall or its tray changed: everyone gets those rows and the tray again.

    A whole row, not a single cell, because a move can start or end a convener's clash
    with another cell of the same slot. The documents' revision is raised too: the agenda
    writes its topics without signals (agenda._put). A change that leaves every count of
    the facilitators' moderation panel as it was (a move, a swap: as many topics placed,
    shared and drafted, as many people) passes `counts_changed=False`, and the panel is
    not sent again: reading its counts would cost two queries per change. The people in
    `nudge` (the moved topics' conveners) are nudged in the same delivery: one rendering,
    done before the sockets are written to, not a second one while they are. A change
    made on the meeting `claim` returned passes `claimed=True`.
    """
    facilitators = ["moderation", "wall_summary"] if counts_changed else ["wall_summary"]
    fragments_changed(
        meeting.pk,
        shared=fragments.agenda_names(slot_ids),
        facilitators=facilitators,
        documents=True,
        nudge=nudge,
        claimed=meeting if claimed else None,
    )


def setup_changed(meeting: Meeting) -> None:
    """The meeting's details, slots or rooms changed: every page gets its stage and wall anew."""
    fragments_changed(
        meeting.pk,
        shared=["stage", *fragments.AGENDA],
        facilitators=["moderation", "wall_summary"],
    )


def card_changed(topic: Topic) -> None:
    """A topic's card changed, such as its title, interest or conveners: send that card.

    A placed topic's whole row goes instead, with the projector's count of clashes: the
    warnings of the other cards of its slot (shared interest, a convener in two rooms)
    change with it.
    """
    if topic.status == Topic.Status.PLACED:
        fragments_changed(
            topic.meeting_id, shared=[f"row:{topic.slot_id}"], facilitators=["wall_summary"]
        )
    else:
        fragments_changed(topic.meeting_id, shared=[f"card:{topic.pk}"])


def phase_changed(meeting: Meeting) -> None:
    """The meeting moved to another phase: every projector and phone follows."""
    fragments_changed(
        meeting.pk,
        shared=fragments.PHASE_SECTIONS,
        facilitators=["phase_control", "spotlight"],
    )


def join_code_changed(meeting: Meeting, *, join_url: str, qr_svg: str) -> None:
    """The meeting has a new join code: the projectors show it, with its QR code."""
    revision = raise_live_revision(meeting.pk)
    realtime.after_commit(
        lambda _items: _rendered(
            meeting.pk, (), ["join_panel"], [revision], join_url=join_url, qr_svg=qr_svg
        )
    )


def moderation_changed(meeting: Meeting, *, nudge: Iterable[int | None] = ()) -> None:
    """Something only facilitators see changed, such as a new private draft; the people in
    `nudge` are told in the same delivery to fetch their own things."""
    fragments_changed(meeting.pk, facilitators=["moderation"], nudge=nudge)


def report_changed(topic: Topic) -> None:
    """A topic's report was written: its card at the vernissage, with the next second's."""
    gathered(topic.meeting_id, shared=[f"report:{topic.pk}"])


def dots_changed(meeting: Meeting) -> None:
    """Dots were given or taken back: the counts, with the next second's."""
    gathered(meeting.pk, shared=["dots"])


def spotlight_changed(meeting: Meeting) -> None:
    """Another report is shown full screen on the projectors, or none."""
    fragments_changed(meeting.pk, facilitators=["spotlight"])


def plan_changed(meeting: Meeting) -> None:
    """The action plan changed: every page gets it anew."""
    fragments_changed(meeting.pk, shared=["plan"])


def plan_gathered(meeting: Meeting) -> None:
    """Someone joined or left an initiative: the plan, with the next second's taps."""
    gathered(meeting.pk, shared=["plan"])


def lookback_changed(meeting: Meeting) -> None:
    """An earlier meeting's initiative was marked done, dropped or open again."""
    fragments_changed(meeting.pk, shared=["lookback", "plan"])


def closing_changed(meeting: Meeting) -> None:
    """The summary changed, or a reflection was hidden or shown."""
    fragments_changed(meeting.pk, shared=["closing"], facilitators=["reflections"])


def reflections_gathered(meeting: Meeting) -> None:
    """A reflection came in: the closing circle, with the next second's reflections."""
    gathered(meeting.pk, shared=["closing"], facilitators=["reflections"])


def nudge(participant_ids: Iterable[int | None], *, meeting: Meeting) -> None:
    """After commit, tell these participants' phones to fetch their own things again.

    What is personal is never broadcast: the phone asks for it over HTTP, as itself.
    """
    groups = _nudged_groups(participant_ids)
    if not groups:
        return

    def render(_items: frozenset[str]) -> list[tuple[str, str]]:
        html = fragments.render(meeting, ["nudge"])
        return [(group, html) for group in groups]

    realtime.after_commit(render)
