"""Phones and setup in the browser: pages fit the screen, controls fit a finger, the phone
says what it did, and rooms are added without a save in between."""

from __future__ import annotations

import re

import pytest

from .support import DEMO_TITLE, PHONE, join_by_code, log_in

pytestmark = pytest.mark.e2e

FINGER_PX = 44
# Every control a phone offers: the site's links and buttons, form fields, "Edit".
CONTROLS = "a, button, input:not([type=hidden]), select, textarea, summary"


def _phone_context(browser, width: int):
    return browser.new_context(**{**PHONE, "viewport": {"width": width, "height": 844}})


def _overflow(page, width: int) -> list[str]:
    """What sticks out past the right edge of the screen (nothing, if all is well)."""
    return page.evaluate(
        """width => Array.from(document.querySelectorAll('body *'))
          .filter(el => el.getClientRects().length)
          .filter(el => el.getBoundingClientRect().right > width + 0.5)
          .map(el => el.tagName.toLowerCase() + (el.className ? '.' + el.className : ''))""",
        width,
    )


@pytest.mark.parametrize("width", [360, 390])
def test_no_page_is_wider_than_a_phone(browser, server, width):
    meeting_id, code = server.demo_meeting()
    server.move_to_phase(meeting_id, "agenda")
    pages = {
        "home": "/",
        "meeting": f"/meetings/{meeting_id}/",
        "join": "/join/",
        "identify": f"/j/{code}/",
        "login": "/accounts/login/",
    }
    wide: dict[str, list[str]] = {}
    context = _phone_context(browser, width)
    page = context.new_page()
    for name, path in pages.items():
        page.goto(server.url + path)
        wide[name] = _overflow(page, width)
    log_in(page, server)  # a facilitator on a phone sees more on these two
    for name, path in {"home, facilitator": "/", "meeting, facilitator": pages["meeting"]}.items():
        page.goto(server.url + path)
        wide[name] = _overflow(page, width)
    context.close()
    phone = join_by_code(browser, server, code, f"Narrow {width}", width=width)
    wide["phone"] = _overflow(phone, width)
    phone.context.close()

    assert wide == {name: [] for name in wide}


def test_every_phone_control_fits_a_finger(browser, server):
    from playwright.sync_api import expect

    meeting_id, code = server.demo_meeting()
    server.move_to_phase(meeting_id, "agenda")
    context = _phone_context(browser, 390)
    page = context.new_page()
    small: dict[str, list[str]] = {}
    for name, path in {"join": "/join/", "identify": f"/j/{code}/"}.items():
        page.goto(server.url + path)
        small[name] = _too_small(page)
    context.close()
    phone = join_by_code(browser, server, code, "Big Fingers")
    join_by_code(browser, server, code, "Partner Fingers").context.close()
    phone.fill("#new-title", "Hur når vi fler?")
    phone.click(".propose [type=submit]")
    draft = phone.locator(".my-topic", has_text="Hur når vi fler?")
    draft.locator("details[id^=share-] summary").click()
    draft.locator("details[id^=edit-] summary").click()
    expect(draft.locator("details[open]")).to_have_count(2)
    draft.locator(".share input[type=search]").fill("Partner")
    expect(draft.get_by_label("Partner Fingers")).to_be_checked()
    small["phone"] = _too_small(phone)
    phone.context.close()

    assert small == {name: [] for name in small}


def _too_small(page) -> list[str]:
    return page.evaluate(
        """([selector, least]) => Array.from(document.querySelectorAll(selector))
          // A radio or checkbox inside its label is tapped anywhere on the label.
          .filter(el => el.getClientRects().length
                        && (el.closest('label') || el).getBoundingClientRect().height < least)
          .map(el => el.tagName.toLowerCase() + ' “' + (el.textContent || el.name || '').trim()
                     + '” ' + Math.round(el.getBoundingClientRect().height) + 'px')""",
        [CONTROLS, FINGER_PX],
    )


