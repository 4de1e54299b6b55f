"""The permission matrix: every URL and every websocket action, for each of ten roles.

One row per URL (per method, where a page also takes a form), with the phase that lets
its write through, so that a refusal is about who asks, not about when. Each cell checks
the answer (status, where a redirect leads, what the page shows or hides) and the
database: a refused write, and every read, leaves every row of the app (and the accounts)
as it was; an allowed write made its change. A test walks the URL resolver, the admin's
URLs included, and names every URL that has no row, so the matrix grows with the app.

The world is built once for the module and committed; each cell runs in a transaction
that is rolled back, so every cell starts from the same world.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any

import pytest
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from channels.testing import WebsocketCommunicator
from django.apps import apps
from django.conf import settings
from django.contrib import admin
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.auth.models import Group, User
from django.contrib.auth.views import redirect_to_login
from django.contrib.contenttypes.models import ContentType
from django.contrib.sessions.models import Session
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, connections
from django.test import Client, override_settings
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from sessions_app import consumers, photos, realtime
from sessions_app.models import (
    Dot,
    Facilitator,
    Initiative,
    InitiativeMember,
    Interest,
    Link,
    Meeting,
    Participant,
    Pen,
    Reflection,
    Report,
    ReportPhoto,
    Series,
    Sign,
    Topic,
)
from sessions_app.signals import COORDINATORS_GROUP

from .factories import formset, make_meeting, make_topic, participant_session_key
from .images import phone_photo

Phase = Meeting.Phase

# Who asks. The participant, convener and pen holder are phones of this meeting: the
# convener proposed the topics the URLs name, the pen holder scanned the placed topic's
# sign; the other participant joined the other meeting only. The facilitators are accounts
# linked to one meeting's facilitator row; the coordinator is in the Coordinators group
# (views every meeting, changes none); staff is staff with no permission at all.
ROLES = (
    "anonymous",
    "participant",
    "other_participant",
    "convener",
    "pen_holder",
    "facilitator",
    "other_facilitator",
    "coordinator",
    "staff",
    "superuser",
)
# Phones: no account, a participant in the browser's session.
PHONES = ("participant", "convener", "pen_holder")

# The world --------------------------------------------------------------------------------


@dataclass
class World:
    """Ids of everything the rows name, and each role's session cookie."""

    meeting: int = 0
    join_code: str = ""
    other_join_code: str = ""
    other_meeting: int = 0
    series: int = 0
    spare_series: int = 0
    slots: list[int] = field(default_factory=list)
    rooms: dict[str, int] = field(default_factory=dict)
    participant: int = 0
    convener: int = 0
    pen_holder: int = 0
    bystander: int = 0
    other_participant: int = 0
    placed: int = 0  # the convener's topic in A1, with its report, photo, sign and pen
    tray: int = 0  # the convener's raised topic, waiting in the tray
    draft: int = 0  # the convener's private draft
    shared: int = 0  # the convener's draft shared with the participant
    ferries: int = 0  # the bystander's topic in B1, with its report and photo
    ferries_photo: int = 0
    report: int = 0
    photo: int = 0
    sign: int = 0
    sign_secret: str = ""
    initiative: int = 0
    reflection: int = 0
    facilitator_row: int = 0
    link: int = 0
    interest: int = 0
    dot: int = 0
    member: int = 0
    pen: int = 0
    users: dict[str, int] = field(default_factory=dict)
    spare_user: int = 0
    group: int = 0
    sessions: dict[str, str] = field(default_factory=dict)


def _user_session(user: User) -> str:
    client = Client()
    client.force_login(user)
    return client.cookies[settings.SESSION_COOKIE_NAME].value


def build_world() -> World:
    w = World()
    series = Series.objects.create(title="Freight together", organizer="Region")
    w.series = series.pk
    w.spare_series = Series.objects.create(title="Spare series").pk
    meeting = make_meeting(title="Matrix meeting", language=Meeting.Language.ENGLISH)
    meeting.series, meeting.number, meeting.phase = series, 2, Phase.AGENDA
    meeting.save()
    other = make_meeting(title="Other meeting", language=Meeting.Language.ENGLISH)
    w.meeting, w.join_code = meeting.pk, meeting.join_code
    w.other_meeting, w.other_join_code = other.pk, other.join_code
    w.slots = list(meeting.slots.values_list("pk", flat=True))
    w.rooms = dict(meeting.rooms.values_list("code", "pk"))

    people = {
        name: Participant.objects.create(meeting=meeting, name=f"{name} Ames")
        for name in ("Pat", "Cleo", "Hugo", "Rita")
    }
    pat, cleo, hugo, rita = people.values()
    quinn = Participant.objects.create(meeting=other, name="Quinn Ames")
    w.participant, w.convener, w.pen_holder = pat.pk, cleo.pk, hugo.pk
    w.bystander, w.other_participant = rita.pk, quinn.pk

    placed = make_topic(meeting, title="Freight by rail", convener=cleo, cell="A1")
    tray = make_topic(meeting, title="Ports", convener=cleo)
    draft = make_topic(meeting, title="Cleo's draft", convener=cleo, status=Topic.Status.DRAFT)
    shared = make_topic(meeting, title="Cleo's shared", convener=cleo, status=Topic.Status.SHARED)
    shared.partner = pat
    shared.save()
    w.placed, w.tray, w.draft, w.shared = placed.pk, tray.pk, draft.pk, shared.pk

    report = Report.objects.create(topic=placed, summary="We talked about rail.")
    photo = photos.save_report_photo(report, photos.clean_photo(phone_photo(400, 300)))
    w.report, w.photo = report.pk, photo.pk
    ferries = make_topic(meeting, title="Ferries", convener=rita, cell="B1")
    ferries_report = Report.objects.create(topic=ferries, summary="Ferries at night.")
    ferries_photo = photos.save_report_photo(
        ferries_report, photos.clean_photo(phone_photo(300, 200))
    )
    w.ferries, w.ferries_photo = ferries.pk, ferries_photo.pk
    Sign.objects.create(topic=ferries)
    sign = Sign.objects.create(topic=placed)
    w.sign, w.sign_secret = sign.pk, sign.secret
    w.pen = Pen.objects.create(topic=placed, participant=hugo).pk
    w.interest = Interest.objects.create(topic=placed, participant=rita).pk
    w.dot = Dot.objects.create(topic=placed, participant=rita).pk
    initiative = Initiative.objects.create(
        meeting=meeting, who="Rita", what="A rail pilot", levels="F", raised_by=rita
    )
    w.initiative = initiative.pk
    w.member = InitiativeMember.objects.create(
        initiative=initiative, name="Rita Ames", participant=rita
    ).pk
    w.reflection = Reflection.objects.create(meeting=meeting, text="Good day", participant=rita).pk
    w.link = Link.objects.create(meeting=meeting, title="Method", url="https://example.org/").pk

    users = {
        "facilitator": User.objects.create_user("lead", password="pw"),
        "other_facilitator": User.objects.create_user("elsewhere", password="pw"),
        "coordinator": User.objects.create_user("coordinator", password="pw"),
        "staff": User.objects.create_user("staff", password="pw", is_staff=True),
        "superuser": User.objects.create_superuser("root", password="pw"),
    }
    w.spare_user = User.objects.create_user("spare", password="pw").pk
    group = Group.objects.get(name=COORDINATORS_GROUP)
    w.group = group.pk
    users["coordinator"].groups.add(group)
    w.facilitator_row = Facilitator.objects.create(
        meeting=meeting, name="Lead", user=users["facilitator"]
    ).pk
    Facilitator.objects.create(meeting=other, name="Elsewhere", user=users["other_facilitator"])
    w.users = {role: user.pk for role, user in users.items()}

    w.sessions = {role: _user_session(user) for role, user in users.items()}
    w.sessions |= {
        "participant": participant_session_key(pat),
        "convener": participant_session_key(cleo),
        "pen_holder": participant_session_key(hugo),
        "other_participant": participant_session_key(quinn),
    }
    return w


