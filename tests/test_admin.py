"""Django admin covers every model, with a meeting's parts inline on its page."""

from __future__ import annotations

import pytest
from django.apps import apps
from django.contrib import admin
from django.contrib.auth.models import User
from django.urls import reverse

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
