"""A phone past a limit: the "slow down" shows where a refusal shows, and what was typed stays."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from sessions_app.models import Meeting

from .support import Server, join_by_code, serving

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def server(tmp_path_factory, demo_database) -> Iterator[Server]:
    """The journeys' server, with room for two drafts a day (per day: a window that ended
    during the test would let a third through)."""
    with serving(tmp_path_factory.mktemp("slow"), demo_database, THROTTLE_DRAFTS="2/d") as server:
        yield server


def test_a_phone_past_its_drafts_limit_is_told_to_slow_down(browser, server):
    from playwright.sync_api import expect

    _meeting_id, code = server.demo_meeting_in_phase(Meeting.Phase.AGENDA)
    phone = join_by_code(browser, server, code, "Quick Phone")
    for title in ("Cykelparkering", "Solpaneler"):
        phone.fill("#new-title", title)
        phone.click(".propose [type=submit]")
        expect(phone.locator(".my-topic-title", has_text=title)).to_be_visible()

    phone.fill("#new-title", "Laddstolpar")
    phone.click(".propose [type=submit]")

    expect(phone.locator("#mine-error")).to_contain_text("Sakta i backarna")
    expect(phone.locator("#new-title")).to_have_value("Laddstolpar")
    expect(phone.locator("#new-title")).to_have_attribute("aria-invalid", "true")
    titles = server.query(
        "SELECT title FROM sessions_app_topic WHERE title IN (?, ?, ?)",
        "Cykelparkering",
        "Solpaneler",
        "Laddstolpar",
    )
    assert sorted(t for (t,) in titles) == ["Cykelparkering", "Solpaneler"]
    phone.context.close()


def test_a_write_answered_busy_is_sent_again_by_itself(browser, server):
    from playwright.sync_api import expect

    _meeting_id, code = server.demo_meeting_in_phase(Meeting.Phase.AGENDA)
    phone = join_by_code(browser, server, code, "Busy Phone")
    busy = []

    def twice_busy(route):
        if route.request.method == "POST" and len(busy) < 2:
            busy.append(route.request.post_data)
            route.fulfill(
                status=503,
                headers={"Retry-After": "1", "Content-Type": "text/html"},
                body='<p class="form-error" role="alert">Busy</p>',
            )
        else:
            route.continue_()

    phone.route("**/topics/", twice_busy)
    phone.fill("#new-title", "Samåkning")
    phone.click(".propose [type=submit]")

    expect(phone.locator("#busy-notice")).to_be_visible()
    expect(phone.locator("#new-title")).to_have_value("Samåkning")
    expect(phone.locator(".my-topic-title", has_text="Samåkning")).to_be_visible(timeout=15_000)
    expect(phone.locator("#busy-notice")).to_be_hidden()
    assert len(busy) == 2
    titles = server.query("SELECT title FROM sessions_app_topic WHERE title = ?", "Samåkning")
    assert titles == [("Samåkning",)]
    phone.context.close()


def test_a_proposal_whose_answer_was_lost_is_sent_again_and_saved_once(browser, server):
    from playwright.sync_api import expect

    _meeting_id, code = server.demo_meeting_in_phase(Meeting.Phase.AGENDA)
    phone = join_by_code(browser, server, code, "Lost Answer")
    lost = []

    def answer_lost_once(route):
        if route.request.method == "POST" and not lost:
            route.fetch()  # the server saves it; its answer never reaches the phone
            lost.append(route.request.post_data)
            route.abort("connectionreset")
        else:
            route.continue_()

    phone.route("**/topics/", answer_lost_once)
    phone.fill("#new-title", "Bilpool")
    phone.click(".propose [type=submit]")

    expect(phone.locator(".my-topic-title", has_text="Bilpool")).to_be_visible(timeout=15_000)
    expect(phone.locator("#new-title")).to_have_value("")
    assert len(lost) == 1
    titles = server.query("SELECT title FROM sessions_app_topic WHERE title = ?", "Bilpool")
    assert titles == [("Bilpool",)]
    phone.context.close()
