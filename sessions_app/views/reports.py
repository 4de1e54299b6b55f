"""Writing reports: the form on a phone or a facilitator's screen, photos, signs and pens.

The same form serves a phone (as its participant) and a facilitator (as a user): each
side has its own URLs, named in `SIDES`, and the views below take the writer and the
side. Fields save as they are typed (static/js/report.js posts one field at a time and
gets JSON back); without JavaScript the whole form posts and saves the changed fields.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from .. import exports, pdf, reporting
from ..errors import DomainError
from ..gallery import build_gallery
from ..identity import keep_pending_sign, participant_for
from ..models import Meeting, Participant, Report, Topic
from ..permissions import can_facilitate
from ..reporting import ReportConflict, Writer
from ..text import has_hidden_characters
from .access import facilitator_view, number, participant_view


@dataclass(frozen=True)
class Side:
    """The URL names of the report form for phones or for facilitators."""

    page: str
    field: str
    photos: str
    photo_remove: str
    caption: str
    back: str


SIDES = {
    "phone": Side(
        page="phone_report",
        field="phone_report_field",
        photos="phone_report_photos",
        photo_remove="phone_report_photo_remove",
        caption="phone_report_caption",
        back="phone",
    ),
    "facilitator": Side(
        page="report_edit",
        field="report_edit_field",
        photos="report_edit_photos",
        photo_remove="report_edit_photo_remove",
        caption="report_edit_caption",
        back="reports_overview",
    ),
}


def _url(meeting: Meeting, side: str, name: str, *args) -> str:
    key = meeting.pk
    return reverse(getattr(SIDES[side], name), args=[key, *args])


def _form_context(
    meeting: Meeting, topic: Topic, side: str, *, typed: dict | None = None, **extra
) -> dict:
    """The report as its form shows it: each field's text and version, and the photos."""
    report = Report.objects.filter(topic=topic).prefetch_related("photos").first() or Report(
        topic=topic
    )
    typed = typed or {}
    labels = {
        "summary": _("Summary: what was discussed"),
        "insights": _("Key points and insights, one a line"),
        "next_steps": _("Proposals and next steps, one a line"),
        "participants": _("Who took part, one a line"),
    }
    fields = [
        {
            "name": name,
            "label": labels[name],
            "text": typed.get(name, reporting.field_text(report, name)),
            "version": report.versions.get(name, 0),
            "conflict": extra.get("conflicts", {}).get(name),
            "error": extra.get("errors", {}).get(name, ""),
            "is_list": name in reporting.LIST_FIELDS,
        }
        for name in reporting.FIELDS
    ]
    photos = [
        {
            "photo": photo,
            "remove_url": _url(meeting, side, "photo_remove", topic.pk, photo.pk),
            "caption_url": _url(meeting, side, "caption", topic.pk, photo.pk),
        }
        for photo in (report.photos.all() if report.pk else [])
    ]
    back_args = [meeting.pk]
    return {
        "meeting": meeting,
        "topic": topic,
        "fields": fields,
        "photos": photos,
        "photo_limit": reporting.photos.MAX_PHOTOS_PER_REPORT,
        "side": side,
        "page_url": _url(meeting, side, "page", topic.pk),
        "field_url": _url(meeting, side, "field", topic.pk),
        "photos_url": _url(meeting, side, "photos", topic.pk),
        "back_url": reverse(SIDES[side].back, args=back_args),
        "people_url": reverse("people_search", args=[meeting.pk]),
        **extra,
    }


def _refused(request: HttpRequest, meeting: Meeting, side: str, error: DomainError) -> HttpResponse:
    back_args = [meeting.pk]
    return render(
        request,
        "sessions_app/report_refused.html",
        {
            "meeting": meeting,
            "error": str(error),
            "back_url": reverse(SIDES[side].back, args=back_args),
        },
        status=403,
    )


def _form(request: HttpRequest, meeting: Meeting, topic_id: int, writer: Writer, side: str):
    """The form (GET), or the whole form posted without JavaScript (POST)."""
    try:
        topic = reporting.writable_topic(meeting, topic_id, writer)
    except DomainError as error:
        return _refused(request, meeting, side, error)
    if request.method == "GET":
        return render(request, "sessions_app/report_form.html", _form_context(meeting, topic, side))
    typed, conflicts, errors = {}, {}, {}
    report = Report.objects.filter(topic=topic).first() or Report(topic=topic)
    for name in reporting.FIELDS:
        text = request.POST.get(name)
        if text is None or text.replace("\r\n", "\n") == reporting.field_text(report, name):
            continue
        typed[name] = text
        try:
            reporting.save_field(
                meeting=meeting,
                topic_id=topic.pk,
                writer=writer,
                field=name,
                typed=text,
                version=_version(request.POST.get(f"{name}-version")),
            )
        except ReportConflict as conflict:
            conflicts[name] = conflict.value
        except DomainError as error:
            errors[name] = str(error)
        else:
            del typed[name]
    if not (conflicts or errors):
        return redirect(_url(meeting, side, "page", topic.pk))
    context = _form_context(meeting, topic, side, typed=typed, conflicts=conflicts, errors=errors)
    return render(
        request, "sessions_app/report_form.html", context, status=409 if conflicts else 422
    )


