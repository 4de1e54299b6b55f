"""Writing a report: who may, when, field by field with versions, photos, signs and pens."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser, Permission, User
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from sessions_app import agenda, reporting
from sessions_app.errors import DomainError
from sessions_app.models import Facilitator, Meeting, Participant, Pen, Report, ReportPhoto, Sign
from sessions_app.reporting import ReportConflict, ReportError, Writer

from .documents import media_files, row_counts
from .factories import make_meeting, make_topic
from .images import gif, phone_photo, png_header_only, truncated

pytestmark = pytest.mark.django_db


@pytest.fixture
def discussing(meeting):
    meeting.phase = Meeting.Phase.DISCUSSIONS
    meeting.save()
    return meeting


@pytest.fixture
def ann(discussing):
    return Participant.objects.create(meeting=discussing, name="Ann", organization="INAB")


@pytest.fixture
def topic(discussing, ann):
    return make_topic(discussing, title="Freight", convener=ann, cell="B2")


def save(meeting, topic, writer, text="We talked about trains.", field="summary", version=0):
    return reporting.save_field(
        meeting=meeting, topic_id=topic.pk, writer=writer, field=field, typed=text, version=version
    )


def summary_of(topic) -> str | None:
    report = Report.objects.filter(topic=topic).first()
    return None if report is None else report.summary


def upload(data: bytes, name: str = "sheet.jpg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="image/jpeg")


def test_the_convener_writes_the_summary(discussing, topic, ann):
    report = save(discussing, topic, Writer(participant=ann))

    assert summary_of(topic) == "We talked about trains."
    assert report.versions == {"summary": 1}


def test_a_co_signing_partner_writes_the_report(discussing, topic):
    bo = Participant.objects.create(meeting=discussing, name="Bo")
    topic.partner, topic.partner_signed = bo, True
    topic.save()

    save(discussing, topic, Writer(participant=bo))

    assert summary_of(topic) == "We talked about trains."


def test_the_convener_of_a_merged_topic_writes_the_report(discussing, topic):
    cy = Participant.objects.create(meeting=discussing, name="Cy")
    merged = make_topic(discussing, title="Goods", convener=cy)
    discussing.phase = Meeting.Phase.AGENDA
    discussing.save()
    agenda.merge_topics(meeting=discussing, topic_id=merged.pk, into_id=topic.pk)
    discussing.phase = Meeting.Phase.DISCUSSIONS
    discussing.save()

    save(discussing, topic, Writer(participant=cy))

    assert summary_of(topic) == "We talked about trains."


def test_a_facilitator_of_the_meeting_writes_the_report(discussing, topic):
    lead = User.objects.create_user("lead", password="pw")
    Facilitator.objects.create(meeting=discussing, name="Lead", user=lead)

    save(discussing, topic, Writer(user=lead))

    assert summary_of(topic) == "We talked about trains."


def test_whoever_holds_the_pen_writes_the_report(discussing, topic):
    dag = Participant.objects.create(meeting=discussing, name="Dag")
    sign = reporting.signs_of(discussing)[0]

    reporting.take_pen(sign=sign, participant=dag)
    save(discussing, topic, Writer(participant=dag))

    assert summary_of(topic) == "We talked about trains."


def test_a_new_sign_takes_the_pen_back(discussing, topic):
    dag = Participant.objects.create(meeting=discussing, name="Dag")
    old = reporting.signs_of(discussing)[0]
    reporting.take_pen(sign=old, participant=dag)

    new = reporting.issue_new_sign(meeting=discussing, topic_id=topic.pk)

    assert new.secret != old.secret and not Pen.objects.exists()
    assert reporting.sign_for_secret(old.secret) is None
    with pytest.raises(ReportError, match="Only the topic's conveners"):
        save(discussing, topic, Writer(participant=dag))
    with pytest.raises(ReportError, match="replaced"):
        reporting.take_pen(sign=old, participant=dag)
    assert summary_of(topic) is None and not Pen.objects.exists()


def test_a_closed_meeting_issues_no_new_sign(discussing, topic):
    dag = Participant.objects.create(meeting=discussing, name="Dag")
    old = reporting.signs_of(discussing)[0]
    reporting.take_pen(sign=old, participant=dag)
    discussing.phase = Meeting.Phase.CLOSED
    discussing.save()

    with pytest.raises(ReportError, match="This meeting is closed"):
        reporting.issue_new_sign(meeting=discussing, topic_id=topic.pk)

    assert reporting.sign_for_secret(old.secret) == old and Pen.objects.filter(participant=dag)


@pytest.mark.parametrize(
    "who",
    ["another participant", "a participant of another meeting", "a stranger", "a coordinator"],
)
def test_others_may_not_write_the_report(discussing, topic, who):
    if who == "another participant":
        writer = Writer(participant=Participant.objects.create(meeting=discussing, name="Eve"))
    elif who == "a participant of another meeting":
        elsewhere = make_meeting(title="Elsewhere")
        writer = Writer(participant=Participant.objects.create(meeting=elsewhere, name="Eve"))
    elif who == "a stranger":
        writer = Writer(user=AnonymousUser())
    else:
        coordinator = User.objects.create_user("coordinator", password="pw")
        coordinator.user_permissions.add(Permission.objects.get(codename="view_meeting"))
        writer = Writer(user=coordinator)

    with pytest.raises(ReportError, match="Only the topic's conveners"):
        save(discussing, topic, writer)

    assert not Report.objects.exists()


def test_a_pen_of_another_meeting_is_refused(discussing, topic):
    elsewhere = make_meeting(title="Elsewhere")
    eve = Participant.objects.create(meeting=elsewhere, name="Eve")
    sign = reporting.signs_of(discussing)[0]

    with pytest.raises(ReportError, match="another meeting"):
        reporting.take_pen(sign=sign, participant=eve)

    assert not Pen.objects.exists()


@pytest.mark.parametrize("phase", [Meeting.Phase.OPENING, Meeting.Phase.AGENDA])
def test_reports_wait_for_the_discussions(discussing, topic, ann, phase):
    discussing.phase = phase
    discussing.save()

    with pytest.raises(ReportError, match="once the discussions have begun"):
        save(discussing, topic, Writer(participant=ann))

    assert not Report.objects.exists()


@pytest.mark.parametrize(
    "phase",
    [Meeting.Phase.VERNISSAGE, Meeting.Phase.ACTION_PLAN, Meeting.Phase.CLOSING],
)
def test_reports_are_written_until_the_meeting_closes(discussing, topic, ann, phase):
    discussing.phase = phase
    discussing.save()

    save(discussing, topic, Writer(participant=ann))

    assert summary_of(topic) == "We talked about trains."


def test_a_closed_meeting_takes_no_report(discussing, topic, ann):
    save(discussing, topic, Writer(participant=ann))
    discussing.phase = Meeting.Phase.CLOSED
    discussing.save()

    with pytest.raises(ReportError, match="closed"):
        save(discussing, topic, Writer(participant=ann), text="Changed", version=1)

    assert summary_of(topic) == "We talked about trains."


def test_an_unplaced_topic_has_no_report(discussing, ann):
    waiting = make_topic(discussing, title="Waiting", convener=ann)

    with pytest.raises(ReportError, match="not on this meeting's agenda"):
        save(discussing, waiting, Writer(participant=ann))

    assert not Report.objects.exists()


def test_two_people_saving_one_field_do_not_overwrite_each_other(discussing, topic, ann):
    bo = Participant.objects.create(meeting=discussing, name="Bo")
    topic.partner, topic.partner_signed = bo, True
    topic.save()
    save(discussing, topic, Writer(participant=ann), text="Ann's start", version=0)

    # Both opened the form at version 1; Ann saves first, then Bo.
    save(discussing, topic, Writer(participant=ann), text="Ann's text", version=1)
    with pytest.raises(ReportConflict) as refused:
        save(discussing, topic, Writer(participant=bo), text="Bo's text", version=1)

    assert refused.value.value == "Ann's text" and refused.value.version == 2
    assert summary_of(topic) == "Ann's text"
    # Bo merges both and saves on top of the version he now knows.
    save(discussing, topic, Writer(participant=bo), text="Ann's text\nBo's text", version=2)
    assert summary_of(topic) == "Ann's text\nBo's text"


def test_fields_keep_their_own_versions(discussing, topic, ann):
    writer = Writer(participant=ann)
    save(discussing, topic, writer, text="Summary")

    report = save(discussing, topic, writer, field="insights", text="One\n\n  Two  \n", version=0)

    assert report.insights == ["One", "Two"]
    assert report.versions == {"summary": 1, "insights": 1}


@pytest.mark.parametrize(
    ("field", "text", "message"),
    [
        ("summary", "x" * 10_001, "at most 10000 characters"),
        ("insights", "x" * 1001, "at most 50 lines of 1000 characters"),
        ("participants", "\n".join(f"P{n}" for n in range(101)), "at most 100 lines"),
        ("title", "A new title", "no such field"),
    ],
)
def test_a_field_too_long_or_unknown_is_refused_and_nothing_changes(
    discussing, topic, ann, field, text, message
):
    save(discussing, topic, Writer(participant=ann))

    with pytest.raises(DomainError, match=message):
        save(discussing, topic, Writer(participant=ann), field=field, text=text, version=0)

    report = Report.objects.get(topic=topic)
    assert report.summary == "We talked about trains." and report.insights == []
    assert report.versions == {"summary": 1}


def test_a_photo_from_a_phone_is_stored_upright_small_and_without_metadata(discussing, topic, ann):
    photo = reporting.add_photo(
        meeting=discussing,
        topic_id=topic.pk,
        writer=Writer(participant=ann),
        upload=upload(phone_photo()),
        caption="The sheet",
    )

    with Image.open(photo.image.path) as stored:
        assert max(stored.size) <= 2000 and stored.height > stored.width  # turned upright
        assert not stored.getexif() and "exif" not in stored.info
        assert stored.getpixel((stored.width // 2, 10))[0] > 200  # red on top
    assert photo.caption == "The sheet" and photo.report.topic == topic


@pytest.mark.parametrize(
    "data",
    [
        b"This is a text file, not a photo.",
        b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>",
        gif(),
        gif() + b"<script>alert(1)</script>",
        truncated("JPEG"),
        png_header_only(60_000, 60_000),
    ],
    ids=["not an image", "svg", "gif", "gif with a script", "truncated", "decompression bomb"],
)
def test_a_bad_upload_from_a_phone_is_refused_and_saves_nothing(
    discussing, topic, ann, settings, data
):
    before, files = row_counts(), media_files(settings)

    with pytest.raises(ReportError):
        reporting.add_photo(
            meeting=discussing,
            topic_id=topic.pk,
            writer=Writer(participant=ann),
            upload=upload(data),
        )

    assert row_counts() == before and media_files(settings) == files


def test_an_upload_over_20_mb_is_refused_without_reading_it_all(discussing, topic, ann):
    huge = upload(b"\xff\xd8" + b"0" * (20 * 1024 * 1024 + 10))

    with pytest.raises(ReportError, match="larger than 20 MB"):
        reporting.add_photo(
            meeting=discussing, topic_id=topic.pk, writer=Writer(participant=ann), upload=huge
        )

    assert not ReportPhoto.objects.exists()


def test_a_thirteenth_photo_is_refused(discussing, topic, ann):
    small = phone_photo(60, 30)
    for _ in range(12):
        reporting.add_photo(
            meeting=discussing,
            topic_id=topic.pk,
            writer=Writer(participant=ann),
            upload=upload(small),
        )

    with pytest.raises(ReportError, match="at most 12 photos"):
        reporting.add_photo(
            meeting=discussing,
            topic_id=topic.pk,
            writer=Writer(participant=ann),
            upload=upload(small),
        )

    assert ReportPhoto.objects.count() == 12


def test_a_caption_keeps_its_version_like_a_field(discussing, topic, ann):
    photo = reporting.add_photo(
        meeting=discussing,
        topic_id=topic.pk,
        writer=Writer(participant=ann),
        upload=upload(phone_photo(60, 30)),
    )
    writer = Writer(participant=ann)
    reporting.save_caption(
        meeting=discussing,
        topic_id=topic.pk,
        writer=writer,
        photo_id=photo.pk,
        typed="First",
        version=0,
    )

    with pytest.raises(ReportConflict):
        reporting.save_caption(
            meeting=discussing,
            topic_id=topic.pk,
            writer=writer,
            photo_id=photo.pk,
            typed="Other",
            version=0,
        )

    photo.refresh_from_db()
    assert (photo.caption, photo.caption_version) == ("First", 1)


def test_a_removed_photo_leaves_the_report_and_its_file_goes(
    discussing, topic, ann, settings, django_capture_on_commit_callbacks
):
    writer = Writer(participant=ann)
    photo = reporting.add_photo(
        meeting=discussing, topic_id=topic.pk, writer=writer, upload=upload(phone_photo(60, 30))
    )

    with django_capture_on_commit_callbacks(execute=True):
        reporting.remove_photo(
            meeting=discussing, topic_id=topic.pk, writer=writer, photo_id=photo.pk
        )

    assert not ReportPhoto.objects.exists() and media_files(settings) == []


def test_signs_are_issued_once_for_every_placed_topic_in_code_order(discussing, topic):
    make_topic(discussing, title="Ports", cell="A3")
    make_topic(discussing, title="Waiting")

    first = reporting.signs_of(discussing)
    again = reporting.signs_of(discussing)

    assert [sign.topic.code for sign in first] == ["A3", "B2"]
    assert [sign.secret for sign in again] == [sign.secret for sign in first]
    assert Sign.objects.count() == 2
