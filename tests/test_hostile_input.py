"""Hostile input through every text field a user can type, checked where it comes out.

The strings are tests/hostile.py's one list. A refused string gets a clear message and
changes nothing in the database; a kept one is saved and comes out as text in the pages,
the broadcasts, the PDF, the action plan's two CSV files and the .ics. Never a 500.
"""

from __future__ import annotations

import csv
import io
import json
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass

import icalendar
import pytest
from channels.db import database_sync_to_async
from django.apps import apps
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connections
from django.test import Client
from django.urls import reverse
from django.utils.html import escape
from pypdf import PdfReader

from sessions_app import pdf, photos, reporting
from sessions_app.consumers import CLOSE_BAD_MESSAGE, CLOSE_TOO_BIG
from sessions_app.models import (
    Facilitator,
    Initiative,
    InitiativeMember,
    Link,
    Meeting,
    Participant,
    Reflection,
    Report,
    ReportPhoto,
    Topic,
)

from .documents import media_files
from .factories import joined, make_meeting, make_topic
from .hostile import FOLDED, FORMULA_STARTS, HOSTILE, KEPT, REFUSED, Hostile
from .images import BAD_PHOTOS, phone_photo
from .test_consumers import listening, participant_cookie, socket

pytestmark = pytest.mark.django_db

Phase = Meeting.Phase


@pytest.fixture(autouse=True)
def _no_limits(settings):
    """Many tries from one phone in a second: the limits would answer 429 before the rules."""
    settings.THROTTLES = dict.fromkeys(settings.THROTTLES, "10000/m")


HIDDEN_MESSAGES = ("invisible control characters", "Null characters are not allowed")
LONG_MESSAGES = ("at most",)


def database() -> dict[str, list[dict]]:
    """Every row of every model of the app: what "nothing changed" compares."""
    return {
        model.__name__: list(model.objects.order_by("pk").values())
        for model in apps.get_app_config("sessions_app").get_models()
    }


def phone_of(participant: Participant) -> Client:
    phone = Client(HTTP_ACCEPT_LANGUAGE="en")
    phone.get("/")
    return joined(phone, participant)


@dataclass
class Scene:
    """A meeting under way, with a facilitator's browser and a phone that convenes a topic."""

    meeting: Meeting
    lead: Client
    phone: Client
    ann: Participant
    topic: Topic
    tray: Topic
    photo: ReportPhoto
    initiative: Initiative

    def url(self, name: str, *args) -> str:
        return reverse(name, args=[self.meeting.pk, *args])


def scene_in(phase: str) -> Scene:
    meeting = make_meeting(language=Meeting.Language.ENGLISH)
    user = User.objects.create_user("lead", password="pw")
    Facilitator.objects.create(meeting=meeting, name="Lead", user=user)
    lead = Client(HTTP_ACCEPT_LANGUAGE="en")
    lead.force_login(user)
    ann = Participant.objects.create(meeting=meeting, name="Ann", organization="INAB")
    topic = make_topic(meeting, title="Freight", convener=ann, cell="A1")
    report = Report.objects.create(topic=topic, summary="Trains")
    photo = photos.save_report_photo(report, photos.clean_photo(phone_photo(60, 30)))
    initiative = Initiative.objects.create(meeting=meeting, who="Ann", what="Hub", levels="F")
    Meeting.objects.filter(pk=meeting.pk).update(phase=phase)
    meeting.refresh_from_db()
    tray = make_topic(meeting, title="Tray", convener=ann)
    return Scene(meeting, lead, phone_of(ann), ann, topic, tray, photo, initiative)


# The fields ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Field:
    """A text field: the phase it is typed in and how it is sent.

    `folds`: a phone's one-line field makes a line break (or a control that is also
    whitespace) a space, and a list field splits its items there; other one-line fields
    refuse them. `multiline`: a text of paragraphs keeps its newlines.
    """

    name: str
    phase: str
    send: Callable[[Scene, str], object]
    folds: bool = False
    multiline: bool = False