def tear_down(w: World) -> None:
    Meeting.objects.filter(title__in=["Matrix meeting", "Other meeting"]).delete()
    Series.objects.filter(pk__in=[w.series, w.spare_series]).delete()
    User.objects.filter(pk__in=[*w.users.values(), w.spare_user]).delete()
    Session.objects.filter(session_key__in=w.sessions.values()).delete()


@pytest.fixture(scope="module")
def media_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("media")


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, media_dir) -> Iterator[World]:
    with override_settings(MEDIA_ROOT=media_dir), django_db_blocker.unblock():
        w = build_world()
        try:
            yield w
        finally:
            tear_down(w)


@pytest.fixture(autouse=True)
def _media_root(settings, media_dir):
    """One media folder for the module: the world's photo lives there, and the PDF is
    rendered once for the whole matrix (its cache is keyed on the meeting's revision)."""
    settings.MEDIA_ROOT = media_dir


# What the database holds --------------------------------------------------------------


def _snapshot_tables() -> list[str]:
    models = [
        *apps.get_app_config("sessions_app").get_models(),
        User,
        Group,
        User.groups.through,
        User.user_permissions.through,
        Group.permissions.through,
        LogEntry,
    ]
    return [model._meta.db_table for model in models]


SNAPSHOT_TABLES = _snapshot_tables()


def snapshot() -> dict[str, list[tuple]]:
    """Every row of the app's models, the accounts, their groups and the admin's log.

    Read in plain SQL: the ORM would spend longer building the queries than running them.
    """
    rows = {}
    with connection.cursor() as cursor:
        for table in SNAPSHOT_TABLES:
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)} ORDER BY 1")
            rows[table] = cursor.fetchall()
    return rows


def changed_tables(before: dict, after: dict) -> list[str]:
    return [label for label in before if before[label] != after[label]]


# What a cell expects ----------------------------------------------------------------------

Text = str | Callable[[World], str]


@dataclass(frozen=True)
class Expect:
    """One cell's answer: its status, where it redirects, what the page shows or hides,
    and whether it writes (else every row stays as it was)."""

    status: int
    to: Callable[[World, str], str] | None = None
    shows: tuple[Text, ...] = ()
    hides: tuple[Text, ...] = ()
    content_type: str = ""
    writes: bool = False

    def but(self, **changes: Any) -> Expect:
        return Expect(**{**self.__dict__, **changes})


def _text(w: World, text: Text) -> str:
    return text(w) if callable(text) else text


LOGIN = Expect(302, to=lambda w, path: redirect_to_login(path).url)
ADMIN_LOGIN = Expect(302, to=lambda w, path: redirect_to_login(path, reverse("admin:login")).url)
JOIN = Expect(302, to=lambda w, path: reverse("join"))
DENIED = Expect(403)
NOT_FOUND = Expect(404)
REFUSED = Expect(422)
OK = Expect(200)


def to(name: str, *args: Callable[[World], Any], writes: bool = True) -> Expect:
    """A redirect to the named URL, after a write unless told otherwise."""
    return Expect(
        302, to=lambda w, path: reverse(name, args=[arg(w) for arg in args]), writes=writes
    )


def meeting(w: World) -> int:
    return w.meeting


def code(w: World) -> str:
    return w.join_code


def roles(default: Expect, **cells: Expect) -> dict[str, Expect]:
    unknown = set(cells) - set(ROLES)
    assert not unknown, unknown
    return {role: cells.get(role, default) for role in ROLES}


def facilitators(allowed: Expect, **cells: Expect) -> dict[str, Expect]:
    """A facilitator's page: log in first; only this meeting's facilitators and the
    superuser (who may change every meeting) go on."""
    logged_out = dict.fromkeys(("anonymous", "other_participant", *PHONES), LOGIN)
    return roles(DENIED, **logged_out, facilitator=allowed, superuser=allowed) | cells


def phones(allowed: Expect, **cells: Expect) -> dict[str, Expect]:
    """A phone's page: those who joined this meeting go on; everyone else joins first."""
    return roles(JOIN, **dict.fromkeys(PHONES, allowed)) | cells


def everyone(expect: Expect) -> dict[str, Expect]:
    return roles(expect)


def admin_only(allowed: Expect, staff: Expect = DENIED) -> dict[str, Expect]:
    """An admin page: whoever is not staff logs in to the admin; staff without permissions
    are refused; the superuser goes on."""
    return roles(ADMIN_LOGIN, staff=staff, superuser=allowed)


@dataclass(frozen=True)
class Row:
    key: str  # the URL's name, or the route of a URL without one
    url: Callable[[World], str]
    expect: dict[str, Expect]
    method: str = "GET"
    phase: str = Phase.AGENDA
    data: Callable[[World], dict] | None = None
    done: Callable[[World, str], bool] | None = None  # the allowed write happened
    label: str = ""

    @property
    def id(self) -> str:
        return f"{self.label or self.key}-{self.method}"


def url(name: str, *args: Callable[[World], Any], query: str = "") -> Callable[[World], str]:
    def build(w: World) -> str:
        found = reverse(name, args=[arg(w) for arg in args])
        return f"{found}?{query}" if query else found

    return build


def attr(name: str) -> Callable[[World], Any]:
    return lambda w: getattr(w, name)


def slot(number: int) -> Callable[[World], int]:
    return lambda w: w.slots[number - 1]


def room(code_: str) -> Callable[[World], int]:
    return lambda w: w.rooms[code_]


def upload() -> SimpleUploadedFile:
    return SimpleUploadedFile("sheet.jpg", phone_photo(400, 300), content_type="image/jpeg")


def participant_of(w: World, role: str) -> int | None:
    return getattr(w, role) if role in PHONES else None


def _meeting_row(w: World) -> Meeting:
    return Meeting.objects.get(pk=w.meeting)


def meeting_form(title: str, series: int | str = "", number: str = "") -> dict:
    return {
        "title": title,
        "date": "2024-09-12",
        "language": "en",
        "series": series,
        "number": number,
        "dots_per_person": "3",
        **formset("facilitators", []),
        **formset("links", []),
    }


def rooms_form(w: World) -> dict:
    rows = [{"id": pk, "code": code_, "name": "", "capacity": ""} for code_, pk in w.rooms.items()]
    return formset("rooms", [*rows, {"code": "D", "name": "Library", "capacity": "12"}], len(rows))


def new_meeting_exists(title: str) -> Callable[[World, str], bool]:
    return lambda w, role: Meeting.objects.filter(title=title).exists()


def topic_is(pk: str, **fields: Any) -> Callable[[World, str], bool]:
    return lambda w, role: Topic.objects.filter(pk=getattr(w, pk), **fields).exists()


def report_says(text: str) -> Callable[[World, str], bool]:
    return lambda w, role: Report.objects.filter(topic_id=w.placed, summary=text).exists()


def caption_is(text: str) -> Callable[[World, str], bool]:
    return lambda w, role: ReportPhoto.objects.filter(pk=w.photo, caption=text).exists()


