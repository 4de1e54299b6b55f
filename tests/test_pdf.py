"""The documentation PDF: what it says, what it embeds, what it never fetches, its cache."""

from __future__ import annotations

import copy
import hashlib
import html
import io
import json
import re
import shutil
import subprocess
import threading
import zipfile
from pathlib import Path

import pikepdf
import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from PIL import Image
from pypdf import PdfReader

from sessions_app import agenda, fragments, pdf
from sessions_app.interchange import Bundle, import_document, import_path
from sessions_app.models import (
    Initiative,
    Meeting,
    Participant,
    Reflection,
    Report,
    ReportPhoto,
    Series,
)

from .e2e.support import require
from .factories import make_meeting, make_topic

pytestmark = pytest.mark.django_db

SEED_TOPICS = {
    "A1": "Vad behövs för att dela erfarenheter mellan organisationer?",
    "A2": "Hur kan vi kommunicera omställningen bättre inåt i era organisationer?",
    "A3": "Gå från ord till handling: Hur kan vi hitta konkreta samarbeten för att "
    "tillsammans jobba med/för ett hållbarare Umeå?",
    "B1": "Godsflöden: Hur kan vi tillsammans påverka/förändra? Möjligheterna i att "
    "samtala mellan olika branscher?",
    "B2": "Hur kan vi fortsätta upprätthålla kontakten och träffas? Dvs. ett forum för "
    "mellanrumsledarskap för att accelerera omställningen",
    "B3": "Hur kan vi accelerera omställning till hållbara arbetsmaskiner?",
    "C1": "Hur skapar man förutsättningar till omställning? Individuellt (ledarskap) och "
    "inom verksamheten. Gå från ”teori” till ”förändring”",
    "C2": "Hur tar vi det vi lärt oss här till andra partners i färdplanen, konkreta idéer?",
}
SWEDISH_HEADINGS = [
    "Inledning",
    "Syftet med dagens träff",
    "Deltagare",
    "Mötesledare",
    "Tillbakablick – vad har vi gjort tidigare",
    "Skapa agendan för dagen",
    "Diskussionscirklar",
    "Vernissage: Samlas kring rapporterna",
    "Handlingsplan",
    "Sammanfattning och avslutningscirkel",
]


def pdf_text(data: bytes) -> str:
    """All text of a PDF on one line: hyphenated line breaks joined, whitespace collapsed."""
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)
    return " ".join(re.sub("\u2010\n", "", text).split())


def without_spaces(text: str) -> str:
    return re.sub(r"\s+", "", text)


def page_texts(data: bytes) -> list[str]:
    return [" ".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(data)).pages]


def image_count(data: bytes) -> int:
    """How many distinct images the PDF embeds (pages may share one resource list)."""
    pages = PdfReader(io.BytesIO(data)).pages
    return len({hashlib.sha256(image.data).digest() for page in pages for image in page.images})


def jpeg_bytes(color: str, size: tuple[int, int] = (320, 240)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, "JPEG")
    return buffer.getvalue()


def import_with_photos(document: dict, tmp_path: Path, photos: dict[int, list[str]]) -> Meeting:
    """Import `document` as a zip bundle, giving topic i a report with one photo per colour."""
    files: dict[str, bytes] = {}
    for index, colours in photos.items():
        names = [f"photos/topic{index}-{n}.jpg" for n in range(len(colours))]
        files.update({name: jpeg_bytes(c) for name, c in zip(names, colours, strict=True)})
        document["topics"][index]["report"] = {
            "participants": ["Martin Svensson", "Anki W"],
            "summary": "Vi pratade om hur erfarenheter kan delas.",
            "insights": ["Träffas oftare"],
            "next_steps": ["Starta ett nätverk"],
            "photos": [{"file": name, "caption": f"Rapportblad {name}"} for name in names],
        }
    tmp_path.mkdir(parents=True, exist_ok=True)
    bundle = tmp_path / "meeting.zip"
    with zipfile.ZipFile(bundle, "w") as archive:
        archive.writestr("meeting.json", json.dumps(document))
        for name, data in files.items():
            archive.writestr(name, data)
    return import_path(bundle)


def test_seed_pdf_has_every_swedish_heading(seed_meeting):
    text = pdf_text(pdf.render_proceedings(seed_meeting))

    for heading in SWEDISH_HEADINGS:
        assert heading in text
    assert "Olika nivåer: F = förbereda, G = genomföra, U = utforska" in text


