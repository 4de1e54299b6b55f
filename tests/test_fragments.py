"""The fragments' text: the order of a broadcast's parts and what a request-less render holds."""

from __future__ import annotations

import datetime as dt
import warnings
import zoneinfo

import pytest
from django.conf import settings
from django.core.files.base import ContentFile
from django.urls import reverse
from PIL import Image

from sessions_app import announce, clock, fragments, realtime
from sessions_app.models import Dot, Facilitator, Meeting, Participant, Report, ReportPhoto, Topic

from .factories import make_meeting, make_topic, without_revision_mark
from .images import encode

pytestmark = pytest.mark.django_db


def test_rows_go_before_the_tray_whatever_order_they_were_named_in(meeting):
    placed = make_topic(meeting, title="Freight", cell="A1")
    make_topic(meeting, title="Waiting")

    html = fragments.render(meeting, ["tray", f"row:{placed.slot_id}"])

    # Inside htmx's <template>, a <tr> after the tray's <section> would be dropped.
    assert html.lstrip().startswith(f'<tr class="slot-row" id="slot-{placed.slot_id}"')
    assert html.index(f'id="slot-{placed.slot_id}"') < html.index('id="tray"')
    assert "Freight" in html and "Waiting" in html


def test_a_move_to_the_tray_and_a_row_sends_the_row_first(meeting):
    slot = meeting.slots.get(number=2)
    make_topic(meeting, title="Freight", cell="B2")

    names = fragments.agenda_names([None, slot.pk])
    html = fragments.render(meeting, names)

    assert html.lstrip().startswith(f'<tr class="slot-row" id="slot-{slot.pk}"')
    assert html.count('id="tray"') == 1


def test_rows_also_go_before_the_grid_and_the_cards(meeting):
    topic = make_topic(meeting, title="Waiting")
    slot = meeting.slots.get(number=1)

    html = fragments.render(meeting, ["grid", f"card:{topic.pk}", f"row:{slot.pk}"])

    row = html.index(f'id="slot-{slot.pk}" hx-swap-oob')
    assert row < html.index('<table id="grid"') and row < html.index(f'id="topic-{topic.pk}"')


def test_the_broadcast_phase_control_has_no_csrf_tag_and_no_warning(meeting, settings):
    settings.DEBUG = True

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # Django warns of a csrf_token without a request
        html = fragments.render(meeting, ["phase_control"])

    assert 'id="phase-control"' in html and 'hx-post="' in html
    assert "csrfmiddlewaretoken" not in html


def test_the_projector_page_keeps_the_token_for_a_form_posted_without_javascript(
    client, meeting, django_user_model
):
    user = django_user_model.objects.create_user("lead", password="pw")
    Facilitator.objects.create(meeting=meeting, name="Lead", user=user)
    client.force_login(user)

    html = client.get(reverse("projector", args=[meeting.pk])).content.decode()

    control = html[html.index('id="phase-control"') : html.index("</nav>")]
    assert 'name="csrfmiddlewaretoken"' in control


def test_moderation_counts_what_it_shows(meeting):
    make_topic(meeting, title="Draft", status=Topic.Status.DRAFT)
    make_topic(meeting, title="Freight", cell="A1")

    counts = fragments.context_for(meeting, ["moderation"])["counts"]

    assert counts == {"people": 2, "drafts": 1, "shared": 0, "placed": 1}


def test_a_raised_topic_edited_sends_only_its_card(
    meeting, sent, django_capture_on_commit_callbacks
):
    topic = make_topic(meeting, title="Waiting")

    with django_capture_on_commit_callbacks(execute=True):
        announce.card_changed(topic)

    [(group, html)] = sent
    assert group == realtime.meeting_group(meeting.pk)
    html = without_revision_mark(html)
    assert html.lstrip().startswith(f'<article class="card" id="topic-{topic.pk}" hx-swap-oob')
    assert 'class="slot-row"' not in html


def png_bytes() -> bytes:
    return encode(Image.new("RGB", (40, 30), "red"), "PNG")


def _meeting_with_reports(size: int):
    """A meeting at its vernissage with `size` written reports, each with a photo and a dot."""
    meeting = make_meeting(slots=4, rooms="ABCD", language="en")
    meeting.phase = Meeting.Phase.VERNISSAGE
    meeting.save()
    voter = Participant.objects.create(meeting=meeting, name="Voter")
    cells = [f"{room}{slot}" for slot in range(1, 5) for room in "ABCD"]
    for index in range(size):
        topic = make_topic(meeting, title=f"Topic {index}", cell=cells[index])
        report = Report.objects.create(topic=topic, summary=f"Summary {index}", insights=["One"])
        photo = ReportPhoto(report=report, caption=f"Sheet {index}")
        photo.image.save(f"sheet-{index}.png", ContentFile(png_bytes()), save=False)
        photo.save()
        Dot.objects.create(topic=topic, participant=voter)
    meeting.spotlight = meeting.topics.first()
    meeting.save()
    return meeting


@pytest.mark.parametrize("size", [2, 12])
@pytest.mark.parametrize(
    ("names", "queries"),
    # The board, the first time its grid is read: the rooms, the slots and the grid's
    # version, as board.grid reads them before keeping them; then the gallery.
    [(["reports"], 8), (["dots"], 8), (["spotlight"], 8), (["now"], 5)],
    ids=["reports", "dots", "spotlight", "now"],
)
def test_phase_sections_render_in_a_fixed_number_of_queries(
    django_assert_num_queries, monkeypatch, size, names, queries
):
    meeting = _meeting_with_reports(size)
    if names == ["now"]:
        meeting.phase = Meeting.Phase.DISCUSSIONS
        meeting.save()
        # During the first slot, where the topics are: not whatever slot the day's hour is in.
        moment = dt.datetime.combine(
            meeting.date, dt.time(14, 0), zoneinfo.ZoneInfo(settings.TIME_ZONE)
        )
        monkeypatch.setattr(clock, "now", lambda: moment)

    with django_assert_num_queries(queries):
        html = fragments.render(meeting, names)

    assert html.count("Topic ") >= (1 if names != ["dots"] else 0)


@pytest.mark.parametrize("size", [2, 12])
def test_one_report_renders_in_a_fixed_number_of_queries(django_assert_num_queries, size):
    meeting = _meeting_with_reports(size)
    topic = meeting.topics.last()

    with django_assert_num_queries(8):
        html = fragments.render(meeting, [f"report:{topic.pk}"])

    assert html.lstrip().startswith(f'<article class="report-card" id="report-{topic.pk}"')
    assert html.count('class="report-card') == 1
