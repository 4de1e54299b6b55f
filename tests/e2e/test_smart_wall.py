"""The smart wall in Chromium: phones mark the topics they want, the projector warns of the
clash and counts who must choose, the facilitator previews a suggested placement (ghost
cards on their screen only), applies it, and every phone shows the new wall.

With SCREENSHOTS set to a folder, the projector with the preview is saved there
(docs/screenshots/projector-suggestion-1920x1080.png).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from .support import ARRIVES_MS, join_by_code, open_projector

pytestmark = pytest.mark.e2e
SHOTS = os.environ.get("SCREENSHOTS", "")
# A 2 × 2 wall in English: Freight and Ferries in slot 1, three topics waiting.
BOARD = Path(__file__).with_name("make_board_meeting.py")


def wall_of(page) -> dict[str, str]:
    """What a page's wall shows: cell code → the title of the card in it."""
    return page.evaluate(
        """() => Object.fromEntries(Array.from(document.querySelectorAll('#grid .cell'))
            .filter((cell) => cell.querySelector(':scope > .card'))
            .map((cell) => [cell.dataset.code,
                             cell.querySelector(':scope > .card').dataset.title]))"""
    )


def test_phones_mark_the_facilitator_previews_and_applies_and_every_phone_follows(browser, server):
    from playwright.sync_api import expect

    meeting_id, code = server.demo_meeting_in_phase("agenda")
    phones = [join_by_code(browser, server, code, name) for name in ("Ada", "Bo", "Cy")]
    # Everyone wants both topics of slot 1's rooms A and B: they clash.
    for phone in phones:
        for cell in ("A1", "B1"):
            phone.locator(f"#cell-{cell} .interest-toggle").click()
            expect(phone.locator(f"#cell-{cell} .interest-toggle")).to_have_attribute(
                "aria-pressed", "true"
            )
    projector = open_projector(browser, server, meeting_id)
    expect(projector.locator("#cell-A1 .card-warning")).to_contain_text("A1 och B1 delar")
    expect(projector.locator("#cell-B1 .card-warning")).to_contain_text("A1 och B1 delar")
    expect(projector.locator("#wall-summary")).to_contain_text("personer måste välja")
    before = wall_of(projector)
    for phone in phones:
        expect(phone.locator("#cell-A1 .card-warning")).to_contain_text("A1 och B1 delar")
        assert wall_of(phone) == before

    projector.locator("#suggest-form input[name=allow_moves]").check()
    projector.locator("#suggest-form button").click()

    expect(projector.locator("#suggestion")).to_be_visible(timeout=ARRIVES_MS)
    expect(projector.locator("#suggestion")).to_contain_text("Föreslagen placering")
    expect(projector.locator("#suggestion")).to_contain_text("Krockar")
    ghosts = projector.locator("#grid .ghost")
    expect(ghosts.first).to_be_visible()
    assert ghosts.count() == projector.locator("#suggestion input[name=move]").count() > 0
    # The ghosts are dashed and translucent: no one takes them for the wall.
    style = ghosts.first.evaluate(
        "(el) => [getComputedStyle(el).borderTopStyle, getComputedStyle(el).backgroundColor]"
    )
    assert style[0] == "dashed" and re.match(r"rgba\(.*, 0\.\d+\)", style[1])
    if SHOTS:
        projector.wait_for_timeout(300)
        projector.screenshot(path=str(Path(SHOTS) / "projector-suggestion-1920x1080.png"))
    # Phones see nothing of it, and the wall has not changed.
    for phone in phones:
        assert phone.locator(".ghost, #suggestion").count() == 0
        assert wall_of(phone) == before
    assert wall_of(projector) == before

    projector.locator("#suggestion .suggestion-apply").click()

    expect(ghosts).to_have_count(0, timeout=ARRIVES_MS)
    expect(projector.locator("#suggestion")).to_be_hidden()
    expect(projector.locator("#board-message")).to_contain_text("ligger nu där förslaget")
    expect(projector.locator("#cell-A1 .card-warning")).to_have_count(0)
    expect(projector.locator("#wall-summary")).to_contain_text("Ingen behöver välja")
    after = wall_of(projector)
    assert after != before
    for phone in phones:
        expect(phone.locator("#cell-A1 .card-warning")).to_have_count(0)
        assert wall_of(phone) == after
    for page in (*phones, projector):
        page.context.close()


def test_a_ghost_applies_its_own_card_and_discard_clears_the_rest(browser, server):
    from playwright.sync_api import expect

    meeting_id = server.run_script(BOARD)
    projector = open_projector(browser, server, meeting_id)
    tray = projector.locator("#tray .card")
    expect(tray).to_have_count(3)

    projector.locator("#suggest-form button").focus()
    projector.keyboard.press("Enter")
    ghost = projector.locator("#grid .ghost").first
    expect(ghost).to_be_visible(timeout=ARRIVES_MS)
    # The keyboard goes on from the question to its answer.
    expect(projector.locator("#suggestion .suggestion-apply")).to_be_focused()
    title = ghost.locator(".ghost-title").inner_text()
    cell = ghost.get_attribute("data-cell")
    expect(projector.locator("#tray .card.is-leaving")).to_have_count(
        projector.locator("#suggestion input[name=move]").count()
    )

    ghost.locator(".ghost-apply").click()

    expect(projector.locator(f"#cell-{cell} > .card")).to_have_attribute("data-title", title)
    expect(tray).to_have_count(2)
    # The other ghost is still offered, and has the focus; the third topic stays in the
    # tray, and the preview says why.
    expect(projector.locator("#grid .ghost")).to_have_count(1)
    expect(projector.locator("#grid .ghost .ghost-apply")).to_be_focused()
    expect(projector.locator("#suggestion")).to_contain_text("Every cell of the wall is taken.")
    projector.locator("#suggestion .suggestion-discard").click()
    expect(projector.locator("#suggestion")).to_be_hidden()
    expect(projector.locator("#grid .ghost")).to_have_count(0)
    expect(projector.locator(".card.is-leaving")).to_have_count(0)
    expect(projector.locator("#suggest-form button")).to_be_focused()
    projector.context.close()


def test_a_pinned_card_says_so_on_the_projector_only(browser, server):
    from playwright.sync_api import expect

    meeting_id = server.run_script(BOARD)
    code = server.query("SELECT join_code FROM sessions_app_meeting WHERE id = ?", meeting_id)
    projector = open_projector(browser, server, meeting_id)
    phone = join_by_code(browser, server, code[0][0], "Dag")

    projector.locator("#cell-A1 .card-select").click()
    projector.locator('[data-board-command="pin"]').click()

    expect(projector.locator("#cell-A1 .pin-badge")).to_be_visible(timeout=ARRIVES_MS)
    expect(phone.locator("#cell-A1 .pin-badge")).to_be_attached()
    expect(phone.locator("#cell-A1 .pin-badge")).to_be_hidden()
    projector.locator("#cell-A1 .card-select").click()
    expect(projector.locator('[data-board-command="pin"]')).to_have_text("Unpin")
    projector.locator('[data-board-command="pin"]').click()
    expect(projector.locator("#cell-A1 .pin-badge")).to_have_count(0)
    for page in (phone, projector):
        page.context.close()
