"""The report form on phones and for facilitators, signs and their QR link, dots, full screen."""

from __future__ import annotations

import io
import json

import pytest
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from pypdf import PdfReader

from sessions_app import reporting
from sessions_app.models import Dot, Facilitator, Meeting, Participant, Pen, Report, ReportPhoto

from .factories import joined, make_meeting, make_topic
from .images import phone_photo

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


def join(client, participant):
    return joined(client, participant)


@pytest.fixture
def phone(client, ann):
    return join(client, ann)


@pytest.fixture
def lead(client, discussing):
    user = User.objects.create_user("lead", password="pw")
    Facilitator.objects.create(meeting=discussing, name="Lead", user=user)
    client.force_login(user)
    return client


def report_url(meeting, topic, *rest):
    names = {
        (): "phone_report",
        ("field",): "phone_report_field",
        ("photos",): "phone_report_photos",
    }
    return reverse(names[rest], args=[meeting.pk, topic.pk])


def test_the_form_shows_each_field_with_its_version(phone, discussing, topic):
    Report.objects.create(topic=topic, summary="So far", versions={"summary": 3})

    html = phone.get(report_url(discussing, topic)).content.decode()

    assert "Freight" in html and "B2" in html and ">So far</textarea>" in html
    assert 'name="summary-version" value="3"' in html
    assert 'capture="environment"' in html and 'accept="image/jpeg,image/png,image/webp"' in html


def test_a_field_saved_as_typed_answers_its_new_version(phone, discussing, topic):
    response = phone.post(
        report_url(discussing, topic, "field"),
        {"field": "summary", "text": "Trains and ports", "version": "0"},
    )

    assert response.status_code == 200 and response.json()["version"] == 1
    assert Report.objects.get(topic=topic).summary == "Trains and ports"


def test_a_stale_save_answers_with_the_newer_text_and_changes_nothing(
    phone, client, discussing, topic
):
    Report.objects.create(topic=topic, summary="Bo's text", versions={"summary": 2})

    response = phone.post(
        report_url(discussing, topic, "field"),
        {"field": "summary", "text": "Ann's text", "version": "1"},
    )

    assert response.status_code == 409
    assert response.json()["theirs"] == "Bo's text" and response.json()["version"] == 2
    assert Report.objects.get(topic=topic).summary == "Bo's text"


@pytest.mark.parametrize("version", ["", "x", "¹", "٣", "9" * 40, "-1"])
def test_a_save_with_a_version_that_is_no_number_changes_nothing(phone, discussing, topic, version):
    Report.objects.create(topic=topic, summary="Kept", versions={"summary": 3})

    response = phone.post(
        report_url(discussing, topic, "field"),
        {"field": "summary", "text": "Lost?", "version": version},
    )

    assert response.status_code == 409
    assert Report.objects.get(topic=topic).summary == "Kept"


def test_without_javascript_the_form_saves_what_changed_and_shows_a_conflict_beside(
    phone, discussing, topic
):
    Report.objects.create(topic=topic, summary="Bo's text", versions={"summary": 2})

    response = phone.post(
        report_url(discussing, topic),
        {
            "summary": "Ann's text",
            "summary-version": "1",
            "insights": "Rail\nPorts",
            "insights-version": "0",
        },
    )

    html = response.content.decode()
    assert response.status_code == 409
    assert ">Ann&#x27;s text</textarea>" in html
    assert '<pre class="theirs">Bo&#x27;s text</pre>' in html
    report = Report.objects.get(topic=topic)
    assert report.summary == "Bo's text" and report.insights == ["Rail", "Ports"]


def test_someone_else_on_the_phone_is_refused_the_form(client, discussing, topic):
    eve = Participant.objects.create(meeting=discussing, name="Eve")

    response = join(client, eve).get(report_url(discussing, topic))
    saved = client.post(
        report_url(discussing, topic, "field"), {"field": "summary", "text": "x", "version": "0"}
    )

    assert response.status_code == 403 and "Only the topic" in response.content.decode()
    assert saved.status_code == 422 and not Report.objects.exists()


def test_a_photo_taken_on_the_phone_joins_the_report(phone, discussing, topic):
    response = phone.post(
        report_url(discussing, topic, "photos"),
        {
            "photo": SimpleUploadedFile("IMG_0001.jpg", phone_photo(), "image/jpeg"),
            "caption": "Sheet",
        },
    )

    assert response.status_code == 302 and response["Location"].endswith("#photos")
    photo = ReportPhoto.objects.get()
    assert photo.caption == "Sheet" and "IMG_0001" not in photo.image.name
    assert max(photo.width, photo.height) <= 2000


def test_a_file_that_is_no_photo_is_refused_on_the_form(phone, discussing, topic):
    response = phone.post(
        report_url(discussing, topic, "photos"),
        {"photo": SimpleUploadedFile("x.jpg", b"not a photo", "image/jpeg")},
    )

    assert response.status_code == 422 and "not a photo" in response.content.decode()
    assert not ReportPhoto.objects.exists()


def test_a_facilitator_writes_any_report_from_the_overview(lead, discussing, topic):
    overview = lead.get(reverse("reports_overview", args=[discussing.pk])).content.decode()
    url = reverse("report_edit_field", args=[discussing.pk, topic.pk])

    response = lead.post(url, {"field": "next_steps", "text": "Meet again", "version": "0"})

    assert "B2" in overview and reverse("report_edit", args=[discussing.pk, topic.pk]) in overview
    assert response.status_code == 200
    assert Report.objects.get(topic=topic).next_steps == ["Meet again"]