def test_seed_pdf_shows_every_topic_under_its_code_with_its_convener(seed_meeting):
    text = pdf_text(pdf.render_proceedings(seed_meeting))

    for code, title in SEED_TOPICS.items():
        assert f"{code}: {title}" in text
    assert "Initiativtagare: Martin Svensson, LF Västerbotten" in text
    assert "C3" not in text
    assert text.count("Ingen rapport skrevs för det här samtalet.") == 8


def test_seed_pdf_writes_slot_times_the_swedish_way(seed_meeting):
    text = pdf_text(pdf.render_proceedings(seed_meeting))

    for number, span in [(1, "13.45–14.10"), (2, "14.15–14.40"), (3, "14.45–15.10")]:
        assert f"Pass {number} {span}" in text
    assert "7 maj 2024" in text


def test_seed_pdf_lists_the_six_initiatives_with_their_levels(seed_meeting):
    text = pdf_text(pdf.render_proceedings(seed_meeting))

    assert "Vem Vad Nivå När Vem är med?" in text
    for initiative in seed_meeting.initiatives.all():
        levels = "/".join(initiative.levels)
        # A line may break after "möte/" without a space, so compare without spaces.
        assert without_spaces(f"{initiative.who} {initiative.what} {levels}") in without_spaces(
            text
        )
    assert "RISE; Anki W, INAB" in text


def test_seed_pdf_keeps_swedish_letters_intact(seed_meeting):
    text = pdf_text(pdf.render_proceedings(seed_meeting))

    for word in ["Lärandeträff 4", "Leda omställning tillsammans", "Umeå kommun", "Röhlinger"]:
        assert word in text
    assert {"å", "ä", "ö", "Å", "Ä", "Ö"} & set(text) >= {"å", "ä", "ö", "Ö"}


def test_seed_pdf_has_title_page_running_header_and_page_numbers(seed_meeting):
    pages = page_texts(pdf.render_proceedings(seed_meeting))

    assert "DOKUMENTATION Lärandeträff 4 Leda omställning tillsammans" in pages[0]
    assert "Nummer 4 i serien" in pages[0]
    assert "Arrangör Umeå kommun" in pages[0]
    assert " / " not in pages[0]
    for number, page in enumerate(pages[1:], start=2):
        assert "Leda omställning tillsammans · Lärandeträff 4" in page
        assert page.endswith(f"{number} / {len(pages)}")


def test_seed_pdf_carries_title_author_and_language(seed_meeting):
    reader = PdfReader(io.BytesIO(pdf.render_proceedings(seed_meeting)))

    assert reader.metadata.title == "Dokumentation av Lärandeträff 4 – Leda omställning tillsammans"
    assert reader.metadata.author == "Umeå kommun"
    assert reader.trailer["/Root"]["/Lang"] == "sv"


def test_seed_pdf_links_are_clickable(seed_meeting):
    reader = PdfReader(io.BytesIO(pdf.render_proceedings(seed_meeting)))

    targets = {
        annotation.get_object()["/A"]["/URI"]
        for page in reader.pages
        for annotation in page.get("/Annots", [])
        if "/A" in annotation.get_object()
    }
    assert set(seed_meeting.links.values_list("url", flat=True)) <= targets


def test_english_meeting_pdf_speaks_english(db, seed_document):
    seed_document["meeting"]["language"] = "en"
    seed_document["series"]["title"] = "Leading the transition together"
    meeting = import_document(Bundle(document=seed_document))

    text = pdf_text(pdf.render_proceedings(meeting))

    for label in [
        "Introduction",
        "The purpose of today's meeting",
        "Look-back – what we have done before",
        "Creating the agenda for the day",
        "Vernissage: gathering around the reports",
        "Who What Level When Who is in?",
        "Levels: F = prepare, G = carry out, U = explore",
        "The law of two feet",
        "Whoever comes is the right people",
        "7 May 2024",
        "Slot 1 13:45–14:10",
        "Convener: Martin Svensson, LF Västerbotten",
    ]:
        assert label in text
    for swedish in ["Inledning", "Handlingsplan", "Initiativtagare", "maj"]:
        assert swedish not in text


