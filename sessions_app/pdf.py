"""The meeting's documentation as a PDF: the only module that imports WeasyPrint.

`proceedings_context` reads everything the document shows, `render_proceedings`
lays it out as PDF/UA-1 (tagged, so that screen readers can read it), and
`proceedings_pdf` hands out the bytes from a cache kept per revision of the meeting,
rendering each revision once however many people ask at the same time.

WeasyPrint fetches nothing it was not meant to: `DocumentFetcher` serves our own static
files and the meeting's own photos, and refuses everything else.
"""

from __future__ import annotations

import contextlib
import fcntl
import functools
import hashlib
import io
import mimetypes
import os
import re
import tempfile
import threading
import weakref
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote, urlsplit

import pikepdf
from django.conf import settings
from django.contrib.staticfiles import finders
from django.core.exceptions import SuspiciousFileOperation
from django.core.files.storage import default_storage
from django.db import close_old_connections, transaction
from django.db.models.signals import post_delete
from django.template.loader import get_template, render_to_string
from django.utils import translation
from django.utils._os import safe_join
from django.utils.crypto import salted_hmac
from weasyprint import HTML, URLFetcher
from weasyprint.urls import URLFetcherResponse

from .board import build_board
from .exports import convener_names
from .models import Initiative, Meeting, Report, ReportPhoto, Room, Sign, Slot, Topic, code_order
from .qr import qr_svg

# Every URL in a print template is made absolute against this origin; it exists only
# inside this module, so nothing WeasyPrint asks for can ever reach the network.
DOCUMENT_ORIGIN = "https://document.openspace.invalid/"
STATIC_PREFIX = f"{DOCUMENT_ORIGIN}static/"
MEDIA_PREFIX = f"{DOCUMENT_ORIGIN}media/"
TEMPLATE = "pdf/proceedings.html"
SIGNS_TEMPLATE = "pdf/signs.html"
SIGNS_STYLESHEET = "css/signs.css"
LAYOUT_FILES = ("pdf/proceedings.html", "pdf/conveners.html")
STYLESHEET = "css/print.css"
CACHE_DIR = "documents"
# Photos are embedded at this resolution at most: sharp on paper, small in the mail.
IMAGE_DPI = 200
JPEG_QUALITY = 85
# Tagged, with the document's title and language, and PDF/UA in its XMP metadata.
PDF_VARIANT = "pdf/ua-1"


class DocumentFetcher(URLFetcher):
    """Serve our static files and one meeting's photos to WeasyPrint; refuse the rest."""

    def __init__(self, photo_names: set[str]) -> None:
        super().__init__(allowed_protocols={"https"})
        self.photo_names = photo_names
        self.requested: list[str] = []
        self.refused: list[str] = []

    def fetch(self, url: str, headers: dict | None = None) -> URLFetcherResponse:
        self.requested.append(url)
        found = self._read(url)
        if found is None:
            self.refused.append(url)
            raise ValueError(f"the documentation may not fetch {url}")
        name, body = found
        mime_type, _ = mimetypes.guess_type(name)
        return URLFetcherResponse(
            url, body=body, headers={"Content-Type": mime_type or "application/octet-stream"}
        )

    def _read(self, url: str) -> tuple[str, bytes] | None:
        """The file's name and bytes if the document may embed it, else None."""
        parts = urlsplit(url)
        if parts.query or parts.fragment:
            return None
        clean = f"{parts.scheme}://{parts.netloc}{parts.path}"
        if clean.startswith(STATIC_PREFIX):
            path = _static_path(unquote(clean.removeprefix(STATIC_PREFIX)))
            return None if path is None else (path.name, path.read_bytes())
        if clean.startswith(MEDIA_PREFIX):
            name = unquote(clean.removeprefix(MEDIA_PREFIX))
            # Only the names the meeting's own photos have in the database, read through
            # the storage they were saved to.
            if name not in self.photo_names:
                return None
            try:
                with default_storage.open(name, "rb") as handle:
                    return name, handle.read()
            except (OSError, SuspiciousFileOperation):
                return None
        return None


def _static_path(name: str) -> Path | None:
    if not name or ".." in Path(name).parts:
        return None
    found = finders.find(name)
    if found:
        return Path(found)
    if settings.STATIC_ROOT:
        try:
            path = Path(safe_join(settings.STATIC_ROOT, name))
        except ValueError:
            return None
        if path.is_file():
            return path
    return None


