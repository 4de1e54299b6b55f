"""Django admin covers every model, with a meeting's parts inline on its page."""

from __future__ import annotations

import pytest
from django.apps import apps
from django.contrib import admin
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation
from PIL import Image

from sessions_app import photos, realtime
from sessions_app.models import (
    Dot,
    Initiative,
    Interest,
    Meeting,
    Participant,
    Pen,
    Reflection,
    Report,
    ReportPhoto,
    Sign,
    Topic,
)

from .documents import media_files, row_counts
from .factories import make_meeting, make_topic
from .images import phone_photo


def upload(data: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile("IMG_0001.jpg", data, content_type="image/jpeg")


pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    client.force_login(User.objects.create_superuser("admin", password="pw"))
    return client


# Bookkeeping no one edits: the keys of phones' writes already saved (views/once.py).
NOT_IN_THE_ADMIN = {"sentwrite"}


def app_models() -> list:
    return [
        model
        for model in apps.get_app_config("sessions_app").get_models()
        if model._meta.model_name not in NOT_IN_THE_ADMIN
    ]


def test_admin_registers_every_model_of_the_app():
    assert set(app_models()) - set(admin.site._registry) == set()


def test_admin_lists_every_model_with_the_seed_loaded(admin_client, seed_meeting):
    for model in app_models():
        opts = model._meta
        response = admin_client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"))
        assert response.status_code == 200, opts.model_name
        assert str(opts.verbose_name_plural).lower() in response.content.decode().lower()


def test_admin_meeting_page_shows_slots_rooms_and_topics_inline(admin_client, seed_meeting):
    response = admin_client.get(
        reverse("admin:sessions_app_meeting_change", args=[seed_meeting.pk])
    )

    html = response.content.decode()
    assert "Hur kan vi accelerera omställning till hållbara arbetsmaskiner?" in html
    assert 'name="slots-0-starts"' in html
    assert 'name="rooms-2-code"' in html
    assert seed_meeting.join_code in html


def test_admin_shows_the_wall_fields_of_a_topic_read_only(admin_client, meeting):
    topic = make_topic(meeting, title="Freight", cell="A1")
    url = reverse("admin:sessions_app_topic_change", args=[topic.pk])

    response = admin_client.post(
        url,
        {
            "title": "Freight by rail",
            "description": "",
            "position": 0,
            "status": Topic.Status.RAISED,
            "slot": meeting.slots.get(number=2).pk,
            "room": meeting.rooms.get(code="C").pk,
        },
    )

    assert response.status_code == 302
    topic.refresh_from_db()
    assert topic.title == "Freight by rail"
    assert (topic.status, topic.code) == (Topic.Status.PLACED, "A1")
    html = admin_client.get(url).content.decode()
    assert 'name="slot"' not in html and 'name="status"' not in html


def test_admin_change_of_a_room_reaches_every_open_page(
    admin_client, meeting, sent, django_capture_on_commit_callbacks
):
    room = meeting.rooms.get(code="A")

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            reverse("admin:sessions_app_room_change", args=[room.pk]),
            {"meeting": meeting.pk, "code": "A", "name": "Stora salen", "position": 0},
        )

    assert response.status_code == 302
    shared = dict(sent)[realtime.meeting_group(meeting.pk)]
    assert "Stora salen" in shared and 'id="grid"' in shared


def test_admin_meeting_save_reaches_every_open_page(
    admin_client, seed_meeting, sent, django_capture_on_commit_callbacks
):
    url = reverse("admin:sessions_app_meeting_change", args=[seed_meeting.pk])
    form = admin_client.get(url).context["adminform"].form
    data = {
        key: value
        for key, value in form.initial.items()
        if value is not None and not isinstance(value, list)
    }
    data |= {"title": "Lärandeträff fyra", "purpose": "[]", "lookback": "[]"}
    for prefix in ("facilitators", "links", "slots", "rooms", "topics"):
        data |= {f"{prefix}-TOTAL_FORMS": 0, f"{prefix}-INITIAL_FORMS": 0}

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(url, data)

    assert response.status_code == 302, response.content.decode()[:2000]
    seed_meeting.refresh_from_db()
    assert seed_meeting.title == "Lärandeträff fyra"
    assert 'id="stage"' in dict(sent)[realtime.meeting_group(seed_meeting.pk)]


@pytest.mark.parametrize(
    "data",
    [b"GIF89a" + b"\x00" * 20 + b"<script>alert(1)</script>", b"not an image at all"],
    ids=["gif with a script", "not an image"],
)
def test_admin_refuses_a_bad_photo_and_saves_nothing(admin_client, meeting, settings, data):
    topic = make_topic(meeting, title="Freight", cell="A1")
    report = Report.objects.create(topic=topic, summary="Trains")
    before, files = row_counts(), media_files(settings)

    response = admin_client.post(
        reverse("admin:sessions_app_reportphoto_add"),
        {"report": report.pk, "caption": "", "position": 0, "image": upload(data)},
    )

    assert response.status_code == 200 and "errorlist" in response.content.decode()
    assert row_counts() == before and media_files(settings) == files


