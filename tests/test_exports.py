"""The action plan as CSV and the agenda as iCalendar."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from icalendar import Calendar

from sessions_app import agenda, exports
from sessions_app.interchange import Bundle, import_document
from sessions_app.models import Meeting, Participant, Room

from .factories import make_topic

pytestmark = pytest.mark.django_db


def csv_rows(data: bytes, delimiter: str = ",") -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig")), delimiter=delimiter))


def events(data: bytes) -> list[dict[str, object]]:
    """The events of an iCalendar file as icalendar reads them, property name → value."""
    calendar = Calendar.from_ical(data)
    return [
        {name: event.decoded(name) for name in event}
        | {name: str(event[name]) for name in ("SUMMARY", "LOCATION", "DESCRIPTION", "UID")}
        for event in calendar.walk("VEVENT")
    ]


def test_action_plan_csv_opens_in_excel_with_swedish_letters(seed_meeting):
    data = exports.action_plan_csv(seed_meeting)

    assert data.startswith(b"\xef\xbb\xbf")
    rows = csv_rows(data)
    assert rows[0] == ["Vem", "Vad", "Nivå", "När", "Vem är med?"]
    assert len(rows) == 7
    assert rows[1] == [
        "Martin, LF",
        "Var tredje torsdag – ”The hub”",
        "U",
        "Augusti",
        "Anki W, INAB",
    ]
    assert rows[3][2:] == ["F/U", "Augusti", "RISE; Anki W, INAB"]
    assert rows[4][0] == "Rebecka, UK" and rows[4][4] == ""


def test_action_plan_csv_speaks_the_meetings_language(db, seed_document):
    seed_document["meeting"]["language"] = "en"
    seed_document["series"] = None
    meeting = import_document(Bundle(document=seed_document))

    rows = csv_rows(exports.action_plan_csv(meeting))

    assert rows[0] == ["Who", "What", "Level", "When", "Who is in?"]


def test_action_plan_csv_keeps_commas_quotes_and_newlines_in_their_cell(seed_meeting):
    initiative = seed_meeting.initiatives.first()
    initiative.what = 'Säg "hej", och\nträffas igen'
    initiative.save()

    rows = csv_rows(exports.action_plan_csv(seed_meeting))

    assert rows[1][1] == 'Säg "hej", och\nträffas igen'
    assert len(rows) == 7


@pytest.mark.parametrize(
    "typed",
    ['=HYPERLINK("http://x.invalid")', "+1+1", "-2", "@SUM(A1)", "\t=1", "|cmd", "%0A"],
)
def test_action_plan_csv_never_hands_a_spreadsheet_a_formula(seed_meeting, typed):
    initiative = seed_meeting.initiatives.first()
    initiative.who = typed
    initiative.save()

    rows = csv_rows(exports.action_plan_csv(seed_meeting))

    assert rows[1][0] == f"'{typed}"
    assert rows[2][0] == "Kansliet färdplan"


def test_action_plan_csv_for_excel_is_split_by_semicolons(seed_meeting):
    data = exports.action_plan_csv(seed_meeting, delimiter=exports.SEMICOLON)

    assert data.startswith("\ufeffVem;Vad;Nivå;När;Vem är med?\r\n".encode())
    rows = csv_rows(data, delimiter=";")
    assert len(rows) == 7
    assert rows[1] == [
        "Martin, LF",
        "Var tredje torsdag – ”The hub”",
        "U",
        "Augusti",
        "Anki W, INAB",
    ]
    # The member list holds both separators and still reads as one cell.
    assert rows[3][2:] == ["F/U", "Augusti", "RISE; Anki W, INAB"]


@pytest.mark.parametrize("delimiter", [exports.COMMA, exports.SEMICOLON])
def test_action_plan_csv_keeps_separators_inside_their_cell(seed_meeting, delimiter):
    initiative = seed_meeting.initiatives.first()
    initiative.what = 'Säg "hej"; och, träffas\nigen'
    initiative.save()
    initiative.members.create(name="Kim; RISE, Umeå")

    rows = csv_rows(exports.action_plan_csv(seed_meeting, delimiter=delimiter), delimiter)

    assert rows[1][1] == 'Säg "hej"; och, träffas\nigen'
    assert rows[1][4] == "Anki W, INAB; Kim; RISE, Umeå"
    assert all(len(row) == 5 for row in rows)


@pytest.mark.parametrize("delimiter", [exports.COMMA, exports.SEMICOLON])
def test_action_plan_csv_guards_formulas_with_either_separator(seed_meeting, delimiter):
    initiative = seed_meeting.initiatives.first()
    initiative.when = "=1+1"
    initiative.save()

    rows = csv_rows(exports.action_plan_csv(seed_meeting, delimiter=delimiter), delimiter)

    assert rows[1][3] == "'=1+1"


def test_agenda_ics_has_one_event_per_placed_topic_in_utc(seed_meeting):
    found = events(exports.agenda_ics(seed_meeting))

    assert len(found) == 8
    first = found[0]
    assert first["SUMMARY"] == "A1: Vad behövs för att dela erfarenheter mellan organisationer?"
    # 13.45 in Stockholm in May (CEST, UTC+2) is 11.45 UTC.
    assert first["DTSTART"] == dt.datetime(2024, 5, 7, 11, 45, tzinfo=dt.UTC)
    assert first["DTEND"] == dt.datetime(2024, 5, 7, 12, 10, tzinfo=dt.UTC)
    assert first["LOCATION"] == "A"
    assert first["DESCRIPTION"] == "Initiativtagare: Martin Svensson, LF Västerbotten"
    assert first["DTSTAMP"].tzinfo is not None
    assert [e["SUMMARY"][:2] for e in found] == ["A1", "B1", "C1", "A2", "B2", "C2", "A3", "B3"]


def test_agenda_ics_calendar_names_the_meeting(seed_meeting):
    calendar = Calendar.from_ical(exports.agenda_ics(seed_meeting))

    assert str(calendar["X-WR-CALNAME"]) == "Lärandeträff 4"
    assert str(calendar["METHOD"]) == "PUBLISH"
    assert not list(calendar.walk("VTIMEZONE"))


def test_agenda_ics_uids_stay_the_same_across_downloads(seed_meeting):
    first = [e["UID"] for e in events(exports.agenda_ics(seed_meeting))]
    second = [e["UID"] for e in events(exports.agenda_ics(seed_meeting))]

    assert first == second
    assert len(set(first)) == 8


def test_agenda_ics_names_every_convener_with_their_organisation(seed_meeting):
    b3 = seed_meeting.topics.get(
        title="Hur kan vi accelerera omställning till hållbara arbetsmaskiner?"
    )
    anna = Participant.objects.create(meeting=seed_meeting, name="Anna Berg", organization="RISE")
    raised = make_topic(seed_meeting, title="Eldrivna maskiner", convener=anna)
    agenda.merge_topics(meeting=seed_meeting, topic_id=raised.pk, into_id=b3.pk)
    a1 = seed_meeting.topics.get(
        title="Vad behövs för att dela erfarenheter mellan organisationer?"
    )
    a1.partner = Participant.objects.create(
        meeting=seed_meeting, name="Anki W", organization="INAB"
    )
    a1.partner_signed = True
    a1.save()

    found = {
        e["SUMMARY"][:2]: e
        for e in events(exports.agenda_ics(Meeting.objects.get(pk=seed_meeting.pk)))
    }

    assert found["A1"]["DESCRIPTION"] == (
        "Initiativtagare: Martin Svensson, LF Västerbotten; Anki W, INAB"
    )
    assert found["B3"]["DESCRIPTION"] == (
        "Initiativtagare: Lucas Röhlinger, Umeå kommun; Anna Berg, RISE\n"
        "Sammanslagen med: “Eldrivna maskiner”"
    )
    assert found["B1"]["DESCRIPTION"] == "Initiativtagare: Lina Samuelsson, INAB"


def test_agenda_ics_speaks_the_meetings_language(meeting):
    make_topic(meeting, title="Sharing", cell="A1")
    meeting.location = "Town hall"
    meeting.save()

    (event,) = events(exports.agenda_ics(meeting))

    assert event["DESCRIPTION"] == "Convener: Convener of Sharing"
    assert event["LOCATION"] == "A, Town hall"


HOSTILE = "Rad ett\nrad två, med; semikolon och \\ bakstreck: " + "långt ord " * 12 + "ÅÄÖ 🌍"


def test_agenda_ics_round_trips_hostile_text_exactly(meeting):
    Room.objects.filter(meeting=meeting, code="B").update(name=HOSTILE)
    convener = Participant.objects.create(meeting=meeting, name=HOSTILE, organization="Org; 2,\\")
    make_topic(meeting, title=HOSTILE, convener=convener, cell="B2")
    meeting.location = "Stadshuset, plan 2; norr"
    meeting.save()

    data = exports.agenda_ics(meeting)

    (event,) = events(data)
    assert event["SUMMARY"] == f"B2: {HOSTILE}"
    assert event["LOCATION"] == f"B {HOSTILE}, Stadshuset, plan 2; norr"
    assert event["DESCRIPTION"] == f"Convener: {HOSTILE}, Org; 2,\\"
    unfolded = data.replace(b"\r\n ", b"")
    assert (
        "SUMMARY:B2: Rad ett\\nrad två\\, med\\; semikolon och \\\\ bakstreck".encode() in unfolded
    )
    lines = data.split(b"\r\n")
    assert lines[-1] == b""
    for line in lines:
        assert len(line) <= 75
        line.decode("utf-8")


def test_agenda_ics_of_a_meeting_without_a_date_has_no_events(meeting):
    make_topic(meeting, title="Sharing", cell="A1")
    meeting.date = None
    meeting.save()

    calendar = Calendar.from_ical(exports.agenda_ics(meeting))

    assert list(calendar.walk("VEVENT")) == []