@dataclass(frozen=True)
class TopicSection:
    """One discussion of the documentation: the topic under its code, and its report."""

    topic: Topic
    conveners: list[str]
    merged_titles: list[str]
    report: Report | None
    photos: list[tuple[ReportPhoto, str]]


@dataclass(frozen=True)
class AgendaRow:
    """One slot of the printed agenda, with the discussion in each room or None."""

    slot: Slot
    cells: list[TopicSection | None]


def _agenda(meeting: Meeting) -> tuple[list[Room], list[AgendaRow], list[TopicSection]]:
    """The wall's rooms and rows, and its discussions in code order (A1, A2, … B1, …).

    Conveners come from the board, so a co-signing partner and the conveners of
    merged topics are named here as they are on the wall.
    """
    board = build_board(meeting)
    cards = {cell.card.topic.pk: cell.card for row in board.rows for cell in row.cells if cell.card}
    names = convener_names(meeting, cards.values())
    reports = {
        report.topic_id: report
        for report in Report.objects.filter(topic_id__in=cards).prefetch_related("photos")
    }
    sections: dict[int, TopicSection] = {}
    for pk, card in cards.items():
        report = reports.get(pk)
        photos = [] if report is None else list(report.photos.all())
        sections[pk] = TopicSection(
            topic=card.topic,
            conveners=names[pk],
            merged_titles=card.merged_titles,
            report=report,
            photos=[(photo, MEDIA_PREFIX + quote(photo.image.name)) for photo in photos],
        )
    rows = [
        AgendaRow(
            slot=row.slot,
            cells=[sections[cell.card.topic.pk] if cell.card else None for cell in row.cells],
        )
        for row in board.rows
    ]
    return (
        board.rooms,
        rows,
        sorted(sections.values(), key=lambda s: code_order(s.topic.room, s.topic.slot)),
    )


def _http_links(meeting: Meeting) -> list:
    return [
        link
        for link in meeting.links.all()
        if urlsplit(link.url).scheme in ("http", "https") and urlsplit(link.url).netloc
    ]


def _earlier_meetings(meeting: Meeting):
    if meeting.series_id is None or meeting.number is None:
        return Meeting.objects.none()
    return Meeting.objects.filter(series_id=meeting.series_id, number__lt=meeting.number)


def proceedings_context(meeting: Meeting) -> dict[str, Any]:
    """Read everything the documentation shows, in a fixed number of queries."""
    rooms, agenda_rows, sections = _agenda(meeting)
    earlier = _earlier_meetings(meeting)
    themes = list(meeting.lookback) or [
        theme for theme in earlier.order_by("number").values_list("theme", flat=True) if theme
    ]
    open_initiatives = Initiative.objects.open_before(meeting)
    facilitators = list(meeting.facilitators.all())
    series = meeting.series
    author = (series.organizer if series else "") or ", ".join(f.name for f in facilitators)
    return {
        "meeting": meeting,
        "series": series,
        "author": author,
        "facilitators": facilitators,
        "links": _http_links(meeting),
        "themes": themes,
        "open_initiatives": list(open_initiatives),
        "rooms": rooms,
        "agenda_rows": agenda_rows,
        "sections": sections,
        "initiatives": list(meeting.initiatives.prefetch_related("members")),
        "reflections": list(meeting.reflections.filter(is_visible=True)),
        "stylesheet": f"{STATIC_PREFIX}{STYLESHEET}",
    }


def proceedings_html(meeting: Meeting) -> str:
    """The documentation as HTML, in the meeting's language."""
    with translation.override(meeting.language):
        return render_to_string(TEMPLATE, proceedings_context(meeting))


def photo_names(meeting: Meeting) -> set[str]:
    """The stored names of the meeting's own photos: the only media it may embed."""
    return set(
        ReportPhoto.objects.filter(report__topic__meeting=meeting).values_list("image", flat=True)
    )


def render_proceedings(meeting: Meeting, *, fetcher: DocumentFetcher | None = None) -> bytes:
    """Lay out the meeting's documentation as an A4 PDF and return its bytes."""
    html = proceedings_html(meeting)
    if fetcher is None:
        fetcher = DocumentFetcher(photo_names(meeting))
    document = HTML(string=html, base_url=DOCUMENT_ORIGIN, url_fetcher=fetcher)
    data = document.write_pdf(dpi=IMAGE_DPI, jpeg_quality=JPEG_QUALITY, pdf_variant=PDF_VARIANT)
    return mark_page_margins_as_artifacts(data)


