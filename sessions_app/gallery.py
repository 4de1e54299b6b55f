"""The read model of the reports: every placed topic by code, with its report, photos and dots.

The vernissage on projectors and phones, and the documentation, read the reports through
`build_gallery`, in a fixed number of queries however many reports there are.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count

from .board import Board, Card, build_board
from .models import Dot, Meeting, Report, ReportPhoto, code_order


@dataclass
class ReportCard:
    """One discussion at the vernissage: its topic as the wall shows it, and what it left."""

    card: Card
    code: str
    report: Report | None
    photos: list[ReportPhoto]
    dots: int

    @property
    def topic(self):
        return self.card.topic


def build_gallery(meeting: Meeting, board: Board | None = None) -> list[ReportCard]:
    """Every placed topic in code order (A1, A2, … B1, …), with its report and dot count."""
    board = board or build_board(meeting)
    cells = [cell for row in board.rows for cell in row.cells if cell.card]
    ids = [cell.card.topic.pk for cell in cells]
    reports = {
        report.topic_id: report
        for report in Report.objects.filter(topic_id__in=ids).prefetch_related("photos")
    }
    dots = dict(
        Dot.objects.filter(topic_id__in=ids)
        .values_list("topic_id")
        .annotate(n=Count("pk"))
        .values_list("topic_id", "n")
    )
    cells.sort(key=lambda cell: code_order(cell.room, cell.slot))
    gallery = []
    for cell in cells:
        pk = cell.card.topic.pk
        report = reports.get(pk)
        gallery.append(
            ReportCard(
                card=cell.card,
                code=cell.code,
                report=report,
                photos=list(report.photos.all()) if report else [],
                dots=dots.get(pk, 0),
            )
        )
    return gallery