def test_pdf_shows_the_lookback_and_open_initiatives_of_earlier_meetings(seed_meeting):
    earlier = make_meeting(title="Lärandeträff 3")
    earlier.series, earlier.number, earlier.theme = seed_meeting.series, 3, "Våga stanna"
    earlier.save()
    Initiative.objects.create(meeting=earlier, who="Ellen", what="Bjuda in RISE", levels="FU")
    Initiative.objects.create(
        meeting=earlier,
        who="Rebecka",
        what="Skicka ut inbjudan",
        levels="G",
        status=Initiative.Status.DONE,
    )
    seed_meeting.refresh_from_db()

    text = pdf_text(pdf.render_proceedings(seed_meeting))

    assert "Att innovera i mellanrummen" in text
    assert "Öppna initiativ från tidigare träffar" in text
    assert "Lärandeträff 3 Ellen Bjuda in RISE F/U" in text
    assert "Skicka ut inbjudan" not in text


def test_pdf_shows_reports_and_embeds_their_photos(db, seed_document, tmp_path):
    meeting = import_with_photos(seed_document, tmp_path, {0: ["red", "blue"], 4: ["green"]})
    fetcher = pdf.DocumentFetcher(pdf.photo_names(meeting))

    data = pdf.render_proceedings(meeting, fetcher=fetcher)

    text = pdf_text(data)
    assert image_count(data) == 3
    assert "Rapportblad photos/topic0-0.jpg" in text
    assert "Deltagare: Martin Svensson, Anki W" in text
    assert "Insikter Träffas oftare Nästa steg Starta ett nätverk" in text
    assert text.count("Ingen rapport skrevs för det här samtalet.") == 6
    assert fetcher.refused == []
    media = [url for url in fetcher.requested if url.startswith(pdf.MEDIA_PREFIX)]
    assert len(media) == 3


def test_pdf_of_a_meeting_without_photos_embeds_no_image(seed_meeting):
    assert image_count(pdf.render_proceedings(seed_meeting)) == 0


HOSTILE_TITLE = '<img src="file:///etc/passwd">'
HOSTILE_SUMMARY = (
    "Se url(http://example.com/track.png) och <link rel=stylesheet href=//evil.test/x.css>"
)


def test_hostile_text_prints_as_text_and_fetches_nothing(seed_meeting):
    a1 = seed_meeting.topics.get(title=SEED_TOPICS["A1"])
    a1.title = HOSTILE_TITLE
    a1.save()
    Report.objects.create(
        topic=a1, summary=HOSTILE_SUMMARY, insights=['<style>@import "http://evil.test/";</style>']
    )
    Reflection.objects.create(meeting=seed_meeting, text='<script>alert("x")</script>')
    seed_meeting.summary = '<div style="background: url(http://evil.test/bg.png)">x</div>'
    seed_meeting.save()
    fetcher = pdf.DocumentFetcher(pdf.photo_names(seed_meeting))

    text = pdf_text(pdf.render_proceedings(seed_meeting, fetcher=fetcher))

    assert f"A1: {HOSTILE_TITLE}" in text
    assert "url(http://example.com/track.png)" in text
    assert '<script>alert("x")</script>' in text
    assert fetcher.refused == []
    assert fetcher.requested == [f"{pdf.STATIC_PREFIX}css/print.css"]


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "http://example.com/track.png",
        "https://example.com/x.css",
        f"{pdf.STATIC_PREFIX}../../etc/passwd",
        f"{pdf.STATIC_PREFIX}%2e%2e/%2e%2e/etc/passwd",
        f"{pdf.MEDIA_PREFIX}reports/1/someone-elses.jpg",
        f"{pdf.MEDIA_PREFIX}../db.sqlite3",
        f"{pdf.STATIC_PREFIX}css/print.css?x=1",
    ],
)
def test_fetcher_refuses_anything_but_static_files_and_own_photos(url):
    fetcher = pdf.DocumentFetcher(photo_names=set())

    with pytest.raises(ValueError, match="may not fetch"):
        fetcher.fetch(url)

    assert fetcher.refused == [url]


def test_fetcher_serves_our_stylesheet():
    fetcher = pdf.DocumentFetcher(photo_names=set())

    response = fetcher.fetch(f"{pdf.STATIC_PREFIX}css/print.css")

    assert b"@page" in response.read()
    assert response.content_type == "text/css"