def _structure_elements(tree_root: pikepdf.Dictionary) -> set[tuple[int, int]]:
    """The object ids of every structure element reachable from the structure tree's root."""
    found: set[tuple[int, int]] = set()
    pending = [tree_root]
    while pending:
        kids = pending.pop().get("/K")
        for kid in kids if isinstance(kids, pikepdf.Array) else [kids]:
            if (
                isinstance(kid, pikepdf.Dictionary)
                and kid.get("/Type") not in ("/MCR", "/OBJR")
                and kid.objgen not in found
            ):
                found.add(kid.objgen)
                pending.append(kid)
    return found


def mark_page_margins_as_artifacts(data: bytes) -> bytes:
    """Mark the running header and page numbers as pagination artifacts (PDF/UA-1, 7.8).

    WeasyPrint 70 tags the text of page margin boxes as spans that belong to no part
    of the structure tree (its issue #1836), so a checker sees content that is neither
    real content nor an artifact. Every marked sequence whose structure element is
    outside the tree is made an /Artifact of type /Pagination instead, and dropped from
    the parent tree; the drawing itself is left exactly as it was.
    """
    with pikepdf.open(io.BytesIO(data)) as document:
        tree_root = document.Root.get("/StructTreeRoot")
        if tree_root is None:
            return data
        tagged = _structure_elements(tree_root)
        parent_tree = pikepdf.NumberTree(tree_root.ParentTree)
        for page in document.pages:
            marked = parent_tree.get(int(page.obj.get("/StructParents", -1)))
            if not isinstance(marked, pikepdf.Array):
                continue
            margins = {
                mcid
                for mcid, element in enumerate(marked)
                if isinstance(element, pikepdf.Dictionary) and element.objgen not in tagged
            }
            if not margins:
                continue
            instructions = pikepdf.parse_content_stream(page)
            for index, (operands, operator) in enumerate(instructions):
                if (
                    operator == pikepdf.Operator("BDC")
                    and isinstance(operands[1], pikepdf.Dictionary)
                    and int(operands[1].get("/MCID", -1)) in margins
                ):
                    instructions[index] = pikepdf.ContentStreamInstruction(
                        [pikepdf.Name.Artifact, pikepdf.Dictionary(Type=pikepdf.Name.Pagination)],
                        operator,
                    )
            page.obj.Contents = document.make_stream(pikepdf.unparse_content_stream(instructions))
            for mcid in margins:
                marked[mcid] = None
        out = io.BytesIO()
        document.save(out)
        return out.getvalue()


def signs_pdf(meeting: Meeting, signs: list[Sign], url_of: Callable[[str], str]) -> bytes:
    """The printed signs of these topics, a page each: code, title, time, room and QR code.

    Never cached: each sign carries the secret that gives out its topic's pen.
    """
    cards = {card.topic.pk: card for card in build_board(meeting).placed}
    entries = [
        {"sign": sign, "card": cards[sign.topic_id], "qr": qr_svg(url_of(sign.secret))}
        for sign in signs
        if sign.topic_id in cards
    ]
    with translation.override(meeting.language):
        html = render_to_string(
            SIGNS_TEMPLATE,
            {
                "meeting": meeting,
                "entries": entries,
                "stylesheet": f"{STATIC_PREFIX}{SIGNS_STYLESHEET}",
            },
        )
    document = HTML(string=html, base_url=DOCUMENT_ORIGIN, url_fetcher=DocumentFetcher(set()))
    return document.write_pdf(pdf_variant=PDF_VARIANT)


# The cache ---------------------------------------------------------------------------

# One lock per document being made; a lock goes away once no thread holds or awaits it.
_key_locks: weakref.WeakValueDictionary[str, threading.Lock] = weakref.WeakValueDictionary()
_key_locks_guard = threading.Lock()


def _thread_lock(key: str) -> threading.Lock:
    with _key_locks_guard:
        lock = _key_locks.get(key)
        if lock is None:
            lock = _key_locks[key] = threading.Lock()
        return lock


def _cache_dir() -> Path:
    path = Path(settings.MEDIA_ROOT) / CACHE_DIR
    path.mkdir(parents=True, exist_ok=True)
    return path


@functools.cache
def layout_fingerprint() -> str:
    """A short digest of the print templates, stylesheet and catalogues.

    It is part of every cache key, so a deployment that changes how the document looks
    or reads makes every meeting's documentation anew.
    """
    digest = hashlib.sha256()
    paths = [Path(get_template(name).origin.name) for name in LAYOUT_FILES]
    paths.append(_static_path(STYLESHEET))
    for folder in settings.LOCALE_PATHS:
        paths += sorted(Path(folder).glob("*/LC_MESSAGES/django.mo"))
    for path in paths:
        digest.update(path.read_bytes() if path and path.is_file() else b"-")
    return digest.hexdigest()[:10]