def test_admin_stores_a_photo_through_the_pipeline(admin_client, meeting):
    topic = make_topic(meeting, title="Freight", cell="A1")
    report = Report.objects.create(topic=topic, summary="Trains")

    response = admin_client.post(
        reverse("admin:sessions_app_reportphoto_add"),
        {"report": report.pk, "caption": "Sheet", "position": 0, "image": upload(phone_photo())},
    )

    assert response.status_code == 302
    photo = ReportPhoto.objects.get()
    with Image.open(photo.image.path) as stored:
        assert max(stored.size) <= 2000 and stored.height > stored.width
        assert not stored.getexif()


def test_admin_refuses_a_thirteenth_photo_on_a_report_page(admin_client, meeting):
    topic = make_topic(meeting, title="Freight", cell="A1")
    report = Report.objects.create(topic=topic, summary="Trains")
    small = phone_photo(60, 30)
    for _ in range(12):
        photos.save_report_photo(report, photos.clean_photo(small))
    url = reverse("admin:sessions_app_reportphoto_add")

    response = admin_client.post(
        url,
        {"report": report.pk, "caption": "", "position": 0, "image": upload(small)},
        HTTP_ACCEPT_LANGUAGE="en",
    )

    assert response.status_code == 200 and "at most 12 photos" in response.content.decode()
    assert ReportPhoto.objects.count() == 12


def test_admin_leaves_the_phase_and_the_spotlight_to_the_projector(admin_client, meeting):
    url = reverse("admin:sessions_app_meeting_change", args=[meeting.pk])

    html = admin_client.get(url).content.decode()

    assert 'name="phase"' not in html and 'name="spotlight"' not in html


def test_admin_change_of_an_initiative_reaches_every_open_page(
    admin_client, meeting, sent, django_capture_on_commit_callbacks
):
    meeting.phase = Meeting.Phase.ACTION_PLAN
    meeting.save()
    initiative = Initiative.objects.create(meeting=meeting, who="Lina", what="Cykla", levels="F")
    url = reverse("admin:sessions_app_initiative_change", args=[initiative.pk])
    data = {
        "meeting": meeting.pk,
        "who": "Lina, INAB",
        "what": "Cykla till jobbet",
        "levels": "FG",
        "when": "Augusti",
        "status": "open",
        "position": 0,
        "members-TOTAL_FORMS": 0,
        "members-INITIAL_FORMS": 0,
    }

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(url, data)

    assert response.status_code == 302, response.content.decode()[:2000]
    initiative.refresh_from_db()
    assert initiative.what == "Cykla till jobbet"
    assert "Cykla till jobbet" in dict(sent)[realtime.meeting_group(meeting.pk)]


def test_admin_deleting_a_reflection_reaches_every_open_page(
    admin_client, meeting, sent, django_capture_on_commit_callbacks
):
    reflection = Reflection.objects.create(meeting=meeting, text="Tack för i dag")
    url = reverse("admin:sessions_app_reflection_delete", args=[reflection.pk])

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(url, {"post": "yes"})

    assert response.status_code == 302
    assert not Reflection.objects.filter(pk=reflection.pk).exists()
    assert realtime.meeting_group(meeting.pk) in dict(sent)


def test_admin_deleting_reflections_together_tells_their_meeting_once(
    admin_client, meeting, sent, django_capture_on_commit_callbacks
):
    rows = [Reflection.objects.create(meeting=meeting, text=f"Tanke {n}") for n in range(3)]
    url = reverse("admin:sessions_app_reflection_changelist")
    chosen = {"action": "delete_selected", "post": "yes", "_selected_action": [r.pk for r in rows]}

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(url, chosen)

    assert response.status_code == 302
    assert not Reflection.objects.exists()
    to_all = [group for group, _ in sent if group == realtime.meeting_group(meeting.pk)]
    assert len(to_all) == 1


def test_admin_never_shows_who_wrote_an_anonymous_reflection(admin_client, meeting):
    author = Participant.objects.create(meeting=meeting, name="Hemliga Hedvig")
    reflection = Reflection.objects.create(
        meeting=meeting, text="Det var för långt", participant=author, anonymous=True
    )

    pages = [
        admin_client.get(reverse("admin:sessions_app_reflection_changelist")),
        admin_client.get(reverse("admin:sessions_app_reflection_change", args=[reflection.pk])),
    ]

    for page in pages:
        html = page.content.decode()
        assert "Det var för långt" in html
        assert "Hemliga Hedvig" not in html