def test_the_signs_print_as_one_pdf_a_page_a_topic(lead, discussing, topic):
    make_topic(discussing, title="Ports by the sea", cell="A1")

    response = lead.get(reverse("signs_pdf", args=[discussing.pk]))

    assert response["Content-Type"] == "application/pdf"
    assert response["Cache-Control"] == "no-store"
    pages = PdfReader(io.BytesIO(response.content)).pages
    assert len(pages) == 2
    text = [" ".join(page.extract_text().split()) for page in pages]
    assert "A1" in text[0] and "Ports by the sea" in text[0]
    assert "B2" in text[1] and "Freight" in text[1] and "Ann, INAB" in text[1]


def test_the_signs_are_for_facilitators_only(phone, discussing, topic):
    response = phone.get(reverse("signs_pdf", args=[discussing.pk]))

    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_a_signs_link_gives_a_joined_phone_the_pen_and_hides_the_secret(client, discussing, topic):
    dag = Participant.objects.create(meeting=discussing, name="Dag")
    sign = reporting.signs_of(discussing)[0]

    response = join(client, dag).get(reverse("sign", args=[sign.secret]))

    assert response.status_code == 302
    assert response["Location"] == report_url(discussing, topic)
    assert sign.secret not in response["Location"]
    assert response["Referrer-Policy"] == "no-referrer" and response["Cache-Control"] == "no-store"
    assert Pen.objects.filter(topic=topic, participant=dag).exists()
    assert client.get(response["Location"]).status_code == 200


def test_a_signs_link_lets_a_new_phone_join_first_then_writes(client, discussing, topic):
    sign = reporting.signs_of(discussing)[0]

    first = client.get(reverse("sign", args=[sign.secret]))
    joined = client.post(first["Location"], {"name": "Dag", "organization": "RISE"})

    assert first["Location"] == reverse("join_code", args=[discussing.join_code])
    assert sign.secret not in first["Location"]
    dag = Participant.objects.get(name="Dag")
    assert joined.status_code == 302 and joined["Location"] == report_url(discussing, topic)
    assert Pen.objects.filter(topic=topic, participant=dag).exists()


def test_a_replaced_signs_link_says_so_and_gives_nothing(client, discussing, topic, ann):
    old = reporting.signs_of(discussing)[0]
    reporting.issue_new_sign(meeting=discussing, topic_id=topic.pk)

    response = join(client, ann).get(reverse("sign", args=[old.secret]))

    assert response.status_code == 404 and "fungerar inte längre" in response.content.decode()
    assert not Pen.objects.exists()


def test_a_new_sign_is_issued_from_the_overview(lead, discussing, topic):
    old = reporting.signs_of(discussing)[0]

    response = lead.post(reverse("new_sign", args=[discussing.pk, topic.pk]))

    assert response.status_code == 302
    assert reporting.sign_for_secret(old.secret) is None
    assert topic.sign.secret != old.secret


def test_a_dot_tap_gives_then_takes_back(client, discussing, topic):
    discussing.phase = Meeting.Phase.VERNISSAGE
    discussing.save()
    Report.objects.create(topic=topic, summary="Written")
    bo = Participant.objects.create(meeting=discussing, name="Bo")
    url = reverse("phone_dot", args=[discussing.pk, topic.pk])
    join(client, bo)

    given = client.post(url, HTTP_HX_REQUEST="true").content.decode()
    assert f'data-dots="{topic.pk}"' in given and Dot.objects.count() == 1
    taken = client.post(url, HTTP_HX_REQUEST="true").content.decode()
    assert 'data-dots=""' in taken and not Dot.objects.exists()


def test_a_refused_dot_says_why(phone, discussing, topic):
    discussing.phase = Meeting.Phase.VERNISSAGE
    discussing.save()
    Report.objects.create(topic=topic, summary="Written")

    response = phone.post(
        reverse("phone_dot", args=[discussing.pk, topic.pk]), HTTP_HX_REQUEST="true"
    )

    assert response.status_code == 422 and "not your own" in response.content.decode()
    assert not Dot.objects.exists()


def test_people_are_found_by_name_for_the_participants_field(phone, discussing, ann):
    Participant.objects.create(meeting=discussing, name="Annika Myren")
    Participant.objects.create(meeting=make_meeting(title="Other"), name="Anna Elsewhere")

    html = phone.get(reverse("people_search", args=[discussing.pk]), {"q": "ann"}).content.decode()

    assert '<option value="Ann">' in html and '<option value="Annika Myren">' in html
    assert "Elsewhere" not in html


def test_people_search_is_for_the_meetings_own(client, discussing, ann):
    response = client.get(reverse("people_search", args=[discussing.pk]), {"q": "ann"})

    assert response.status_code == 403 and b"Ann" not in response.content


def test_the_full_screen_button_is_for_facilitators(phone, lead, discussing, topic):
    discussing.phase = Meeting.Phase.VERNISSAGE
    discussing.save()
    Report.objects.create(topic=topic, summary="Written")

    response = lead.post(reverse("spotlight", args=[discussing.pk]), {"topic": str(topic.pk)})

    discussing.refresh_from_db()
    assert response.status_code == 302 and discussing.spotlight_id == topic.pk


def test_topics_are_proposed_only_at_the_opening_and_while_the_agenda_is_made(phone, discussing):
    response = phone.post(
        reverse("phone_topic_create", args=[discussing.pk]),
        {"title": "Late idea"},
        HTTP_HX_REQUEST="true",
    )

    assert response.status_code == 422 and "Topics are proposed" in response.content.decode()
    assert not discussing.topics.filter(title="Late idea").exists()


def test_json_answers_carry_no_html(phone, discussing, topic):
    response = phone.post(
        report_url(discussing, topic, "field"),
        {"field": "summary", "text": "<script>x</script>", "version": "0"},
    )

    assert json.loads(response.content)["version"] == 1
    assert Report.objects.get(topic=topic).summary == "<script>x</script>"
