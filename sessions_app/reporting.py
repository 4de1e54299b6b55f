"""Writing a discussion's report: its fields saved as typed, photos of the paper sheet, and pens.

A report is written from the discussions until the meeting closes, by the topic's
conveners, the facilitators, and whoever holds the topic's pen. The pen comes from the
topic's printed sign: its QR code carries a secret that a phone trades for the pen.

Each field is saved on its own, with the version it started from. A save that started
from an older version than the stored one is refused with the newer text, so that two
people writing the same field never overwrite each other silently.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.models import AnonymousUser
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Count
from django.utils.translation import gettext as _

from . import announce, photos, text
from .errors import DomainError
from .models import Meeting, Participant, Pen, Report, ReportPhoto, Sign, Topic, code_order
from .permissions import User, may_write_report

WRITING_PHASES = (
    Meeting.Phase.DISCUSSIONS,
    Meeting.Phase.VERNISSAGE,
    Meeting.Phase.ACTION_PLAN,
    Meeting.Phase.CLOSING,
)
TEXT_FIELDS = {"summary": 10_000}
# List fields are written one item a line: at most so many items of so many characters.
LIST_FIELDS = {"participants": (100, 200), "insights": (50, 1000), "next_steps": (50, 1000)}
FIELDS = (*TEXT_FIELDS, *LIST_FIELDS)
CAPTION_MAX = ReportPhoto._meta.get_field("caption").max_length


class ReportError(DomainError):
    """A report's change the meeting does not allow."""


class ReportConflict(ReportError):
    """A field was saved by someone else since this writer's version: here is theirs."""

    def __init__(self, field: str, value: str, version: int) -> None:
        self.field, self.value, self.version = field, value, version
        super().__init__(
            _("Someone else saved this meanwhile. Their text is shown beside yours: merge them.")
        )


@dataclass(frozen=True)
class Writer:
    """Who writes: a phone's participant, or a logged-in user (a facilitator)."""

    participant: Participant | None = None
    user: User = AnonymousUser()


def _require_writing(meeting: Meeting) -> None:
    if meeting.phase == Meeting.Phase.CLOSED:
        raise ReportError(_("This meeting is closed; its reports can no longer be changed."))
    if meeting.phase not in WRITING_PHASES:
        raise ReportError(_("Reports are written once the discussions have begun."))


def writable_topic(meeting: Meeting, topic_id: int, writer: Writer) -> Topic:
    """The placed topic whose report this writer may write now, or a refusal that says why."""
    topic = (
        Topic.objects.select_related("meeting", "slot", "room", "convener")
        .filter(meeting=meeting, pk=topic_id, status=Topic.Status.PLACED)
        .first()
    )
    if topic is None:
        raise ReportError(_("That topic is not on this meeting's agenda."))
    if not may_write_report(topic, participant=writer.participant, user=writer.user):
        raise ReportError(
            _(
                "Only the topic's conveners, the facilitators and whoever holds its sign "
                "can write this report."
            )
        )
    return topic


def _locked_report(meeting: Meeting, topic_id: int, writer: Writer) -> Report:
    meeting = Meeting.objects.locked(meeting.pk)
    _require_writing(meeting)
    topic = writable_topic(meeting, topic_id, writer)
    report, _created = Report.objects.select_for_update().get_or_create(topic=topic)
    return report


def field_text(report: Report, field: str) -> str:
    """A field as it is edited: a text as it is, a list one item a line."""
    value = getattr(report, field)
    return "\n".join(value) if field in LIST_FIELDS else value


def _clean(field: str, typed: str) -> str | list[str]:
    if field in TEXT_FIELDS:
        return text.paragraphs(typed, limit=TEXT_FIELDS[field])
    most, longest = LIST_FIELDS[field]
    return text.items(typed, most=most, longest=longest)


@transaction.atomic
def save_field(
    *, meeting: Meeting, topic_id: int, writer: Writer, field: str, typed: str, version: int
) -> Report:
    """Save one field of a topic's report, if no one saved it since `version`."""
    if field not in FIELDS:
        raise ReportError(_("A report has no such field."))
    value = _clean(field, typed)
    report = _locked_report(meeting, topic_id, writer)
    current = report.versions.get(field, 0)
    if version != current:
        raise ReportConflict(field, field_text(report, field), current)
    setattr(report, field, value)
    report.versions = {**report.versions, field: current + 1}
    report.save(update_fields=[field, "versions", "updated_at"])
    announce.report_changed(report.topic)
    return report


def add_photo(
    *, meeting: Meeting, topic_id: int, writer: Writer, upload: UploadedFile, caption: str = ""
) -> ReportPhoto:
    """Add a photo of the paper sheet to a topic's report, through the one photo pipeline."""
    caption = text.one_line(caption, limit=CAPTION_MAX)
    # Refuse early, and clean the photo (the slow part) before any transaction begins:
    # on SQLite a transaction holds the database's write lock from its start.
    _require_writing(meeting)
    writable_topic(meeting, topic_id, writer)
    try:
        cleaned = photos.clean_upload(upload)
        with transaction.atomic():
            report = _locked_report(meeting, topic_id, writer)
            photo = photos.save_report_photo(report, cleaned, caption=caption)
            announce.report_changed(report.topic)
    except photos.PhotoError as exc:
        raise ReportError(str(exc)) from exc
    return photo