def _version(raw: str | None) -> int:
    """A version number as a form sends it; anything else counts as no version at all."""
    found = number(raw)
    return -1 if found is None else found


def _saved_as_json(save) -> JsonResponse:
    """Run one save of what is typed; answer static/js/report.js with the new version."""
    try:
        version = save()
    except ReportConflict as conflict:
        return JsonResponse(
            {"error": str(conflict), "theirs": conflict.value, "version": conflict.version},
            status=409,
        )
    except DomainError as error:
        return JsonResponse({"error": str(error)}, status=422)
    return JsonResponse({"version": version, "saved": _("Saved")})


def _save_field(request: HttpRequest, meeting: Meeting, topic_id: int, writer: Writer):
    """Save one field as it is typed."""
    field = request.POST.get("field", "")

    def save() -> int:
        report = reporting.save_field(
            meeting=meeting,
            topic_id=topic_id,
            writer=writer,
            field=field,
            typed=request.POST.get("text", ""),
            version=_version(request.POST.get("version")),
        )
        return report.versions[field]

    return _saved_as_json(save)


def _save_caption(
    request: HttpRequest, meeting: Meeting, topic_id: int, photo_id: int, writer: Writer
):
    """Save a photo's caption as it is typed."""
    return _saved_as_json(
        lambda: (
            reporting.save_caption(
                meeting=meeting,
                topic_id=topic_id,
                writer=writer,
                photo_id=photo_id,
                typed=request.POST.get("text", ""),
                version=_version(request.POST.get("version")),
            ).caption_version
        )
    )


def _add_photo(request: HttpRequest, meeting: Meeting, topic_id: int, writer: Writer, side: str):
    upload = request.FILES.get("photo")
    try:
        if upload is None:
            raise reporting.ReportError(_("Choose a photo, or take one."))
        reporting.add_photo(
            meeting=meeting,
            topic_id=topic_id,
            writer=writer,
            upload=upload,
            caption=request.POST.get("caption", ""),
        )
    except DomainError as error:
        try:
            topic = reporting.writable_topic(meeting, topic_id, writer)
        except DomainError:
            return _refused(request, meeting, side, error)
        context = _form_context(meeting, topic, side, photo_error=str(error))
        return render(request, "sessions_app/report_form.html", context, status=422)
    return redirect(_url(meeting, side, "page", topic_id) + "#photos")


def _remove_photo(
    request: HttpRequest, meeting: Meeting, topic_id: int, photo_id: int, writer: Writer, side: str
):
    try:
        reporting.remove_photo(meeting=meeting, topic_id=topic_id, writer=writer, photo_id=photo_id)
    except DomainError as error:
        return _refused(request, meeting, side, error)
    return redirect(_url(meeting, side, "page", topic_id) + "#photos")


# The phone's side -----------------------------------------------------------------------


def _phone_writer(request: HttpRequest, participant: Participant) -> Writer:
    return Writer(participant=participant, user=request.user)


@never_cache
@require_http_methods(["GET", "POST"])
@participant_view
def phone_report(request: HttpRequest, participant: Participant, topic_id: int):
    writer = _phone_writer(request, participant)
    return _form(request, participant.meeting, topic_id, writer, "phone")


@require_POST
@participant_view
def phone_report_field(request: HttpRequest, participant: Participant, topic_id: int):
    return _save_field(request, participant.meeting, topic_id, _phone_writer(request, participant))


@require_POST
@participant_view
def phone_report_caption(
    request: HttpRequest, participant: Participant, topic_id: int, photo_id: int
):
    writer = _phone_writer(request, participant)
    return _save_caption(request, participant.meeting, topic_id, photo_id, writer)


@require_POST
@participant_view
def phone_report_photos(request: HttpRequest, participant: Participant, topic_id: int):
    writer = _phone_writer(request, participant)
    return _add_photo(request, participant.meeting, topic_id, writer, "phone")


@require_POST
@participant_view
def phone_report_photo_remove(
    request: HttpRequest, participant: Participant, topic_id: int, photo_id: int
):
    writer = _phone_writer(request, participant)
    return _remove_photo(request, participant.meeting, topic_id, photo_id, writer, "phone")


# The facilitator's side -----------------------------------------------------------------


@never_cache
@require_http_methods(["GET", "POST"])
@facilitator_view(meeting_language=True)
def report_edit(request: HttpRequest, meeting: Meeting, topic_id: int):
    return _form(request, meeting, topic_id, Writer(user=request.user), "facilitator")


@require_POST
@facilitator_view(meeting_language=True)
def report_edit_field(request: HttpRequest, meeting: Meeting, topic_id: int):
    return _save_field(request, meeting, topic_id, Writer(user=request.user))


@require_POST
@facilitator_view(meeting_language=True)
def report_edit_caption(request: HttpRequest, meeting: Meeting, topic_id: int, photo_id: int):
    return _save_caption(request, meeting, topic_id, photo_id, Writer(user=request.user))


