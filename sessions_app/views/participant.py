"""The participant's phone: join by code, say who you are once, propose topics, mark interest."""

from __future__ import annotations

from functools import wraps

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_htmx.http import HttpResponseClientRedirect

from .. import realtime, services
from ..agenda import AgendaError
from ..identity import participant_for, remember
from ..models import Meeting, Participant, Topic

Status = Topic.Status
CODE_MAX = 12


def normalize_code(code: str) -> str:
    """A join code as typed on a phone: any case, spaces and dashes ignored."""
    return "".join(code.split()).replace("-", "").upper()[:CODE_MAX]


def _meeting_for_code(code: str) -> Meeting | None:
    code = normalize_code(code)
    return Meeting.objects.filter(join_code=code).first() if code else None


def _unknown_code(request: HttpRequest, code: str) -> HttpResponse:
    message = _("No meeting has the code %(code)s. Check the code on the screen and try again.") % {
        "code": normalize_code(code)
    }
    return render(request, "sessions_app/join.html", {"error": message, "code": code}, status=404)


def join(request: HttpRequest) -> HttpResponse:
    """The page where a code is typed; with a known code it goes on to the meeting."""
    code = request.GET.get("code", "")
    if not code.strip():
        return render(request, "sessions_app/join.html", {"code": ""})
    meeting = _meeting_for_code(code)
    if meeting is None:
        return _unknown_code(request, code)
    return redirect("join_code", code=meeting.join_code)


def join_code(request: HttpRequest, code: str) -> HttpResponse:
    """Where the QR code leads: say who you are once, then the meeting's phone page."""
    meeting = _meeting_for_code(code)
    if meeting is None:
        return _unknown_code(request, code)
    if participant_for(request.session, meeting) is not None:
        return redirect("phone", code=meeting.join_code)
    with translation.override(meeting.language):
        error, name, organization = "", "", ""
        if request.method == "POST":
            name = request.POST.get("name", "")
            organization = request.POST.get("organization", "")
            try:
                participant = services.join_meeting(
                    meeting=meeting, name=name, organization=organization
                )
            except services.ParticipationError as exc:
                error = str(exc)
            else:
                remember(request.session, participant)
                return redirect("phone", code=meeting.join_code)
        return render(
            request,
            "sessions_app/identify.html",
            {"meeting": meeting, "error": error, "name": name, "organization": organization},
            status=422 if error else 200,
        )


def participant_view(view):
    """Find the meeting by code and the browser's participant in it, or send them to join."""

    @wraps(view)
    def wrapper(request: HttpRequest, code: str, *args, **kwargs) -> HttpResponse:
        meeting = _meeting_for_code(code)
        if meeting is None:
            return _unknown_code(request, code)
        participant = participant_for(request.session, meeting)
        if participant is None:
            if request.htmx:
                return HttpResponseClientRedirect(f"/j/{meeting.join_code}/")
            return redirect("join_code", code=meeting.join_code)
        participant.meeting = meeting
        with translation.override(meeting.language):
            return view(request, participant, *args, **kwargs)

    return wrapper


def mine_context(participant: Participant, **extra) -> dict:
    """The personal part of the phone page: one's own topics and those shared with one."""
    meeting = participant.meeting
    return {
        "meeting": meeting,
        "participant": participant,
        "my_topics": list(
            participant.topics.filter(
                status__in=[Status.DRAFT, Status.SHARED, Status.RAISED, Status.PLACED]
            ).select_related("partner", "slot", "room")
        ),
        "shared_with_me": list(
            participant.shared_topics.filter(
                status__in=[Status.SHARED, Status.RAISED, Status.PLACED]
            ).select_related("convener", "slot", "room")
        ),
        "partners": list(meeting.people.exclude(pk=participant.pk)),
        "interests": services.interests_of(participant),
        **extra,
    }


@participant_view
def phone(request: HttpRequest, participant: Participant) -> HttpResponse:
    if request.htmx and request.GET.get("part") == "mine":
        # Asked for after a reconnect or a nudge: one's own topics may have changed.
        return render(request, "sessions_app/phone.html#mine", mine_context(participant))
    return _phone_page(request, participant)


def _phone_page(request: HttpRequest, participant: Participant, **extra) -> HttpResponse:
    meeting = participant.meeting
    context = realtime.fragment_context(meeting, realtime.SHARED_FRAGMENTS) | mine_context(
        participant, **extra
    )
    context["socket_path"] = realtime.socket_path(meeting.pk)
    status = 422 if extra.get("error") else 200
    return render(request, "sessions_app/phone.html", context, status=status)


def _after_write(
    request: HttpRequest, participant: Participant, *, error: str = "", **extra
) -> HttpResponse:
    """Answer a phone's write: its own section for htmx, else the page (or back to it)."""
    if not request.htmx:
        if error:
            return _phone_page(request, participant, error=error, **extra)
        return redirect("phone", code=participant.meeting.join_code)
    return render(
        request,
        "sessions_app/phone.html#mine",
        mine_context(participant, error=error, **extra),
        status=422 if error else 200,
    )


@require_POST
@participant_view
def topic_create(request: HttpRequest, participant: Participant) -> HttpResponse:
    title = request.POST.get("title", "")
    try:
        services.create_draft(
            participant=participant,
            title=title,
            description=request.POST.get("description", ""),
        )
    except services.ParticipationError as exc:
        return _after_write(request, participant, error=str(exc), draft_title=title)
    return _after_write(request, participant)


def _topic_write(action):
    """A phone's write on one topic: call the service, show its refusal in the section."""

    @require_POST
    @participant_view
    @wraps(action)
    def view(request: HttpRequest, participant: Participant, topic_id: int) -> HttpResponse:
        try:
            action(request, participant, topic_id)
        except (services.ParticipationError, AgendaError) as exc:
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
    partner = request.POST.get("partner", "")
    if not partner.isdigit():
        raise services.ParticipationError(_("Choose a partner."))
    services.share_topic(participant=participant, topic_id=topic_id, partner_id=int(partner))


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
    except services.ParticipationError as exc:
        error = str(exc)
    if not request.htmx and not error:
        return redirect("phone", code=participant.meeting.join_code)
    return render(
        request,
        "sessions_app/phone.html#me",
        {
            "participant": participant,
            "interests": services.interests_of(participant),
            "error": error,
        },
        status=422 if error else 200,
    )