def cache_key(meeting: Meeting) -> str:
    """Name one version of the meeting's documentation: its id, revision and language.

    The stored file sits under MEDIA_ROOT, which a proxy may serve; the keyed digest at
    the end makes its name impossible to guess, so the file cannot be fetched around
    the download view's permission check.
    """
    name = f"meeting-{meeting.pk}-r{meeting.revision}-{meeting.language}-{layout_fingerprint()}"
    secret = salted_hmac("sessions_app.pdf.cache_key", name, algorithm="sha256").hexdigest()[:20]
    return f"{name}-{secret}"


def cached_document(key: str, render: Callable[[], bytes], *, suffix: str = ".pdf") -> bytes:
    """Return the document stored under `key`, rendering it once if it is missing.

    A lock per key makes threads of one process wait for the first one's render, and
    a lock file does the same for other processes on the host; both check the cache
    again once they hold the lock.
    """
    directory = _cache_dir()
    path = directory / f"{key}{suffix}"
    # Unlocked fast path; a newer revision may remove the file meanwhile, and then
    # the locked path below renders it again.
    with contextlib.suppress(FileNotFoundError):
        return path.read_bytes()
    with _thread_lock(key), open(directory / f"{key}.lock", "a") as lock_file:
        fcntl.flock(lock_file, fcntl.LOCK_EX)
        try:
            if path.is_file():
                return path.read_bytes()
            data = render()
            handle, temporary = tempfile.mkstemp(dir=directory, prefix=f".{key}-")
            with os.fdopen(handle, "wb") as out:
                out.write(data)
            os.replace(temporary, path)
            return data
        finally:
            fcntl.flock(lock_file, fcntl.LOCK_UN)


def _forget_older_versions(meeting: Meeting, *, keep: str) -> None:
    """Remove the meeting's documents of earlier revisions, or of an earlier layout."""
    pattern = re.compile(rf"^meeting-{meeting.pk}-r(\d+)-")
    for old in _cache_dir().glob(f"meeting-{meeting.pk}-r*"):
        found = pattern.match(old.name)
        if found is None or old.name.startswith(f"{keep}."):
            continue
        revision = int(found[1])
        # A later revision may be rendering in another thread right now: leave it be.
        if revision <= meeting.revision:
            old.unlink(missing_ok=True)


def forget_documents(meeting_id: int) -> None:
    """Remove every stored document of a meeting, such as after it is deleted."""
    directory = Path(settings.MEDIA_ROOT) / CACHE_DIR
    for path in directory.glob(f"meeting-{meeting_id}-r*"):
        path.unlink(missing_ok=True)


def meeting_deleted(sender: type, instance: Meeting, **kwargs: Any) -> None:
    """Remove a deleted meeting's stored documents once the deletion is committed."""
    meeting_id = instance.pk
    transaction.on_commit(lambda: forget_documents(meeting_id))


def connect() -> None:
    """Clean up after deleted meetings; called once from the app's `ready()`."""
    post_delete.connect(meeting_deleted, sender=Meeting, dispatch_uid="meeting_documents_delete")


def proceedings_pdf(meeting: Meeting) -> bytes:
    """The documentation of this revision of the meeting, rendered at most once."""
    key = cache_key(meeting)
    data = cached_document(key, lambda: render_proceedings(meeting))
    _forget_older_versions(meeting, keep=key)
    return data


# Rendered ahead, when the meeting closes: one worker thread, away from the event loop.
_ahead = ThreadPoolExecutor(max_workers=1, thread_name_prefix="documentation")


def render_ahead(meeting_id: int) -> None:
    """Render the meeting's documentation of its current revision into the cache."""
    meeting = Meeting.objects.select_related("series").filter(pk=meeting_id).first()
    if meeting is not None:
        proceedings_pdf(meeting)


def _render_in_worker(meeting_id: int) -> None:
    try:
        render_ahead(meeting_id)
    finally:
        # The worker is no request: give back its database connection as one would.
        close_old_connections()


def render_in_background(meeting_id: int) -> Future:
    """Render the meeting's documentation into the cache now, so the first download is quick."""
    return _ahead.submit(_render_in_worker, meeting_id)
