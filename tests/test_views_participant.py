"""The phone: joining by code, saying who you are once, proposing topics and marking interest."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from sessions_app import agenda
from sessions_app.identity import SESSION_KEY
from sessions_app.models import Interest, Meeting, Participant, Topic
from sessions_app.views import phone_frame

from .factories import SESSION_QUERIES, joined, make_meeting, make_topic

pytestmark = pytest.mark.django_db


@pytest.fixture
def ann(meeting):
    return Participant.objects.create(meeting=meeting, name="Ann", organization="INAB")


@pytest.fixture
def phone(client, ann):
    """A browser that joined the meeting as Ann."""
    return joined(client, ann)


def htmx_post(client, name, *args, **data):
    return client.post(reverse(name, args=args), data, HTTP_HX_REQUEST="true")


def test_join_page_asks_for_the_code(client):
    html = client.get(reverse("join")).content.decode()

    assert 'name="code"' in html


def test_join_with_a_known_code_goes_to_the_meeting_in_any_case(client, meeting):
    response = client.get(reverse("join"), {"code": f" {meeting.join_code.lower()} "})

    assert response["Location"] == reverse("join_code", args=[meeting.join_code])


def test_join_with_an_unknown_code_says_so(client, meeting):
    response = client.get(reverse("join"), {"code": "ZZZZZZ"}, HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 404
    assert "No meeting has the code ZZZZZZ." in response.content.decode()


def test_join_speaks_the_browser_language_before_the_meeting_is_known(client):
    response = client.get(reverse("join"), {"code": "ZZZZZZ"}, HTTP_ACCEPT_LANGUAGE="sv")

    assert "Ingen träff har koden ZZZZZZ." in response.content.decode()


def test_join_code_asks_a_new_browser_for_name_and_organisation(client, meeting):
    html = client.get(reverse("join_code", args=[meeting.join_code])).content.decode()

    assert 'name="name"' in html and 'name="organization"' in html
    assert meeting.title in html


def test_join_code_remembers_the_browser_and_does_not_ask_again(client, meeting):
    url = reverse("join_code", args=[meeting.join_code])

    response = client.post(url, {"name": " Lina  Samuelsson ", "organization": "INAB"})

    participant = Participant.objects.get(meeting=meeting)
    assert (participant.name, participant.organization) == ("Lina Samuelsson", "INAB")
    assert response["Location"] == reverse("phone", args=[meeting.pk])
    assert client.session[SESSION_KEY] == {str(meeting.pk): participant.token}
    second_visit = client.get(url)
    assert second_visit["Location"] == reverse("phone", args=[meeting.pk])
    assert Participant.objects.count() == 1


def test_join_code_refuses_a_missing_name(client, meeting):
    response = client.post(reverse("join_code", args=[meeting.join_code]), {"name": "  "})

    assert "Tell us your name." in response.content.decode()
    assert not Participant.objects.exists()


def test_join_code_with_an_unknown_code_says_so(client):
    response = client.get(reverse("join_code", args=["ZZZZZZ"]), HTTP_ACCEPT_LANGUAGE="en")

    assert "No meeting has the code ZZZZZZ." in response.content.decode()


def test_joining_a_second_meeting_keeps_the_first(client, meeting):
    other = make_meeting(title="Other")
    client.post(reverse("join_code", args=[meeting.join_code]), {"name": "Ann"})
    client.post(reverse("join_code", args=[other.join_code]), {"name": "Ann"})

    assert set(client.session[SESSION_KEY]) == {str(meeting.pk), str(other.pk)}


def test_phone_sends_a_browser_that_has_not_joined_to_the_join_page(client, meeting):
    response = client.get(reverse("phone", args=[meeting.pk]))

    # To type the code: the meeting's id is easy to guess, its code must not be given away.
    assert response["Location"] == reverse("join")
    assert meeting.join_code not in response["Location"]


def test_phone_shows_the_agenda_the_own_topics_and_the_identity(phone, meeting, ann):
    make_topic(meeting, title="Freight", cell="A1")
    make_topic(meeting, title="My draft", convener=ann, status=Topic.Status.DRAFT)

    html = phone.get(reverse("phone", args=[meeting.pk])).content.decode()

    assert 'id="cell-A1"' in html and "Freight" in html
    assert "My draft" in html
    assert f'data-me="{ann.pk}"' in html
    assert f'ws-connect="/ws/meetings/{meeting.pk}/"' in html
    assert ann.token not in html


def test_phone_sends_only_the_own_topics_when_asked_after_a_reconnect(phone, meeting, ann):
    make_topic(meeting, title="Freight", cell="A1")
    make_topic(meeting, title="Mine", convener=ann, cell="B1")

    response = phone.get(
        reverse("phone", args=[meeting.pk]), {"part": "mine"}, HTTP_HX_REQUEST="true"
    )

    html = response.content.decode()
    assert html.lstrip().startswith('<section id="mine"')
    assert "Mine" in html and "B1" in html
    assert "Freight" not in html


def test_phone_shows_where_the_own_topics_and_those_merged_away_take_place(
    phone, meeting, ann, django_assert_num_queries
):
    make_topic(meeting, title="Freight", cell="A1")
    make_topic(meeting, title="Mine", convener=ann, cell="B2")
    home = make_topic(meeting, title="Cargo bikes", cell="C3")
    merged = make_topic(meeting, title="Bikes", convener=ann)
    Topic.objects.filter(pk=merged.pk).update(status=Topic.Status.MERGED, merged_into=home)
    url = reverse("phone", args=[meeting.pk])
    phone.get(url)

    # The slots and rooms come from the meeting's kept grid: no query of their own.
    with django_assert_num_queries(SESSION_QUERIES + 3):
        mine = phone.get(url, {"part": "mine"}, HTTP_HX_REQUEST="true").content.decode()

    assert mine.count('<article class="my-topic"') == 2
    assert "Mine" in mine and "<strong>B2</strong>" in mine
    assert "merged into “Cargo bikes”" in mine and "<strong>C3</strong>" in mine
    assert "Freight" not in mine


def test_phone_never_shows_someone_else_private_draft(phone, meeting):
    make_topic(meeting, title="Secret plan of Bo", status=Topic.Status.DRAFT)

    html = phone.get(reverse("phone", args=[meeting.pk])).content.decode()

    assert "Secret plan of Bo" not in html


def test_phone_of_one_meeting_is_not_a_key_to_another(phone, meeting):
    other = make_meeting(title="Other")

    response = phone.get(reverse("phone", args=[other.pk]))

    assert response["Location"] == reverse("join")


def test_topic_create_saves_a_private_draft(phone, meeting, ann):
    response = htmx_post(phone, "phone_topic_create", meeting.pk, title="Freight flows")

    topic = Topic.objects.get(meeting=meeting)
    assert (topic.title, topic.status, topic.convener) == ("Freight flows", "draft", ann)
    assert 'id="mine"' in response.content.decode() and "Freight flows" in response.content.decode()


def test_topic_create_refuses_an_empty_title(phone, meeting):
    response = htmx_post(phone, "phone_topic_create", meeting.pk, title="   ")

    assert "Give the topic a title." in response.content.decode()
    assert not Topic.objects.exists()


def test_topic_create_without_htmx_goes_back_to_the_phone_page(phone, meeting):
    response = phone.post(reverse("phone_topic_create", args=[meeting.pk]), {"title": "X"})

    assert response["Location"] == reverse("phone", args=[meeting.pk])
    assert Topic.objects.filter(title="X").exists()


def test_topic_create_is_refused_to_a_browser_that_has_not_joined(client, meeting):
    response = htmx_post(client, "phone_topic_create", meeting.pk, title="Sneaky")

    assert response["HX-Redirect"] == reverse("join")
    assert not Topic.objects.exists()


def test_topic_share_and_cosign_make_a_pair(phone, client, meeting, ann):
    bo = Participant.objects.create(meeting=meeting, name="Bo")
    topic = make_topic(meeting, title="Ports", convener=ann, status=Topic.Status.DRAFT)

    htmx_post(phone, "phone_topic_share", meeting.pk, topic.pk, partner=bo.pk)

    topic.refresh_from_db()
    assert (topic.status, topic.partner) == ("shared", bo)
    joined(phone, bo)
    bo_page = phone.get(reverse("phone", args=[meeting.pk])).content.decode()
    assert "Shared with you" in bo_page and "Ports" in bo_page and "From Ann" in bo_page

    response = htmx_post(phone, "phone_topic_cosign", meeting.pk, topic.pk)

    topic.refresh_from_db()
    assert topic.partner_signed
    assert "You co-signed it" in response.content.decode()


def test_topic_share_refuses_a_partner_from_another_meeting(phone, meeting, ann):
    stranger = Participant.objects.create(meeting=make_meeting(title="Other"), name="Stranger")
    topic = make_topic(meeting, title="Ports", convener=ann, status=Topic.Status.DRAFT)

    response = htmx_post(phone, "phone_topic_share", meeting.pk, topic.pk, partner=stranger.pk)

    assert "Choose a partner who takes part in this meeting." in response.content.decode()
    topic.refresh_from_db()
    assert topic.partner is None and topic.status == "draft"


def search_partners(phone, meeting, typed: str) -> str:
    return phone.get(
        reverse("phone_partner_search", args=[meeting.pk]), {"q": typed}, HTTP_HX_REQUEST="true"
    ).content.decode()


def test_the_phone_page_lists_no_one_to_share_with(phone, meeting, ann):
    Participant.objects.create(meeting=meeting, name="Bo Berg", organization="Umeå kommun")
    make_topic(meeting, title="Ports", convener=ann, status=Topic.Status.DRAFT)

    html = phone.get(reverse("phone", args=[meeting.pk])).content.decode()

    assert "Search by name" in html and "Bo Berg" not in html


def test_the_agenda_is_one_tap_away_on_the_phone(phone, meeting):
    html = phone.get(reverse("phone", args=[meeting.pk])).content.decode()

    assert '<a href="#agenda-title" class="to-agenda">' in html and 'id="agenda-title"' in html


def test_partner_search_finds_people_of_this_meeting_by_any_part_of_the_name(phone, meeting, ann):
    bo = Participant.objects.create(meeting=meeting, name="Bo Berg", organization="Umeå kommun")
    Participant.objects.create(meeting=meeting, name="Cy Ek")
    Participant.objects.create(meeting=make_meeting(title="Other"), name="Bo Other")

    html = search_partners(phone, meeting, "  berg ")

    assert f'value="{bo.pk}"' in html and "Bo Berg, Umeå kommun" in html
    assert "Cy Ek" not in html and "Bo Other" not in html
    assert "checked" in html  # the only match is chosen already


def test_partner_search_never_offers_oneself(phone, meeting, ann):
    assert "No one called “Ann” has joined." in search_partners(phone, meeting, "Ann")


def test_partner_search_shows_a_few_and_asks_for_more_of_the_name(phone, meeting, ann):
    Participant.objects.bulk_create(
        Participant(meeting=meeting, name=f"Anna {n:02}") for n in range(20)
    )

    html = search_partners(phone, meeting, "anna")

    assert html.count('type="radio"') == 8 and "checked" not in html
    assert "type more of the name" in html


@pytest.mark.parametrize("typed", ["", "\x00", "a\u202e", "x" * 10_000])
def test_partner_search_with_odd_input_answers_without_an_error(phone, meeting, ann, typed):
    Participant.objects.create(meeting=meeting, name="Bo Berg")

    html = search_partners(phone, meeting, typed)

    assert 'type="radio"' not in html
    assert "Type a few letters" in html or "has joined" in html


def test_partner_search_is_for_the_meeting_s_phones_only(client, meeting):
    response = client.get(reverse("phone_partner_search", args=[meeting.pk]), {"q": "a"})

    assert response.status_code == 302 and "/join/" in response["Location"]


def test_topic_raise_brings_the_draft_to_the_tray(phone, meeting, ann):
    topic = make_topic(meeting, title="Ports", convener=ann, status=Topic.Status.DRAFT)

    htmx_post(phone, "phone_topic_raise", meeting.pk, topic.pk)

    topic.refresh_from_db()
    assert topic.status == Topic.Status.RAISED


def test_topic_edit_changes_own_topic_but_not_someone_elses(phone, meeting, ann):
    mine = make_topic(meeting, title="Old", convener=ann)
    theirs = make_topic(meeting, title="Theirs")

    htmx_post(phone, "phone_topic_edit", meeting.pk, mine.pk, title="New")
    response = htmx_post(phone, "phone_topic_edit", meeting.pk, theirs.pk, title="Hacked")

    mine.refresh_from_db()
    theirs.refresh_from_db()
    assert mine.title == "New"
    assert theirs.title == "Theirs"
    assert "Only the person who proposed a topic can change it." in response.content.decode()


def test_topic_edit_is_refused_once_placed(phone, meeting, ann):
    topic = make_topic(meeting, title="Placed", convener=ann, cell="A1")

    response = htmx_post(phone, "phone_topic_edit", meeting.pk, topic.pk, title="New")

    topic.refresh_from_db()
    assert topic.title == "Placed"
    assert "is on the agenda already" in response.content.decode()


def test_topic_withdraw_withdraws_own_unplaced_topic(phone, meeting, ann):
    topic = make_topic(meeting, title="Ports", convener=ann)

    htmx_post(phone, "phone_topic_withdraw", meeting.pk, topic.pk)

    topic.refresh_from_db()
    assert topic.status == Topic.Status.WITHDRAWN


def test_topic_withdraw_is_refused_once_placed(phone, meeting, ann):
    topic = make_topic(meeting, title="Ports", convener=ann, cell="B2")

    response = htmx_post(phone, "phone_topic_withdraw", meeting.pk, topic.pk)

    topic.refresh_from_db()
    assert topic.status == Topic.Status.PLACED
    assert "ask a facilitator" in response.content.decode()


def test_interest_toggles_and_returns_the_own_marks(phone, meeting, ann):
    topic = make_topic(meeting, title="Freight", cell="A1")

    response = htmx_post(phone, "phone_interest", meeting.pk, topic.pk)

    assert Interest.objects.filter(topic=topic, participant=ann).exists()
    assert f'data-interests="{topic.pk}"' in response.content.decode()

    htmx_post(phone, "phone_interest", meeting.pk, topic.pk)

    assert not Interest.objects.exists()


def test_interest_refuses_a_draft(phone, meeting):
    draft = make_topic(meeting, title="Secret", status=Topic.Status.DRAFT)

    response = htmx_post(phone, "phone_interest", meeting.pk, draft.pk)

    assert "That topic is not on the agenda." in response.content.decode()
    assert not Interest.objects.exists()


def test_phone_pages_speak_the_meeting_language(phone, meeting):
    meeting.language = Meeting.Language.SWEDISH
    meeting.save()

    html = phone.get(reverse("phone", args=[meeting.pk])).content.decode()

    assert "Dina ämnen" in html and "Spara som privat utkast" in html


def test_topic_create_without_htmx_shows_a_refusal_on_the_whole_page(phone, meeting):
    response = phone.post(reverse("phone_topic_create", args=[meeting.pk]), {"title": ""})

    html = response.content.decode()
    assert "Give the topic a title." in html
    assert 'id="grid"' in html  # the whole page, not only the section
    assert not Topic.objects.exists()


def test_phone_keeps_a_merged_topic_in_its_conveners_list(phone, meeting, ann):
    target = make_topic(meeting, title="Freight", cell="B2")
    mine = make_topic(meeting, title="Goods by rail", convener=ann)
    agenda.merge_topics(meeting=meeting, topic_id=mine.pk, into_id=target.pk)

    response = phone.get(
        reverse("phone", args=[meeting.pk]), {"part": "mine"}, HTTP_HX_REQUEST="true"
    )

    html = response.content.decode()
    mine_html = html[html.index('id="mine"') :]
    assert "Goods by rail" in mine_html
    assert "merged into “Freight”" in mine_html and "<strong>B2</strong>" in mine_html
    assert "Withdraw this topic" not in mine_html  # a merged topic is the wall's now


def test_phone_offers_only_what_the_topic_status_allows(phone, meeting, ann):
    make_topic(meeting, title="Draft of mine", convener=ann, status=Topic.Status.DRAFT)
    make_topic(meeting, title="Raised of mine", convener=ann)
    make_topic(meeting, title="Placed of mine", convener=ann, cell="A1")

    html = phone.get(reverse("phone", args=[meeting.pk])).content.decode()

    articles = {
        title: html.split(title, 1)[1].split("</article>", 1)[0]
        for title in ("Draft of mine", "Raised of mine", "Placed of mine")
    }
    assert "Raise it" in articles["Draft of mine"] and "Edit" in articles["Draft of mine"]
    assert "Raise it" not in articles["Raised of mine"] and "Edit" in articles["Raised of mine"]
    assert "Raise it" not in articles["Placed of mine"] and "Edit" not in articles["Placed of mine"]


@pytest.mark.parametrize("path", ["/join/?code=%00", "/join/?code=AB%00CD", "/j/%00/", "/s/%00ab/"])
def test_a_nul_byte_in_a_code_is_an_unknown_code_not_an_error(client, meeting, path):
    response = client.get(path)

    assert response.status_code == 404
    assert "text/html" in response["Content-Type"]


@pytest.mark.parametrize("partner", ["¹", "٣", "3.0", "-1", "", "9" * 40])
def test_a_partner_that_is_no_plain_number_is_refused_and_nothing_changes(
    phone, meeting, ann, partner
):
    Participant.objects.create(meeting=meeting, name="Bo")
    topic = make_topic(meeting, title="Ports", convener=ann, status=Topic.Status.DRAFT)

    response = htmx_post(phone, "phone_topic_share", meeting.pk, topic.pk, partner=partner)

    assert response.status_code == 422 and "Choose a partner" in response.content.decode()
    topic.refresh_from_db()
    assert (topic.status, topic.partner) == (Topic.Status.DRAFT, None)


def test_joining_gives_the_browser_a_new_session_key(client, meeting):
    client.get(reverse("join_code", args=[meeting.join_code]))
    planted = client.session.session_key or client.cookies["sessionid"].value

    client.post(reverse("join_code", args=[meeting.join_code]), {"name": "Ann"})

    assert client.cookies["sessionid"].value != planted
    assert client.get(reverse("phone", args=[meeting.pk])).status_code == 200


def _without_request_tokens(html: str) -> str:
    """A page with its CSRF token and CSP nonce blanked: both differ per request."""
    html = re.sub(r'nonce="[^"]*"', 'nonce=""', html)
    return re.sub(r'(csrfmiddlewaretoken" value="|"X-CSRFToken": ")[^"]*', r"\1", html)


@pytest.mark.parametrize("with_topics", [False, True])
def test_the_phone_page_from_the_kept_frame_is_the_page_rendered_in_full(
    phone, ann, meeting, monkeypatch, with_topics
):
    if with_topics:
        make_topic(meeting, convener=ann, title="Fika <for> all", status=Topic.Status.DRAFT)
    url = reverse("phone", args=[meeting.pk])
    framed = []
    render_page = phone_frame.render_page
    monkeypatch.setattr(
        phone_frame, "render_page", lambda *args: framed.append(render_page(*args)) or framed[-1]
    )
    from_frame = phone.get(url).content.decode()
    # The first page really came from the kept frame, not from the full render.
    assert framed and framed[0] is not None
    monkeypatch.setattr(phone_frame, "render_page", lambda *args: None)
    in_full = phone.get(url).content.decode()

    assert _without_request_tokens(from_frame) == _without_request_tokens(in_full)
    assert ("Fika &lt;for&gt; all" in from_frame) is with_topics


def test_the_kept_frame_shows_each_phone_its_own_name_marks_token_and_nonce(phone, ann, meeting):
    bo = Participant.objects.create(meeting=meeting, name="Bo <i>", organization="")
    topic = make_topic(meeting, convener=ann)
    Interest.objects.create(participant=bo, topic=topic)
    url = reverse("phone", args=[meeting.pk])
    ann_page = phone.get(url)
    bo_page = joined(Client(), bo).get(url)
    ann_html, bo_html = ann_page.content.decode(), bo_page.content.decode()

    assert "Ann, INAB" in ann_html and "Ann, INAB" not in bo_html
    assert "Bo &lt;i&gt;" in bo_html and "Bo &lt;i&gt;" not in ann_html
    assert f'data-me="{bo.pk}" data-interests="{topic.pk}"' in bo_html
    assert f'data-me="{ann.pk}" data-interests=""' in ann_html
    nonce = re.search(r'nonce="([^"]+)"', bo_html).group(1)
    assert nonce in bo_page["Content-Security-Policy"]
    assert nonce not in ann_html
    token = re.search(r'csrfmiddlewaretoken" value="([^"]+)"', bo_html).group(1)
    assert token not in ann_html