def _locked_photo(meeting: Meeting, topic_id: int, writer: Writer, photo_id: int) -> ReportPhoto:
    report = _locked_report(meeting, topic_id, writer)
    photo = ReportPhoto.objects.select_for_update().filter(report=report, pk=photo_id).first()
    if photo is None:
        raise ReportError(_("That photo is not part of this report."))
    return photo


@transaction.atomic
def save_caption(
    *, meeting: Meeting, topic_id: int, writer: Writer, photo_id: int, typed: str, version: int
) -> ReportPhoto:
    """Change a photo's caption, if no one changed it since `version`."""
    caption = text.one_line(typed, limit=CAPTION_MAX)
    photo = _locked_photo(meeting, topic_id, writer, photo_id)
    if version != photo.caption_version:
        raise ReportConflict(f"caption-{photo.pk}", photo.caption, photo.caption_version)
    photo.caption, photo.caption_version = caption, photo.caption_version + 1
    photo.save(update_fields=["caption", "caption_version"])
    announce.report_changed(photo.report.topic)
    return photo


@transaction.atomic
def remove_photo(*, meeting: Meeting, topic_id: int, writer: Writer, photo_id: int) -> None:
    """Remove a photo from a topic's report; its file goes once the removal commits."""
    photo = _locked_photo(meeting, topic_id, writer, photo_id)
    topic = photo.report.topic
    photo.delete()
    announce.report_changed(topic)


# Signs and pens -------------------------------------------------------------------------


def _placed_topic(meeting: Meeting, topic_id: int) -> Topic:
    topic = Topic.objects.filter(meeting=meeting, pk=topic_id, status=Topic.Status.PLACED).first()
    if topic is None:
        raise ReportError(_("That topic is not on this meeting's agenda."))
    return topic


@transaction.atomic
def signs_of(meeting: Meeting) -> list[Sign]:
    """A sign for every placed topic, in code order, issuing the ones not yet issued."""
    meeting = Meeting.objects.locked(meeting.pk)
    placed = list(
        Topic.objects.filter(meeting=meeting, status=Topic.Status.PLACED).select_related(
            "slot", "room"
        )
    )
    existing = {sign.topic_id: sign for sign in Sign.objects.filter(topic__in=placed)}
    Sign.objects.bulk_create(Sign(topic=t) for t in placed if t.pk not in existing)
    signs = Sign.objects.filter(topic__in=placed).select_related("topic__slot", "topic__room")
    return sorted(signs, key=lambda sign: code_order(sign.topic.room, sign.topic.slot))


@transaction.atomic
def issue_new_sign(*, meeting: Meeting, topic_id: int) -> Sign:
    """Print a topic's sign anew: the old sign's QR code stops working and its pens go."""
    meeting = Meeting.objects.locked(meeting.pk)
    if meeting.phase == Meeting.Phase.CLOSED:
        raise ReportError(_("This meeting is closed; its reports can no longer be changed."))
    topic = _placed_topic(meeting, topic_id)
    holders = list(topic.pens.values_list("participant_id", flat=True))
    topic.pens.all().delete()
    Sign.objects.filter(topic=topic).delete()
    sign = Sign.objects.create(topic=topic)
    announce.nudge(holders, meeting=meeting)
    return sign


def sign_for_secret(secret: str) -> Sign | None:
    """The sign whose QR code carries this secret, if it is still the topic's sign."""
    # Secrets are URL-safe base64; anything else (a NUL byte, say) is no secret of ours.
    if not secret or len(secret) > Sign._meta.get_field("secret").max_length:
        return None
    if not all(char.isascii() and (char.isalnum() or char in "-_") for char in secret):
        return None
    return Sign.objects.select_related("topic__meeting").filter(secret=secret).first()


@transaction.atomic
def take_pen(*, sign: Sign, participant: Participant) -> Topic:
    """Give this phone the pen of the sign's topic: it may now write the topic's report."""
    topic = sign.topic
    if participant.meeting_id != topic.meeting_id:
        raise ReportError(_("This sign belongs to another meeting."))
    meeting = Meeting.objects.locked(topic.meeting_id)
    if meeting.phase == Meeting.Phase.CLOSED:
        raise ReportError(_("This meeting is closed; its reports can no longer be changed."))
    if not Sign.objects.filter(pk=sign.pk, secret=sign.secret).exists():
        raise ReportError(_("This sign has been replaced; scan the new one."))
    Pen.objects.get_or_create(topic=topic, participant=participant)
    announce.nudge([participant.pk], meeting=meeting)
    return topic


def pen_counts(meeting: Meeting) -> dict[int, int]:
    """How many phones hold each topic's pen, by topic id."""
    return dict(
        Pen.objects.filter(topic__meeting=meeting)
        .values_list("topic_id")
        .annotate(n=Count("pk"))
        .values_list("topic_id", "n")
    )
