"""The management commands: import, export and the demo data."""

from __future__ import annotations

import json

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from sessions_app.models import Meeting, Topic

from .documents import with_v2_defaults
from .factories import SEED_PATH

pytestmark = pytest.mark.django_db


def test_import_meeting_imports_the_seed_and_names_its_join_code(capsys):
    call_command("import_meeting", str(SEED_PATH))

    meeting = Meeting.objects.get()
    assert f"join code {meeting.join_code}" in capsys.readouterr().out
    assert meeting.topics.filter(status=Topic.Status.PLACED).count() == 8


def test_import_meeting_refuses_a_broken_file_naming_the_path(seed_document, tmp_path):
    seed_document["topics"][3]["slot"] = 7
    broken = tmp_path / "broken.json"
    broken.write_text(json.dumps(seed_document), encoding="utf-8")

    with pytest.raises(CommandError, match=r"topics\[3\].slot: no slot number 7"):
        call_command("import_meeting", str(broken))

    assert Meeting.objects.count() == 0


def test_export_meeting_by_join_code_gives_the_document_as_version_2(
    seed_meeting, seed_document, tmp_path
):
    out = tmp_path / "out.json"

    call_command("export_meeting", seed_meeting.join_code.lower(), str(out))

    assert json.loads(out.read_text(encoding="utf-8")) == with_v2_defaults(seed_document)


def test_export_meeting_by_id(seed_meeting, seed_document, tmp_path):
    out = tmp_path / "out.json"

    call_command("export_meeting", str(seed_meeting.pk), str(out))

    assert json.loads(out.read_text(encoding="utf-8")) == with_v2_defaults(seed_document)


def test_export_meeting_refuses_an_unknown_meeting(tmp_path):
    with pytest.raises(CommandError, match="No meeting has the id or join code 'NOPE'"):
        call_command("export_meeting", "NOPE", str(tmp_path / "out.json"))

    assert not (tmp_path / "out.json").exists()


def test_load_demo_is_idempotent_and_stubs_earlier_meetings(settings):
    settings.DEBUG = True

    call_command("load_demo")
    call_command("load_demo")

    meetings = Meeting.objects.order_by("number")
    assert [(m.number, m.theme) for m in meetings] == [
        (1, "Att innovera i mellanrummen"),
        (2, "Har vi det ledarskapet som krävs?"),
        (3, "Våga stanna i det jobbiga"),
        (4, ""),
    ]
    assert len({m.series_id for m in meetings}) == 1
    assert meetings.get(number=4).topics.count() == 8
    demo = get_user_model().objects.get(username="facilitator")
    assert demo.check_password("open-space-demo")
    assert demo.is_staff and not demo.is_superuser
    assert demo.has_perm("sessions_app.change_meeting")
    assert demo.has_perm("sessions_app.add_meeting")


def test_load_demo_creates_no_login_without_debug(settings):
    settings.DEBUG = False

    call_command("load_demo")

    assert Meeting.objects.count() == 4
    assert not get_user_model().objects.exists()