def count_renders(monkeypatch) -> list[int]:
    """Count calls to the real renderer, which still runs."""
    calls: list[int] = []
    real = pdf.render_proceedings

    def counted(meeting, **kwargs):
        calls.append(meeting.revision)
        return real(meeting, **kwargs)

    monkeypatch.setattr(pdf, "render_proceedings", counted)
    return calls


def test_cache_serves_an_unchanged_meeting_without_rendering_again(seed_meeting, monkeypatch):
    renders = count_renders(monkeypatch)

    first = pdf.proceedings_pdf(Meeting.objects.get(pk=seed_meeting.pk))
    second = pdf.proceedings_pdf(Meeting.objects.get(pk=seed_meeting.pk))

    assert len(renders) == 1
    assert first == second


def test_cache_renders_anew_after_the_meeting_changes(seed_meeting, monkeypatch):
    renders = count_renders(monkeypatch)
    pdf.proceedings_pdf(Meeting.objects.get(pk=seed_meeting.pk))
    topic = seed_meeting.topics.get(title=SEED_TOPICS["B3"])

    Report.objects.create(topic=topic, summary="Arbetsmaskiner kan drivas med el.")
    changed = pdf.proceedings_pdf(Meeting.objects.get(pk=seed_meeting.pk))

    assert len(renders) == 2
    assert "Arbetsmaskiner kan drivas med el." in pdf_text(changed)
    cached = sorted(p.name for p in (Path(pdf.settings.MEDIA_ROOT) / "documents").glob("*.pdf"))
    assert cached == [f"{pdf.cache_key(Meeting.objects.get(pk=seed_meeting.pk))}.pdf"]


