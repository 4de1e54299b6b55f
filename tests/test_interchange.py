"""The meeting format: the seed's import and round trip, and every rule refused by path."""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from django.core.files.storage import default_storage
from PIL import Image, ImageFile

from sessions_app import interchange
from sessions_app.interchange import Bundle, FormatError, import_document, import_path
from sessions_app.models import Initiative, Report, Topic

from . import images
from .documents import (
    jpeg_bytes,
    media_files,
    row_counts,
    with_photo,
    with_v2_defaults,
    write_zip,
)
from .factories import make_meeting, make_topic, wall
from .images import BAD_PHOTOS

pytestmark = pytest.mark.django_db


def test_import_seed_places_eight_topics_with_c3_empty(seed_meeting):
    assert wall(seed_meeting) == {
        "A1": "Vad behövs för att dela erfarenheter mellan organisationer?",
        "B1": "Godsflöden: Hur kan vi tillsammans påverka/förändra? Möjligheterna i att samtala "
        "mellan olika branscher?",
        "C1": "Hur skapar man förutsättningar till omställning? Individuellt (ledarskap) och inom "
        "verksamheten. Gå från ”teori” till ”förändring”",
        "A2": "Hur kan vi kommunicera omställningen bättre inåt i era organisationer?",
        "B2": "Hur kan vi fortsätta upprätthålla kontakten och träffas? Dvs. ett forum för "
        "mellanrumsledarskap för att accelerera omställningen",
        "C2": "Hur tar vi det vi lärt oss här till andra partners i färdplanen, konkreta idéer?",
        "A3": "Gå från ord till handling: Hur kan vi hitta konkreta samarbeten för att tillsammans "
        "jobba med/för ett hållbarare Umeå?",
        "B3": "Hur kan vi accelerera omställning till hållbara arbetsmaskiner?",
    }
    assert seed_meeting.topics.get(slot__number=1, room__code="B").convener.organization == "INAB"


def test_import_seed_keeps_six_initiatives_with_levels_and_members(seed_meeting):
    rows = [
        (i.who, i.levels, i.when, [m.name for m in i.members.all()])
        for i in seed_meeting.initiatives.all()
    ]
    assert rows == [
        ("Martin, LF", "U", "Augusti", ["Anki W, INAB"]),
        ("Kansliet färdplan", "G", "", ["Lucas"]),
        ("Lucas, UK", "FU", "Augusti", ["RISE", "Anki W, INAB"]),
        ("Rebecka, UK", "G", "Nästa vecka", []),
        ("Lina, INAB, Malin, GoP (UK)", "FU", "Innan semestern", []),
        ("Kansli färdplan", "G", "Nästa vecka", []),
    ]


def test_import_seed_keeps_setup_and_series(seed_meeting):
    assert seed_meeting.series.title == "Leda omställning tillsammans"
    assert seed_meeting.number == 4
    assert seed_meeting.language == "sv"
    assert [f.name for f in seed_meeting.facilitators.all()] == ["Rebecka Janols", "Ellen Grahn"]
    assert [s.starts.strftime("%H:%M") for s in seed_meeting.slots.all()] == [
        "13:45",
        "14:15",
        "14:45",
    ]
    assert len(seed_meeting.join_code) == 6


def test_export_of_imported_seed_equals_the_file_with_version_2_defaults(
    seed_meeting, seed_document
):
    assert seed_document["version"] == 1
    assert interchange.export_document(seed_meeting) == with_v2_defaults(seed_document)


def test_export_writes_every_key_even_when_empty(db):
    meeting = import_document(
        Bundle(
            {
                "format": "openspace-meeting",
                "version": 1,
                "meeting": {"title": "Bare", "date": "2025-01-02", "language": "en"},
                "slots": [],
                "rooms": [],
                "topics": [],
            }
        )
    )

    document = interchange.export_document(meeting)

    assert set(document) == interchange.TOP_KEYS
    assert set(document["meeting"]) == interchange.MEETING_KEYS
    assert document["series"] is None
    assert document["meeting"]["purpose"] == []
    assert document["initiatives"] == [] and document["reflections"] == []
    assert document["version"] == 2 and document["hidden_reflections"] == []
    assert document["meeting"]["dots_per_person"] == 3


