"""Version 2 of the meeting format: what the live meeting adds, and how version 1 reads."""

from __future__ import annotations

import copy

import pytest
from PIL import Image

from sessions_app import agenda, interchange
from sessions_app.interchange import Bundle, FormatError, import_document, import_path
from sessions_app.models import Participant, Report, ReportPhoto, Topic
from sessions_app.photos import clean_photo, save_report_photo

from . import images
from .documents import row_counts, with_v2_defaults
from .factories import make_meeting, make_topic

pytestmark = pytest.mark.django_db

LISA = {"name": "Lisa Redin", "organization": "Umeå universitet"}


@pytest.fixture
def v2_document(seed_document) -> dict:
    """The seed as version 2, with every added key away from its default."""
    document = with_v2_defaults(seed_document)
    document["meeting"]["dots_per_person"] = 5
    document["rooms"][0]["capacity"] = 30
    document["rooms"][2]["capacity"] = 8
    first, second = document["topics"][0], document["topics"][1]
    first["description"] = "Hur når erfarenheter mellan organisationer?"
    # Lisa convenes B2 too: her co-signature is the same participant.
    first["cosigner"] = LISA
    second["merged"] = [
        {"title": "Godstransporter i stan", "convener": {"name": "Per", "organization": ""}},
        {"title": "Samlastning", "convener": LISA},
    ]
    document["topics"].append(
        {
            "title": "Still in the tray",
            "description": "",
            "convener": {"name": "Per", "organization": ""},
            "cosigner": None,
            "slot": None,
            "room": None,
            "merged": [],
            "report": None,
        }
    )
    document["initiatives"][0].update(status="done", topic="A1")
    document["initiatives"][1].update(status="dropped", topic="B2")
    document["hidden_reflections"] = ["Ett svar som inte ska visas"]
    return document


def test_v2_document_with_every_added_key_round_trips_exactly(v2_document):
    meeting = import_document(Bundle(copy.deepcopy(v2_document)))

    assert interchange.export_document(meeting) == v2_document


def test_v2_import_keeps_the_added_keys_in_the_models(v2_document):
    meeting = import_document(Bundle(v2_document))

    assert meeting.dots_per_person == 5
    assert [r.capacity for r in meeting.rooms.all()] == [30, None, 8]
    a1 = meeting.topics.get(slot__number=1, room__code="A")
    assert a1.description == "Hur når erfarenheter mellan organisationer?"
    assert a1.partner_signed
    assert a1.partner == meeting.topics.get(slot__number=2, room__code="B").convener
    b1 = meeting.topics.get(slot__number=1, room__code="B")
    merged = b1.merged_from.order_by("pk")
    assert [(t.title, t.status) for t in merged] == [
        ("Godstransporter i stan", Topic.Status.MERGED),
        ("Samlastning", Topic.Status.MERGED),
    ]
    assert merged[1].convener == a1.partner
    assert Participant.objects.filter(meeting=meeting, name="Per").count() == 1
    first, second, third = meeting.initiatives.all()[:3]
    assert (first.status, first.source_topic) == ("done", a1)
    assert (second.status, second.source_topic.code) == ("dropped", "B2")
    assert (third.status, third.source_topic) == ("open", None)
    assert list(meeting.reflections.filter(is_visible=False).values_list("text", flat=True)) == [
        "Ett svar som inte ska visas"
    ]


def test_v1_seed_imports_with_the_version_2_defaults(seed_meeting):
    assert seed_meeting.dots_per_person == 3
    assert {r.capacity for r in seed_meeting.rooms.all()} == {None}
    assert not seed_meeting.topics.filter(partner__isnull=False).exists()
    assert not seed_meeting.topics.filter(status=Topic.Status.MERGED).exists()
    assert {(i.status, i.source_topic) for i in seed_meeting.initiatives.all()} == {("open", None)}


# Each key version 2 adds: where a test sets it, and the path an error names.
ADDED_KEYS = [
    ("meeting.dots_per_person", "meeting.dots_per_person", 3),
    ("rooms.1.capacity", "rooms[1].capacity", None),
    ("topics.2.description", "topics[2].description", ""),
    ("topics.2.cosigner", "topics[2].cosigner", None),
    ("topics.2.merged", "topics[2].merged", []),
    ("initiatives.3.status", "initiatives[3].status", "open"),
    ("initiatives.3.topic", "initiatives[3].topic", None),
    ("hidden_reflections", "hidden_reflections", []),
]


def _parent(document: dict, dotted: str) -> tuple[dict, str]:
    *parents, last = dotted.split(".")
    target = document
    for part in parents:
        target = target[int(part)] if part.isdigit() else target[part]
    return target, last