def _setup_data(scene: Scene, **typed) -> dict:
    meeting = scene.meeting
    data = {
        "title": meeting.title,
        "date": "2024-05-07",
        "language": "en",
        "dots_per_person": "3",
        "facilitators-TOTAL_FORMS": "1",
        "facilitators-INITIAL_FORMS": "1",
        "facilitators-0-id": str(meeting.facilitators.get().pk),
        "facilitators-0-name": "Lead",
        "facilitators-0-user": "lead",
        "links-TOTAL_FORMS": "1",
        "links-INITIAL_FORMS": "0",
        "links-0-title": "Method",
        "links-0-url": "https://example.org/open-space",
    }
    data.update(typed)
    return data


def _setup(key: str) -> Callable[[Scene, str], object]:
    return lambda scene, text: scene.lead.post(
        scene.url("meeting_edit"), _setup_data(scene, **{key: text})
    )


def _rooms(key: str) -> Callable[[Scene, str], object]:
    def send(scene: Scene, text: str):
        rows = [{"code": r.code, "name": r.name, "capacity": ""} for r in scene.meeting.rooms.all()]
        rows[0][key] = text
        data = {"rooms-TOTAL_FORMS": str(len(rows)), "rooms-INITIAL_FORMS": str(len(rows))}
        for index, (row, saved) in enumerate(zip(rows, scene.meeting.rooms.all(), strict=True)):
            data[f"rooms-{index}-id"] = str(saved.pk)
            data.update({f"rooms-{index}-{name}": value for name, value in row.items()})
        return scene.lead.post(scene.url("meeting_rooms"), data)

    return send


def _join(key: str) -> Callable[[Scene, str], object]:
    def send(scene: Scene, text: str):
        typed = {"name": "Bo", "organization": "", key: text}
        return Client(HTTP_ACCEPT_LANGUAGE="en").post(
            reverse("join_code", args=[scene.meeting.join_code]), typed
        )

    return send


def _report_field(name: str, side: str) -> Callable[[Scene, str], object]:
    def send(scene: Scene, text: str):
        report = Report.objects.get(topic=scene.topic)
        typed = {"field": name, "text": text, "version": report.versions.get(name, 0)}
        if side == "phone":
            return scene.phone.post(
                reverse("phone_report_field", args=[scene.meeting.pk, scene.topic.pk]), typed
            )
        return scene.lead.post(scene.url("report_edit_field", scene.topic.pk), typed)

    return send


def _report_form(name: str) -> Callable[[Scene, str], object]:
    def send(scene: Scene, text: str):
        version = Report.objects.get(topic=scene.topic).versions.get(name, 0)
        url = reverse("phone_report", args=[scene.meeting.pk, scene.topic.pk])
        return scene.phone.post(url, {name: text, f"{name}-version": version})

    return send


def _caption(scene: Scene, text: str):
    url = reverse("phone_report_caption", args=[scene.meeting.pk, scene.topic.pk, scene.photo.pk])
    scene.photo.refresh_from_db()
    return scene.phone.post(url, {"text": text, "version": scene.photo.caption_version})


def _photo_caption(scene: Scene, text: str):
    upload = SimpleUploadedFile("IMG_0002.jpg", phone_photo(60, 30), content_type="image/jpeg")
    url = reverse("phone_report_photos", args=[scene.meeting.pk, scene.topic.pk])
    return scene.phone.post(url, {"caption": text, "photo": upload})


def _initiative(key: str) -> Callable[[Scene, str], object]:
    def send(scene: Scene, text: str):
        typed = {"who": "Ann", "what": "A hub", "when": "", "levels": ["F"], key: text}
        return scene.phone.post(reverse("phone_initiative_raise", args=[scene.meeting.pk]), typed)

    return send


def _plan(action: str, key: str) -> Callable[[Scene, str], object]:
    def send(scene: Scene, text: str):
        typed = {"action": action, "initiative": scene.initiative.pk}
        typed |= {"who": "Ann", "what": "A hub", "levels": ["F"], "when": "", "name": "Bo"}
        typed[key] = text
        return scene.lead.post(scene.url("plan_action"), typed, follow=True)

    return send


def _topic_create(key: str) -> Callable[[Scene, str], object]:
    def send(scene: Scene, text: str):
        typed = {"title": "A question", "description": "", key: text}
        return scene.phone.post(reverse("phone_topic_create", args=[scene.meeting.pk]), typed)

    return send