def photo_added(w: World, role: str) -> bool:
    return ReportPhoto.objects.filter(report__topic_id=w.placed).count() == 2


def photo_removed(w: World, role: str) -> bool:
    return not ReportPhoto.objects.filter(pk=w.photo).exists()


# The rows: the app's own URLs -------------------------------------------------------------

HIDES_CODE = (code,)

APP_ROWS = [
    Row(
        "home",
        url("home"),
        roles(
            OK.but(shows=("Matrix meeting",), hides=HIDES_CODE),
            facilitator=OK.but(shows=(code,)),
            coordinator=OK.but(shows=(code,)),
            superuser=OK.but(shows=(code,)),
            other_facilitator=OK.but(shows=(attr("other_join_code"),), hides=HIDES_CODE),
        ),
    ),
    Row(
        "meeting_create",
        url("meeting_create"),
        roles(
            DENIED,
            **dict.fromkeys(("anonymous", "other_participant", *PHONES), LOGIN),
            superuser=OK,
        ),
    ),
    Row(
        "meeting_create",
        url("meeting_create"),
        roles(
            DENIED,
            **dict.fromkeys(("anonymous", "other_participant", *PHONES), LOGIN),
            superuser=Expect(302, writes=True),
        ),
        method="POST",
        data=lambda w: meeting_form("A brand new meeting"),
        done=new_meeting_exists("A brand new meeting"),
    ),
    Row(
        "meeting_detail",
        url("meeting_detail", meeting),
        roles(
            OK.but(shows=("Matrix meeting",), hides=HIDES_CODE),
            facilitator=OK.but(shows=(code,)),
            coordinator=OK.but(shows=(code,)),
            superuser=OK.but(shows=(code,)),
        ),
    ),
    Row(
        "meeting_edit",
        url("meeting_edit", meeting),
        facilitators(OK.but(shows=("Matrix meeting",))),
    ),
    Row(
        "meeting_edit",
        url("meeting_edit", meeting),
        facilitators(to("meeting_detail", meeting)),
        method="POST",
        data=lambda w: meeting_form("Matrix meeting, renamed", w.series, "2"),
        done=new_meeting_exists("Matrix meeting, renamed"),
    ),
    Row("meeting_slots", url("meeting_slots", meeting), facilitators(OK)),
    Row(
        "meeting_slots",
        url("meeting_slots", meeting),
        facilitators(to("meeting_slots", meeting)),
        method="POST",
        data=lambda w: {"first_starts": "09:00", "length": "25", "gap": "5", "count": "4"},
        done=lambda w, role: _meeting_row(w).slots.count() == 4,
    ),
    Row("meeting_rooms", url("meeting_rooms", meeting), facilitators(OK)),
    Row(
        "meeting_rooms",
        url("meeting_rooms", meeting),
        facilitators(to("meeting_rooms", meeting)),
        method="POST",
        data=rooms_form,
        done=lambda w, role: _meeting_row(w).rooms.filter(code="D").exists(),
    ),
    Row(
        # Starting a new meeting takes the right to add meetings, not only to run this one.
        "meeting_copy",
        url("meeting_copy", meeting),
        facilitators(DENIED, superuser=Expect(302, writes=True)),
        method="POST",
        done=lambda w, role: Meeting.objects.count() == 3,
    ),
]

# Downloads of a closed meeting whose documents are not published: its facilitators,
# coordinators and those who took part, nobody else.
DOWNLOAD_ROLES = ("facilitator", "coordinator", "superuser", *PHONES)


def download(content_type: str, shows: tuple[Text, ...] = ()) -> dict[str, Expect]:
    allowed = OK.but(content_type=content_type, shows=shows)
    return roles(DENIED, **dict.fromkeys(DOWNLOAD_ROLES, allowed))


APP_ROWS += [
    Row(
        "documentation_pdf",
        url("documentation_pdf", meeting),
        download("application/pdf"),
        phase=Phase.CLOSED,
    ),
    Row(
        "action_plan_csv",
        url("action_plan_csv", meeting),
        download("text/csv", ("A rail pilot",)),
        phase=Phase.CLOSED,
    ),
    Row(
        "action_plan_excel_csv",
        url("action_plan_excel_csv", meeting),
        download("text/csv", ("A rail pilot",)),
        phase=Phase.CLOSED,
    ),
    Row(
        "agenda_ics",
        url("agenda_ics", meeting),
        everyone(OK.but(content_type="text/calendar", shows=("Freight by rail",))),
    ),
    Row(
        "projector",
        url("projector", meeting),
        facilitators(OK.but(shows=("Matrix meeting", code))),
    ),
    Row(
        "board_action",
        url("board_action", meeting),
        facilitators(to("projector", meeting)),
        method="POST",
        data=lambda w: {
            "action": "place",
            "topic": w.tray,
            "slot": w.slots[1],
            "room": w.rooms["B"],
        },
        done=topic_is("tray", status=Topic.Status.PLACED),
    ),
    Row(
        "set_phase",
        url("set_phase", meeting),
        facilitators(to("projector", meeting)),
        method="POST",
        data=lambda w: {"phase": Phase.DISCUSSIONS},
        done=lambda w, role: _meeting_row(w).phase == Phase.DISCUSSIONS,
    ),
    Row(
        # Computed in a worker and shown to the asking browser only: nothing is written.
        "suggest_placement",
        url("suggest_placement", meeting),
        facilitators(OK.but(shows=("Ports",))),
        method="POST",
    ),
    Row(
        "apply_suggestion",
        url("apply_suggestion", meeting),
        facilitators(OK.but(writes=True)),
        method="POST",
        data=lambda w: {"move": f"{w.tray}:::{w.slots[1]}:{w.rooms['B']}", "apply": "all"},
        done=topic_is("tray", status=Topic.Status.PLACED),
    ),
    Row(
        "spotlight",
        url("spotlight", meeting),
        facilitators(to("projector", meeting)),
        method="POST",
        phase=Phase.VERNISSAGE,
        data=lambda w: {"topic": w.placed},
        done=lambda w, role: _meeting_row(w).spotlight_id == w.placed,
    ),
    Row(
        "new_join_code",
        url("new_join_code", meeting),
        facilitators(to("meeting_detail", meeting)),
        method="POST",
        done=lambda w, role: _meeting_row(w).join_code != w.join_code,
    ),
    Row(
        "plan_manage",
        url("plan_manage", meeting),
        facilitators(OK.but(shows=("A rail pilot",))),
        phase=Phase.ACTION_PLAN,
    ),
    Row(
        "plan_action",
        url("plan_action", meeting),
        facilitators(to("plan_manage", meeting)),
        method="POST",
        phase=Phase.ACTION_PLAN,
        data=lambda w: {
            "action": "edit",
            "initiative": w.initiative,
            "who": "Rita",
            "what": "A rail pilot, widened",
            "levels": ["F", "G"],
        },
        done=lambda w, role: Initiative.objects.filter(what="A rail pilot, widened").exists(),
    ),
    Row(
        "summary",
        url("summary", meeting),
        facilitators(to("projector", meeting)),
        method="POST",
        phase=Phase.CLOSING,
        data=lambda w: {"summary": "A day of rail."},
        done=lambda w, role: _meeting_row(w).summary == "A day of rail.",
    ),
    Row(
        "reflection_visibility",
        url("reflection_visibility", meeting, attr("reflection")),
        facilitators(to("projector", meeting)),
        method="POST",
        phase=Phase.CLOSING,
        data=lambda w: {"visible": "0"},
        done=lambda w, role: not Reflection.objects.get(pk=w.reflection).is_visible,
    ),
    Row(
        "publish",
        url("publish", meeting),
        facilitators(to("meeting_detail", meeting)),
        method="POST",
        phase=Phase.CLOSED,
        data=lambda w: {"public": "on"},
        done=lambda w, role: _meeting_row(w).documents_public,
    ),
    Row(
        # Names for the report's "who took part": for whoever may write a report here.
        "people_search",
        url("people_search", meeting, query="q=Ames"),
        roles(
            DENIED,
            **{role: OK.but(shows=("Rita Ames",), hides=("Quinn",)) for role in PHONES},
            facilitator=OK.but(shows=("Rita Ames",), hides=("Quinn",)),
            superuser=OK.but(shows=("Rita Ames",), hides=("Quinn",)),
        ),
        phase=Phase.DISCUSSIONS,
    ),
    Row(
        "reports_overview",
        url("reports_overview", meeting),
        facilitators(OK.but(shows=("Freight by rail",))),
        phase=Phase.DISCUSSIONS,
    ),
    Row(
        "signs_pdf",
        url("signs_pdf", meeting),
        facilitators(OK.but(content_type="application/pdf")),
        phase=Phase.DISCUSSIONS,
    ),
    Row(
        "report_edit",
        url("report_edit", meeting, attr("placed")),
        facilitators(OK.but(shows=("We talked about rail.",))),
        phase=Phase.DISCUSSIONS,
    ),
    Row(
        "report_edit",
        url("report_edit", meeting, attr("placed")),
        facilitators(to("report_edit", meeting, attr("placed"))),
        method="POST",
        phase=Phase.DISCUSSIONS,
        data=lambda w: {"summary": "Rail, written on screen.", "summary-version": "0"},
        done=report_says("Rail, written on screen."),
    ),
    Row(
        "report_edit_field",
        url("report_edit_field", meeting, attr("placed")),
        facilitators(OK.but(writes=True)),
        method="POST",
        phase=Phase.DISCUSSIONS,
        data=lambda w: {"field": "summary", "text": "Rail, typed.", "version": "0"},
        done=report_says("Rail, typed."),
    ),
    Row(
        "report_edit_photos",
        url("report_edit_photos", meeting, attr("placed")),
        facilitators(Expect(302, writes=True)),
        method="POST",
        phase=Phase.DISCUSSIONS,
        data=lambda w: {"photo": upload(), "caption": "The sheet"},
        done=photo_added,
    ),
    Row(
        "report_edit_photo_remove",
        url("report_edit_photo_remove", meeting, attr("placed"), attr("photo")),
        facilitators(Expect(302, writes=True)),
        method="POST",
        phase=Phase.DISCUSSIONS,
        done=photo_removed,
    ),
    Row(
        "report_edit_caption",
        url("report_edit_caption", meeting, attr("placed"), attr("photo")),
        facilitators(OK.but(writes=True)),
        method="POST",
        phase=Phase.DISCUSSIONS,
        data=lambda w: {"text": "The sheet, left", "version": "0"},
        done=caption_is("The sheet, left"),
    ),
    Row(
        "new_sign",
        url("new_sign", meeting, attr("placed")),
        facilitators(to("reports_overview", meeting)),
        method="POST",
        phase=Phase.DISCUSSIONS,
        done=lambda w, role: (
            not Sign.objects.filter(secret=w.sign_secret).exists()
            and not Pen.objects.filter(pk=w.pen).exists()
        ),
    ),
]

