from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from sessions_app.models import Meeting
from sessions_app.pdf import proceedings_pdf


class Command(BaseCommand):
    help = "Write a meeting's documentation as a PDF, in the meeting's language."

    def add_arguments(self, parser) -> None:
        parser.add_argument("meeting", help="the meeting's id or join code")
        parser.add_argument("path", help="where to write the PDF, such as documentation.pdf")

    def handle(self, *args, meeting: str, path: str, **options) -> None:
        try:
            found = Meeting.find(meeting)
        except Meeting.DoesNotExist as exc:
            raise CommandError(f"No meeting has the id or join code {meeting!r}.") from exc
        target = Path(path)
        if not target.parent.is_dir():
            raise CommandError(f"The folder {target.parent} does not exist.")
        data = proceedings_pdf(found)
        target.write_bytes(data)
        self.stdout.write(
            self.style.SUCCESS(
                f"Wrote the documentation of “{found.title}” to {target} ({len(data) // 1024} KB)."
            )
        )