def test_bundle_with_photos_round_trips(seed_document, tmp_path):
    document = with_photo(seed_document)
    photo = jpeg_bytes()
    source = write_zip(
        tmp_path / "in.zip",
        {"meeting.json": json.dumps(document), "photos/a1.jpg": photo},
    )

    meeting = import_path(source)
    out = interchange.write_bundle(meeting, tmp_path / "out.zip")

    report = meeting.topics.get(position=0).report
    stored = report.photos.get()
    assert stored.caption == "The sheet"
    with zipfile.ZipFile(out) as archive:
        assert json.loads(archive.read("meeting.json")) == with_v2_defaults(document)
        # The bundle carries the photo as the pipeline stored it, at the same size.
        exported = archive.read("photos/a1.jpg")
    with stored.image.open() as handle:
        assert exported == handle.read()
    with Image.open(io.BytesIO(exported)) as cleaned, Image.open(io.BytesIO(photo)) as original:
        assert cleaned.size == original.size


def test_export_to_json_refuses_a_meeting_with_photos(seed_document, tmp_path):
    meeting = import_path(
        write_zip(
            tmp_path / "in.zip",
            {"meeting.json": json.dumps(with_photo(seed_document)), "photos/a1.jpg": jpeg_bytes()},
        )
    )

    with pytest.raises(FormatError, match="export it to a .zip bundle"):
        interchange.write_bundle(meeting, tmp_path / "out.json")

    assert not (tmp_path / "out.json").exists()


def test_import_refuses_a_second_copy_of_the_same_meeting(seed_meeting, seed_document):
    before = row_counts()

    with pytest.raises(FormatError, match="meeting.number: the series already has meeting 4"):
        import_document(Bundle(seed_document))

    assert row_counts() == before


Mutation = Callable[[dict], object]


def _set(path: str, value: object) -> Mutation:
    """A change that sets one key, named by a dotted path with list indexes as numbers."""

    def change(document: dict) -> None:
        *parents, last = path.split(".")
        target = document
        for part in parents:
            target = target[int(part)] if part.isdigit() else target[part]
        if last.isdigit():
            target[int(last)] = value
        else:
            target[last] = value

    return change


def _delete(path: str) -> Mutation:
    def change(document: dict) -> None:
        *parents, last = path.split(".")
        target = document
        for part in parents:
            target = target[int(part)] if part.isdigit() else target[part]
        del target[last]

    return change