# The sign's QR code: a phone of this meeting gets the pen (the one holding it already
# keeps it); anyone else joins first, with the secret kept in the session, not the URL.
SIGN_TO_JOIN = to("join_code", code, writes=False)
SIGN_TO_FORM = to("phone_report", meeting, attr("placed"))
APP_ROWS.append(
    Row(
        "sign",
        lambda w: reverse("sign", args=[w.sign_secret]),
        roles(
            SIGN_TO_JOIN,
            participant=SIGN_TO_FORM,
            convener=SIGN_TO_FORM,
            pen_holder=SIGN_TO_FORM.but(writes=False),
        ),
        phase=Phase.DISCUSSIONS,
        done=lambda w, role: Pen.objects.filter(
            topic_id=w.placed, participant_id=participant_of(w, role)
        ).exists(),
    )
)


def joined_again(w: World, role: str) -> bool:
    return Participant.objects.filter(meeting_id=w.meeting, name="Newcomer").exists()


TO_PHONE = to("phone", meeting)
APP_ROWS += [
    Row("join", url("join", query="code="), everyone(OK)),
    Row("join", url("join", query="code=NOSUCH"), everyone(NOT_FOUND), label="join-unknown"),
    Row(
        "join",
        lambda w: f"{reverse('join')}?code={w.join_code.lower()}",
        everyone(to("join_code", code, writes=False)),
        label="join-known",
    ),
    Row(
        "join_code",
        url("join_code", code),
        roles(
            OK.but(shows=("Matrix meeting",)),
            **{role: TO_PHONE.but(writes=False) for role in PHONES},
        ),
    ),
    Row(
        "join_code",
        url("join_code", code),
        roles(TO_PHONE, **{role: TO_PHONE.but(writes=False) for role in PHONES}),
        method="POST",
        data=lambda w: {"name": "Newcomer", "organization": "Port"},
        done=joined_again,
    ),
    Row(
        "phone",
        url("phone", meeting),
        phones(OK.but(shows=("Matrix meeting",), hides=HIDES_CODE)),
    ),
    Row(
        "phone_topic_create",
        url("phone_topic_create", meeting),
        phones(TO_PHONE),
        method="POST",
        data=lambda w: {"title": "A new question"},
        done=lambda w, role: Topic.objects.filter(
            title="A new question", convener_id=participant_of(w, role)
        ).exists(),
    ),
    # The convener's own topics: a phone may change only its own.
    Row(
        "phone_topic_edit",
        url("phone_topic_edit", meeting, attr("draft")),
        phones(REFUSED, convener=TO_PHONE),
        method="POST",
        data=lambda w: {"title": "Cleo's draft, edited"},
        done=topic_is("draft", title="Cleo's draft, edited"),
    ),
    Row(
        "phone_topic_share",
        url("phone_topic_share", meeting, attr("draft")),
        phones(REFUSED, convener=TO_PHONE),
        method="POST",
        data=lambda w: {"partner": w.bystander},
        done=lambda w, role: Topic.objects.filter(pk=w.draft, partner_id=w.bystander).exists(),
    ),
    Row(
        "phone_partner_search",
        url("phone_partner_search", meeting, query="q=Ames"),
        phones(OK.but(shows=("Rita Ames",), hides=("Quinn",))),
    ),
    Row(
        # Only the partner it was shared with co-signs: here the participant.
        "phone_topic_cosign",
        url("phone_topic_cosign", meeting, attr("shared")),
        phones(REFUSED, participant=TO_PHONE),
        method="POST",
        done=topic_is("shared", partner_signed=True),
    ),
    Row(
        "phone_topic_raise",
        url("phone_topic_raise", meeting, attr("draft")),
        phones(REFUSED, convener=TO_PHONE),
        method="POST",
        done=topic_is("draft", status=Topic.Status.RAISED),
    ),
    Row(
        "phone_topic_withdraw",
        url("phone_topic_withdraw", meeting, attr("draft")),
        phones(REFUSED, convener=TO_PHONE),
        method="POST",
        done=topic_is("draft", status=Topic.Status.WITHDRAWN),
    ),
    Row(
        "phone_interest",
        url("phone_interest", meeting, attr("tray")),
        phones(TO_PHONE),
        method="POST",
        done=lambda w, role: Interest.objects.filter(
            topic_id=w.tray, participant_id=participant_of(w, role)
        ).exists(),
    ),
    Row(
        # Dots go on other people's reports, never on one's own.
        "phone_dot",
        url("phone_dot", meeting, attr("placed")),
        phones(TO_PHONE, convener=REFUSED),
        method="POST",
        phase=Phase.VERNISSAGE,
        done=lambda w, role: Dot.objects.filter(
            topic_id=w.placed, participant_id=participant_of(w, role)
        ).exists(),
    ),
    Row(
        "phone_initiative_raise",
        url("phone_initiative_raise", meeting),
        phones(TO_PHONE),
        method="POST",
        phase=Phase.ACTION_PLAN,
        data=lambda w: {"who": "Us", "what": "A port study", "levels": ["U"], "when": "Spring"},
        done=lambda w, role: Initiative.objects.filter(
            what="A port study", raised_by_id=participant_of(w, role)
        ).exists(),
    ),
    Row(
        "phone_initiative_join",
        url("phone_initiative_join", meeting, attr("initiative")),
        phones(TO_PHONE),
        method="POST",
        phase=Phase.ACTION_PLAN,
        done=lambda w, role: InitiativeMember.objects.filter(
            initiative_id=w.initiative, participant_id=participant_of(w, role)
        ).exists(),
    ),
    Row(
        "phone_reflection_create",
        url("phone_reflection_create", meeting),
        phones(TO_PHONE),
        method="POST",
        phase=Phase.CLOSING,
        data=lambda w: {"text": "Thanks, all"},
        done=lambda w, role: Reflection.objects.filter(
            text="Thanks, all", participant_id=participant_of(w, role)
        ).exists(),
    ),
]

