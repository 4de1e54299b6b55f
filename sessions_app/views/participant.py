"""The participant's phone: join by code, say who you are once, propose topics, mark interest."""

from __future__ import annotations

from functools import cache, wraps

from django.contrib.messages import get_messages
from django.db import connection
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from .. import (
    board,
    fragments,
    realtime,
    services,
    text,
    throttles,
    vernissage,
)
from ..errors import DomainError, ParticipationError
from ..identity import participant_for, pop_pending_sign, remember
from ..models import Dot, InitiativeMember, Interest, Meeting, Participant, Pen, Topic
from ..statements import Statement
from . import phone_frame
from .access import meeting_for_code, number, participant_view, unknown_code
from .once import once_per_key
from .reports import trade_sign

Status = Topic.Status


@throttles.limit_wrong_codes
def join(request: HttpRequest) -> HttpResponse:
    """The page where a code is typed; with a known code it goes on to the meeting."""
    code = request.GET.get("code", "")
    if not code.strip():
        return render(request, "sessions_app/join.html", {"code": ""})
    meeting = meeting_for_code(code)
    if meeting is None:
        return unknown_code(request, code)
    return redirect("join_code", code=meeting.join_code)


@throttles.limit_wrong_codes
@throttles.limit_joins
def join_code(request: HttpRequest, code: str) -> HttpResponse:
    """Where the QR code leads: say who you are once, then the meeting's phone page."""
    meeting = meeting_for_code(code)
    if meeting is None:
        return unknown_code(request, code)
    if participant_for(request.session, meeting) is not None:
        return redirect("phone", meeting_id=meeting.pk)
    if meeting.phase == Meeting.Phase.CLOSED:
        # The closed projector's QR code leads here: to the documents, never to a name form
        # for a meeting that takes no one in.
        return redirect("meeting_detail", pk=meeting.pk)
    with translation.override(meeting.language):
        error, name, organization = "", "", ""
        if request.method == "POST":
            name = request.POST.get("name", "")
            organization = request.POST.get("organization", "")
            try:
                participant = services.join_meeting(
                    meeting=meeting, name=name, organization=organization
                )
            except DomainError as exc:
                error = str(exc)
            else:
                # A new identity, a new session key: a key planted in this browser
                # beforehand does not make its planter the same participant.
                request.session.cycle_key()
                remember(request.session, participant)
                pending = pop_pending_sign(request.session)
                if pending:
                    return trade_sign(request, pending, participant)
                return redirect("phone", meeting_id=meeting.pk)
        return render(
            request,
            "sessions_app/identify.html",
            {"meeting": meeting, "error": error, "name": name, "organization": organization},
            status=422 if error else 200,
        )


def mine_context(participant: Participant, **extra) -> dict:
    """The personal part of the phone page: one's own topics and those shared with one."""
    marks = marks_of(participant, topics=True)
    # Most phones never propose a topic: the marks' query says whether there are any, and
    # the joined query below, costly to compose, is left out when there are none.
    topics = _my_topics(participant) if marks.pop("topics") else []
    return {
        "meeting": participant.meeting,
        "participant": participant,
        "my_topics": [topic for topic in topics if topic.convener_id == participant.pk],
        "shared_with_me": [topic for topic in topics if topic.convener_id != participant.pk],
        **marks,
        **extra,
    }


# Composed once (see statements.py), as every convener's page reads it.
_own_topics = Statement(
    lambda participant_id: (
        Topic.objects.filter(
            Q(convener_id=participant_id) | (Q(partner_id=participant_id) & ~Q(status=Status.DRAFT))
        )
        .exclude(status=Status.WITHDRAWN)
        .select_related("convener", "partner", "merged_into")
        .order_by()
    ),
    participant_id=-1,
)


def _my_topics(participant: Participant) -> list[Topic]:
    """One's own topics and those shared with one, in one query. A merged topic stays
    listed, with the topic it now belongs to; a withdrawn one goes, and a partner sees a
    draft only once it is shared (the same rule as the topics part of _marks_sql)."""
    # Sorted here, in the topics' order: its ORDER BY over the joins took 0.7 ms of the
    # query's 5.1 to compose (docs/benchmarks.md, "The sixth round").
    topics = sorted(_own_topics.all(participant_id=participant.pk), key=board.in_order)
    # Their slots and rooms come from the meeting's kept grid, not from four more joins:
    # PostgreSQL took 2 ms to plan the query with them, 0.2 ms without.
    board.seated(
        participant.meeting,
        [*topics, *(topic.merged_into for topic in topics if topic.merged_into)],
    )
    return topics


