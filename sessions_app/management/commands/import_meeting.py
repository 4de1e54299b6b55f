from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from sessions_app.interchange import FormatError, import_path


class Command(BaseCommand):
    help = "Import a whole meeting from a .json document or a zip bundle (meeting-format.md)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("path", help="the .json file or .zip bundle to read")

    def handle(self, *args, path: str, **options) -> None:
        try:
            meeting = import_path(path)
        except FormatError as exc:
            raise CommandError(f"{path} was not imported: {exc}") from exc
        self.stdout.write(
            self.style.SUCCESS(
                f"Imported “{meeting.title}” (id {meeting.pk}, join code {meeting.join_code})."
            )
        )