# A report is written by its topic's conveners and whoever holds its pen.
WRITERS = ("convener", "pen_holder")


def writers(allowed: Expect, refused: Expect) -> dict[str, Expect]:
    return phones(refused, **dict.fromkeys(WRITERS, allowed))


REPORT_FORM = to("phone_report", meeting, attr("placed"))
APP_ROWS += [
    Row(
        "phone_report",
        url("phone_report", meeting, attr("placed")),
        writers(OK.but(shows=("We talked about rail.",)), DENIED.but(hides=("We talked",))),
        phase=Phase.DISCUSSIONS,
    ),
    Row(
        "phone_report",
        url("phone_report", meeting, attr("placed")),
        writers(REPORT_FORM, DENIED),
        method="POST",
        phase=Phase.DISCUSSIONS,
        data=lambda w: {"summary": "Rail, from a phone.", "summary-version": "0"},
        done=report_says("Rail, from a phone."),
    ),
    Row(
        "phone_report_field",
        url("phone_report_field", meeting, attr("placed")),
        writers(OK.but(writes=True), REFUSED),
        method="POST",
        phase=Phase.DISCUSSIONS,
        data=lambda w: {"field": "summary", "text": "Rail, typed on a phone.", "version": "0"},
        done=report_says("Rail, typed on a phone."),
    ),
    Row(
        "phone_report_photos",
        url("phone_report_photos", meeting, attr("placed")),
        writers(Expect(302, writes=True), DENIED),
        method="POST",
        phase=Phase.DISCUSSIONS,
        data=lambda w: {"photo": upload(), "caption": "The sheet"},
        done=photo_added,
    ),
    Row(
        "phone_report_photo_remove",
        url("phone_report_photo_remove", meeting, attr("placed"), attr("photo")),
        writers(Expect(302, writes=True), DENIED),
        method="POST",
        phase=Phase.DISCUSSIONS,
        done=photo_removed,
    ),
    Row(
        "phone_report_caption",
        url("phone_report_caption", meeting, attr("placed"), attr("photo")),
        writers(OK.but(writes=True), REFUSED),
        method="POST",
        phase=Phase.DISCUSSIONS,
        data=lambda w: {"text": "The sheet, right", "version": "0"},
        done=caption_is("The sheet, right"),
    ),
]

# Accounts and languages: the same for everyone.
APP_ROWS += [
    Row("login", url("login"), everyone(OK)),
    Row("logout", url("logout"), everyone(to("home", writes=False)), method="POST"),
    Row(
        "set_language",
        url("set_language"),
        everyone(Expect(302)),
        method="POST",
        data=lambda w: {"language": "sv", "next": "/"},
    ),
]


# The rows: the admin ---------------------------------------------------------------------

# The object each model's admin pages show, chosen so that deleting it is allowed.
ADMIN_OBJECTS: dict[str, Callable[[World], int]] = {
    "sessions_app.series": attr("spare_series"),
    "sessions_app.meeting": meeting,
    "sessions_app.participant": attr("participant"),
    "sessions_app.topic": attr("placed"),
    "sessions_app.interest": attr("interest"),
    "sessions_app.report": attr("report"),
    "sessions_app.reportphoto": attr("photo"),
    "sessions_app.initiative": attr("initiative"),
    "sessions_app.reflection": attr("reflection"),
    "sessions_app.slot": slot(3),
    "sessions_app.room": room("C"),
    "sessions_app.facilitator": attr("facilitator_row"),
    "sessions_app.link": attr("link"),
    "sessions_app.initiativemember": attr("member"),
    "sessions_app.sign": attr("sign"),
    "sessions_app.pen": attr("pen"),
    "sessions_app.dot": attr("dot"),
    "auth.user": attr("spare_user"),
    "auth.group": attr("group"),
}


class AdminForm(HTMLParser):
    """The fields of an admin change form as a browser would post them, unchanged."""

    def __init__(self, form_id: str) -> None:
        super().__init__()
        self.form_id, self.inside, self.data = form_id, False, {}
        self.select: str | None = None
        self.textarea: str | None = None

    def add(self, name: str, value: str) -> None:
        self.data.setdefault(name, []).append(value)

    def handle_starttag(self, tag: str, attrs: list) -> None:
        found = dict(attrs)
        if tag == "form":
            self.inside = found.get("id") == self.form_id
        if not self.inside or "name" not in found and tag != "option":
            return
        if tag == "input" and found.get("type") not in ("file", "submit", "button"):
            if found.get("type") not in ("checkbox", "radio"):
                self.add(found["name"], found.get("value") or "")
            elif "checked" in found:
                self.add(found["name"], found.get("value") or "on")
        elif tag == "select":
            self.select = found["name"]
        elif tag == "option" and self.select and "selected" in found:
            self.add(self.select, found.get("value", ""))
        elif tag == "textarea":
            self.textarea = found["name"]
            self.add(self.textarea, "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self.inside = False
        elif tag == "select":
            self.select = None
        elif tag == "textarea":
            self.textarea = None

    def handle_data(self, data: str) -> None:
        if self.textarea:
            # Browsers drop the newline that follows <textarea>.
            self.data[self.textarea][-1] += data.removeprefix("\n")


def admin_change_form(w: World, model: type, change_url: str) -> dict:
    """What the superuser's browser posts from the object's change page, as it stands."""
    client = Client()
    client.cookies[settings.SESSION_COOKIE_NAME] = w.sessions["superuser"]
    parser = AdminForm(f"{model._meta.model_name}_form")
    parser.feed(client.get(change_url).content.decode())
    assert parser.data, f"no form found on {change_url}"
    return {**parser.data, "_save": "Save"}


def logged_change(model: type, obj: Callable[[World], int]) -> Callable[[World, str], bool]:
    return lambda w, role: LogEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(model),
        object_id=str(obj(w)),
        action_flag=CHANGE,
    ).exists()