@require_POST
@facilitator_view(meeting_language=True)
def report_edit_photos(request: HttpRequest, meeting: Meeting, topic_id: int):
    return _add_photo(request, meeting, topic_id, Writer(user=request.user), "facilitator")


@require_POST
@facilitator_view(meeting_language=True)
def report_edit_photo_remove(request: HttpRequest, meeting: Meeting, topic_id: int, photo_id: int):
    writer = Writer(user=request.user)
    return _remove_photo(request, meeting, topic_id, photo_id, writer, "facilitator")


# Signs: the QR code in each room --------------------------------------------------------


def _no_trace(response: HttpResponse) -> HttpResponse:
    """Keep the sign's secret out of the Referer and of every cache."""
    response["Referrer-Policy"] = "no-referrer"
    response["Cache-Control"] = "no-store"
    return response


@require_GET
def sign(request: HttpRequest, secret: str) -> HttpResponse:
    """Where a sign's QR code leads: trade its secret for the topic's pen, then go to the form.

    A phone that has not joined the meeting joins first; the secret waits in its session,
    never in a URL, and the pen is given once it has joined.
    """
    found = reporting.sign_for_secret(secret)
    if found is None:
        return _no_trace(render(request, "sessions_app/sign_unknown.html", {}, status=404))
    meeting = found.topic.meeting
    participant = participant_for(request.session, meeting)
    if participant is None:
        keep_pending_sign(request.session, secret)
        return _no_trace(redirect("join_code", code=meeting.join_code))
    return _no_trace(trade_sign(request, found.secret, participant))


def trade_sign(request: HttpRequest, secret: str, participant: Participant) -> HttpResponse:
    """Give the phone the pen of the sign with this secret, and send it to the report form."""
    found = reporting.sign_for_secret(secret)
    meeting = participant.meeting
    with translation.override(meeting.language):
        try:
            if found is None:
                raise reporting.ReportError(_("This sign has been replaced; scan the new one."))
            topic = reporting.take_pen(sign=found, participant=participant)
        except DomainError as error:
            return _refused(request, meeting, "phone", error)
    return redirect("phone_report", meeting.pk, topic.pk)


# The facilitator's overview: every report, its pens and its sign ------------------------


@never_cache
@require_GET
@facilitator_view(meeting_language=True)
def reports_overview(request: HttpRequest, meeting: Meeting) -> HttpResponse:
    """Every placed topic's report, with who holds its pen, and its printable sign."""
    signs = {sign.topic_id: sign for sign in reporting.signs_of(meeting)}
    pens = reporting.pen_counts(meeting)
    items = [
        {"item": item, "pens": pens.get(item.topic.pk, 0), "sign": signs.get(item.topic.pk)}
        for item in build_gallery(meeting)
    ]
    return render(
        request,
        "sessions_app/reports_overview.html",
        {"meeting": meeting, "items": items},
    )


@require_POST
@facilitator_view(meeting_language=True)
def new_sign(request: HttpRequest, meeting: Meeting, topic_id: int) -> HttpResponse:
    """Issue a topic's sign anew: the old QR code and the pens it gave stop working."""
    try:
        reporting.issue_new_sign(meeting=meeting, topic_id=topic_id)
    except DomainError as error:
        return _refused(request, meeting, "facilitator", error)
    messages.success(request, _("A new sign was issued; print it. The old one no longer works."))
    return redirect("reports_overview", meeting.pk)


@require_GET
@facilitator_view(meeting_language=True)
def signs_pdf(request: HttpRequest, meeting: Meeting) -> HttpResponse:
    """All signs of the meeting as one PDF, a page a topic, to print and put up in the rooms."""
    signs = reporting.signs_of(meeting)
    only = request.GET.get("topic", "")
    if only:
        signs = [sign for sign in signs if str(sign.topic_id) == only]
    data = pdf.signs_pdf(
        meeting, signs, lambda secret: request.build_absolute_uri(reverse("sign", args=[secret]))
    )
    response = HttpResponse(data, content_type="application/pdf")
    name = exports.export_filename(meeting, "-signs.pdf")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    # The signs carry the secrets that give out pens: never kept by a cache.
    response["Cache-Control"] = "no-store"
    return response


@require_GET
def people_search(request: HttpRequest, pk: int) -> HttpResponse:
    """Names of the meeting's participants that start with what was typed, for a datalist."""
    meeting = Meeting.objects.filter(pk=pk).first()
    if meeting is None or not (
        can_facilitate(request.user, meeting) or participant_for(request.session, meeting)
    ):
        return HttpResponse(status=403)
    typed = " ".join(request.GET.get("q", "").split())[:100]
    names = []
    # No name holds a control character; PostgreSQL would refuse a NUL in the query.
    if typed and not has_hidden_characters(typed):
        names = list(
            meeting.people.filter(name__icontains=typed)
            .order_by("name")
            .values_list("name", flat=True)
            .distinct()[:10]
        )
    return render(request, "sessions_app/people_options.html", {"names": names})
