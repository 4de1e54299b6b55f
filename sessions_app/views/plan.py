"""How the day ends: initiatives and reflections from phones, and the facilitators' side of
the action plan, the closing circle and the documents."""

from __future__ import annotations

from functools import partial

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from .. import action_plan, closing, facilitation, throttles
from ..errors import DomainError
from ..forms import PlanActionForm, PublishForm
from ..models import Initiative, Meeting, Participant
from .access import facilitator_view, number, participant_view
from .once import once_per_key
from .participant import me_answer


def _plan_answer(request: HttpRequest, participant: Participant, part: str, **context):
    """Answer a phone's form: its result box for htmx, else back to the page."""
    error = context.get("error", "")
    if not request.htmx and not error:
        return redirect("phone", meeting_id=participant.meeting_id)
    return render(
        request,
        f"sessions_app/phone.html#{part}",
        {"meeting": participant.meeting, "participant": participant, **context},
        status=422 if error else 200,
    )


def _initiative_raised(request: HttpRequest, participant: Participant) -> HttpResponse:
    return _plan_answer(
        request, participant, "raise_result", done=_("Your initiative is on the action plan.")
    )


@require_POST
@participant_view
@once_per_key(done=_initiative_raised)
@throttles.limit_participant("initiatives", answer=partial(_plan_answer, part="raise_result"))
def initiative_raise(request: HttpRequest, participant: Participant) -> HttpResponse:
    """Raise an initiative from a phone, or adopt one from a report."""
    try:
        action_plan.raise_initiative(
            participant=participant,
            who=request.POST.get("who", ""),
            what=request.POST.get("what", ""),
            levels=request.POST.getlist("levels"),
            when=request.POST.get("when", ""),
            topic_id=number(request.POST.get("topic")),
        )
    except DomainError as error:
        return _plan_answer(request, participant, "raise_result", error=str(error))
    return _initiative_raised(request, participant)


@require_POST
@participant_view
def initiative_join(request: HttpRequest, participant: Participant, initiative_id: int):
    """Join an initiative with one tap, or leave it again."""
    error = ""
    try:
        if initiative_id in action_plan.joined_by(participant):
            action_plan.leave_initiative(participant=participant, initiative_id=initiative_id)
        else:
            action_plan.join_initiative(participant=participant, initiative_id=initiative_id)
    except DomainError as exc:
        error = str(exc)
    return me_answer(request, participant, error)


def _reflection_left(request: HttpRequest, participant: Participant) -> HttpResponse:
    return _plan_answer(
        request, participant, "reflection_result", done=_("Thank you: your reflection is in.")
    )


@require_POST
@participant_view
@once_per_key(done=_reflection_left)
@throttles.limit_participant("reflections", answer=partial(_plan_answer, part="reflection_result"))
def reflection_create(request: HttpRequest, participant: Participant) -> HttpResponse:
    """Leave a reflection in the closing circle, with or without one's name."""
    try:
        closing.leave_reflection(
            participant=participant,
            typed=request.POST.get("text", ""),
            anonymous=request.POST.get("anonymous") == "on",
        )
    except DomainError as error:
        return _plan_answer(request, participant, "reflection_result", error=str(error))
    return _reflection_left(request, participant)


# The facilitators' side -----------------------------------------------------------------


@require_GET
@facilitator_view(meeting_language=True)
def plan_manage(request: HttpRequest, meeting: Meeting) -> HttpResponse:
    """Edit, merge and remove the meeting's initiatives, add people by name, and mark the
    earlier meetings' open initiatives done or dropped."""
    initiatives = list(
        meeting.initiatives.select_related(
            "source_topic__slot", "source_topic__room"
        ).prefetch_related("members")
    )
    return render(
        request,
        "sessions_app/plan_manage.html",
        {
            "meeting": meeting,
            "initiatives": initiatives,
            "earlier": list(Initiative.objects.open_before(meeting)),
            "levels": Initiative.Level.choices,
            "statuses": Initiative.Status.choices,
            "editable": meeting.phase in action_plan.PLAN_PHASES,
        },
    )


