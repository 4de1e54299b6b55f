from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.core.management.base import BaseCommand
from django.db import transaction

from sessions_app.interchange import import_path, read_bundle
from sessions_app.models import Meeting, Series

DEMO_FILE = Path(__file__).resolve().parents[2] / "demo" / "larandetraff-4.json"
DEMO_USERNAME = "facilitator"
DEMO_PASSWORD = "open-space-demo"  # noqa: S105 - development only, never created without DEBUG


class Command(BaseCommand):
    help = (
        "Load the seed meeting (Lärandeträff 4) and stubs of its series' earlier meetings; "
        "with DEBUG, also a demo facilitator login. Running it again changes nothing."
    )

    @transaction.atomic
    def handle(self, *args, **options) -> None:
        document = read_bundle(DEMO_FILE).document
        series_data, meeting_data = document["series"], document["meeting"]
        existing = Meeting.objects.filter(
            series__title=series_data["title"],
            series__organizer=series_data["organizer"],
            number=meeting_data["number"],
        ).first()
        if existing is None:
            meeting = import_path(DEMO_FILE)
            self.stdout.write(f"Loaded “{meeting.title}”, join code {meeting.join_code}.")
        else:
            meeting = existing
            self.stdout.write(
                f"“{meeting.title}” is already loaded, join code {meeting.join_code}."
            )
        self._earlier_meetings(meeting.series, meeting_data)
        if settings.DEBUG:
            self._demo_facilitator()

    def _earlier_meetings(self, series: Series, meeting_data: dict) -> None:
        """Stub the meetings the look-back recalls, one per theme, numbered from 1."""
        for number, theme in enumerate(meeting_data["lookback"], start=1):
            _, created = Meeting.objects.get_or_create(
                series=series,
                number=number,
                defaults={
                    "title": f"Lärandeträff {number}",
                    "theme": theme,
                    "language": meeting_data["language"],
                    "phase": Meeting.Phase.CLOSED,
                },
            )
            if created:
                self.stdout.write(f"Added earlier meeting {number} (“{theme}”).")

    def _demo_facilitator(self) -> None:
        """A facilitator who may run and set up every meeting, and use the admin for them.

        Not a superuser: it has a well-known password, so it gets no more than a
        facilitator needs.
        """
        user, created = get_user_model().objects.get_or_create(
            username=DEMO_USERNAME, defaults={"is_staff": True}
        )
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save()
            user.user_permissions.add(
                *Permission.objects.filter(content_type__app_label="sessions_app")
            )
        if user.check_password(DEMO_PASSWORD):
            self.stdout.write(
                self.style.SUCCESS(
                    f"Demo facilitator login: {DEMO_USERNAME} / {DEMO_PASSWORD} (development only)"
                )
            )