def _refused(document: dict) -> str:
    before = row_counts()
    with pytest.raises(FormatError) as refused:
        import_document(Bundle(document))
    assert row_counts() == before
    return str(refused.value)


@pytest.mark.parametrize(("key", "path", "default"), ADDED_KEYS, ids=[k[0] for k in ADDED_KEYS])
def test_v1_document_carrying_a_version_2_key_is_refused_naming_it(
    seed_document, key, path, default
):
    target, last = _parent(seed_document, key)
    target[last] = default

    assert _refused(seed_document) == f"{path}: is a version 2 key, but this document is version 1"


@pytest.mark.parametrize(("key", "path", "default"), ADDED_KEYS, ids=[k[0] for k in ADDED_KEYS])
def test_v2_document_missing_an_added_key_is_refused(v2_document, key, path, default):
    target, last = _parent(v2_document, key)
    del target[last]

    assert _refused(v2_document) == f"{path}: is required"


V2_RULES = [
    ("dots from 0", "meeting.dots_per_person", -1, "meeting.dots_per_person: must be from 0 to 20"),
    ("dots to 20", "meeting.dots_per_person", 21, "meeting.dots_per_person: must be from 0 to 20"),
    ("dots a number", "meeting.dots_per_person", "3", "meeting.dots_per_person: must be an integ"),
    ("dots not a bool", "meeting.dots_per_person", True, "meeting.dots_per_person: must be an int"),
    ("capacity from 1", "rooms.1.capacity", 0, "rooms[1].capacity: must be from 1 to"),
    ("capacity a number", "rooms.1.capacity", "12", "rooms[1].capacity: must be an integer or"),
    (
        "description ≤ 2000",
        "topics.2.description",
        "x" * 2001,
        "topics[2].description: must be at most 2000 characters",
    ),
    ("description text", "topics.2.description", None, "topics[2].description: must be a str"),
    ("cosigner an object", "topics.2.cosigner", "Lisa", "topics[2].cosigner: must be an object"),
    ("cosigner has a name", "topics.2.cosigner", {}, "topics[2].cosigner.name: is required"),
    (
        "cosigner keys known",
        "topics.2.cosigner",
        {**LISA, "phone": "070"},
        "topics[2].cosigner.phone: unknown key",
    ),
    ("merged a list", "topics.2.merged", {}, "topics[2].merged: must be a list"),
    (
        "merged has a convener",
        "topics.2.merged",
        [{"title": "Gods"}],
        "topics[2].merged[0].convener: is required",
    ),
    (
        "merged title not empty",
        "topics.2.merged",
        [{"title": " ", "convener": LISA}],
        "topics[2].merged[0].title: must not be empty",
    ),
    (
        "merged title ≤ 300",
        "topics.2.merged",
        [{"title": "x" * 301, "convener": LISA}],
        "topics[2].merged[0].title: must be at most 300",
    ),
    (
        "merged convener named",
        "topics.2.merged",
        [{"title": "Gods", "convener": {"organization": "INAB"}}],
        "topics[2].merged[0].convener.name: is required",
    ),
    (
        "merged keys known",
        "topics.2.merged",
        [{"title": "Gods", "convener": LISA, "slot": 1}],
        "topics[2].merged[0].slot: unknown key",
    ),
    (
        "status is known",
        "initiatives.3.status",
        "closed",
        'initiatives[3].status: must be "open", "done" or "dropped"',
    ),
    (
        "topic is placed",
        "initiatives.3.topic",
        "C3",
        "initiatives[3].topic: no placed topic has the code 'C3'",
    ),
    ("topic is a code", "initiatives.3.topic", 2, "initiatives[3].topic: must be a string"),
    ("hidden a list", "hidden_reflections", "Dolt", "hidden_reflections: must be a list"),
    ("hidden strings", "hidden_reflections", [1], "hidden_reflections[0]: must be a string"),
]


@pytest.mark.parametrize(
    ("rule", "key", "value", "message"), V2_RULES, ids=[r[0] for r in V2_RULES]
)
def test_v2_import_refuses_a_bad_value_naming_its_path(v2_document, rule, key, value, message):
    target, last = _parent(v2_document, key)
    target[last] = value

    assert message in _refused(v2_document)


