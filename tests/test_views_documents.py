"""Who may download a meeting's documentation, action plan and agenda, and when."""

from __future__ import annotations

import asyncio
import csv
import io
import re
import threading
from urllib.parse import quote

import pytest
from channels.db import database_sync_to_async
from channels.testing import HttpCommunicator, WebsocketCommunicator
from django.contrib.auth.models import Group, User
from django.urls import reverse
from pypdf import PdfReader

from sessions_app import facilitation, pdf
from sessions_app.interchange import Bundle, import_document
from sessions_app.models import Facilitator, Meeting, Participant
from sessions_app.permissions import can_facilitate, can_read
from sessions_app.signals import COORDINATORS_GROUP

from .factories import joined
from .test_consumers import (
    _close_worker_connections,  # noqa: F401 (closes the worker's connections)
    participant_cookie,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def coordinator(db) -> User:
    user = User.objects.create_user("kristina", password="not-secret-at-all")
    user.groups.add(Group.objects.get(name=COORDINATORS_GROUP))
    return user


@pytest.fixture
def stranger(db) -> User:
    return User.objects.create_user("sven", password="not-secret-at-all")


def first_page_text(content: bytes) -> str:
    return PdfReader(io.BytesIO(content)).pages[0].extract_text()


def close(meeting: Meeting) -> None:
    meeting.phase = Meeting.Phase.CLOSED
    meeting.save(update_fields=["phase"])


def took_part(client, meeting: Meeting, name: str = "Ann"):
    """The client is the phone of someone who joined the meeting."""
    participant = Participant.objects.create(meeting=meeting, name=name)
    return joined(client, participant)


def test_documentation_pdf_downloads_for_a_coordinator_before_closing(
    client, seed_meeting, coordinator
):
    client.force_login(coordinator)

    response = client.get(reverse("documentation_pdf", args=[seed_meeting.pk]))

    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'attachment; filename="larandetraff-4.pdf"'
    assert "Lärandeträff 4" in first_page_text(response.content)


def test_coordinator_reads_every_meeting_but_changes_none(seed_meeting, coordinator):
    assert can_read(coordinator, seed_meeting)
    assert not can_facilitate(coordinator, seed_meeting)
    assert not coordinator.has_perm("sessions_app.change_meeting")
    assert not coordinator.has_perm("sessions_app.change_report")


def test_documentation_pdf_downloads_for_the_meetings_facilitator(client, seed_meeting, stranger):
    Facilitator.objects.filter(meeting=seed_meeting, name="Ellen Grahn").update(user=stranger)
    client.force_login(stranger)

    response = client.get(reverse("documentation_pdf", args=[seed_meeting.pk]))

    assert "Lärandeträff 4" in first_page_text(response.content)


def page_text(response) -> str:
    """The visible text of an HTML response, whitespace collapsed."""
    return " ".join(re.sub(r"<[^>]+>", " ", response.content.decode()).split())


WAIT_SV = "Dokumentationen kan laddas ner här när träffen är avslutad."
WAIT_EN = "The documentation can be downloaded here once the meeting is closed."


def test_documentation_pdf_tells_a_participant_it_comes_when_the_meeting_closes(
    client, seed_meeting
):
    url = reverse("documentation_pdf", args=[seed_meeting.pk])

    response = client.get(url)

    text = page_text(response)
    assert response.status_code == 403
    assert not response.content.startswith(b"%PDF")
    assert '<html lang="sv">' in response.content.decode()
    assert "Lärandeträff 4 Dokumentation (PDF)" in text
    assert WAIT_SV in text
    assert "Tillbaka till träffen" in text
    assert (
        f'href="{reverse("meeting_detail", args=[seed_meeting.pk])}"' in response.content.decode()
    )
    assert "Leder du den här träffen? Logga in och ladda ner den nu" in text
    assert f'href="{reverse("login")}?next={quote(url)}"' in response.content.decode()


def test_documentation_pdf_says_so_in_english_for_an_english_meeting(client, meeting):
    response = client.get(reverse("documentation_pdf", args=[meeting.pk]))

    text = page_text(response)
    assert "Test meeting Documentation (PDF)" in text
    assert WAIT_EN in text
    assert "Back to the meeting" in text
    assert "Facilitating this meeting? Log in to download it now" in text
    assert WAIT_SV not in text


def test_documentation_pdf_tells_a_user_without_rights_the_same(client, seed_meeting, stranger):
    client.force_login(stranger)

    response = client.get(reverse("documentation_pdf", args=[seed_meeting.pk]))

    text = page_text(response)
    assert response.status_code == 403
    assert WAIT_SV in text
    assert "Tillbaka till träffen" in text
    assert "Logga in och ladda ner den nu" not in text
    assert not response.content.startswith(b"%PDF")


@pytest.mark.parametrize(
    ("name", "heading"),
    [
        ("action_plan_csv", "Handlingsplan (CSV, kommaseparerad)"),
        ("action_plan_excel_csv", "Handlingsplan (CSV för Excel)"),
    ],
)
def test_action_plan_waits_for_closing_and_says_so(client, seed_meeting, name, heading):
    url = reverse(name, args=[seed_meeting.pk])

    response = client.get(url)

    text = page_text(response)
    assert response.status_code == 403
    assert heading in text
    assert WAIT_SV in text
    assert "Vem är med?" not in text
    assert f"?next={quote(url)}" in response.content.decode()


def test_documentation_pdf_downloads_for_those_who_took_part_once_closed(client, seed_meeting):
    close(seed_meeting)

    response = took_part(client, seed_meeting).get(
        reverse("documentation_pdf", args=[seed_meeting.pk])
    )

    assert response.content.startswith(b"%PDF")
    assert "Lärandeträff 4" in first_page_text(response.content)


def test_documentation_pdf_of_a_missing_meeting_is_not_found(client, coordinator):
    client.force_login(coordinator)

    response = client.get(reverse("documentation_pdf", args=[9999]))

    assert response.status_code == 404
    assert not response.content.startswith(b"%PDF")


def test_documentation_pdf_refuses_a_post(client, seed_meeting, coordinator):
    client.force_login(coordinator)

    response = client.post(reverse("documentation_pdf", args=[seed_meeting.pk]))

    assert response.status_code == 405
    assert response["Allow"] == "GET"


def test_action_plan_csv_downloads_once_closed_with_a_bom(client, seed_meeting):
    close(seed_meeting)

    response = took_part(client, seed_meeting).get(
        reverse("action_plan_csv", args=[seed_meeting.pk])
    )

    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response.content.startswith("\ufeffVem,Vad,Nivå,När,Vem är med?".encode())


def test_action_plan_for_excel_downloads_once_closed_split_by_semicolons(client, seed_meeting):
    close(seed_meeting)

    response = took_part(client, seed_meeting).get(
        reverse("action_plan_excel_csv", args=[seed_meeting.pk])
    )

    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == (
        'attachment; filename="larandetraff-4-action-plan-excel.csv"'
    )
    assert response.content.startswith("\ufeffVem;Vad;Nivå;När;Vem är med?\r\n".encode())
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    assert rows[3][4] == "RISE; Anki W, INAB"


def test_agenda_ics_downloads_for_anyone_like_the_meeting_page(client, seed_meeting):
    response = client.get(reverse("agenda_ics", args=[seed_meeting.pk]))

    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert response.content.count(b"BEGIN:VEVENT") == 8


def test_meeting_page_offers_every_download_to_a_coordinator(client, seed_meeting, coordinator):
    client.force_login(coordinator)

    page = client.get(reverse("meeting_detail", args=[seed_meeting.pk])).content.decode()

    assert reverse("documentation_pdf", args=[seed_meeting.pk]) in page
    assert reverse("action_plan_csv", args=[seed_meeting.pk]) in page
    assert reverse("action_plan_excel_csv", args=[seed_meeting.pk]) in page
    assert reverse("agenda_ics", args=[seed_meeting.pk]) in page


def test_meeting_page_offers_the_action_plan_for_excel_and_comma_separated(client, seed_meeting):
    close(seed_meeting)

    response = took_part(client, seed_meeting).get(
        reverse("meeting_detail", args=[seed_meeting.pk])
    )

    page = response.content.decode()
    excel = reverse("action_plan_excel_csv", args=[seed_meeting.pk])
    comma = reverse("action_plan_csv", args=[seed_meeting.pk])
    assert f'<a href="{excel}">Handlingsplan (CSV för Excel)</a>' in page
    assert f'<a href="{comma}">Handlingsplan (CSV, kommaseparerad)</a>' in page


def test_meeting_page_offers_participants_the_documentation_only_once_closed(client, seed_meeting):
    pdf_url = reverse("documentation_pdf", args=[seed_meeting.pk])
    took_part(client, seed_meeting)

    running = client.get(reverse("meeting_detail", args=[seed_meeting.pk])).content.decode()
    close(seed_meeting)
    closed = client.get(reverse("meeting_detail", args=[seed_meeting.pk])).content.decode()

    assert pdf_url not in running
    assert "Dokumentationen kan laddas ner här när träffen är avslutad." in running
    assert pdf_url in closed


@pytest.mark.parametrize("published", [True, False])
def test_the_closed_projector_s_qr_code_leads_a_new_phone_to_the_documents(
    client, seed_meeting, published
):
    close(seed_meeting)
    Meeting.objects.filter(pk=seed_meeting.pk).update(documents_public=published)
    people = Participant.objects.count()

    scanned = client.get(reverse("join_code", args=[seed_meeting.join_code]), follow=True)

    page = scanned.content.decode()
    assert scanned.redirect_chain[-1][0] == reverse("meeting_detail", args=[seed_meeting.pk])
    assert "Ditt namn" not in page  # no name form: a closed meeting takes no one in
    pdf_url = reverse("documentation_pdf", args=[seed_meeting.pk])
    if published:
        assert pdf_url in page
    else:
        assert pdf_url not in page and "Fråga processledarna" in page
    assert Participant.objects.count() == people


def test_a_phone_that_took_part_scans_the_closed_qr_code_to_its_own_page(client, seed_meeting):
    took_part(client, seed_meeting)
    close(seed_meeting)

    scanned = client.get(reverse("join_code", args=[seed_meeting.join_code]))

    assert scanned["Location"] == reverse("phone", args=[seed_meeting.pk])


@pytest.mark.django_db(transaction=True)
async def test_documentation_pdf_renders_while_the_meetings_sockets_stay_live(
    seed_document, monkeypatch
):
    from openspace.asgi import application

    meeting = await database_sync_to_async(import_document)(Bundle(document=seed_document))
    meeting.phase = Meeting.Phase.CLOSED
    await database_sync_to_async(meeting.save)(update_fields=["phase"])
    phone = await database_sync_to_async(Participant.objects.create)(meeting=meeting, name="Ann")
    cookie = await database_sync_to_async(participant_cookie)(phone)
    started, release = threading.Event(), threading.Event()

    def blocked_render(meeting, **kwargs):
        started.set()
        release.wait(10)
        return b"%PDF-1.7 made while the socket was served"

    monkeypatch.setattr(pdf, "render_proceedings", blocked_render)
    download = HttpCommunicator(
        application,
        "GET",
        reverse("documentation_pdf", args=[meeting.pk]),
        headers=[(b"host", b"testserver"), (b"cookie", cookie)],
    )
    response_task = asyncio.ensure_future(download.get_response(timeout=15))
    while not started.is_set() and not response_task.done():
        await asyncio.sleep(0.01)
    assert started.is_set(), (await response_task)["body"][:300]

    # The render is now stuck in its thread; the event loop still serves a new socket.
    socket = WebsocketCommunicator(
        application,
        f"/ws/meetings/{meeting.pk}/",
        headers=[(b"origin", b"http://testserver"), (b"cookie", cookie)],
    )
    try:
        connected, _ = await socket.connect(timeout=5)
        state = await socket.receive_from(timeout=5)
        assert connected
        assert state  # the meeting's state on connect, whatever the consumer sends first
        assert not response_task.done()
    finally:
        release.set()
        response = await response_task
        await socket.disconnect()
    assert response["body"] == b"%PDF-1.7 made while the socket was served"


@pytest.mark.parametrize(
    ("visitor", "published", "allowed"),
    [
        ("took part", False, True),
        ("took part", True, True),
        ("took part in another meeting", False, False),
        ("took part in another meeting", True, True),
        ("anonymous", False, False),
        ("anonymous", True, True),
        ("logged in, no rights", False, False),
    ],
)
def test_who_downloads_a_closed_meetings_documents(
    client, seed_meeting, stranger, visitor, published, allowed
):
    close(seed_meeting)
    Meeting.objects.filter(pk=seed_meeting.pk).update(documents_public=published)
    if visitor == "took part":
        took_part(client, seed_meeting)
    elif visitor == "took part in another meeting":
        took_part(client, Meeting.objects.create(title="Elsewhere"))
    elif visitor == "logged in, no rights":
        client.force_login(stranger)

    pdf_response = client.get(reverse("documentation_pdf", args=[seed_meeting.pk]))
    csv_response = client.get(reverse("action_plan_csv", args=[seed_meeting.pk]))

    assert pdf_response.content.startswith(b"%PDF") is allowed
    assert (csv_response.status_code == 200) is allowed
    if not allowed:
        assert pdf_response.status_code == 403
        assert "för dem som var med" in pdf_response.content.decode()


def test_a_facilitator_publishes_the_documents_from_the_meeting_page(client, seed_meeting):
    user = User.objects.create_user("lead", password="pw")
    Facilitator.objects.create(meeting=seed_meeting, name="Lead", user=user)
    client.force_login(user)

    client.post(reverse("publish", args=[seed_meeting.pk]), {"public": "on"})
    seed_meeting.refresh_from_db()
    published = seed_meeting.documents_public
    client.post(reverse("publish", args=[seed_meeting.pk]), {})
    seed_meeting.refresh_from_db()

    assert published is True and seed_meeting.documents_public is False


def test_closing_renders_the_documentation_into_the_cache_ahead(
    seed_meeting, django_capture_on_commit_callbacks, monkeypatch
):
    asked = []
    monkeypatch.setattr(pdf, "render_in_background", asked.append)
    seed_meeting.phase = Meeting.Phase.CLOSING
    seed_meeting.save()

    with django_capture_on_commit_callbacks(execute=True):
        facilitation.set_phase(meeting=seed_meeting, phase=Meeting.Phase.CLOSED)
    assert asked == [seed_meeting.pk]
    # What the background worker runs, run here: in tests the database is this thread's.
    pdf.render_ahead(seed_meeting.pk)

    seed_meeting.refresh_from_db()
    cached = pdf._cache_dir() / f"{pdf.cache_key(seed_meeting)}.pdf"
    assert cached.is_file() and cached.read_bytes().startswith(b"%PDF")
