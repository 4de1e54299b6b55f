"""Django admin covers every model, with a meeting's parts inline on its page."""

from __future__ import annotations

import pytest
from django.apps import apps
from django.contrib import admin
from django.contrib.auth.models import User
from django.urls import reverse

from sessions_app import realtime
from sessions_app.models import Topic

from .factories import make_topic

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    client.force_login(User.objects.create_superuser("admin", password="pw"))
    return client


def test_admin_registers_every_model_of_the_app():
    models = set(apps.get_app_config("sessions_app").get_models())

    assert models - set(admin.site._registry) == set()


def test_admin_lists_every_model_with_the_seed_loaded(admin_client, seed_meeting):
    for model in apps.get_app_config("sessions_app").get_models():
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