def _topic_edit(scene: Scene, text: str):
    url = reverse("phone_topic_edit", args=[scene.meeting.pk, scene.tray.pk])
    return scene.phone.post(url, {"title": text})


def _description_edit(scene: Scene, text: str):
    url = reverse("phone_topic_edit", args=[scene.meeting.pk, scene.tray.pk])
    return scene.phone.post(url, {"title": "Tray", "description": text})


def _reflection(scene: Scene, text: str):
    url = reverse("phone_reflection_create", args=[scene.meeting.pk])
    return scene.phone.post(url, {"text": text})


def _summary(scene: Scene, text: str):
    return scene.lead.post(scene.url("summary"), {"summary": text}, HTTP_HX_REQUEST="true")


SETUP_ONE_LINE = [
    "title",
    "theme",
    "location",
    "new_series_title",
    "new_series_organizer",
    "facilitators-0-name",
    "facilitators-0-role",
    "links-0-title",
]
SETUP_LISTS = ["purpose", "lookback"]
SETUP_TEXTS = ["participants", "method", "agenda_intro", "summary"]
REPORT_LISTS = ["insights", "next_steps", "participants"]
FIELDS = [
    *(Field(f"setup {key}", Phase.OPENING, _setup(key)) for key in SETUP_ONE_LINE),
    *(Field(f"setup {key}", Phase.OPENING, _setup(key), folds=True) for key in SETUP_LISTS),
    *(Field(f"setup {key}", Phase.OPENING, _setup(key), multiline=True) for key in SETUP_TEXTS),
    Field("room name", Phase.OPENING, _rooms("name")),
    Field("join name", Phase.OPENING, _join("name"), folds=True),
    Field("join organisation", Phase.OPENING, _join("organization"), folds=True),
    Field("topic title", Phase.OPENING, _topic_create("title"), folds=True),
    Field("topic description", Phase.OPENING, _topic_create("description"), multiline=True),
    Field("topic title edited", Phase.AGENDA, _topic_edit, folds=True),
    Field("topic description edited", Phase.AGENDA, _description_edit, multiline=True),
    *(
        Field(
            f"report summary ({side})",
            Phase.DISCUSSIONS,
            _report_field("summary", side),
            multiline=True,
        )
        for side in ("phone", "facilitator")
    ),
    *(
        Field(f"report {name} ({side})", Phase.DISCUSSIONS, _report_field(name, side), folds=True)
        for name in REPORT_LISTS
        for side in ("phone", "facilitator")
    ),
    Field("report summary (form)", Phase.DISCUSSIONS, _report_form("summary"), multiline=True),
    Field("report insights (form)", Phase.DISCUSSIONS, _report_form("insights"), folds=True),
    Field("photo caption", Phase.DISCUSSIONS, _caption, folds=True),
    Field("new photo's caption", Phase.DISCUSSIONS, _photo_caption, folds=True),
    *(
        Field(f"initiative {key}", Phase.ACTION_PLAN, _initiative(key), folds=True)
        for key in ("who", "what", "when")
    ),
    *(
        Field(f"plan edit {key}", Phase.ACTION_PLAN, _plan("edit", key), folds=True)
        for key in ("who", "what", "when")
    ),
    Field("plan member name", Phase.ACTION_PLAN, _plan("add_member", "name"), folds=True),
    Field("reflection", Phase.CLOSING, _reflection, multiline=True),
    Field("closing summary", Phase.CLOSING, _summary, multiline=True),
]


def stored_strings(state: dict[str, list[dict]]) -> list[str]:
    """Every string the database holds, lists of strings (a report's items) included."""
    found = []
    for rows in state.values():
        for row in rows:
            for value in row.values():
                found += value if isinstance(value, list) else [value]
    return [value for value in found if isinstance(value, str)]


def _says(response, messages: tuple[str, ...]) -> bool:
    body = response.content.decode()
    if response.get("Content-Type", "").startswith("application/json"):
        body = json.loads(body).get("error", "")
    return any(message in body for message in messages)