# What a phone marks as its own: (kind, model, the column naming what it marks).
MARKS = (
    ("interests", Interest, "topic"),
    ("pens", Pen, "topic"),
    ("dots", Dot, "topic"),
    ("joined", InitiativeMember, "initiative"),
)


@cache
def _marks_sql(*, topics: bool) -> str:
    """One statement for every kind of mark, written once from the models' own names;
    with `topics`, also whether the phone has topics of its own (see _my_topics).

    Every tap and every page reads the marks: as SQL of its own, the statement costs a
    tenth of what the ORM spends composing the same union for each request.
    """
    quote = connection.ops.quote_name
    parts = [
        f"SELECT '{kind}', {quote(model._meta.get_field(field).column)} "
        f"FROM {quote(model._meta.db_table)} "
        f"WHERE {quote(model._meta.get_field('participant').column)} = %s"
        for kind, model, field in MARKS
    ]
    if topics:
        column = {
            name: quote(Topic._meta.get_field(name).column)
            for name in ("convener", "partner", "status")
        }
        parts.append(
            f"SELECT 'topics', {quote(Topic._meta.pk.column)} FROM {quote(Topic._meta.db_table)} "
            f"WHERE ({column['convener']} = %s "
            f"OR ({column['partner']} = %s AND {column['status']} <> '{Status.DRAFT}')) "
            f"AND {column['status']} <> '{Status.WITHDRAWN}'"
        )
    return " UNION ALL ".join(parts)


def marks_of(participant: Participant, *, topics: bool = False) -> dict[str, list[int]]:
    """The ids this phone marks as its own, read in one query: the topics it wants to join,
    whose pen it holds and whose reports got its dots, and the initiatives it joined; with
    `topics`, also the ids of the topics listed as its own."""
    marks: dict[str, list[int]] = {kind: [] for kind, _, _ in MARKS}
    if topics:
        marks["topics"] = []
    parameters = [participant.pk] * (len(MARKS) + (2 if topics else 0))
    with connection.cursor() as cursor:
        cursor.execute(_marks_sql(topics=topics), parameters)
        for kind, pk in cursor.fetchall():
            marks[kind].append(pk)
    return marks


def me_context(participant: Participant, **extra) -> dict:
    """What the page marks as this phone's own: interests, pens and dots (see live.js)."""
    return {"participant": participant, **marks_of(participant), **extra}


@participant_view
def phone(request: HttpRequest, participant: Participant) -> HttpResponse:
    if request.htmx and request.GET.get("part") == "mine":
        # Asked for after a reconnect or a nudge: one's own topics may have changed.
        return render(request, "sessions_app/phone.html#mine", mine_context(participant))
    return _phone_page(request, participant)


def _phone_page(request: HttpRequest, participant: Participant, **extra) -> HttpResponse:
    meeting = participant.meeting
    context = mine_context(participant, **extra)
    # "Adopt this" on a report: the initiative form starts from the report's topic.
    adopt = number(request.GET.get("adopt"))
    if adopt is not None:
        context["adopt_topic"] = (
            meeting.topics.filter(pk=adopt, status=Status.PLACED)
            .select_related("slot", "room")
            .first()
        )
    context["socket_path"] = realtime.socket_path(meeting.pk)
    if not extra and adopt is None and not get_messages(request):
        # The page as every phone sees it is rendered once per meeting, revision and
        # language; only this phone's own part is read and rendered for each request.
        page = phone_frame.render_page(request, meeting, context)
        if page is not None:
            return HttpResponse(page)
    # The sections every phone shows alike come rendered once per revision.
    context["shared"] = fragments.sections(meeting, fragments.SHARED)
    status = 422 if extra.get("error") else 200
    return render(request, "sessions_app/phone.html", context, status=status)


def _after_write(
    request: HttpRequest, participant: Participant, *, error: str = "", **extra
) -> HttpResponse:
    """Answer a phone's write: its own section for htmx, else the page (or back to it)."""
    if not request.htmx:
        if error:
            return _phone_page(request, participant, error=error, **extra)
        return redirect("phone", meeting_id=participant.meeting_id)
    return render(
        request,
        "sessions_app/phone.html#mine",
        mine_context(participant, error=error, **extra),
        status=422 if error else 200,
    )