READ_ONLY_IN_ADMIN = {
    "sessions_app.interest",
    "sessions_app.dot",
    "sessions_app.pen",
    "sessions_app.sign",
}


def admin_rows() -> list[Row]:
    rows = []
    for model in admin.site._registry:
        opts = model._meta
        prefix = f"admin:{opts.app_label}_{opts.model_name}"
        obj = ADMIN_OBJECTS[opts.label_lower]

        def named(suffix: str, *args, prefix=prefix) -> Callable[[World], str]:
            return url(f"{prefix}_{suffix}", *args)

        def gone(w: World, role: str, model=model, obj=obj) -> bool:
            return not model.objects.filter(pk=obj(w)).exists()

        changelist = named("changelist")
        change = named("change", obj)
        to_change = Expect(302, to=lambda w, path, change=change: change(w))
        saved = Expect(302, to=lambda w, path, c=changelist: c(w), writes=True)
        # Only read in the admin, even by the superuser: made by the live meeting.
        read_only = opts.label_lower in READ_ONLY_IN_ADMIN
        rows += [
            Row(f"{prefix}_changelist", changelist, admin_only(OK)),
            Row(f"{prefix}_add", named("add"), admin_only(DENIED if read_only else OK)),
            Row(
                # Posted empty: refused to all but the superuser, whom the form asks for
                # what is missing.
                f"{prefix}_add",
                named("add"),
                admin_only(DENIED if read_only else OK.but(shows=('class="errornote"',))),
                method="POST",
            ),
            Row(f"{prefix}_change", change, admin_only(OK)),
            Row(
                # The change page's own form, posted back as it stands: saved and logged.
                f"{prefix}_change",
                change,
                admin_only(DENIED if read_only else saved),
                method="POST",
                data=lambda w, model=model, change=change: admin_change_form(w, model, change(w)),
                done=logged_change(model, obj),
            ),
            Row(f"{prefix}_history", named("history", obj), admin_only(OK)),
            Row(f"{prefix}_delete", named("delete", obj), admin_only(DENIED if read_only else OK)),
            Row(
                f"{prefix}_delete",
                named("delete", obj),
                admin_only(DENIED if read_only else saved),
                method="POST",
                data=lambda w: {"post": "yes"},
                done=gone,
            ),
            # The object's bare address leads to its change page, for staff too; that
            # page then refuses staff without permissions.
            Row(
                f"admin/{opts.app_label}/{opts.model_name}/<path:object_id>/",
                lambda w, change=change: change(w).removesuffix("change/"),
                admin_only(to_change, staff=to_change),
            ),
        ]
    return rows


# Logged in but not staff, the admin's login page says so and offers to log in again;
# staff are sent on to the admin.
TO_ADMIN = Expect(302, to=lambda w, path: reverse("admin:index"))
ADMIN_ENTRANCE = roles(OK, staff=TO_ADMIN, superuser=TO_ADMIN)
STAFF_PAGE = roles(ADMIN_LOGIN, staff=OK, superuser=OK)

SITE_ROWS = [
    Row("admin:index", url("admin:index"), STAFF_PAGE),
    Row("admin:login", url("admin:login"), ADMIN_ENTRANCE),
    Row("admin/login/", lambda w: "/admin/login/", ADMIN_ENTRANCE),
    # Logging out of the admin: its staff go home, anyone else back to the admin's door.
    Row(
        "admin:logout",
        url("admin:logout"),
        roles(TO_ADMIN, staff=to("home", writes=False), superuser=to("home", writes=False)),
        method="POST",
    ),
    Row("admin:password_change", url("admin:password_change"), STAFF_PAGE),
    Row("admin:password_change_done", url("admin:password_change_done"), STAFF_PAGE),
    Row("admin:jsi18n", url("admin:jsi18n"), STAFF_PAGE),
    Row(
        "admin:app_list",
        lambda w: reverse("admin:app_list", args=["sessions_app"]),
        admin_only(OK, staff=NOT_FOUND),
    ),
    Row(
        # No model of the app has a page of its own outside the admin.
        "admin:view_on_site",
        lambda w: reverse(
            "admin:view_on_site",
            args=[ContentType.objects.get_for_model(Meeting).pk, w.meeting],
        ),
        admin_only(NOT_FOUND, staff=NOT_FOUND),
    ),
    Row(
        # The facilitator's account field: usernames for the superuser only.
        "admin:autocomplete",
        lambda w: (
            reverse("admin:autocomplete")
            + "?app_label=sessions_app&model_name=facilitator&field_name=user&term=sp"
        ),
        admin_only(OK.but(shows=("spare",))),
    ),
    Row(
        "admin/(?P<url>.*)$",
        lambda w: "/admin/nothing/here/",
        admin_only(NOT_FOUND, staff=NOT_FOUND),
    ),
    Row(
        "admin:auth_user_password_change",
        lambda w: reverse("admin:auth_user_password_change", args=[w.spare_user]),
        admin_only(OK),
    ),
]


# The rows: one meeting's objects through another's URLs ------------------------------------
#
# A facilitator of the other meeting (and the superuser, who runs it too) passes the guard
# of the other meeting's URLs; naming this meeting's topics, initiatives, reflections or
# photos there must change nothing. So for a participant of the other meeting on its phone,
# and for a phone of this meeting naming another topic's photo.


def other(w: World) -> int:
    return w.other_meeting


def elsewhere(refused: Expect, **cells: Expect) -> dict[str, Expect]:
    """A facilitator's URL of the other meeting: only its facilitators pass the guard."""
    logged_out = dict.fromkeys(("anonymous", "other_participant", *PHONES), LOGIN)
    return roles(DENIED, **logged_out, other_facilitator=refused, superuser=refused) | cells


def other_phone(refused: Expect) -> dict[str, Expect]:
    """A phone's URL of the other meeting: only its participant passes the guard."""
    return roles(JOIN, other_participant=refused)