RULES: list[tuple[str, Mutation, str]] = [
    ("format is fixed", _set("format", "other"), "format: must be"),
    ("version 1 or 2", _set("version", 3), "version: version 3 is not supported"),
    ("version is an integer", _set("version", True), "version: version True"),
    ("version is not a float", _set("version", 1.0), "version: version 1.0"),
    ("unknown top-level key", _set("extra", 1), "extra: unknown key"),
    ("meeting is required", _delete("meeting"), "meeting: is required"),
    ("topics are required", _delete("topics"), "topics: is required"),
    ("series is an object", _set("series", "Umeå"), "series: must be an object"),
    ("series keys are known", _set("series.budget", 1), "series.budget: unknown key"),
    ("meeting keys are known", _set("meeting.venue", "x"), "meeting.venue: unknown key"),
    ("meeting title is required", _delete("meeting.title"), "meeting.title: is required"),
    ("meeting title not empty", _set("meeting.title", ""), "meeting.title: must not be empty"),
    ("meeting title ≤ 200", _set("meeting.title", "x" * 201), "meeting.title: must be at most 200"),
    ("meeting date is a date", _set("meeting.date", "2024-13-01"), "meeting.date: must be a date"),
    ("meeting date format", _set("meeting.date", "7 maj 2024"), "meeting.date: must be a date"),
    ("language sv or en", _set("meeting.language", "de"), 'meeting.language: must be "sv" or "en"'),
    ("number is an integer", _set("meeting.number", "4"), "meeting.number: must be an integer"),
    ("number from 1", _set("meeting.number", 0), "meeting.number: must be from 1 to"),
    ("number fits a column", _set("meeting.number", 2**70), "meeting.number: must be from 1 to"),
    ("purpose is strings", _set("meeting.purpose", ["a", 3]), "meeting.purpose[1]: must be a str"),
    ("location is a string", _set("meeting.location", None), "meeting.location: must be a string"),
    (
        "facilitator has a name",
        _set("meeting.facilitators", [{"role": "lead"}]),
        "meeting.facilitators[0].name: is required",
    ),
    (
        "facilitator keys are known",
        _set("meeting.facilitators.0.email", "x@example.org"),
        "meeting.facilitators[0].email: unknown key",
    ),
    (
        "links are http(s)",
        _set("meeting.links.1.url", "javascript:alert(1)"),
        "meeting.links[1].url: must be an http(s) address",
    ),
    (
        "link address has a host",
        _set("meeting.links.0.url", "https://"),
        "meeting.links[0].url: must be an http(s) address",
    ),
    ("slots is a list", _set("slots", {}), "slots: must be a list"),
    (
        "slot number unique",
        _set("slots.1.number", 1),
        "slots[1].number: slot number 1 is used twice",
    ),
    ("slot number from 1", _set("slots.0.number", 0), "slots[0].number: must be from 1 to"),
    ("slots in order", _set("slots.0.number", 4), "slots[1].number: slots are listed in order"),
    (
        "slot time no newline",
        _set("slots.0.starts", "13:45\n"),
        "slots[0].starts: must be a 24-hour",
    ),
    ("slot time is HH:MM", _set("slots.0.starts", "25:00"), "slots[0].starts: must be a 24-hour"),
    ("slot time has minutes", _set("slots.0.ends", "14"), "slots[0].ends: must be a 24-hour"),
    ("slot ends after start", _set("slots.0.ends", "13:45"), "slots[0].ends: must be after starts"),
    ("slots do not overlap", _set("slots.1.starts", "14:00"), "slots[1].starts: overlaps"),
    ("slot keys required", _delete("slots.2.ends"), "slots[2].ends: is required"),
    ("room code 1–3 chars", _set("rooms.0.code", "ABCD"), "rooms[0].code: must be 1–3 letters"),
    ("room code no spaces", _set("rooms.0.code", "A 1"), "rooms[0].code: must be 1–3 letters"),
    ("room code no newline", _set("rooms.0.code", "A\n"), "rooms[0].code: must be 1–3 letters"),
    ("room code unique", _set("rooms.2.code", "A"), "rooms[2].code: room code 'A' is used twice"),
    ("topic slot exists", _set("topics.3.slot", 7), "topics[3].slot: no slot number 7"),
    ("topic room exists", _set("topics.0.room", "Z"), "topics[0].room: no room with code 'Z'"),
    ("one topic per cell", _set("topics.1.room", "A"), "topics[1].room: A1 is already taken"),
    ("placed needs a room", _set("topics.0.room", None), "topics[0].room: a placed topic needs"),
    ("placed needs a slot", _set("topics.0.slot", None), "topics[0].slot: a placed topic needs"),
    ("topic slot is a number", _set("topics.0.slot", "1"), "topics[0].slot: must be an integer"),
    ("topic title not empty", _set("topics.2.title", " "), "topics[2].title: must not be empty"),
    (
        "topic title ≤ 300",
        _set("topics.2.title", "x" * 301),
        "topics[2].title: must be at most 300",
    ),
    ("topic has a convener", _delete("topics.4.convener"), "topics[4].convener: is required"),
    (
        "convener has a name",
        _set("topics.4.convener", {"organization": "INAB"}),
        "topics[4].convener.name: is required",
    ),
    ("topic keys are known", _set("topics.0.code", "A1"), "topics[0].code: unknown key"),
    ("report is an object", _set("topics.0.report", []), "topics[0].report: must be an object"),
    (
        "report keys are known",
        _set("topics.0.report", {"notes": ""}),
        "topics[0].report.notes: unknown key",
    ),
    (
        "report lists are strings",
        _set("topics.0.report", {"insights": [["nested"]]}),
        "topics[0].report.insights[0]: must be a string",
    ),
    (
        "photo is in the bundle",
        _set("topics.0.report", {"photos": [{"file": "photos/a1.jpg", "caption": ""}]}),
        "topics[0].report.photos[0].file: no file 'photos/a1.jpg' in the bundle",
    ),
    (
        "photo path fits",
        _set("topics.0.report", {"photos": [{"file": "photos/" + "x" * 300, "caption": ""}]}),
        "topics[0].report.photos[0].file: must be at most 300",
    ),
    (
        "photo is under photos/",
        _set("topics.0.report", {"photos": [{"file": "../etc/passwd", "caption": ""}]}),
        "topics[0].report.photos[0].file: must be a path under photos/",
    ),
    ("levels not empty", _set("initiatives.0.levels", []), "initiatives[0].levels: needs one"),
    ("levels are F G U", _set("initiatives.0.levels", ["X"]), "initiatives[0].levels[0]: must be"),
    ("levels once each", _set("initiatives.0.levels", ["F", "F"]), "initiatives[0].levels: names"),
    ("initiative has who", _delete("initiatives.1.who"), "initiatives[1].who: is required"),
    ("initiative what text", _set("initiatives.1.what", ""), "initiatives[1].what: must not be"),
    ("members are strings", _set("initiatives.2.members", [1]), "initiatives[2].members[0]: must"),
    ("reflections are strings", _set("reflections", [{"text": "x"}]), "reflections[0]: must be"),
]