def test_phone_says_what_it_did_and_keeps_the_focus(browser, server):
    from playwright.sync_api import expect

    meeting_id, code = server.demo_meeting()
    server.move_to_phase(meeting_id, "agenda")
    phone = join_by_code(browser, server, code, "Status Phone")
    expect(phone.get_by_role("heading", level=1)).to_have_text(DEMO_TITLE)
    status = phone.locator("#phone-status[role=status]")

    phone.fill("#new-title", "Vem städar efteråt?")
    phone.click(".propose [type=submit]")
    expect(status).to_have_text("Sparat som privat utkast.")

    # Each "I want to join" names its topic; pressing it says so, and the redrawn card
    # gives the focus back to its button.
    toggle = phone.get_by_role("button", name=re.compile(r"^Jag vill delta\s*: Hur kan vi accel"))
    toggle.focus()
    phone.keyboard.press("Enter")
    expect(status).to_have_text("Du vill delta i det här ämnet.")
    expect(phone.locator("#cell-B3 .interest-toggle")).to_have_attribute("aria-pressed", "true")
    expect(phone.locator("#cell-B3 .interest-toggle")).to_be_focused()

    # A refused proposal leaves the field marked invalid, described by the refusal.
    phone.fill("#new-title", "   ")
    phone.click(".propose [type=submit]")
    expect(phone.locator("#new-title")).to_have_attribute("aria-invalid", "true")
    expect(phone.locator("#mine-error")).to_be_visible()
    phone.context.close()


def test_rooms_are_added_without_a_save_in_between(browser, server):
    from playwright.sync_api import expect

    meeting_id, _code = server.demo_meeting()
    page = browser.new_context(viewport={"width": 1280, "height": 800}).new_page()
    log_in(page, server)
    page.goto(f"{server.url}/meetings/{meeting_id}/rooms/")
    rows = page.locator("[data-formset=rooms] .setup-row")
    before = rows.count()

    page.click("[data-add-form=rooms]")
    expect(page.locator(f"#id_rooms-{before}-code")).to_be_focused()
    page.click("[data-add-form=rooms]")
    expect(rows).to_have_count(before + 2)
    page.fill(f"#id_rooms-{before - 1}-code", "D")
    page.fill(f"#id_rooms-{before}-code", "E")
    page.fill(f"#id_rooms-{before + 1}-code", "F")
    page.click(".setup-form [type=submit]")
    page.wait_for_url(f"{server.url}/meetings/{meeting_id}/rooms/")

    codes = server.query(
        "SELECT code FROM sessions_app_room WHERE meeting_id = ? ORDER BY position", meeting_id
    )
    assert [c for (c,) in codes] == ["A", "B", "C", "D", "E", "F"]
    page.context.close()


LATER_PHASES = ["discussions", "vernissage", "action_plan", "closing", "closed"]


def test_the_second_half_fits_a_narrow_phone_and_a_finger(browser, server):
    meeting_id, code = server.demo_meeting_in_phase("discussions")
    phone = join_by_code(browser, server, code, "Later Fingers", width=360)
    # The phone convenes a topic of the wall, so that its report form opens too.
    me = server.query(
        "SELECT id FROM sessions_app_participant WHERE meeting_id = ? AND name = ?",
        meeting_id,
        "Later Fingers",
    )[0][0]
    topic = server.query(
        "SELECT id FROM sessions_app_topic WHERE meeting_id = ? AND status = 'placed'"
        " ORDER BY id LIMIT 1",
        meeting_id,
    )[0][0]
    server.query("UPDATE sessions_app_topic SET convener_id = ? WHERE id = ?", me, topic)
    found: dict[str, list[str]] = {}
    for phase in LATER_PHASES:
        server.move_to_phase(meeting_id, phase)
        phone.reload()
        phone.locator(".connection.is-online").wait_for()
        found[phase] = _overflow(phone, 360) + _too_small(phone)
        if phase == "vernissage":
            phone.goto(f"{server.url}/m/{meeting_id}/reports/{topic}/")
            found["report form"] = _overflow(phone, 360) + _too_small(phone)
            phone.goto(f"{server.url}/m/{meeting_id}/")
    phone.context.close()

    assert found == {name: [] for name in found}