def test_admin_only_reads_what_the_live_meeting_makes(admin_client, meeting):
    topic = make_topic(meeting, title="Cykelparkering", cell="A1")
    participant = Participant.objects.create(meeting=meeting, name="Ada")
    dot = Dot.objects.create(topic=topic, participant=participant)
    sign = Sign.objects.create(topic=topic)
    change = reverse("admin:sessions_app_dot_change", args=[dot.pk])

    page = admin_client.get(change).content.decode()
    refused = admin_client.post(
        reverse("admin:sessions_app_dot_delete", args=[dot.pk]), {"post": "yes"}
    )
    sign_page = admin_client.get(reverse("admin:sessions_app_sign_change", args=[sign.pk]))

    assert "Ada" in page and 'name="_save"' not in page
    assert refused.status_code == 403
    assert Dot.objects.filter(pk=dot.pk).exists()
    assert sign.secret not in sign_page.content.decode()


def test_admin_saves_a_report_with_its_photos_and_logs_it(admin_client, meeting):
    topic = make_topic(meeting, title="Freight", cell="A1")
    report = Report.objects.create(topic=topic, summary="Trains")
    kept = photos.save_report_photo(report, photos.clean_photo(phone_photo(60, 30)))
    gone = photos.save_report_photo(report, photos.clean_photo(phone_photo(60, 30)))
    photo = {"report": report.pk, "position": 0}
    data = {
        "topic": topic.pk,
        "participants": "[]",
        "summary": "Trains, and ports",
        "insights": "[]",
        "next_steps": "[]",
        "photos-TOTAL_FORMS": 3,
        "photos-INITIAL_FORMS": 2,
        **{f"photos-0-{key}": value for key, value in photo.items()},
        "photos-0-id": kept.pk,
        "photos-0-caption": "The sheet",
        **{f"photos-1-{key}": value for key, value in photo.items()},
        "photos-1-id": gone.pk,
        "photos-1-DELETE": "on",
        "photos-2-image": upload(phone_photo(60, 30)),
        "photos-2-caption": "Its back",
        "photos-2-position": 2,
    }

    response = admin_client.post(
        reverse("admin:sessions_app_report_change", args=[report.pk]), data
    )

    assert response.status_code == 302
    report.refresh_from_db()
    assert report.summary == "Trains, and ports"
    assert list(report.photos.values_list("caption", flat=True)) == ["The sheet", "Its back"]
    with translation.override("en"):
        message = LogEntry.objects.get(object_id=str(report.pk)).get_change_message()
    assert "Added report photo “Its back”" in message and "Deleted report photo" in message


def test_admin_deletes_a_topic_with_its_marks_though_a_mark_alone_is_not_deleted(
    admin_client, meeting
):
    topic = make_topic(meeting, title="Freight", cell="A1")
    ann = Participant.objects.create(meeting=meeting, name="Ann")
    Report.objects.create(topic=topic, summary="Trains")
    dot = Dot.objects.create(topic=topic, participant=ann)
    Sign.objects.create(topic=topic)

    refused = admin_client.post(
        reverse("admin:sessions_app_dot_delete", args=[dot.pk]), {"post": "yes"}
    )
    response = admin_client.post(
        reverse("admin:sessions_app_topic_delete", args=[topic.pk]), {"post": "yes"}
    )

    assert refused.status_code == 403
    assert response.status_code == 302
    assert not Topic.objects.exists() and not Dot.objects.exists() and not Sign.objects.exists()


def test_admin_deletes_a_meeting_whose_phones_marked_its_topics(admin_client, meeting):
    topic = make_topic(meeting, title="Freight", cell="A1")
    ann = Participant.objects.create(meeting=meeting, name="Ann")
    Interest.objects.create(topic=topic, participant=ann)
    Pen.objects.create(topic=topic, participant=ann)

    response = admin_client.post(
        reverse("admin:sessions_app_meeting_delete", args=[meeting.pk]), {"post": "yes"}
    )

    assert response.status_code == 302
    assert not Meeting.objects.exists() and not Interest.objects.exists()


def test_a_slot_or_room_stays_with_its_meeting_in_the_admin(admin_client, meeting):
    other = make_meeting(title="Another meeting")
    room = meeting.rooms.get(code="A")
    url = reverse("admin:sessions_app_room_change", args=[room.pk])

    page = admin_client.get(url).content.decode()
    response = admin_client.post(
        url, {"meeting": other.pk, "code": "A", "name": "Stora salen", "position": 0}
    )

    assert 'name="meeting"' not in page
    assert response.status_code == 302
    room.refresh_from_db()
    assert room.meeting_id == meeting.pk and room.name == "Stora salen"
    # A new one is still given its meeting.
    add = admin_client.get(reverse("admin:sessions_app_slot_add")).content.decode()
    assert 'name="meeting"' in add