def _refusals(field: Field, strings: list[Hostile]) -> list[str]:
    """Send each string; list every one that was not refused cleanly."""
    scene = scene_in(field.phase)
    wrong = []
    for hostile in strings:
        before = database()
        response = field.send(scene, hostile.text)
        messages = LONG_MESSAGES if hostile.verdict == "long" else HIDDEN_MESSAGES
        if response.status_code >= 500:
            wrong.append(f"{hostile}: {response.status_code}")
        elif not _says(response, messages):
            wrong.append(f"{hostile}: no message ({response.status_code})")
        elif database() != before:
            wrong.append(f"{hostile}: the database changed")
    return wrong


@pytest.mark.parametrize("field", FIELDS, ids=[f.name for f in FIELDS])
def test_a_hostile_string_is_refused_with_a_message_and_changes_nothing(field):
    assert _refusals(field, REFUSED) == []


@pytest.mark.parametrize("field", FIELDS, ids=[f.name for f in FIELDS])
def test_a_line_break_or_control_space_is_folded_or_refused_never_stored(field):
    scene = scene_in(field.phase)
    for hostile in FOLDED:
        if hostile.name == "newline" and field.multiline:
            continue  # a text of paragraphs keeps its newlines.
        control = next(char for char in hostile.text if unicodedata.category(char) == "Cc")
        before = database()

        response = field.send(scene, hostile.text)

        after = database()
        assert response.status_code < 500, hostile
        assert not any(control in value for value in stored_strings(after)), hostile
        if not field.folds or after == before:
            assert after == before and _says(response, HIDDEN_MESSAGES), hostile


# Fields that take a choice, a code or an address: refused, never a 500 --------------------


def _username(scene: Scene, text: str):
    return scene.lead.post(
        scene.url("meeting_edit"), _setup_data(scene, **{"facilitators-0-user": text})
    )


OTHER_FIELDS = [
    ("facilitator's username", _username, "No active account has this username."),
    ("link address", _setup("links-0-url"), "Enter a valid URL."),
    ("room code", _rooms("code"), "A room code is 1–3 letters or digits"),
]


@pytest.mark.parametrize(
    ("field", "send", "message"), OTHER_FIELDS, ids=[row[0] for row in OTHER_FIELDS]
)
def test_a_field_that_takes_no_free_text_refuses_a_hostile_string(field, send, message):
    scene = scene_in(Phase.OPENING)
    wrong = []
    for hostile in [*REFUSED, *FOLDED, *KEPT]:
        before = database()
        response = send(scene, hostile.text)
        body = response.content.decode()
        said = message in body or any(m in body for m in (*HIDDEN_MESSAGES, *LONG_MESSAGES))
        if not (response.status_code == 422 and said and database() == before):
            wrong.append(f"{hostile}: {response.status_code}")

    assert wrong == []


@pytest.mark.parametrize(
    "address",
    [
        "javascript:alert(1)",
        "JaVaScRiPt:alert(1)",
        "data:text/html,<script>alert(1)</script>",
        "vbscript:msgbox(1)",
        "file:///etc/passwd",
        "https://exa\u202emple.org/",
        "https://example.org/\x00",
        "https://" + "a" * 1000 + ".org/",
    ],
)
def test_a_link_that_is_not_http_is_refused(address):
    scene = scene_in(Phase.OPENING)
    before = database()

    response = _setup("links-0-url")(scene, address)

    assert response.status_code == 422
    assert database() == before


