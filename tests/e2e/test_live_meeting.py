"""The live meeting end to end: a projector and two phones in headless Chromium."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest

from .support import ARRIVES_MS, confirm, join_by_code, log_in, open_projector, set_phase

pytestmark = pytest.mark.e2e

RAISE = "form[action$='/raise/'] button"
STAGE = "#stage .stage-body"
CELL_OF = (
    "SELECT t.status, r.code, s.number FROM sessions_app_topic t "
    "JOIN sessions_app_room r ON r.id = t.room_id JOIN sessions_app_slot s ON s.id = t.slot_id"
)


def propose_and_share(phone, title: str, *, partner: str) -> None:
    """On a phone: propose a draft, then share it with the partner of that label."""
    phone.fill("#new-title", title)
    phone.click(".propose [type=submit]")
    draft = phone.locator(".my-topic", has_text=title)
    draft.locator(".share-picker summary").click()
    draft.locator(".share input[type=search]").fill(partner.split()[0])
    draft.get_by_label(partner).check()
    draft.locator(".share [type=submit]").click()


def test_live_meeting_from_phone_to_projector_and_back(browser, server):
    from playwright.sync_api import expect

    meeting_id, code = server.demo_meeting()
    projector = open_projector(browser, server, meeting_id, width=1280, height=720)
    set_phase(projector, "agenda")
    expect(projector.locator(STAGE)).to_have_attribute("data-phase", "agenda")
    # Anything the page holds survives only if nothing reloads it.
    projector.evaluate("window.notReloaded = true")

    first = join_by_code(browser, server, code, "Ada Phone")
    second = join_by_code(browser, server, code, "Bo Phone", width=360)
    for phone in (first, second):
        expect(phone.locator(STAGE)).to_have_attribute("data-phase", "agenda")
        phone.evaluate("window.notReloaded = true")

    # The pair step: Ada shares a draft with Bo, whose phone shows it at once; Bo co-signs.
    pair = "Hur delar vi på lastcyklar?"
    propose_and_share(first, pair, partner="Bo Phone, Umeå kommun")
    shared = second.locator(".shared-topic", has_text=pair)
    expect(shared).to_be_visible(timeout=ARRIVES_MS)
    shared.locator("form[action$='/cosign/'] button").click()
    expect(first.locator(".my-topic", has_text=pair)).to_contain_text("✓", timeout=ARRIVES_MS)
    assert server.query(
        "SELECT status, partner_signed FROM sessions_app_topic WHERE title = ?", pair
    ) == [("shared", 1)]

    # A phone proposes a topic and raises it; it reaches the projector's tray.
    title = "Hur får vi med fler unga i omställningen?"
    first.fill("#new-title", title)
    first.click(".propose [type=submit]")
    first.locator(".my-topic", has_text=title).locator(RAISE).click()
    tray_card = projector.locator("#tray .card", has_text=title)
    expect(tray_card).to_be_visible(timeout=ARRIVES_MS)

    # The facilitator drags it into the empty cell C3; both phones show it there.
    tray_card.drag_to(projector.locator("#cell-C3"))
    for phone in (first, second):
        expect(phone.locator("#cell-C3")).to_contain_text(title, timeout=ARRIVES_MS)
    expect(first.locator("#cell-C3 .card")).to_have_class(re.compile(r"\bis-mine\b"))
    # Her own list follows too: the topic is placed, in C3, and no longer editable.
    expect(first.locator(".my-topic", has_text=title)).to_contain_text("C3")
    expect(second.locator("#cell-C3 .card")).not_to_have_class(re.compile(r"\bis-mine\b"))
    assert server.query(f"{CELL_OF} WHERE t.title = ?", title) == [("placed", "C", 3)]

    # The other phone wants to join it: the count changes everywhere, the mark only there.
    second.locator("#cell-C3 .interest-toggle").click()
    expect(second.locator("#cell-C3 .interest-toggle")).to_have_attribute("aria-pressed", "true")
    for page in (projector, first):
        expect(page.locator("#cell-C3 .interest-count")).to_have_attribute(
            "data-count", "1", timeout=ARRIVES_MS
        )
    expect(first.locator("#cell-C3 .interest-toggle")).to_have_attribute("aria-pressed", "false")

    # By keyboard alone: a second topic of the same convener cannot go into slot 3 too;
    # the refusal shows next to the board and nothing changes.
    other = "Vem bjuder vi in nästa gång?"
    first.fill("#new-title", other)
    first.click(".propose [type=submit]")
    first.locator(".my-topic", has_text=other).locator(RAISE).click()
    waiting = projector.locator("#tray .card", has_text=other)
    expect(waiting).to_be_visible(timeout=ARRIVES_MS)
    waiting.locator(".card-select").focus()
    projector.keyboard.press("Enter")
    expect(waiting.locator(".card-select")).to_have_attribute("aria-pressed", "true")
    projector.locator("#cell-B3 .card-select").focus()
    projector.keyboard.press("Enter")
    confirm(projector)  # B3 is taken: swap or cancel
    message = projector.locator("#board-message")
    # The seed meeting is Swedish, and so is what the board says.
    expect(message).to_contain_text("Ada Phone är redan initiativtagare till C3")
    expect(message.locator(".board-note")).to_have_class(re.compile(r"\bis-error\b"))
    assert server.query(f"{CELL_OF} WHERE t.title = ?", other) == []
    # Escape cancels a selection; then Space on A1 swaps the topic into slot 1.
    waiting.locator(".card-select").focus()
    projector.keyboard.press(" ")
    projector.keyboard.press("Escape")
    expect(waiting.locator(".card-select")).to_have_attribute("aria-pressed", "false")
    waiting.locator(".card-select").focus()
    projector.keyboard.press(" ")
    projector.locator("#cell-A1 .card-select").focus()
    projector.keyboard.press(" ")
    # The swap is asked first, Cancel in focus; the keyboard goes back to "Swap".
    expect(projector.locator("#confirm button[value=no]")).to_be_focused()
    projector.keyboard.press("Shift+Tab")
    projector.keyboard.press("Enter")
    expect(second.locator("#cell-A1")).to_contain_text(other, timeout=ARRIVES_MS)
    assert server.query(f"{CELL_OF} WHERE t.title = ?", other) == [("placed", "A", 1)]

    # The facilitator moves the meeting on; both phones follow, and during discussions
    # the slot under way is highlighted by the clock (14.20 is in slot 2, 14.15-14.40).
    second.clock.set_fixed_time(dt.datetime(2024, 5, 7, 14, 20, tzinfo=dt.UTC))
    set_phase(projector, "discussions")
    for phone in (first, second):
        expect(phone.locator(STAGE)).to_have_attribute(
            "data-phase", "discussions", timeout=ARRIVES_MS
        )
    expect(second.locator(".slot-row.is-now")).to_have_count(1)
    expect(second.locator(".slot-row.is-now .slot-head")).to_contain_text("14.15")

    for page in (projector, first, second):
        assert page.evaluate("window.notReloaded") is True
    # One-handed on a 360 px phone: nothing sticks out sideways.
    assert second.evaluate("document.documentElement.scrollWidth") <= 360


def test_what_a_phone_is_typing_survives_a_nudge(browser, server):
    from playwright.sync_api import expect

    code = server.demo_meeting_in_phase("agenda")[1]
    dee = join_by_code(browser, server, code, "Dee Typing")
    eve = join_by_code(browser, server, code, "Eve Sharing")
    # Even the first connect fetches the own topics: a nudge sent before the socket
    # joined its group would otherwise be lost.
    dee.wait_for_function(
        "() => performance.getEntriesByType('resource').some(e => e.name.includes('part=mine'))",
        timeout=ARRIVES_MS,
    )

    # Dee has a topic, opens its Edit form and starts typing in it and in a new one.
    own = "Hur håller vi cykelbanorna fria på vintern?"
    dee.fill("#new-title", own)
    dee.click(".propose [type=submit]")
    topic = dee.locator(".my-topic", has_text=own)
    expect(topic).to_be_visible()
    expect(dee.locator("#new-title")).to_have_value("")  # a saved proposal empties it
    topic.locator("details[id^=edit-] summary").click()
    dee.locator(".my-topic textarea[name=title]").fill(own + " Och trottoarerna?")
    dee.fill("#new-title", "half typed idea")
    dee.evaluate("window.notReloaded = true")

    # Eve shares a draft with Dee: Dee's list is fetched again, her typing stays.
    pair = "Vem plogar först?"
    propose_and_share(eve, pair, partner="Dee Typing, Umeå kommun")
    expect(dee.locator(".shared-topic", has_text=pair)).to_be_visible(timeout=ARRIVES_MS)
    expect(dee.locator("#new-title")).to_have_value("half typed idea")
    expect(dee.locator(".my-topic details[id^=edit-]")).to_have_attribute("open", "")
    expect(dee.locator(".my-topic textarea[name=title]")).to_have_value(own + " Och trottoarerna?")
    assert dee.evaluate("window.notReloaded") is True

    # Saving the edit closes the form and shows the new title, as before.
    dee.locator(".my-topic details[id^=edit-] [type=submit]:not(.danger)").click()
    expect(dee.locator(".my-topic-title", has_text="Och trottoarerna?")).to_be_visible()
    expect(dee.locator(".my-topic details[id^=edit-]")).not_to_have_attribute("open", "")
    expect(dee.locator("#new-title")).to_have_value("half typed idea")
    for page in (dee, eve):
        page.context.close()


def test_phone_catches_up_by_itself_after_losing_its_connection(browser, server):
    from playwright.sync_api import expect

    meeting_id, code = server.demo_meeting_in_phase("agenda")
    phone = join_by_code(browser, server, code, "Cy Offline")
    title = "Vad händer när nätet går ner?"
    phone.fill("#new-title", title)
    phone.click(".propose [type=submit]")
    phone.locator(".my-topic", has_text=title).locator(RAISE).click()
    expect(phone.locator("#tray .card", has_text=title)).to_be_visible()
    phone.evaluate("window.notReloaded = true")

    # The server goes away; meanwhile the meeting moves on and the topic is renamed.
    expect(phone.locator("#phone-status")).to_have_text(re.compile("^Lyft"))  # its own action
    server.stop()
    expect(phone.locator(".connection")).not_to_have_class(re.compile(r"\bis-online\b"))
    # Said to a screen reader too, politely, and again when it is back.
    expect(phone.locator("#phone-status")).to_have_text("Anslutningen bröts. Ansluter igen…")
    server.move_to_phase(meeting_id, "vernissage")
    server.query("UPDATE sessions_app_topic SET title = ? WHERE title = ?", title + " (ny)", title)
    server.start()

    # No reload, no tap: the phone reconnects, gets the state and its own topics again.
    online = re.compile(r"\bis-online\b")
    expect(phone.locator(".connection")).to_have_class(online, timeout=ARRIVES_MS * 2)
    expect(phone.locator("#phone-status")).to_have_text("Ansluten igen.")
    expect(phone.locator(STAGE)).to_have_attribute("data-phase", "vernissage")
    expect(phone.locator("#tray")).to_contain_text(title + " (ny)")
    expect(phone.locator("#mine")).to_contain_text(title + " (ny)")
    assert phone.evaluate("window.notReloaded") is True


WALL_4_BY_6 = Path(__file__).with_name("make_wall_4x6.py")


@pytest.mark.parametrize("size", [(1920, 1080), (1280, 720)])
def test_projector_shows_a_4_by_6_wall_without_scrolling(browser, server, size):
    from playwright.sync_api import expect

    rows = server.query("SELECT id FROM sessions_app_meeting WHERE title = 'Fyra pass, sex rum'")
    meeting_id = rows[0][0] if rows else server.run_script(WALL_4_BY_6)
    width, height = size
    page = open_projector(browser, server, meeting_id, width=width, height=height)

    assert page.locator("#grid .card").count() == 24
    assert page.evaluate("document.documentElement.scrollHeight") <= height
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    # Retried: the state sent on connect may still be replacing the grid.
    for code in ("A1", "F1", "A4", "F4"):
        expect(page.locator(f"#cell-{code}")).to_be_in_viewport(ratio=1)
    page.context.close()


def test_projector_toolbar_merges_unplaces_and_withdraws(browser, server):
    from playwright.sync_api import expect

    meeting_id = server.run_script(Path(__file__).with_name("make_toolbar_meeting.py"))
    page = browser.new_context(viewport={"width": 1280, "height": 720}).new_page()
    log_in(page, server)
    page.goto(f"{server.url}/meetings/{meeting_id}/projector/")
    page.wait_for_selector(".connection.is-online")

    def status(title: str) -> str:
        return server.query(
            "SELECT status FROM sessions_app_topic WHERE title = ? AND meeting_id = ?",
            title,
            meeting_id,
        )[0][0]

    # Merge "Cargo" into "Freight": select it, choose Merge, then the other topic.
    page.locator("#tray .card", has_text="Cargo").click()
    page.click("[data-board-command=merge]")
    page.locator("#cell-A1 .card").click()
    expect(page.locator("#board-message")).to_contain_text("Merged into “Freight”.")
    expect(page.locator("#cell-A1")).to_contain_text("+ Cargo")
    assert status("Cargo") == "merged"

    # Back to the tray by the toolbar, then withdraw another one.
    page.locator("#cell-A1 .card").click()
    page.click("[data-board-command=unplace]")
    expect(page.locator("#tray")).to_contain_text("Freight")
    assert status("Freight") == "raised"
    page.locator("#tray .card", has_text="Gone").click()
    page.click("[data-board-command=withdraw]")
    confirm(page)
    expect(page.locator("#tray")).not_to_contain_text("Gone")
    assert status("Gone") == "withdrawn"
    page.context.close()