@pytest.mark.parametrize(("rule", "change", "message"), RULES, ids=[r[0] for r in RULES])
def test_import_refuses_a_document_breaking_a_rule(seed_document, rule, change, message):
    change(seed_document)
    before = row_counts()

    with pytest.raises(FormatError) as refused:
        import_document(Bundle(seed_document))

    assert message in str(refused.value)
    assert row_counts() == before


def test_import_refuses_a_document_that_is_not_an_object(db):
    with pytest.raises(FormatError, match="must be an object"):
        import_document(Bundle(["openspace-meeting"]))

    assert row_counts()["Meeting"] == 0


def test_import_path_refuses_a_file_that_is_not_json(db, tmp_path):
    broken = tmp_path / "broken.json"
    broken.write_text('{"format": ', encoding="utf-8")

    with pytest.raises(FormatError, match="broken.json: not valid JSON"):
        import_path(broken)

    assert row_counts()["Meeting"] == 0


def test_import_path_refuses_a_zip_with_a_path_leaving_the_bundle(seed_document, tmp_path):
    bundle = write_zip(
        tmp_path / "evil.zip",
        {"meeting.json": json.dumps(seed_document), "../outside.jpg": jpeg_bytes()},
    )

    with pytest.raises(FormatError, match="bundle: unsafe path '../outside.jpg'"):
        import_path(bundle)

    assert row_counts()["Meeting"] == 0
    assert not (tmp_path.parent / "outside.jpg").exists()


@pytest.mark.parametrize("name", ["/etc/cron.d/x", "photos/../../x.jpg", "C:/x.jpg", "a\\..\\b"])
def test_import_path_refuses_other_unsafe_zip_names(seed_document, tmp_path, name):
    bundle = write_zip(
        tmp_path / "evil.zip", {"meeting.json": json.dumps(seed_document), name: b"x"}
    )

    with pytest.raises(FormatError, match="unsafe path"):
        import_path(bundle)

    assert row_counts()["Meeting"] == 0