@pytest.mark.parametrize("hostile", HOSTILE, ids=str)
def test_typed_addresses_and_searches_never_answer_500(hostile):
    """What a browser types into an address or a search box: a code, a secret, a query."""
    scene = scene_in(Phase.DISCUSSIONS)
    text = hostile.text[:2000]
    reporting.signs_of(scene.meeting)  # issued here, not by the first look at the signs
    before = database()
    answers = {
        "join": Client().get(reverse("join"), {"code": text}),
        "partners": scene.phone.get(
            reverse("phone_partner_search", args=[scene.meeting.pk]), {"q": text}
        ),
        "people": scene.lead.get(scene.url("people_search"), {"q": text}),
        "adopt": scene.phone.get(reverse("phone", args=[scene.meeting.pk]), {"adopt": text}),
        "part": scene.phone.get(
            reverse("phone", args=[scene.meeting.pk]), {"part": text}, HTTP_HX_REQUEST="true"
        ),
        "signs": scene.lead.get(scene.url("signs_pdf"), {"topic": text}),
        "spotlight": scene.lead.post(scene.url("spotlight"), {"topic": text}),
        "phase": scene.lead.post(scene.url("set_phase"), {"phase": text}),
        "share": scene.phone.post(
            reverse("phone_topic_share", args=[scene.meeting.pk, scene.topic.pk]),
            {"partner": text},
        ),
        "report field name": scene.phone.post(
            reverse("phone_report_field", args=[scene.meeting.pk, scene.topic.pk]),
            {"field": text, "text": "Trains", "version": "0"},
        ),
        "levels": scene.phone.post(
            reverse("phone_initiative_raise", args=[scene.meeting.pk]),
            {"who": "Ann", "what": "Hub", "levels": [text, "F"], "topic": text},
        ),
        "board": scene.lead.post(scene.url("board_action"), {"action": text, "topic": text}),
        "suggestion": scene.lead.post(
            scene.url("apply_suggestion"), {"move": [text], "unplaced": [text], "apply": text}
        ),
        "slots": scene.lead.post(
            scene.url("meeting_slots"),
            {"first_starts": text, "length": text, "gap": "5", "count": "3"},
        ),
        "visibility": scene.lead.post(scene.url("reflection_visibility", 1), {"visible": text}),
        "login": Client().post(reverse("login"), {"username": text, "password": text}),
        "language": Client().post(reverse("set_language"), {"language": text, "next": text}),
    }
    if "/" not in text and text.strip() and "\n" not in text:
        answers["code in the address"] = Client().get(f"/j/{text}/")
        answers["sign in the address"] = Client().get(f"/s/{text}/")

    for name, response in answers.items():
        assert response.status_code < 500, name
        body = response.content.decode(errors="replace")
        if escape(text) != text:
            assert text not in body, name
    assert database() == before


# Kept strings, followed to every place they come out ------------------------------------


def _drive_a_whole_meeting(text: str) -> tuple[Scene, list[str]]:
    """Type `text` into every free-text field, in the phase it is typed in, through the
    views; return the scene and every page the facilitator and the phone saw on the way."""
    scene = scene_in(Phase.OPENING)
    meeting, phone, lead = scene.meeting, scene.phone, scene.lead
    pages: list[str] = []

    def see(client: Client, url: str) -> None:
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        pages.append(response.content.decode())

    def see_screens() -> None:
        see(lead, scene.url("projector"))
        see(phone, reverse("phone", args=[meeting.pk]))

    def ok(response) -> None:
        assert response.status_code in (200, 204, 302), response.content.decode()[:500]

    def phase(to: str) -> None:
        ok(lead.post(scene.url("set_phase"), {"phase": to}))
        see_screens()

    setup = dict.fromkeys([*SETUP_ONE_LINE, *SETUP_LISTS, *SETUP_TEXTS], text)
    ok(lead.post(scene.url("meeting_edit"), _setup_data(scene, **setup)))
    ok(_rooms("name")(scene, text))
    ok(_join("name")(scene, text))
    ok(_join("organization")(scene, text))
    see_screens()
    draft = {"title": text, "description": text}
    ok(phone.post(reverse("phone_topic_create", args=[meeting.pk]), draft))
    for topic in scene.ann.topics.filter(status=Topic.Status.DRAFT):
        ok(phone.post(reverse("phone_topic_raise", args=[meeting.pk, topic.pk])))
    phase(Phase.AGENDA)
    ok(_topic_edit(scene, text))
    see_screens()
    # Ann convenes both: one topic in each of slots 2 and 3.
    cells = [("B", 2), ("C", 3)]
    for (code, number), topic in zip(cells, scene.ann.topics.filter(status="raised"), strict=True):
        place = {"action": "place", "topic": topic.pk, "slot": meeting.slots.get(number=number).pk}
        ok(lead.post(scene.url("board_action"), {**place, "room": meeting.rooms.get(code=code).pk}))
    phase(Phase.DISCUSSIONS)
    for name in ("summary", *REPORT_LISTS):
        ok(_report_field(name, "phone")(scene, text))
    ok(_caption(scene, text))
    ok(_photo_caption(scene, text))
    see(phone, reverse("phone_report", args=[meeting.pk, scene.topic.pk]))
    see(lead, scene.url("report_edit", scene.topic.pk))
    see(lead, scene.url("reports_overview"))
    phase(Phase.VERNISSAGE)
    ok(lead.post(scene.url("spotlight"), {"topic": scene.topic.pk}))
    see_screens()
    phase(Phase.ACTION_PLAN)
    raised = {"who": text, "what": text, "when": text, "levels": ["F"]}
    ok(phone.post(reverse("phone_initiative_raise", args=[meeting.pk]), raised))
    edit = {"action": "edit", "initiative": scene.initiative.pk, **raised}
    ok(lead.post(scene.url("plan_action"), edit))
    member = {"action": "add_member", "initiative": scene.initiative.pk, "name": text}
    ok(lead.post(scene.url("plan_action"), member))
    see(lead, scene.url("plan_manage"))
    phase(Phase.CLOSING)
    ok(_reflection(scene, text))
    ok(_summary(scene, text))
    see_screens()
    Meeting.objects.filter(pk=meeting.pk).update(phase=Phase.CLOSED)
    see_screens()
    see(lead, scene.url("meeting_detail"))
    see(lead, scene.url("meeting_edit"))
    see(lead, scene.url("meeting_rooms"))
    see(lead, reverse("home"))
    meeting.refresh_from_db()
    return scene, pages