def _refused_draft(request: HttpRequest, participant: Participant, *, error: str) -> HttpResponse:
    """A refused proposal, with its title kept to correct."""
    title = request.POST.get("title", "")
    return _after_write(request, participant, error=error, draft_title=title)


@require_POST
@participant_view
@once_per_key(done=_after_write)
@throttles.limit_participant("drafts", answer=_refused_draft)
def topic_create(request: HttpRequest, participant: Participant) -> HttpResponse:
    try:
        services.create_draft(
            participant=participant,
            title=request.POST.get("title", ""),
            description=request.POST.get("description", ""),
        )
    except DomainError as exc:
        return _refused_draft(request, participant, error=str(exc))
    return _after_write(request, participant)


def _topic_write(action):
    """A phone's write on one topic: call the service, show its refusal in the section."""

    @require_POST
    @participant_view
    @wraps(action)
    def view(request: HttpRequest, participant: Participant, topic_id: int) -> HttpResponse:
        try:
            action(request, participant, topic_id)
        except DomainError as exc:
            return _after_write(request, participant, error=str(exc))
        return _after_write(request, participant)

    return view


@_topic_write
def topic_edit(request: HttpRequest, participant: Participant, topic_id: int) -> None:
    services.edit_topic(
        participant=participant,
        topic_id=topic_id,
        title=request.POST.get("title", ""),
        # The phone's form has no description: leave the topic's own alone.
        description=request.POST.get("description"),
    )


@_topic_write
def topic_share(request: HttpRequest, participant: Participant, topic_id: int) -> None:
    partner = number(request.POST.get("partner"))
    if partner is None:
        raise ParticipationError(_("Choose a partner."))
    services.share_topic(participant=participant, topic_id=topic_id, partner_id=partner)


PARTNERS_SHOWN = 8


@require_GET
@participant_view
def partner_search(request: HttpRequest, participant: Participant) -> HttpResponse:
    """The people of the meeting whose name holds what was typed, to choose a partner from.

    Searched rather than listed: a meeting of 600 would put 600 names in every draft.
    """
    typed = " ".join(request.GET.get("q", "").split())[:100]
    people: list[Participant] = []
    if typed and not text.has_hidden_characters(typed):
        people = list(
            participant.meeting.people.exclude(pk=participant.pk)
            .filter(name__icontains=typed)
            .order_by("name", "pk")[: PARTNERS_SHOWN + 1]
        )
    return render(
        request,
        "sessions_app/partner_choices.html",
        {"typed": typed, "people": people[:PARTNERS_SHOWN], "more": len(people) > PARTNERS_SHOWN},
    )


@_topic_write
def topic_cosign(request: HttpRequest, participant: Participant, topic_id: int) -> None:
    services.cosign_topic(participant=participant, topic_id=topic_id)


@_topic_write
def topic_raise(request: HttpRequest, participant: Participant, topic_id: int) -> None:
    services.raise_topic(participant=participant, topic_id=topic_id)


@_topic_write
def topic_withdraw(request: HttpRequest, participant: Participant, topic_id: int) -> None:
    services.withdraw_own_topic(participant=participant, topic_id=topic_id)


@require_POST
@participant_view
def interest(request: HttpRequest, participant: Participant, topic_id: int) -> HttpResponse:
    """Mark or unmark a topic; the counts reach everyone over the socket."""
    error = ""
    try:
        services.toggle_interest(participant=participant, topic_id=topic_id)
    except DomainError as exc:
        error = str(exc)
    return me_answer(request, participant, error)


def me_answer(request: HttpRequest, participant: Participant, error: str) -> HttpResponse:
    """Answer a tap: this phone's own marks for htmx, else back to the page."""
    if not request.htmx and not error:
        return redirect("phone", meeting_id=participant.meeting_id)
    return render(
        request,
        "sessions_app/phone.html#me",
        me_context(participant, error=error),
        status=422 if error else 200,
    )


@require_POST
@participant_view
def dot(request: HttpRequest, participant: Participant, topic_id: int) -> HttpResponse:
    """Give a report one of this phone's dots, or take it back; counts reach every page."""
    error = ""
    try:
        if topic_id in vernissage.dots_of(participant):
            vernissage.take_back_dot(participant=participant, topic_id=topic_id)
        else:
            vernissage.give_dot(participant=participant, topic_id=topic_id)
    except DomainError as exc:
        error = str(exc)
    return me_answer(request, participant, error)