def test_import_path_refuses_a_photo_that_is_not_an_image(seed_document, tmp_path):
    bundle = write_zip(
        tmp_path / "fake.zip",
        {
            "meeting.json": json.dumps(with_photo(seed_document)),
            "photos/a1.jpg": b"#!/bin/sh\necho not a photo\n",
        },
    )

    with pytest.raises(
        FormatError, match=r"topics\[0\].report.photos\[0\].file: This is not a photo"
    ):
        import_path(bundle)

    assert row_counts() == dict.fromkeys(row_counts(), 0)


def test_import_path_refuses_a_bundle_without_meeting_json(tmp_path, db):
    bundle = write_zip(tmp_path / "empty.zip", {"photos/a1.jpg": jpeg_bytes()})

    with pytest.raises(FormatError, match="bundle: no meeting.json"):
        import_path(bundle)

    assert row_counts()["Meeting"] == 0


@pytest.mark.parametrize(
    ("bound", "message"),
    [
        ("MAX_PHOTO_BYTES", "photos/a1.jpg: larger than"),
        ("MAX_BUNDLE_BYTES", "bundle: larger than"),
    ],
)
def test_import_path_refuses_a_bundle_over_a_size_bound(
    seed_document, tmp_path, monkeypatch, bound, message
):
    monkeypatch.setattr(interchange.bundle, bound, 100 if bound == "MAX_PHOTO_BYTES" else 1000)
    bundle = write_zip(
        tmp_path / "big.zip",
        {"meeting.json": json.dumps(with_photo(seed_document)), "photos/a1.jpg": jpeg_bytes()},
    )

    with pytest.raises(FormatError, match=message):
        import_path(bundle)

    assert row_counts()["Meeting"] == 0


def test_import_refuses_a_series_already_here_with_another_context(seed_meeting, seed_document):
    seed_document["meeting"]["number"] = 5
    seed_document["series"]["context"] = "Another roadmap"
    before = row_counts()

    with pytest.raises(FormatError, match="series.context: the series “Leda omställning"):
        import_document(Bundle(seed_document))

    assert row_counts() == before
    seed_meeting.series.refresh_from_db()
    assert seed_meeting.series.context == "Umeås klimatfärdplan"


def test_import_accepts_a_phone_cameras_multi_picture_jpeg(seed_document, tmp_path):
    buffer = io.BytesIO()
    frames = [Image.new("RGB", (40, 30), color) for color in ("red", "blue")]
    frames[0].save(buffer, "MPO", save_all=True, append_images=frames[1:])
    bundle = write_zip(
        tmp_path / "phone.zip",
        {"meeting.json": json.dumps(with_photo(seed_document)), "photos/a1.jpg": buffer.getvalue()},
    )

    meeting = import_path(bundle)

    assert meeting.topics.get(position=0).report.photos.count() == 1


def test_bundle_with_two_photos_of_one_file_round_trips(seed_document, tmp_path):
    document = with_photo(seed_document)
    document["topics"][1]["report"] = {
        "participants": [],
        "summary": "",
        "insights": [],
        "next_steps": [],
        "photos": [{"file": "photos/a1.jpg", "caption": "The same sheet"}],
    }
    source = write_zip(
        tmp_path / "in.zip", {"meeting.json": json.dumps(document), "photos/a1.jpg": jpeg_bytes()}
    )

    out = interchange.write_bundle(import_path(source), tmp_path / "out.zip")

    with zipfile.ZipFile(out) as archive:
        assert json.loads(archive.read("meeting.json")) == with_v2_defaults(document)
        assert archive.namelist() == ["meeting.json", "photos/a1.jpg"]


def test_import_that_fails_after_saving_photos_removes_them(seed_document, tmp_path, monkeypatch):
    document = with_photo(seed_document)
    bundle = Bundle(document, {"photos/a1.jpg": jpeg_bytes()})

    def refuse(*args, **kwargs):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(Initiative.objects, "create", refuse)
    with pytest.raises(RuntimeError):
        import_document(bundle)

    media = Path(default_storage.location)
    assert not [p for p in media.rglob("*") if p.is_file()]
    assert row_counts()["ReportPhoto"] == 0