def _typed_values(scene: Scene) -> list[tuple[str, object]]:
    """Every value the meeting now holds that was typed into a text field."""
    meeting = scene.meeting
    report = Report.objects.get(topic=scene.topic)
    names = ["title", "theme", "location", *SETUP_TEXTS]
    values: list[tuple[str, object]] = [(name, getattr(meeting, name)) for name in names]
    values += [(name, getattr(meeting, name)) for name in SETUP_LISTS]
    values += [("series", meeting.series.title), ("organiser", meeting.series.organizer)]
    values += [("facilitator", (f.name, f.role)) for f in meeting.facilitators.all()]
    values += [("link", link.title) for link in Link.objects.filter(meeting=meeting)]
    values += [("room A", meeting.rooms.get(code="A").name)]
    joined = meeting.people.exclude(pk=scene.ann.pk).order_by("pk")
    values += [("join name", joined[0].name), ("join organisation", joined[1].organization)]
    topics = meeting.topics.exclude(pk=scene.topic.pk)
    values += [(f"topic {t.pk}", t.title) for t in topics]
    values += [("description", topics.exclude(description="").get().description)]
    values += [(f"report {name}", getattr(report, name)) for name in ("summary", *REPORT_LISTS)]
    values += [(f"caption {p.pk}", p.caption) for p in report.photos.all()]
    plan = meeting.initiatives.all()
    values += [(f"initiative {i.pk}", (i.who, i.what, i.when)) for i in plan]
    values += [
        (f"member {m.pk}", m.name) for m in InitiativeMember.objects.filter(initiative__in=plan)
    ]
    values += [("reflection", r.text) for r in Reflection.objects.filter(meeting=meeting)]
    return values


def _is_typed(value: object, text: str) -> bool:
    if isinstance(value, tuple):
        return all(_is_typed(part, text) for part in value)
    if isinstance(value, list):
        return value == [text]
    return value == text


def _assert_shown_as_text(html: str, text: str, where: str) -> None:
    if escape(text) != text:
        assert text not in html, f"{where} shows {text!r} unescaped"


