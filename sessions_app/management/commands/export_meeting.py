from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from sessions_app.interchange import FormatError, write_bundle
from sessions_app.models import Meeting


class Command(BaseCommand):
    help = "Export a whole meeting as a .json document, or as a zip bundle with its photos."

    def add_arguments(self, parser) -> None:
        parser.add_argument("meeting", help="the meeting's id or join code")
        parser.add_argument("path", help="where to write: a .zip path gives a bundle")

    def handle(self, *args, meeting: str, path: str, **options) -> None:
        try:
            found = Meeting.find(meeting)
        except Meeting.DoesNotExist as exc:
            raise CommandError(f"No meeting has the id or join code {meeting!r}.") from exc
        try:
            written = write_bundle(found, path)
        except FormatError as exc:
            raise CommandError(f"“{found.title}” was not exported: {exc}") from exc
        self.stdout.write(self.style.SUCCESS(f"Exported “{found.title}” to {written}."))