def _run_plan_action(meeting: Meeting, data: dict) -> str:
    """Do what the facilitator asked through the action plan's rules; say what happened."""
    action, initiative_id = data["action"], data["initiative"]
    if action == "edit":
        action_plan.edit_initiative(
            meeting=meeting,
            initiative_id=initiative_id,
            who=data["who"],
            what=data["what"],
            levels=data["levels"],
            when=data["when"],
        )
        return _("The initiative is saved.")
    if action == "add_member":
        action_plan.add_member(meeting=meeting, initiative_id=initiative_id, name=data["name"])
        return _("%(name)s joins the initiative.") % {"name": data["name"]}
    if action == "remove_member":
        action_plan.remove_member(
            meeting=meeting, initiative_id=initiative_id, member_id=data["member"]
        )
        return _("They no longer join the initiative.")
    if action == "merge":
        action_plan.merge_initiatives(
            meeting=meeting, initiative_id=initiative_id, into_id=data["into"]
        )
        return _("The initiatives are merged.")
    if action == "remove":
        action_plan.remove_initiative(meeting=meeting, initiative_id=initiative_id)
        return _("The initiative is removed.")
    action_plan.set_status(meeting=meeting, initiative_id=initiative_id, status=data["status"])
    return _("The initiative is marked %(status)s.") % {
        "status": Initiative.Status(data["status"]).label
    }


@require_POST
@facilitator_view(meeting_language=True)
def plan_action(request: HttpRequest, meeting: Meeting) -> HttpResponse:
    form = PlanActionForm(request.POST)
    try:
        if not form.is_valid():
            raise action_plan.PlanError(
                " ".join(e for errors in form.errors.values() for e in errors)
            )
        messages.success(request, _run_plan_action(meeting, form.cleaned_data))
    except DomainError as error:
        messages.error(request, str(error))
    return redirect("plan_manage", meeting.pk)


@require_POST
@facilitator_view(meeting_language=True)
def summary(request: HttpRequest, meeting: Meeting) -> HttpResponse:
    """Save the closing summary, written on the projector during the closing."""
    error = ""
    try:
        meeting = closing.write_summary(meeting=meeting, typed=request.POST.get("summary", ""))
    except DomainError as exc:
        error = str(exc)
    if not request.htmx and not error:
        return redirect("projector", pk=meeting.pk)
    text = error or _("The summary is saved.")
    return render(
        request,
        "sessions_app/projector.html#summary_message",
        {"meeting": meeting, "message": text, "is_error": bool(error)},
        status=422 if error else 200,
    )


@require_POST
@facilitator_view(meeting_language=True)
def reflection_visibility(request: HttpRequest, meeting: Meeting, reflection_id: int):
    """Hide a reflection from the projector and the documentation, or show it again."""
    try:
        closing.set_visible(
            meeting=meeting, reflection_id=reflection_id, visible=request.POST.get("visible") == "1"
        )
    except DomainError as error:
        if not request.htmx:
            messages.error(request, str(error))
        else:
            return render(
                request,
                "sessions_app/projector.html#board_message",
                {"meeting": meeting, "message": str(error), "is_error": True},
                status=422,
            )
    if not request.htmx:
        return redirect("projector", pk=meeting.pk)
    return HttpResponse(status=204)


@require_POST
@facilitator_view
def publish(request: HttpRequest, meeting: Meeting) -> HttpResponse:
    """Let anyone with the link download the documents once closed, or only those who took part."""
    form = PublishForm(request.POST)
    public = form.is_valid() and form.cleaned_data["public"]
    facilitation.publish_documents(meeting=meeting, public=public)
    if public:
        messages.success(request, _("Anyone with the link may download the documents once closed."))
    else:
        messages.success(request, _("Only those who took part may download the documents."))
    return redirect("meeting_detail", meeting.pk)
