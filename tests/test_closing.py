"""The closing circle, a closed meeting that takes no writes, and reopening it."""

from __future__ import annotations

import io

import pytest
from django.urls import reverse
from pypdf import PdfReader

from sessions_app import (
    action_plan,
    agenda,
    closing,
    facilitation,
    fragments,
    pdf,
    realtime,
    reporting,
    services,
    vernissage,
)
from sessions_app.closing import ClosingError
from sessions_app.errors import DomainError, FacilitationError
from sessions_app.interchange import export_document
from sessions_app.models import Initiative, Meeting, Participant, Reflection, Report

from .documents import row_counts
from .factories import cell_of, joined, make_topic

pytestmark = pytest.mark.django_db


@pytest.fixture
def circle(meeting):
    meeting.phase = Meeting.Phase.CLOSING
    meeting.save()
    return meeting


@pytest.fixture
def ann(circle):
    return Participant.objects.create(meeting=circle, name="Ann Secret", organization="INAB")


def pdf_text(meeting) -> str:
    reader = PdfReader(io.BytesIO(pdf.render_proceedings(meeting)))
    return " ".join(" ".join(page.extract_text() for page in reader.pages).split())


def test_a_reflection_with_a_name_shows_it(circle, ann):
    closing.leave_reflection(participant=ann, typed="A good day.", anonymous=False)

    html = fragments.render(circle, ["closing"])

    assert "A good day." in html and "Ann Secret" in html


def test_an_anonymous_reflection_never_shows_its_author(
    client, circle, ann, sent, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        closing.leave_reflection(participant=ann, typed="Brave words.", anonymous=True)
    joined(client, ann)

    reflection = Reflection.objects.get()
    assert reflection.participant == ann and reflection.anonymous  # kept, never shown
    shown = [html for _group, html in sent]
    shown.append(client.get(reverse("phone", args=[circle.pk])).content.decode())
    shown.append(fragments.render(circle, ["closing", "reflections"]))
    shown.append(pdf_text(circle))
    shown.append(str(export_document(circle)))
    for text in shown:
        assert "Brave words." in text
    # Her name appears on her own phone's header only, never beside the reflection.
    for text in shown[:-4] + shown[-3:]:
        assert "Ann Secret" not in text
    page = shown[-4]
    assert "Ann Secret" not in page.split('id="closing"', 1)[1].split("</section>", 1)[0]


def test_a_hidden_reflection_leaves_the_projector_and_the_pdf_but_not_the_export(circle, ann):
    kept = closing.leave_reflection(participant=ann, typed="Keep this.", anonymous=False)
    hidden = closing.leave_reflection(participant=ann, typed="Hide this.", anonymous=False)

    closing.set_visible(meeting=circle, reflection_id=hidden.pk, visible=False)

    assert "Hide this." not in fragments.render(circle, ["closing"])
    assert "Hide this." in fragments.render(circle, ["reflections"])  # facilitators see it
    text = pdf_text(circle)
    assert "Keep this." in text and "Hide this." not in text
    document = export_document(circle)
    assert document["reflections"] == ["Keep this."]
    assert document["hidden_reflections"] == ["Hide this."]
    closing.set_visible(meeting=circle, reflection_id=hidden.pk, visible=True)
    assert "Hide this." in fragments.render(circle, ["closing"])
    assert kept.pk != hidden.pk


@pytest.mark.parametrize(
    ("text", "message"), [("   ", "Write your reflection"), ("x" * 2001, "at most 2000")]
)
def test_an_empty_or_overlong_reflection_is_refused(circle, ann, text, message):
    with pytest.raises(DomainError, match=message):
        closing.leave_reflection(participant=ann, typed=text, anonymous=False)

    assert not Reflection.objects.exists()


def test_reflections_wait_for_the_closing(circle, ann):
    circle.phase = Meeting.Phase.ACTION_PLAN
    circle.save()

    with pytest.raises(ClosingError, match="has not begun"):
        closing.leave_reflection(participant=ann, typed="Early", anonymous=False)

    assert not Reflection.objects.exists()


def test_the_summary_is_written_in_the_closing_and_reaches_every_page(
    circle, sent, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        closing.write_summary(meeting=circle, typed="We mapped the freight flows.")

    circle.refresh_from_db()
    assert circle.summary == "We mapped the freight flows."
    assert "We mapped the freight flows." in dict(sent)[realtime.meeting_group(circle.pk)]


def writes(meeting, participant, topic, placed, initiative, reflection):
    """Every kind of write the room and the facilitators make, each a callable."""
    return {
        "propose": lambda: services.create_draft(participant=participant, title="Late"),
        "interest": lambda: services.toggle_interest(participant=participant, topic_id=placed.pk),
        "board": lambda: agenda.place_topic(
            meeting=meeting, topic_id=topic.pk, **cell_of(meeting, "C3")
        ),
        "report": lambda: reporting.save_field(
            meeting=meeting,
            topic_id=placed.pk,
            writer=reporting.Writer(participant=participant),
            field="summary",
            typed="Changed",
            version=1,
        ),
        "dot": lambda: vernissage.give_dot(participant=participant, topic_id=placed.pk),
        "initiative": lambda: action_plan.raise_initiative(
            participant=participant, who="Ann", what="More", levels=["F"]
        ),
        "join": lambda: action_plan.join_initiative(
            participant=participant, initiative_id=initiative.pk
        ),
        "reflection": lambda: closing.leave_reflection(
            participant=participant, typed="Late", anonymous=False
        ),
        "hide": lambda: closing.set_visible(
            meeting=meeting, reflection_id=reflection.pk, visible=False
        ),
        "summary": lambda: closing.write_summary(meeting=meeting, typed="Changed"),
    }


def test_a_closed_meeting_refuses_every_write_and_reopening_allows_them(circle, ann):
    bo = Participant.objects.create(meeting=circle, name="Bo")
    topic = make_topic(circle, title="Waiting")
    placed = make_topic(circle, title="Freight", convener=bo, cell="A1")
    Report.objects.create(topic=placed, summary="Trains", versions={"summary": 1})
    initiative = Initiative.objects.create(meeting=circle, who="Bo", what="Hub", levels="U")
    reflection = Reflection.objects.create(meeting=circle, text="Seen", participant=bo)
    facilitation.set_phase(meeting=circle, phase=Meeting.Phase.CLOSED)
    before = row_counts()

    for name, write in writes(circle, ann, topic, placed, initiative, reflection).items():
        with pytest.raises(DomainError, match="closed"):
            write()
        assert row_counts() == before, name

    facilitation.set_phase(meeting=circle, phase=Meeting.Phase.CLOSING)
    closing.leave_reflection(participant=ann, typed="Reopened", anonymous=False)
    action_plan.join_initiative(participant=ann, initiative_id=initiative.pk)
    assert Reflection.objects.filter(text="Reopened").exists()


def test_a_closed_meeting_reopens_into_its_closing_only(circle):
    facilitation.set_phase(meeting=circle, phase=Meeting.Phase.CLOSED)

    with pytest.raises(FacilitationError, match="reopened into its closing"):
        facilitation.set_phase(meeting=circle, phase=Meeting.Phase.AGENDA)

    circle.refresh_from_db()
    assert circle.phase == Meeting.Phase.CLOSED
