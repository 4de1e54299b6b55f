"""Writers acting at once: the row locks (PostgreSQL) or the immediate write
transactions (SQLite) let exactly one of them win."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, connections
from django.utils import translation

from sessions_app import action_plan, agenda, reporting, services, vernissage
from sessions_app.errors import DomainError
from sessions_app.models import Initiative, Meeting, Participant, Report, ReportPhoto

from .factories import cell_of, make_meeting, make_topic, wall
from .images import phone_photo

on_postgres = pytest.mark.skipif(
    not os.environ.get("DATABASE_URL", "").startswith(("postgres", "postgresql")),
    reason="needs DATABASE_URL pointing at PostgreSQL",
)


def run_together(*calls) -> list[str]:
    """Run the calls in threads released at the same moment; return each one's outcome."""
    barrier = threading.Barrier(len(calls))
    outcomes: list[str] = [""] * len(calls)

    def worker(index: int, call) -> None:
        try:
            barrier.wait(timeout=10)
            # Translation is per thread: read the refusal in English, as the other tests do.
            with translation.override("en"):
                call()
            outcomes[index] = "done"
        except DomainError as exc:
            outcomes[index] = f"refused: {exc}"
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return outcomes


@on_postgres
@pytest.mark.django_db(transaction=True)
def test_two_placements_into_one_cell_exactly_one_succeeds():
    assert connection.vendor == "postgresql"
    meeting = make_meeting()
    first = make_topic(meeting, title="First")
    second = make_topic(meeting, title="Second")
    target = cell_of(meeting, "A1")

    outcomes = run_together(
        lambda: agenda.place_topic(meeting=meeting, topic_id=first.pk, **target),
        lambda: agenda.place_topic(meeting=meeting, topic_id=second.pk, **target),
    )

    assert sorted(o.split(":")[0] for o in outcomes) == ["done", "refused"]
    assert any("A1 is already taken" in o for o in outcomes)
    assert list(wall(meeting)) == ["A1"]


@on_postgres
@pytest.mark.django_db(transaction=True)
def test_one_convener_placed_twice_in_a_slot_at_once_exactly_one_succeeds():
    meeting = make_meeting()
    lina = Participant.objects.create(meeting=meeting, name="Lina")
    first = make_topic(meeting, title="Freight", convener=lina)
    second = make_topic(meeting, title="Ports", convener=lina)

    outcomes = run_together(
        lambda: agenda.place_topic(meeting=meeting, topic_id=first.pk, **cell_of(meeting, "A1")),
        lambda: agenda.place_topic(meeting=meeting, topic_id=second.pk, **cell_of(meeting, "B1")),
    )

    assert sorted(o.split(":")[0] for o in outcomes) == ["done", "refused"]
    assert len(wall(meeting)) == 1


@pytest.mark.sqlite
def test_two_placements_into_one_cell_on_a_sqlite_file_exactly_one_succeeds(tmp_path):
    root = Path(__file__).parent.parent
    env = {
        **os.environ,
        "PYTHONPATH": str(root),
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'race.sqlite3'}",
        "REDIS_URL": "",
    }

    result = subprocess.run(
        [sys.executable, str(Path(__file__).with_name("sqlite_race.py"))],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["placed", "refused"]


@on_postgres
@pytest.mark.django_db(transaction=True)
def test_two_interest_taps_at_once_are_served_one_after_the_other():
    meeting = make_meeting()
    topic = make_topic(meeting, title="Freight")
    ann = Participant.objects.create(meeting=meeting, name="Ann")
    tap = lambda: services.toggle_interest(participant=ann, topic_id=topic.pk)  # noqa: E731

    outcomes = run_together(tap, tap)

    assert outcomes == ["done", "done"]  # neither failed
    assert not topic.interests.exists()  # marked, then unmarked


@on_postgres
@pytest.mark.django_db(transaction=True)
def test_dots_given_at_once_never_exceed_the_allowance():
    meeting = make_meeting()
    meeting.phase, meeting.dots_per_person = Meeting.Phase.VERNISSAGE, 3
    meeting.save()
    topics = [
        make_topic(meeting, title=f"Topic {cell}", cell=cell)
        for cell in ("A1", "B1", "C1", "A2", "B2", "C2")
    ]
    for topic in topics:
        Report.objects.create(topic=topic, summary=topic.title)
    ann = Participant.objects.create(meeting=meeting, name="Ann")

    outcomes = run_together(
        *[lambda t=topic: vernissage.give_dot(participant=ann, topic_id=t.pk) for topic in topics]
    )

    assert outcomes.count("done") == 3
    assert all("all your 3 dots" in o for o in outcomes if o != "done")
    assert ann.dots.count() == 3


@on_postgres
@pytest.mark.django_db(transaction=True)
def test_two_uploads_racing_for_the_last_photo_place_exactly_one():
    meeting = make_meeting()
    meeting.phase = Meeting.Phase.DISCUSSIONS
    meeting.save()
    ann = Participant.objects.create(meeting=meeting, name="Ann")
    topic = make_topic(meeting, title="Freight", convener=ann, cell="A1")
    writer = reporting.Writer(participant=ann)
    small = phone_photo(60, 30)

    def add():
        reporting.add_photo(
            meeting=meeting,
            topic_id=topic.pk,
            writer=writer,
            upload=SimpleUploadedFile("sheet.jpg", small, "image/jpeg"),
        )

    for _ in range(11):
        add()
    outcomes = run_together(add, add)

    assert sorted(outcomes)[0] == "done" and "at most 12 photos" in sorted(outcomes)[1]
    assert ReportPhoto.objects.filter(report__topic=topic).count() == 12


@on_postgres
@pytest.mark.django_db(transaction=True)
def test_fifty_participants_joining_one_initiative_at_once_are_fifty_members():
    meeting = make_meeting()
    meeting.phase = Meeting.Phase.ACTION_PLAN
    meeting.save()
    people = [Participant.objects.create(meeting=meeting, name=f"P{n}") for n in range(50)]
    initiative = Initiative.objects.create(meeting=meeting, who="Ann", what="Hub", levels="U")

    outcomes = run_together(
        *[
            lambda p=person: action_plan.join_initiative(participant=p, initiative_id=initiative.pk)
            for person in people
        ]
    )

    assert outcomes == ["done"] * 50
    names = list(initiative.members.values_list("name", flat=True))
    assert len(names) == 50 and set(names) == {f"P{n}" for n in range(50)}
    assert sorted(initiative.members.values_list("position", flat=True)) == list(range(50))