@pytest.mark.parametrize("hostile", KEPT, ids=str)
def test_a_kept_string_is_saved_and_comes_out_as_text_everywhere(
    hostile, sent, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        scene, pages = _drive_a_whole_meeting(hostile.text)
    text = hostile.text.strip()

    # Saved as typed, in every field it went into.
    assert [name for name, value in _typed_values(scene) if not _is_typed(value, text)] == []
    # Shown as text in every page, broadcast and the PDF's HTML; no template ran on it.
    broadcasts = [html for _group, html in sent]
    assert broadcasts, "nothing was broadcast"
    document = pdf.proceedings_html(scene.meeting)
    for index, html in enumerate([*pages, *broadcasts, document]):
        _assert_shown_as_text(html, text, f"output {index}")
    everything = "".join([*pages, *broadcasts])
    assert escape(text) in everything and escape(text) in document
    assert scene.meeting.join_code not in document
    # The action plan's CSV, both ways: every typed cell as text, none a formula.
    for name, delimiter in (("action_plan_csv", ","), ("action_plan_excel_csv", ";")):
        response = scene.lead.get(scene.url(name))
        rows = list(
            csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=delimiter)
        )
        cells = [cell for row in rows[1:] for cell in row if cell != "F"]
        assert cells and not any(cell.startswith(FORMULA_STARTS) for cell in cells), cells
        neutral = f"'{text}" if hostile.formula else text
        assert set(cells) == {neutral, ""}, cells
    # The calendar: the typed titles, rooms and place as text.
    calendar = icalendar.Calendar.from_ical(scene.lead.get(scene.url("agenda_ics")).content)
    events = {str(e["SUMMARY"]).split(": ", 1)[0]: e for e in calendar.walk("VEVENT")}
    assert sorted(events) == ["A1", "B2", "C3"]
    assert (
        str(events["B2"]["SUMMARY"])
        == f"B2: {text}"
        == str(events["C3"]["SUMMARY"]).replace("C3", "B2", 1)
    )
    assert str(events["A1"]["LOCATION"]) == f"A {text}, {text}"


@pytest.mark.parametrize(
    "hostile", [h for h in KEPT if h.name in ("script", "django variable", "formula =")], ids=str
)
def test_the_pdf_prints_a_kept_string_as_its_text(hostile):
    scene, _pages = _drive_a_whole_meeting(hostile.text)

    reader = PdfReader(io.BytesIO(pdf.render_proceedings(scene.meeting)))
    printed = " ".join(" ".join(page.extract_text().split()) for page in reader.pages)

    assert hostile.text in printed
    assert scene.meeting.join_code not in printed


def test_setup_text_typed_on_several_lines_in_a_browser_is_saved_with_newlines():
    """A browser sends a textarea's line ends as CR LF; the CR is no hidden character."""
    scene = scene_in(Phase.OPENING)

    response = _setup("method")(scene, "Open Space\r\nFour principles\r\n\r\nOne law")

    assert response.status_code == 302
    scene.meeting.refresh_from_db()
    assert scene.meeting.method == "Open Space\nFour principles\n\nOne law"


# The meeting's websocket: what a page sends it ------------------------------------------

SOCKET_MESSAGES = [
    ("over 1 KB of text", {"text_data": "x" * 1025}, CLOSE_TOO_BIG),
    (
        "over 1 KB of JSON",
        {"text_data": json.dumps({"type": "ping", "pad": "x" * 2000})},
        CLOSE_TOO_BIG,
    ),
    ("300 emoji: under 1 K characters, over 1 KB", {"text_data": "👩" * 300}, CLOSE_TOO_BIG),
    ("over 1 KB of bytes", {"bytes_data": b"{" * 1025}, CLOSE_TOO_BIG),
    ("100 KB", {"text_data": json.dumps({"type": "A" * 102_400})}, CLOSE_TOO_BIG),
    ("not JSON", {"text_data": "not json"}, CLOSE_BAD_MESSAGE),
    ("a space", {"text_data": " "}, CLOSE_BAD_MESSAGE),
    ("broken JSON", {"text_data": '{"type": "ping"'}, CLOSE_BAD_MESSAGE),
    ("bytes that are not UTF-8", {"bytes_data": b"\xff\xfe\xfd"}, CLOSE_BAD_MESSAGE),
    ("NaN", {"text_data": "NaN"}, CLOSE_BAD_MESSAGE),
    ("a list", {"text_data": '["ping"]'}, CLOSE_BAD_MESSAGE),
    ("a string", {"text_data": '"ping"'}, CLOSE_BAD_MESSAGE),
    ("null", {"text_data": "null"}, CLOSE_BAD_MESSAGE),
    ("no type", {"text_data": "{}"}, CLOSE_BAD_MESSAGE),
    ("type null", {"text_data": '{"type": null}'}, CLOSE_BAD_MESSAGE),
    ("type a number", {"text_data": '{"type": 5}'}, CLOSE_BAD_MESSAGE),
    ("type a list", {"text_data": '{"type": ["ping"]}'}, CLOSE_BAD_MESSAGE),
    ("type an object", {"text_data": '{"type": {"ping": 1}}'}, CLOSE_BAD_MESSAGE),
    ("deep nesting", {"text_data": "[" * 500 + "]" * 500}, CLOSE_BAD_MESSAGE),
    *(
        (f"type {hostile}", {"text_data": json.dumps({"type": hostile.text})}, CLOSE_BAD_MESSAGE)
        for hostile in HOSTILE
        if hostile.verdict != "long"
    ),
]


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("what", "frame", "code"), SOCKET_MESSAGES, ids=[m[0] for m in SOCKET_MESSAGES]
)
async def test_a_socket_sent_a_hostile_message_closes_with_a_4xxx_code(meeting, what, frame, code):
    ann = await database_sync_to_async(Participant.objects.create)(meeting=meeting, name="Ann")
    phone = socket(meeting, await database_sync_to_async(participant_cookie)(ann))
    try:
        async with listening(phone):
            await phone.send_to(**frame)

            assert await phone.receive_output(timeout=5) == {
                "type": "websocket.close",
                "code": code,
            }
    finally:
        await database_sync_to_async(connections.close_all)()