CROSSED_ROWS = [
    Row(
        "board_action",
        url("board_action", other),
        elsewhere(REFUSED),
        method="POST",
        data=lambda w: {
            "action": "place",
            "topic": w.tray,
            "slot": w.slots[1],
            "room": w.rooms["B"],
        },
        label="board_action-elsewhere",
    ),
    Row(
        "apply_suggestion",
        url("apply_suggestion", other),
        elsewhere(REFUSED),
        method="POST",
        data=lambda w: {"move": f"{w.tray}:::{w.slots[1]}:{w.rooms['B']}", "apply": "all"},
        label="apply_suggestion-elsewhere",
    ),
    Row(
        "spotlight",
        url("spotlight", other),
        elsewhere(REFUSED),
        method="POST",
        phase=Phase.VERNISSAGE,
        data=lambda w: {"topic": w.placed},
        label="spotlight-elsewhere",
    ),
    Row(
        "plan_action",
        url("plan_action", other),
        elsewhere(to("plan_manage", other, writes=False)),
        method="POST",
        data=lambda w: {"action": "status", "initiative": w.initiative, "status": "dropped"},
        label="plan_action-elsewhere",
    ),
    Row(
        "reflection_visibility",
        url("reflection_visibility", other, attr("reflection")),
        elsewhere(to("projector", other, writes=False)),
        method="POST",
        data=lambda w: {"visible": "0"},
        label="reflection_visibility-elsewhere",
    ),
    Row(
        # The setup form offers only the series the user runs a meeting of.
        "meeting_edit",
        url("meeting_edit", other),
        elsewhere(REFUSED, superuser=to("meeting_detail", other)),
        method="POST",
        data=lambda w: meeting_form("Other meeting", w.series, "3"),
        done=lambda w, role: Meeting.objects.filter(
            pk=w.other_meeting, series_id=w.series
        ).exists(),
        label="meeting_edit-into-this-series",
    ),
    Row(
        "report_edit",
        url("report_edit", other, attr("placed")),
        elsewhere(DENIED.but(hides=("We talked",))),
        label="report_edit-elsewhere",
    ),
    Row(
        "report_edit_field",
        url("report_edit_field", other, attr("placed")),
        elsewhere(REFUSED),
        method="POST",
        data=lambda w: {"field": "summary", "text": "Rail, typed.", "version": "0"},
        label="report_edit_field-elsewhere",
    ),
    Row(
        "report_edit_photos",
        url("report_edit_photos", other, attr("placed")),
        elsewhere(DENIED),
        method="POST",
        data=lambda w: {"photo": upload()},
        label="report_edit_photos-elsewhere",
    ),
    Row(
        "report_edit_photo_remove",
        url("report_edit_photo_remove", other, attr("placed"), attr("photo")),
        elsewhere(DENIED),
        method="POST",
        label="report_edit_photo_remove-elsewhere",
    ),
    Row(
        "report_edit_caption",
        url("report_edit_caption", other, attr("placed"), attr("photo")),
        elsewhere(REFUSED),
        method="POST",
        data=lambda w: {"text": "The sheet, left", "version": "0"},
        label="report_edit_caption-elsewhere",
    ),
    Row(
        "new_sign",
        url("new_sign", other, attr("placed")),
        elsewhere(DENIED),
        method="POST",
        label="new_sign-elsewhere",
    ),
    Row(
        "signs_pdf",
        url("signs_pdf", other, query="topic=0"),
        elsewhere(OK.but(content_type="application/pdf")),
        phase=Phase.DISCUSSIONS,
        label="signs_pdf-elsewhere",
    ),
    Row(
        # Another topic's photo, named through the topic one may write.
        "report_edit_photo_remove",
        url("report_edit_photo_remove", meeting, attr("placed"), attr("ferries_photo")),
        facilitators(DENIED),
        method="POST",
        phase=Phase.DISCUSSIONS,
        label="report_edit_photo_remove-other-topic",
    ),
    Row(
        "phone_report",
        url("phone_report", meeting, attr("ferries")),
        phones(DENIED.but(hides=("Ferries at night",))),
        phase=Phase.DISCUSSIONS,
        label="phone_report-other-topic",
    ),
    Row(
        "phone_report_field",
        url("phone_report_field", meeting, attr("ferries")),
        phones(REFUSED),
        method="POST",
        phase=Phase.DISCUSSIONS,
        data=lambda w: {"field": "summary", "text": "Not mine.", "version": "0"},
        label="phone_report_field-other-topic",
    ),
    Row(
        "phone_report_photo_remove",
        url("phone_report_photo_remove", meeting, attr("placed"), attr("ferries_photo")),
        phones(DENIED),
        method="POST",
        phase=Phase.DISCUSSIONS,
        label="phone_report_photo_remove-other-topic",
    ),
    Row(
        "phone_report_caption",
        url("phone_report_caption", meeting, attr("placed"), attr("ferries_photo")),
        phones(REFUSED),
        method="POST",
        phase=Phase.DISCUSSIONS,
        data=lambda w: {"text": "Not mine", "version": "0"},
        label="phone_report_caption-other-topic",
    ),
    Row(
        "phone_topic_share",
        url("phone_topic_share", meeting, attr("draft")),
        phones(REFUSED),
        method="POST",
        data=lambda w: {"partner": w.other_participant},
        label="phone_topic_share-partner-elsewhere",
    ),
]

for name, topic, data, phase in [
    ("phone_topic_edit", "draft", {"title": "Taken over"}, Phase.AGENDA),
    ("phone_topic_share", "draft", {"partner": "1"}, Phase.AGENDA),
    ("phone_topic_cosign", "shared", {}, Phase.AGENDA),
    ("phone_topic_raise", "draft", {}, Phase.AGENDA),
    ("phone_topic_withdraw", "draft", {}, Phase.AGENDA),
    ("phone_interest", "tray", {}, Phase.AGENDA),
    ("phone_dot", "placed", {}, Phase.VERNISSAGE),
    ("phone_initiative_join", "initiative", {}, Phase.ACTION_PLAN),
    (
        "phone_report_field",
        "placed",
        {"field": "summary", "text": "x", "version": "0"},
        Phase.DISCUSSIONS,
    ),
]:
    CROSSED_ROWS.append(
        Row(
            name,
            url(name, other, attr(topic)),
            other_phone(REFUSED),
            method="POST",
            phase=phase,
            data=lambda w, data=data: data,
            label=f"{name}-elsewhere",
        )
    )
CROSSED_ROWS += [
    Row(
        "phone_initiative_raise",
        url("phone_initiative_raise", other),
        other_phone(REFUSED),
        method="POST",
        phase=Phase.ACTION_PLAN,
        data=lambda w: {"who": "Us", "what": "Adopted", "levels": ["U"], "topic": w.placed},
        label="phone_initiative_raise-adopting-elsewhere",
    ),
    Row(
        "phone_report",
        url("phone_report", other, attr("placed")),
        other_phone(DENIED.but(hides=("We talked",))),
        phase=Phase.DISCUSSIONS,
        label="phone_report-elsewhere",
    ),
    Row(
        "phone_report_photos",
        url("phone_report_photos", other, attr("placed")),
        other_phone(DENIED),
        method="POST",
        phase=Phase.DISCUSSIONS,
        data=lambda w: {"photo": upload()},
        label="phone_report_photos-elsewhere",
    ),
    Row(
        "phone_report_photo_remove",
        url("phone_report_photo_remove", other, attr("placed"), attr("photo")),
        other_phone(DENIED),
        method="POST",
        phase=Phase.DISCUSSIONS,
        label="phone_report_photo_remove-elsewhere",
    ),
    Row(
        "phone_report_caption",
        url("phone_report_caption", other, attr("placed"), attr("photo")),
        other_phone(REFUSED),
        method="POST",
        phase=Phase.DISCUSSIONS,
        data=lambda w: {"text": "x", "version": "0"},
        label="phone_report_caption-elsewhere",
    ),
]

ROWS = APP_ROWS + CROSSED_ROWS + admin_rows() + SITE_ROWS


# Every URL has its row ---------------------------------------------------------------------


def url_keys() -> set[str]:
    """Every URL of the project by name (with its namespace), or by its route if unnamed."""

    def walk(patterns: list, namespace: str, route: str) -> Iterator[str]:
        for pattern in patterns:
            here = route + str(pattern.pattern)
            if isinstance(pattern, URLResolver):
                inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
                yield from walk(pattern.url_patterns, inner, here)
            elif isinstance(pattern, URLPattern):
                yield f"{namespace}{pattern.name}" if pattern.name else here

    return set(walk(get_resolver().url_patterns, "", ""))


def test_every_url_has_a_row_in_the_matrix():
    missing = url_keys() - {row.key for row in ROWS}
    assert not missing, f"URLs without a row in the permission matrix: {sorted(missing)}"


