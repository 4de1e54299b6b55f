"""The action plan and the closing circle over HTTP: phones, the facilitators' plan page,
the summary on the projector, and the sections' query counts."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.urls import reverse

from sessions_app import fragments
from sessions_app.models import (
    Facilitator,
    Initiative,
    InitiativeMember,
    Meeting,
    Participant,
    Reflection,
    Report,
    Series,
)

from .factories import joined, make_meeting, make_topic

pytestmark = pytest.mark.django_db


@pytest.fixture
def planning(meeting):
    meeting.phase = Meeting.Phase.ACTION_PLAN
    meeting.save()
    return meeting


@pytest.fixture
def ann(planning):
    return Participant.objects.create(meeting=planning, name="Ann", organization="INAB")


@pytest.fixture
def phone(client, ann):
    return joined(client, ann)


@pytest.fixture
def lead(client, planning):
    user = User.objects.create_user("lead", password="pw")
    Facilitator.objects.create(meeting=planning, name="Lead", user=user)
    client.force_login(user)
    return client


def test_a_phone_raises_an_initiative(phone, planning):
    response = phone.post(
        reverse("phone_initiative_raise", args=[planning.pk]),
        {"who": "Lina, INAB", "what": "A first meeting", "levels": ["F", "U"], "when": "June"},
        HTTP_HX_REQUEST="true",
    )

    assert response.status_code == 200 and 'id="raise-result"' in response.content.decode()
    initiative = Initiative.objects.get()
    assert (initiative.who, initiative.levels, initiative.when) == ("Lina, INAB", "FU", "June")


def test_a_refused_initiative_says_why_and_keeps_nothing(phone, planning):
    response = phone.post(
        reverse("phone_initiative_raise", args=[planning.pk]),
        {"who": "Ann", "what": "A first meeting"},
        HTTP_HX_REQUEST="true",
    )

    assert response.status_code == 422 and "one or more levels" in response.content.decode()
    assert not Initiative.objects.exists()


def test_adopt_this_opens_the_form_with_the_reports_topic(phone, planning):
    topic = make_topic(planning, title="Freight by rail", cell="B2")
    Report.objects.create(topic=topic, summary="Trains")

    page = phone.get(reverse("phone", args=[planning.pk]), {"adopt": topic.pk})
    wall = fragments.render(planning, ["reports"])

    html = page.content.decode()
    assert f"?adopt={topic.pk}#raise" in wall
    assert "Adopt B2 as an initiative" in html
    assert f'<input type="hidden" name="topic" value="{topic.pk}">' in html
    assert ">Freight by rail</textarea>" in html


def test_one_tap_joins_and_another_leaves(phone, planning, ann):
    initiative = Initiative.objects.create(meeting=planning, who="Bo", what="Hub", levels="U")
    url = reverse("phone_initiative_join", args=[planning.pk, initiative.pk])

    joined = phone.post(url, HTTP_HX_REQUEST="true").content.decode()
    assert f'data-joined="{initiative.pk}"' in joined
    assert list(initiative.members.values_list("name", flat=True)) == ["Ann, INAB"]
    left = phone.post(url, HTTP_HX_REQUEST="true").content.decode()

    assert 'data-joined=""' in left and not initiative.members.exists()


def test_a_phone_leaves_a_reflection_without_its_name(phone, planning, ann):
    planning.phase = Meeting.Phase.CLOSING
    planning.save()

    phone.post(
        reverse("phone_reflection_create", args=[planning.pk]),
        {"text": "Good to meet", "anonymous": "on"},
        HTTP_HX_REQUEST="true",
    )

    reflection = Reflection.objects.get()
    assert reflection.anonymous and reflection.participant == ann


def test_the_plan_page_is_for_facilitators(phone, planning):
    response = phone.get(reverse("plan_manage", args=[planning.pk]))

    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_a_facilitator_edits_adds_merges_and_removes_on_the_plan_page(lead, planning):
    first = Initiative.objects.create(meeting=planning, who="A", what="Hub", levels="U")
    second = Initiative.objects.create(meeting=planning, who="B", what="Net", levels="F")
    url = reverse("plan_action", args=[planning.pk])

    lead.post(
        url,
        {
            "action": "edit",
            "initiative": first.pk,
            "who": "Kansliet",
            "what": "Hub",
            "levels": ["G", "U"],
            "when": "August",
        },
    )
    lead.post(url, {"action": "add_member", "initiative": second.pk, "name": "RISE"})
    lead.post(url, {"action": "merge", "initiative": second.pk, "into": first.pk})

    first.refresh_from_db()
    assert (first.who, first.levels, first.when) == ("Kansliet", "FGU", "August")
    assert list(first.members.values_list("name", flat=True)) == ["RISE"]
    assert not Initiative.objects.filter(pk=second.pk).exists()
    page = lead.get(reverse("plan_manage", args=[planning.pk])).content.decode()
    assert "Kansliet" in page and "RISE" in page

    lead.post(url, {"action": "remove", "initiative": first.pk})
    assert not Initiative.objects.exists() and not InitiativeMember.objects.exists()


@pytest.mark.parametrize(
    "data",
    [
        {"action": "edit", "initiative": "1"},
        {"action": "explode", "initiative": "1"},
        {"action": "merge", "initiative": "x", "into": "¹"},
        {"action": "status", "initiative": "1", "status": "lost"},
    ],
)
def test_a_bad_plan_change_says_why_and_changes_nothing(lead, planning, data):
    initiative = Initiative.objects.create(meeting=planning, who="A", what="Hub", levels="U")
    data = data | {"initiative": data["initiative"].replace("1", str(initiative.pk))}

    response = lead.post(reverse("plan_action", args=[planning.pk]), data, follow=True)

    html = response.content.decode()
    assert (
        '<p class="notice is-error" role="alert">' in html
        and 'class="notice" role="status">' not in html
    )
    initiative.refresh_from_db()
    assert (initiative.what, initiative.levels, initiative.status) == ("Hub", "U", "open")


def test_a_facilitator_writes_the_summary_on_the_projector(lead, planning):
    planning.phase = Meeting.Phase.CLOSING
    planning.save()

    response = lead.post(
        reverse("summary", args=[planning.pk]), {"summary": "A fine day."}, HTTP_HX_REQUEST="true"
    )

    planning.refresh_from_db()
    assert response.status_code == 200 and planning.summary == "A fine day."
    assert 'id="summary-message"' in response.content.decode()


def test_a_facilitator_hides_a_reflection(lead, planning):
    planning.phase = Meeting.Phase.CLOSING
    planning.save()
    reflection = Reflection.objects.create(meeting=planning, text="Off topic")

    lead.post(
        reverse("reflection_visibility", args=[planning.pk, reflection.pk]),
        {"visible": "0"},
        HTTP_HX_REQUEST="true",
    )

    reflection.refresh_from_db()
    assert not reflection.is_visible


def test_the_closed_phone_offers_every_document_and_no_form(phone, planning):
    planning.phase = Meeting.Phase.CLOSED
    planning.save()

    html = phone.get(reverse("phone", args=[planning.pk])).content.decode()

    farewell = html.split('id="farewell"', 1)[1].split("</section>", 1)[0]
    for name in ("documentation_pdf", "action_plan_excel_csv", "action_plan_csv", "agenda_ics"):
        assert reverse(name, args=[planning.pk]) in farewell
    assert "Thank you for today!" in farewell


def _big_meeting(size: int) -> Meeting:
    series = Series.objects.create(title=f"Series {size}")
    earlier = make_meeting(title="Earlier")
    earlier.series, earlier.number = series, 1
    earlier.save()
    meeting = make_meeting(title="Now", language="en")
    meeting.series, meeting.number, meeting.phase = series, 2, Meeting.Phase.CLOSING
    meeting.save()
    people = [Participant.objects.create(meeting=meeting, name=f"P{n}") for n in range(size)]
    for n in range(size):
        topic = make_topic(meeting, title=f"Topic {n}", cell=f"{'ABC'[n % 3]}{n // 3 + 1}")
        for where in (meeting, earlier):
            initiative = Initiative.objects.create(
                meeting=where,
                who=f"W{n}",
                what=f"What {n}",
                levels="FU",
                source_topic=topic if where == meeting else None,
            )
            InitiativeMember.objects.create(
                initiative=initiative, name=people[n].name, participant=people[n]
            )
        Reflection.objects.create(meeting=meeting, text=f"R{n}", participant=people[n])
    return meeting


@pytest.mark.parametrize("size", [2, 9])
@pytest.mark.parametrize(
    ("names", "queries"),
    [(["plan"], 2), (["closing"], 1), (["reflections"], 1), (["lookback"], 2), (["farewell"], 0)],
    ids=["plan", "closing", "reflections", "lookback", "farewell"],
)
def test_the_closing_sections_render_in_a_fixed_number_of_queries(
    django_assert_num_queries, size, names, queries
):
    meeting = _big_meeting(size)
    if names == ["lookback"]:
        meeting.phase = Meeting.Phase.OPENING
        meeting.save()

    with django_assert_num_queries(queries):
        html = fragments.render(meeting, names)

    assert f'id="{"reflections-moderation" if names == ["reflections"] else names[0]}"' in html