# The admin ------------------------------------------------------------------------------


@pytest.fixture
def admin_browser() -> Client:
    browser = Client(HTTP_ACCEPT_LANGUAGE="en")
    browser.force_login(User.objects.create_superuser("admin", password="pw"))
    return browser


def _upload(data: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile("IMG_0001.jpg", data, content_type="image/jpeg")


def _photo_page(report: Report, data: bytes) -> tuple[str, dict]:
    photo = {"caption": "", "position": 0, "image": _upload(data)}
    return reverse("admin:sessions_app_reportphoto_add"), {"report": report.pk, **photo}


def _report_page(report: Report, data: bytes) -> tuple[str, dict]:
    form = {"topic": report.topic_id, "summary": report.summary}
    form |= {"participants": "[]", "insights": "[]", "next_steps": "[]"}
    form |= {"photos-TOTAL_FORMS": 1, "photos-INITIAL_FORMS": 0}
    form |= {"photos-0-caption": "", "photos-0-position": 0, "photos-0-image": _upload(data)}
    return reverse("admin:sessions_app_report_change", args=[report.pk]), form


@pytest.mark.parametrize("page", [_photo_page, _report_page], ids=["photo page", "report page"])
@pytest.mark.parametrize(
    ("what", "make", "message"), BAD_PHOTOS, ids=[row[0] for row in BAD_PHOTOS]
)
def test_the_admin_refuses_a_bad_photo_with_a_message_and_saves_nothing(
    admin_browser, meeting, settings, page, what, make, message
):
    topic = make_topic(meeting, title="Freight", cell="A1")
    report = Report.objects.create(topic=topic, summary="Trains")
    url, data = page(report, make())
    before, files = database(), media_files(settings)

    response = admin_browser.post(url, data)

    assert response.status_code == 200
    page = response.content.decode()
    # Django's image field may refuse a file it cannot open before the pipeline sees it.
    assert escape(message) in page or "Upload a valid image." in page
    assert database() == before and media_files(settings) == files


ADMIN_TEXT = [
    ("participant name", "admin:sessions_app_participant_add", "name"),
    ("reflection text", "admin:sessions_app_reflection_add", "text"),
    ("series title", "admin:sessions_app_series_add", "title"),
]


@pytest.mark.parametrize(("what", "page", "key"), ADMIN_TEXT, ids=[row[0] for row in ADMIN_TEXT])
def test_the_admin_refuses_text_with_control_characters(admin_browser, meeting, what, page, key):
    form = {"meeting": meeting.pk, "name": "Ann", "text": "Thanks", "title": "Series"}
    form |= {"is_visible": "on", "position": 0}
    wrong = []
    for hostile in [h for h in HOSTILE if h.verdict == "hidden"]:
        before = database()
        response = admin_browser.post(reverse(page), {**form, key: hostile.text})
        if not (_says(response, HIDDEN_MESSAGES) and database() == before):
            wrong.append(hostile.name)

    assert wrong == []
    response = admin_browser.post(
        reverse(page), {**form, key: "Two\r\nlines" if key == "text" else "Ann مرحبا 👩‍👩‍👧"}
    )
    assert response.status_code == 302