def test_every_row_names_a_url_that_exists():
    assert {row.key for row in ROWS} - url_keys() == set()


def test_every_row_says_what_each_role_gets():
    for row in ROWS:
        assert set(row.expect) == set(ROLES), row.id
        if any(expect.writes for expect in row.expect.values()):
            assert row.done is not None, f"{row.id} writes, but nothing checks that it did"


# The cells ---------------------------------------------------------------------------------


def prepare(client: Client, role: str, w: World, phase: str) -> None:
    """Put both meetings in the phase, and the role's session cookie in the browser."""
    Meeting.objects.filter(pk__in=[w.meeting, w.other_meeting]).update(phase=phase)
    if role in w.sessions:
        client.cookies[settings.SESSION_COOKIE_NAME] = w.sessions[role]


def send(client: Client, row: Row, w: World):
    path = row.url(w)
    if row.method == "GET":
        return path, client.get(path)
    return path, client.post(path, row.data(w) if row.data else {})


def body(response) -> str:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content).decode(errors="replace")
    return response.content.decode(errors="replace")


# The join code lets anyone into the meeting: only those who run the meeting or read every
# meeting see it (and the projector), and the page of the code itself, which one reaches
# by knowing it.
SEE_JOIN_CODES = {"facilitator", "coordinator", "superuser"}
KNOW_THE_CODE = {"join_code"}

CELLS = [pytest.param(row, role, id=f"{row.id}-{role}") for row in ROWS for role in ROLES]


@pytest.mark.django_db
@pytest.mark.parametrize(("row", "role"), CELLS)
def test_cell(row: Row, role: str, world: World, client: Client):
    expect = row.expect[role]
    prepare(client, role, world, row.phase)
    before = snapshot()

    path, response = send(client, row, world)

    cell = f"{role} {row.method} {path}"
    assert response.status_code == expect.status, f"{cell}: {response.status_code}"
    if expect.to is not None:
        assert response["Location"] == expect.to(world, path), cell
    if expect.content_type:
        assert response["Content-Type"].startswith(expect.content_type), cell
    text = body(response)
    for shown in expect.shows:
        assert _text(world, shown) in text, f"{cell} does not show {_text(world, shown)!r}"
    for hidden in expect.hides:
        assert _text(world, hidden) not in text, f"{cell} shows {_text(world, hidden)!r}"
    if role not in SEE_JOIN_CODES and row.key not in KNOW_THE_CODE:
        assert world.join_code not in text, f"{cell} shows the join code"
    if expect.writes:
        assert row.done(world, role), f"{cell} did not make its change"
    else:
        assert changed_tables(before, snapshot()) == [], f"{cell} changed the database"


# A closed meeting takes no writes ------------------------------------------------------------

# Writes that a closed meeting still takes, and why.
CLOSED_TAKES = {
    "meeting_create": "a new meeting, not the closed one",
    "meeting_copy": "starts a new meeting from the closed one's setup",
    "publish": "publishing the documents is what a closed meeting is for",
    "new_join_code": "once closed, the code leads only to the meeting's public page",
}

# Refusals that go back to a page showing why (a message, or the documents).
REFUSED_WITH_A_REDIRECT = {"plan_action", "reflection_visibility", "join_code"}

CLOSED_CELLS = [
    pytest.param(row, role, id=f"{row.id}-{role}")
    for row in APP_ROWS
    if row.key not in CLOSED_TAKES
    for role, expect in row.expect.items()
    if expect.writes
]


@pytest.mark.django_db
@pytest.mark.parametrize(("row", "role"), CLOSED_CELLS)
def test_a_closed_meeting_refuses_every_write(row: Row, role: str, world: World, client: Client):
    prepare(client, role, world, Phase.CLOSED)
    before = snapshot()

    path, response = send(client, row, world)

    assert changed_tables(before, snapshot()) == [], f"{role} {row.method} {path} wrote"
    if row.key in REFUSED_WITH_A_REDIRECT:
        assert response.status_code == 302 and not row.done(world, role)
    else:
        assert response.status_code in (403, 422), f"{role} {row.method} {path}"


# The meeting's websocket -------------------------------------------------------------------

# Who may listen to the meeting: its phones, and whoever may run it.
LISTENERS = {"participant", "convener", "pen_holder", "facilitator", "superuser"}
# Who hears the facilitators' fragments (the moderation panel, the phase control).
FACILITATORS_ONLY = ('id="moderation"', 'id="phase-control"')
HEARS_FACILITATORS = {"facilitator", "superuser"}
SOCKET_ACTIONS = ("connect", "ping", "state")
FACILITATORS_MARK = '<div id="facilitators-mark"></div>'
ROOM_MARK = '<div id="room-mark"></div>'


def asgi_application():
    """Imported once tests run: its origin check reads ALLOWED_HOSTS when it is built."""
    from openspace.asgi import application

    return application


def check_state(role: str, state: str) -> None:
    assert 'id="grid"' in state and "Freight by rail" in state, role
    for fragment in FACILITATORS_ONLY:
        assert (fragment in state) == (role in HEARS_FACILITATORS), f"{role}: {fragment}"
    assert "Cleo&#x27;s draft" not in state and "Cleo's draft" not in state, role


@pytest.mark.django_db
@pytest.mark.parametrize("action", SOCKET_ACTIONS)
@pytest.mark.parametrize("role", ROLES)
async def test_socket(role: str, action: str, world: World, monkeypatch):
    # A page may ask for the state again at once, here: the limit is not what is tested.
    monkeypatch.setattr(consumers, "STATE_AT_MOST_EVERY", 0.0)
    headers = [(b"origin", b"http://testserver")]
    if role in world.sessions:
        cookie = f"{settings.SESSION_COOKIE_NAME}={world.sessions[role]}"
        headers.append((b"cookie", cookie.encode()))
    path = realtime.socket_path(world.meeting)
    communicator = WebsocketCommunicator(asgi_application(), path, headers=headers)
    try:
        connected, _ = await communicator.connect(timeout=10)
        assert connected, "refused in the handshake: the page would never learn why"
        if role not in LISTENERS:
            # Accepted, then closed at once: nothing of the meeting reaches it, and
            # there is no socket left to ping or to ask for the state.
            message = await communicator.receive_output(timeout=5)
            assert message == {"type": "websocket.close", "code": consumers.CLOSE_FORBIDDEN}
            return
        check_state(role, await communicator.receive_from(timeout=5))
        if action == "connect":
            # What is sent to the facilitators' group reaches only the facilitators; what
            # is sent to the room reaches everyone listening.
            layer = get_channel_layer()
            for group, mark in [
                (realtime.facilitators_group(world.meeting), FACILITATORS_MARK),
                (realtime.meeting_group(world.meeting), ROOM_MARK),
            ]:
                await layer.group_send(group, {"type": realtime.EVENT_TYPE, "html": mark})
            if role in HEARS_FACILITATORS:
                assert await communicator.receive_from(timeout=5) == FACILITATORS_MARK
            assert await communicator.receive_from(timeout=5) == ROOM_MARK
        elif action == "ping":
            await communicator.send_to(text_data=json.dumps({"type": "ping"}))
            assert json.loads(await communicator.receive_from(timeout=5)) == {"type": "pong"}
        elif action == "state":
            await communicator.send_to(text_data=json.dumps({"type": "state"}))
            check_state(role, await communicator.receive_from(timeout=5))
        assert await communicator.receive_nothing(timeout=0.05)
    finally:
        await communicator.disconnect()
        await database_sync_to_async(connections.close_all)()
