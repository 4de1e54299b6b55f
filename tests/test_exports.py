"""The action plan as CSV and the agenda as iCalendar."""

from __future__ import annotations

import csv
import io

import pytest

from sessions_app import exports
from sessions_app.interchange import Bundle, import_document
from sessions_app.models import Room

pytestmark = pytest.mark.django_db


def csv_rows(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))


def unfolded(data: bytes) -> list[str]:
    """The content lines of an iCalendar file, folded lines joined again (RFC 5545, 3.1)."""
    return data.decode("utf-8").replace("\r\n ", "").split("\r\n")


def events(data: bytes) -> list[dict[str, str]]:
    found: list[dict[str, str]] = []
    for line in unfolded(data):
        if line == "BEGIN:VEVENT":
            found.append({})
        elif found and ":" in line and line != "END:VEVENT":
            name, value = line.split(":", 1)
            found[-1][name] = value
    return found


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


@pytest.mark.parametrize("typed", ['=HYPERLINK("http://x.invalid")', "+1+1", "-2", "@SUM(A1)"])
def test_action_plan_csv_never_hands_a_spreadsheet_a_formula(seed_meeting, typed):
    initiative = seed_meeting.initiatives.first()
    initiative.who = typed
    initiative.save()

    rows = csv_rows(exports.action_plan_csv(seed_meeting))

    assert rows[1][0] == f"'{typed}"
    assert rows[2][0] == "Kansliet färdplan"


def test_agenda_ics_has_one_event_per_placed_topic_in_stockholm_time(seed_meeting):
    found = events(exports.agenda_ics(seed_meeting))

    assert len(found) == 8
    first = found[0]
    assert first["SUMMARY"] == "A1: Vad behövs för att dela erfarenheter mellan organisationer?"
    # 13.45 in Stockholm in May (CEST, UTC+2) is 11.45 UTC.
    assert first["DTSTART"] == "20240507T114500Z"
    assert first["DTEND"] == "20240507T121000Z"
    assert first["LOCATION"] == "A"
    assert first["DESCRIPTION"] == "Initiativtagare: Martin Svensson\\, LF Västerbotten"
    assert [e["SUMMARY"][:2] for e in found] == ["A1", "B1", "C1", "A2", "B2", "C2", "A3", "B3"]


def test_agenda_ics_uids_stay_the_same_across_downloads(seed_meeting):
    first = [e["UID"] for e in events(exports.agenda_ics(seed_meeting))]
    second = [e["UID"] for e in events(exports.agenda_ics(seed_meeting))]

    assert first == second
    assert len(set(first)) == 8


def test_agenda_ics_escapes_text_and_folds_long_lines(seed_meeting):
    Room.objects.filter(meeting=seed_meeting, code="B").update(name="Salen; plan 2, norr")
    data = exports.agenda_ics(seed_meeting)

    raw_lines = data.decode("utf-8").split("\r\n")
    assert all(len(line.encode("utf-8")) <= 75 for line in raw_lines)
    assert data.endswith(b"END:VCALENDAR\r\n")
    b1 = next(e for e in events(data) if e["SUMMARY"].startswith("B1"))
    assert b1["LOCATION"] == "B Salen\\; plan 2\\, norr"
    assert b1["SUMMARY"] == (
        "B1: Godsflöden: Hur kan vi tillsammans påverka/förändra? Möjligheterna i att "
        "samtala mellan olika branscher?"
    )


def test_fold_never_splits_a_letter(seed_meeting):
    line = "SUMMARY:" + "å" * 100

    folded = exports._fold(line)

    assert folded.replace("\r\n ", "") == line
    for part in folded.split("\r\n"):
        part.encode("utf-8").decode("utf-8")
        assert len(part.encode("utf-8")) <= 75