def test_export_of_a_meeting_built_in_the_app_is_a_valid_document(db, tmp_path):
    meeting = make_meeting(rooms="Ab")
    meeting.links.create(title="", url="https://example.org/open-space")
    placed = make_topic(meeting, title="Freight", cell="A1")
    make_topic(meeting, title="In the tray")
    make_topic(meeting, title="Private", status=Topic.Status.DRAFT)
    Report.objects.create(topic=placed, summary="We met.", insights=["More"])
    initiative = meeting.initiatives.create(who="Lina", what="A hub", levels="UF")
    initiative.members.create(name="Anki W, INAB")
    meeting.reflections.create(text="Good day")
    meeting.reflections.create(text="Hidden", is_visible=False)

    document = interchange.export_document(meeting)
    interchange.validate_document(Bundle(document))
    out = tmp_path / "out.json"
    out.write_text(json.dumps(document), encoding="utf-8")
    again = interchange.export_document(import_path(out))

    assert again == document
    assert [t["title"] for t in document["topics"]] == ["Freight", "In the tray"]
    assert document["initiatives"][0]["levels"] == ["U", "F"]
    assert document["reflections"] == ["Good day"]
    assert document["hidden_reflections"] == ["Hidden"]


BUNDLE_BAD_PHOTOS = [row for row in BAD_PHOTOS if row[0] != "over 20 MB"]


@pytest.mark.parametrize(
    ("what", "make", "message"), BUNDLE_BAD_PHOTOS, ids=[row[0] for row in BUNDLE_BAD_PHOTOS]
)
def test_import_refuses_a_bad_photo_at_its_path_and_saves_nothing(
    seed_document, tmp_path, settings, monkeypatch, what, make, message
):
    # As it is once WeasyPrint is imported: Pillow itself no longer refuses a cut file.
    monkeypatch.setattr(ImageFile, "LOAD_TRUNCATED_IMAGES", True)
    document = with_photo(seed_document)
    document["topics"][0]["report"]["photos"].insert(0, {"file": "photos/ok.jpg", "caption": ""})
    bundle = write_zip(
        tmp_path / "bad.zip",
        {
            "meeting.json": json.dumps(document),
            "photos/ok.jpg": jpeg_bytes(),
            "photos/a1.jpg": make(),
        },
    )

    with pytest.raises(FormatError) as refused:
        import_path(bundle)

    assert str(refused.value) == f"topics[0].report.photos[1].file: {message}"
    assert row_counts() == dict.fromkeys(row_counts(), 0)
    assert media_files(settings) == []


def test_import_refuses_a_photo_over_20_mb(seed_document, tmp_path):
    oversize = jpeg_bytes() + bytes(20 * 1024 * 1024)
    bundle = write_zip(
        tmp_path / "big.zip",
        {"meeting.json": json.dumps(with_photo(seed_document)), "photos/a1.jpg": oversize},
    )

    with pytest.raises(FormatError, match="photos/a1.jpg: larger than 20 MB"):
        import_path(bundle)

    assert row_counts()["Meeting"] == 0


def test_import_refuses_a_report_with_more_than_12_photos(seed_document):
    document = with_photo(seed_document)
    document["topics"][0]["report"]["photos"] *= 13

    with pytest.raises(FormatError) as refused:
        import_document(Bundle(document, {"photos/a1.jpg": jpeg_bytes()}))

    assert str(refused.value) == "topics[0].report.photos: a report has at most 12 photos"
    assert row_counts()["Meeting"] == 0


def test_import_stores_a_bundle_photo_cleaned(seed_document):
    bundle = Bundle(with_photo(seed_document), {"photos/a1.jpg": images.phone_photo(3000, 1500)})

    meeting = import_document(bundle)

    stored = meeting.topics.get(position=0).report.photos.get()
    assert stored.bundle_path == "photos/a1.jpg"
    with stored.image.open() as handle, Image.open(handle) as image:
        assert image.size == (1000, 2000)
        assert len(image.getexif()) == 0