def test_cache_renders_once_for_ten_simultaneous_downloads(seed_meeting, monkeypatch):
    meeting = Meeting.objects.get(pk=seed_meeting.pk)
    renders: list[int] = []
    start = threading.Barrier(10)

    def slow_render(meeting, **kwargs):
        renders.append(meeting.pk)
        threading.Event().wait(0.3)
        return b"%PDF-1.7 rendered once"

    monkeypatch.setattr(pdf, "render_proceedings", slow_render)
    results: list[bytes] = []

    def download() -> None:
        start.wait()
        results.append(pdf.proceedings_pdf(meeting))

    threads = [threading.Thread(target=download) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert renders == [meeting.pk]
    assert results == [b"%PDF-1.7 rendered once"] * 10


def test_meeting_pdf_command_writes_the_documentation(seed_meeting, tmp_path):
    out = tmp_path / "dokumentation.pdf"

    call_command("meeting_pdf", seed_meeting.join_code.lower(), str(out), stdout=io.StringIO())

    assert "Handlingsplan" in pdf_text(out.read_bytes())


def test_meeting_pdf_command_names_an_unknown_meeting(db, tmp_path):
    with pytest.raises(CommandError, match="No meeting has the id or join code 'NOPE'"):
        call_command("meeting_pdf", "NOPE", str(tmp_path / "x.pdf"))
    assert not (tmp_path / "x.pdf").exists()


def test_seed_pdf_pages_rasterise_with_a_coloured_title_band(seed_meeting, tmp_path):
    require(shutil.which("pdftoppm") is not None, "needs pdftoppm (poppler-utils)")
    source = tmp_path / "seed.pdf"
    source.write_bytes(pdf.render_proceedings(seed_meeting))

    subprocess.run(
        ["pdftoppm", "-r", "30", "-png", str(source), str(tmp_path / "page")], check=True
    )

    pages = sorted(tmp_path.glob("page-*.png"))
    assert len(pages) == len(PdfReader(source).pages)
    with Image.open(pages[0]) as title_page:
        red, green, blue = title_page.convert("RGB").getpixel((title_page.width // 2, 5))
    assert blue > red and blue > 60 and red < 40


def test_series_rename_changes_the_next_pdf(seed_meeting, monkeypatch):
    renders = count_renders(monkeypatch)
    pdf.proceedings_pdf(Meeting.objects.get(pk=seed_meeting.pk))

    series = Series.objects.get(pk=seed_meeting.series_id)
    series.title = "Leda omställning tillsammans 2025"
    series.save()
    text = pdf_text(pdf.proceedings_pdf(Meeting.objects.get(pk=seed_meeting.pk)))

    assert len(renders) == 2
    assert "Leda omställning tillsammans 2025 · Lärandeträff 4" in text


def test_pdf_names_every_convener_of_a_merged_or_co_signed_topic(seed_meeting):
    b3 = seed_meeting.topics.get(title=SEED_TOPICS["B3"])
    anna = Participant.objects.create(meeting=seed_meeting, name="Anna Berg", organization="RISE")
    raised = make_topic(seed_meeting, title="Eldrivna maskiner", convener=anna)
    agenda.merge_topics(meeting=seed_meeting, topic_id=raised.pk, into_id=b3.pk)
    a1 = seed_meeting.topics.get(title=SEED_TOPICS["A1"])
    a1.partner = Participant.objects.create(
        meeting=seed_meeting, name="Anki W", organization="INAB"
    )
    a1.partner_signed = True
    a1.save()

    text = pdf_text(pdf.render_proceedings(Meeting.objects.get(pk=seed_meeting.pk)))

    assert "Initiativtagare: Lucas Röhlinger, Umeå kommun; Anna Berg, RISE" in text
    assert "Sammanslagen med: “Eldrivna maskiner”" in text
    assert "Initiativtagare: Martin Svensson, LF Västerbotten; Anki W, INAB" in text


def test_pdf_lookback_falls_back_to_the_themes_of_earlier_meetings(seed_meeting):
    for number, theme in [(2, "Att innovera i mellanrummen"), (3, "Våga stanna i det jobbiga")]:
        earlier = make_meeting(title=f"Lärandeträff {number}")
        earlier.series, earlier.number, earlier.theme = seed_meeting.series, number, theme
        earlier.save()
    seed_meeting.lookback = []
    seed_meeting.save()

    text = pdf_text(pdf.render_proceedings(seed_meeting))

    assert "Under tidigare träffar i serien har vi haft dessa teman: " in text
    assert "Att innovera i mellanrummen Våga stanna i det jobbiga" in text


def test_pdf_of_a_first_meeting_says_so_in_its_lookback(db):
    meeting = make_meeting(title="Första träffen")
    meeting.language = "en"
    meeting.save()

    text = pdf_text(pdf.render_proceedings(meeting))

    assert "This is the first meeting of its series." in text
    assert "No initiatives were raised." in text


def test_pdf_reads_the_meeting_in_the_same_number_of_queries_however_large(
    db, seed_document, tmp_path
):
    def queries_for(meeting: Meeting) -> int:
        with CaptureQueriesContext(connection) as captured:
            pdf.proceedings_html(Meeting.objects.get(pk=meeting.pk))
        return len(captured)

    small_document = copy.deepcopy(seed_document)
    small_document["series"]["title"] = "En liten serie"
    small = import_with_photos(small_document, tmp_path / "small", {0: ["red"]})
    larger = import_with_photos(seed_document, tmp_path, {0: ["red"], 1: ["blue"], 2: ["green"]})
    for n in range(5):
        initiative = Initiative.objects.create(
            meeting=larger, who=f"Person {n}", what="Mer", levels="G"
        )
        initiative.members.create(name="RISE")
        Reflection.objects.create(meeting=larger, text=f"Reflektion {n}")

    assert queries_for(larger) == queries_for(small)


def test_deleting_a_meeting_removes_its_stored_documents(
    db, seed_document, django_capture_on_commit_callbacks
):
    meeting = import_document(Bundle(document=seed_document))
    pdf.proceedings_pdf(Meeting.objects.get(pk=meeting.pk))
    documents = Path(pdf.settings.MEDIA_ROOT) / "documents"
    assert list(documents.glob(f"meeting-{meeting.pk}-*.pdf"))

    with django_capture_on_commit_callbacks(execute=True):
        Meeting.objects.get(pk=meeting.pk).delete()

    assert not list(documents.glob(f"meeting-{meeting.pk}-*"))


def test_pdf_tables_never_split_a_row_across_pages(seed_meeting):
    filler = "och så vidare med fler ord som fyller raden " * 6
    for n in range(40):
        Initiative.objects.create(
            meeting=seed_meeting,
            who=f"Person {n}",
            what=f"Början{n} {filler} Slutet{n}",
            levels="G",
        )

    pages = page_texts(pdf.render_proceedings(Meeting.objects.get(pk=seed_meeting.pk)))

    plan_pages = [page for page in pages if "Början" in page]
    assert len(plan_pages) > 1
    for n in range(40):
        holding = [i for i, page in enumerate(pages) if f"Början{n} " in page]
        assert len(holding) == 1
        assert f"Slutet{n}" in pages[holding[0]]
    assert all(page.count("Vem Vad Nivå När Vem är med?") == 1 for page in plan_pages)


def test_stored_documents_have_names_no_one_can_guess(seed_meeting, settings):
    meeting = Meeting.objects.get(pk=seed_meeting.pk)
    name = pdf.cache_key(meeting)

    settings.SECRET_KEY = "another-secret"
    other = pdf.cache_key(meeting)

    assert name.startswith(f"meeting-{meeting.pk}-r{meeting.revision}-sv-")
    assert len(name.rsplit("-", 1)[1]) == 20
    assert other != name


def marked_text(data: bytes) -> list[tuple[list[str], list[str]]]:
    """Each page's text shown as artifacts, and its text shown as tagged content."""
    pages = []
    for page in PdfReader(io.BytesIO(data)).pages:
        marks: list[str] = []
        artifacts: list[str] = []
        content: list[str] = []

        def operator(op, args, cm, tm, marks=marks):
            if op in (b"BDC", b"BMC"):
                marks.append(str(args[0]))
            elif op == b"EMC":
                marks.pop()

        def text(shown, cm, tm, font, size, marks=marks, artifacts=artifacts, content=content):
            if shown.strip():
                (artifacts if marks and marks[-1] == "/Artifact" else content).append(shown)

        page.extract_text(visitor_operand_before=operator, visitor_text=text)
        pages.append((artifacts, content))
    return pages


def structure_elements(node: pikepdf.Dictionary) -> list[pikepdf.Dictionary]:
    """The structure elements under `node` (such as the tree's root), depth first."""
    found: list[pikepdf.Dictionary] = []
    kids = node.get("/K")
    for kid in kids if isinstance(kids, pikepdf.Array) else [kids]:
        if isinstance(kid, pikepdf.Dictionary) and kid.get("/Type") not in ("/MCR", "/OBJR"):
            found += [kid, *structure_elements(kid)]
    return found


def test_seed_pdf_identifies_itself_as_pdf_ua_1(seed_meeting):
    with pikepdf.open(io.BytesIO(pdf.render_proceedings(seed_meeting))) as document:
        root = document.Root
        metadata = document.open_metadata()

        assert root.MarkInfo.Marked is True
        assert root.Lang == "sv"
        assert root.ViewerPreferences.DisplayDocTitle is True
        assert root.StructTreeRoot.K[0].S == "/Document"
        assert metadata["pdfuaid:part"] == "1"
        assert metadata["dc:title"] == (
            "Dokumentation av Lärandeträff 4 – Leda omställning tillsammans"
        )


def test_seed_pdf_agenda_cells_refer_to_their_slot_and_room_headers(seed_meeting):
    with pikepdf.open(io.BytesIO(pdf.render_proceedings(seed_meeting))) as document:
        elements = structure_elements(document.Root.StructTreeRoot)
        agenda = next(e for e in elements if e.S == "/Table")
        rows = [e for e in structure_elements(agenda) if e.S == "/TR"]
        cells = [[c for c in row.K if c.S in ("/TH", "/TD")] for row in rows]

        assert [c.S for c in cells[0]] == ["/TH"] * 4
        room_ids = [str(c.ID) for c in cells[0]]
        assert len(cells) == 4
        for row in cells[1:]:
            slot_header, *rooms = row
            assert slot_header.S == "/TH"
            assert [c.S for c in rooms] == ["/TD"] * 3
            for room_id, cell in zip(room_ids[1:], rooms, strict=True):
                assert [str(h) for h in cell.A.Headers] == [str(slot_header.ID), room_id]


def test_seed_pdf_marks_running_header_and_page_numbers_as_artifacts(seed_meeting):
    data = pdf.render_proceedings(seed_meeting)

    pages = marked_text(data)

    assert pages[0][0] == []
    for number, (artifacts, content) in enumerate(pages[1:], start=2):
        margins = ["Leda omställning tillsammans · Lärandeträff 4", f"{number} / {len(pages)}"]
        assert artifacts == margins
        assert not set(margins) & set(content)
    assert "Inledning" in pages[1][1]


def test_seed_pdf_tags_every_mark_it_does_not_call_an_artifact(seed_meeting):
    painting = {"Tj", "TJ", "'", '"', "f", "F", "f*", "S", "s", "B", "B*", "b", "b*", "Do", "sh"}
    with pikepdf.open(io.BytesIO(pdf.render_proceedings(seed_meeting))) as document:
        tagged = {e.objgen for e in structure_elements(document.Root.StructTreeRoot)}
        parent_tree = pikepdf.NumberTree(document.Root.StructTreeRoot.ParentTree)
        for page in document.pages:
            owners = parent_tree[int(page.obj.StructParents)]
            marks: list[pikepdf.Object] = []
            for operands, operator in pikepdf.parse_content_stream(page):
                name = str(operator)
                if name in ("BDC", "BMC"):
                    marks.append(operands)
                    if name == "BDC" and "/MCID" in operands[1]:
                        assert owners[int(operands[1].MCID)].objgen in tagged
                elif name == "EMC":
                    marks.pop()
                elif name in painting:
                    assert marks, f"{name} outside any marked content"


PRINCIPLES = {
    "sv": [
        "Vilka som än kommer är rätt personer",
        "Vad som än händer är det enda som kunde hända",
        "När det än börjar är det rätt tid",
        "När det är slut, så är det slut",
        "Lagen om rörlighet: Om du någon gång varken lär dig något eller bidrar, använd dina "
        "två fötter och gå dit där du lär dig eller bidrar mest.",
    ],
    "en": [
        "Whoever comes is the right people",
        "Whatever happens is the only thing that could have",
        "Whenever it starts is the right time",
        "When it's over, it's over",
        "The law of two feet: If at any time you are neither learning nor contributing, use "
        "your two feet and move to a more productive place.",
    ],
}


@pytest.mark.parametrize("language", ["sv", "en"])
def test_principles_read_the_same_on_the_projector_and_in_the_pdf(db, language):
    meeting = make_meeting(language=language)
    meeting.phase = Meeting.Phase.OPENING
    meeting.save()

    projector = html.unescape(
        " ".join(re.sub(r"<[^>]+>", " ", fragments.render(meeting, ["stage"])).split())
    )
    document = pdf_text(pdf.render_proceedings(meeting))

    for line in PRINCIPLES[language]:
        assert line in projector
        assert line in document
    other = PRINCIPLES["en" if language == "sv" else "sv"]
    assert not any(line in projector or line in document for line in other)


def test_pdf_photos_carry_their_caption_or_a_default_as_alternative_text(
    db, seed_document, tmp_path
):
    meeting = import_with_photos(seed_document, tmp_path, {0: ["red", "blue"]})
    ReportPhoto.objects.filter(bundle_path="photos/topic0-1.jpg").update(caption="")

    with pikepdf.open(io.BytesIO(pdf.render_proceedings(meeting))) as document:
        figures = [
            e
            for e in structure_elements(document.Root.StructTreeRoot)
            if e.S == "/Figure" and "/Alt" in e
        ]

        assert [str(figure.Alt) for figure in figures] == [
            "Rapportblad photos/topic0-0.jpg",
            "Foto av rapportbladet för A1",
        ]


def fonts_of(data: bytes) -> set[str]:
    with pikepdf.open(io.BytesIO(data)) as document:
        return {
            str(font.get("/BaseFont")).split("+")[-1]
            for page in document.pages
            for font in page.resources.get("/Font", {}).values()
        }


def test_typed_emoji_show_in_the_pdf_and_digits_stay_in_the_text_font(meeting):
    has_emoji_font = subprocess.run(
        ["fc-list", "Noto Color Emoji"], capture_output=True, text=True
    ).stdout.strip()
    require(bool(has_emoji_font), "needs the Noto Color Emoji font (fonts-noto-color-emoji)")
    make_topic(meeting, title="🚲 Cykelparkering 24/7", cell="A1")

    data = pdf.render_proceedings(meeting)

    assert "Noto-Color-Emoji" in fonts_of(data)
    assert "🚲 Cykelparkering 24/7" in pdf_text(data)