def test_v2_import_refuses_a_topic_code_two_placed_topics_share(v2_document):
    v2_document["slots"] = [
        {"number": n, "starts": f"{7 + n:02}:00", "ends": f"{7 + n:02}:30"} for n in range(1, 13)
    ]
    v2_document["rooms"].append({"code": "B1", "name": "", "capacity": None})
    # Room B in slot 12 and room B1 in slot 2 are both "B12".
    v2_document["topics"][0].update(room="B", slot=12)
    v2_document["topics"][-1].update(room="B1", slot=2)
    v2_document["initiatives"][0]["topic"] = "B12"

    assert "initiatives[0].topic: 'B12' is the code of more than one" in _refused(v2_document)


def test_version_3_is_refused_with_the_versions_this_app_reads(v2_document):
    v2_document["version"] = 3

    assert _refused(v2_document) == (
        "version: version 3 is not supported; this app reads versions 1 and 2"
    )


def test_export_of_a_live_meeting_writes_what_the_room_did(meeting):
    alice = Participant.objects.create(meeting=meeting, name="Alice", organization="INAB")
    bo = Participant.objects.create(meeting=meeting, name="Bo")
    signed = make_topic(meeting, title="Ports", convener=alice, cell="A1")
    signed.partner, signed.partner_signed, signed.description = bo, True, "Harbours"
    signed.save()
    unsigned = make_topic(meeting, title="Rail", convener=bo, cell="B2")
    unsigned.partner = alice
    unsigned.save()
    merged = make_topic(meeting, title="Ferries", convener=bo)
    agenda.merge_topics(meeting=meeting, topic_id=merged.pk, into_id=signed.pk)
    adopted = meeting.initiatives.create(who="Alice", what="A port forum", levels="G")
    adopted.source_topic = signed
    adopted.save()
    meeting.initiatives.create(who="Bo", what="Rail talks", levels="U", source_topic=unsigned)
    agenda.unplace_topic(meeting=meeting, topic_id=unsigned.pk)
    meeting.reflections.create(text="Shown")
    meeting.reflections.create(text="Hidden", is_visible=False)

    document = interchange.export_document(meeting)

    ports, rail = document["topics"]
    assert ports["cosigner"] == {"name": "Bo", "organization": ""}
    assert ports["merged"] == [{"title": "Ferries", "convener": {"name": "Bo", "organization": ""}}]
    assert ports["description"] == "Harbours"
    # An unsigned partner only read the draft; an unplaced topic has no code.
    assert rail["cosigner"] is None
    assert [(i["topic"], i["status"]) for i in document["initiatives"]] == [
        ("A1", "open"),
        (None, "open"),
    ]
    assert (document["reflections"], document["hidden_reflections"]) == (["Shown"], ["Hidden"])
    interchange.validate_document(Bundle(document))
    assert interchange.export_document(import_document(Bundle(document))) == document


def test_export_writes_a_rooms_capacity_and_the_dots(db):
    meeting = make_meeting(rooms="A")
    meeting.rooms.update(capacity=25)
    meeting.dots_per_person = 0
    meeting.save()

    document = interchange.export_document(meeting)

    assert document["rooms"] == [{"code": "A", "name": "", "capacity": 25}]
    assert document["meeting"]["dots_per_person"] == 0


def test_meeting_with_photos_taken_in_the_app_round_trips_through_a_bundle(meeting, tmp_path):
    placed = make_topic(meeting, title="Freight", cell="A1")
    tray = make_topic(meeting, title="In the tray")
    sheet = Report.objects.create(topic=placed, summary="We met.", insights=["More"])
    drawing = Image.new("RGBA", (60, 40), (0, 0, 0, 0))
    drawing.paste((0, 90, 0, 255), (0, 0, 30, 40))
    for data, caption in [
        (images.phone_photo(2400, 1200), "The sheet"),
        (images.encode(drawing, "PNG"), "A drawing"),
    ]:
        save_report_photo(sheet, clean_photo(data), caption=caption)
    other = Report.objects.create(topic=tray, participants=["Bo"])
    save_report_photo(other, clean_photo(images.multi_picture_jpeg()))

    document = interchange.export_document(meeting)
    out = interchange.write_bundle(meeting, tmp_path / "out.zip")
    again = import_path(out)

    assert interchange.export_document(again) == document
    assert [p["caption"] for p in document["topics"][0]["report"]["photos"]] == [
        "The sheet",
        "A drawing",
    ]

    def pictures(m) -> list[tuple[str, tuple[int, int]]]:
        found = []
        for photo in ReportPhoto.objects.filter(report__topic__meeting=m).order_by("pk"):
            with photo.image.open() as handle, Image.open(handle) as image:
                found.append((image.format, image.size))
        return found

    assert (
        pictures(again)
        == pictures(meeting)
        == [
            ("JPEG", (1000, 2000)),
            ("PNG", (60, 40)),
            ("JPEG", (40, 30)),
        ]
    )
