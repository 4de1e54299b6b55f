"""The facilitator's setup screens: a meeting's details, its slots and its rooms."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from .. import setup
from ..errors import SetupError
from ..forms import (
    FacilitatorFormSet,
    LinkFormSet,
    MeetingForm,
    RoomFormSet,
    SlotGeneratorForm,
)
from ..models import Meeting
from .access import facilitator_view


def _minutes(time: dt.time) -> int:
    return time.hour * 60 + time.minute


def _save_meeting(request: HttpRequest, meeting: Meeting | None) -> HttpResponse:
    data = request.POST if request.method == "POST" else None
    form = MeetingForm(data, instance=meeting, user=request.user)
    facilitators = FacilitatorFormSet(data, instance=meeting, prefix="facilitators")
    links = LinkFormSet(data, instance=meeting, prefix="links")
    saved = None
    if data is not None:
        try:
            saved = setup.save_meeting(
                form=form, facilitators=facilitators, links=links, user=request.user
            )
        except SetupError as exc:
            form.add_error(None, str(exc))
    if saved is not None:
        messages.success(request, _("The meeting is saved."))
        return redirect("meeting_slots" if meeting is None else "meeting_detail", saved.pk)
    return render(
        request,
        "sessions_app/setup_meeting.html",
        {"form": form, "facilitators": facilitators, "links": links, "meeting": meeting},
        status=422 if data is not None else 200,
    )


@login_required
@permission_required("sessions_app.add_meeting", raise_exception=True)
@require_http_methods(["GET", "POST"])
def meeting_create(request: HttpRequest) -> HttpResponse:
    return _save_meeting(request, None)


@require_http_methods(["GET", "POST"])
@facilitator_view
def meeting_edit(request: HttpRequest, meeting: Meeting) -> HttpResponse:
    return _save_meeting(request, meeting)


@require_http_methods(["GET", "POST"])
@facilitator_view
def meeting_slots(request: HttpRequest, meeting: Meeting) -> HttpResponse:
    slots = list(meeting.slots.all())
    initial = {"length": 25, "gap": 5, "count": len(slots) or 3}
    if slots:
        first = slots[0]
        initial.update(
            first_starts=first.starts, length=_minutes(first.ends) - _minutes(first.starts)
        )
        if len(slots) > 1:
            initial["gap"] = _minutes(slots[1].starts) - _minutes(first.ends)
    form = SlotGeneratorForm(request.POST or None, initial=initial)
    status = 200
    if request.method == "POST":
        status = 422
        if form.is_valid():
            try:
                setup.generate_slots(meeting=meeting, **form.cleaned_data)
            except SetupError as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, _("The time slots are saved."))
                return redirect("meeting_slots", meeting.pk)
    return render(
        request,
        "sessions_app/setup_slots.html",
        {
            "meeting": meeting,
            "slots": meeting.slots.annotate(topic_count=Count("topics")),
            "form": form,
        },
        status=status,
    )


@require_http_methods(["GET", "POST"])
@facilitator_view
def meeting_rooms(request: HttpRequest, meeting: Meeting) -> HttpResponse:
    formset = RoomFormSet(request.POST or None, instance=meeting, prefix="rooms")
    error = ""
    if request.method == "POST":
        try:
            if setup.save_rooms(meeting=meeting, formset=formset):
                messages.success(request, _("The rooms are saved."))
                return redirect("meeting_rooms", meeting.pk)
        except SetupError as exc:
            error = str(exc)
    return render(
        request,
        "sessions_app/setup_rooms.html",
        {"meeting": meeting, "formset": formset, "error": error},
        status=422 if request.method == "POST" else 200,
    )


@require_POST
@login_required
@permission_required("sessions_app.add_meeting", raise_exception=True)
@facilitator_view
def meeting_copy(request: HttpRequest, meeting: Meeting) -> HttpResponse:
    copy = setup.copy_setup(meeting=meeting)
    messages.success(request, _("A new meeting was started from this setup. Give it its date."))
    return redirect("meeting_edit", copy.pk)
