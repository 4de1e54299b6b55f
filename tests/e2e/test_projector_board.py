"""The projector's board by mouse and keyboard: what is asked first, where the focus goes,
and how long titles are shown on the wall."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from .support import confirm, open_projector, set_phase

pytestmark = pytest.mark.e2e

BOARD = Path(__file__).with_name("make_board_meeting.py")
WALL_4_BY_6 = Path(__file__).with_name("make_wall_4x6.py")
PLACE_OF = (
    "SELECT t.status, r.code || s.number FROM sessions_app_topic t "
    "LEFT JOIN sessions_app_room r ON r.id = t.room_id "
    "LEFT JOIN sessions_app_slot s ON s.id = t.slot_id WHERE t.meeting_id = ? AND t.title = ?"
)


@pytest.fixture
def board(browser, server):
    """A fresh small wall on a 1280 × 720 projector: A1 Freight, B1 Ferries; three waiting."""
    meeting_id = server.run_script(BOARD)
    page = open_projector(browser, server, meeting_id, width=1280, height=720)
    page.meeting_id = meeting_id
    yield page
    page.context.close()


def place_of(server, page, title: str) -> tuple[str, str | None]:
    return tuple(server.query(PLACE_OF, page.meeting_id, title)[0])


def select_button(page, title: str):
    return page.locator(".card", has_text=title).locator(".card-select")


def test_dropping_a_topic_on_a_placed_one_asks_before_swapping(board, server):
    from playwright.sync_api import expect

    # Cancel changes nothing: both stay where they were.
    board.locator("#tray .card", has_text="Cargo").drag_to(board.locator("#cell-A1 .card"))
    dialog = board.locator("#confirm")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("“Cargo” → A1")
    expect(dialog).to_contain_text("“Freight” → back among the raised topics")
    confirm(board, answer="no")
    expect(board.locator("#cell-A1")).to_contain_text("Freight")
    assert place_of(server, board, "Cargo") == ("raised", None)
    assert place_of(server, board, "Freight") == ("placed", "A1")

    # "Swap" swaps; the moved card has the focus once the wall is redrawn.
    board.locator("#tray .card", has_text="Cargo").drag_to(board.locator("#cell-A1 .card"))
    confirm(board)
    expect(board.locator("#cell-A1")).to_contain_text("Cargo")
    expect(board.locator("#tray")).to_contain_text("Freight")
    expect(select_button(board, "Cargo")).to_be_focused()
    assert place_of(server, board, "Freight") == ("raised", None)


def test_swapping_by_keyboard_asks_too_and_a_stray_enter_cancels(board, server):
    from playwright.sync_api import expect

    select_button(board, "Ferries").focus()
    board.keyboard.press("Enter")
    expect(select_button(board, "Ferries")).to_have_attribute("aria-pressed", "true")
    select_button(board, "Freight").focus()
    board.keyboard.press("Enter")
    expect(board.locator("#confirm")).to_be_visible()
    expect(board.locator("#confirm button[value=no]")).to_be_focused()
    board.keyboard.press("Enter")  # the stray one: Cancel
    expect(board.locator("#confirm")).to_be_hidden()
    assert place_of(server, board, "Ferries") == ("placed", "B1")

    select_button(board, "Ferries").focus()
    board.keyboard.press("Enter")
    select_button(board, "Freight").focus()
    board.keyboard.press("Enter")
    board.keyboard.press("Shift+Tab")
    expect(board.locator("#confirm .confirm-yes")).to_be_focused()
    board.keyboard.press("Enter")
    expect(board.locator("#cell-A1")).to_contain_text("Ferries")
    expect(select_button(board, "Ferries")).to_be_focused()
    assert place_of(server, board, "Freight") == ("placed", "B1")


def test_focus_follows_every_board_action_and_never_drops_to_the_page(board, server):
    from playwright.sync_api import expect

    def focus_after_redraw(locator) -> None:
        expect(locator).to_be_focused()
        board.wait_for_load_state("networkidle")
        expect(locator).to_be_focused()
        assert board.evaluate("document.activeElement !== document.body")

    # Placed from the tray by keyboard: the next waiting topic is next in hand.
    select_button(board, "Cargo").focus()
    board.keyboard.press("Enter")
    board.locator("#free-A2").focus()
    board.keyboard.press("Enter")
    expect(board.locator("#cell-A2")).to_contain_text("Cargo")
    focus_after_redraw(select_button(board, "Bikes"))

    # Moved within the wall: the card that moved keeps the focus.
    select_button(board, "Cargo").focus()
    board.keyboard.press("Enter")
    board.locator("#free-B2").focus()
    board.keyboard.press("Enter")
    expect(board.locator("#cell-B2")).to_contain_text("Cargo")
    focus_after_redraw(select_button(board, "Cargo"))

    # Back to the tray by the toolbar: the focus goes with it.
    board.keyboard.press("Enter")
    board.click("[data-board-command=unplace]")
    expect(board.locator("#tray")).to_contain_text("Cargo")
    focus_after_redraw(board.locator("#tray .card", has_text="Cargo").locator(".card-select"))

    # Withdrawn from the tray: the next waiting topic.
    board.keyboard.press("Enter")
    board.click("[data-board-command=withdraw]")
    confirm(board)
    expect(board.locator("#tray")).not_to_contain_text("Cargo")
    focus_after_redraw(select_button(board, "Bikes"))
    assert place_of(server, board, "Cargo") == ("withdrawn", None)


def test_phase_changes_are_asked_first_and_announced_in_place(board, server):
    from playwright.sync_api import expect

    errors: list[str] = []
    board.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    regions = "[document.getElementById('stage'), document.getElementById('board-message')]"
    board.evaluate(f"window.regions = {regions}")

    # A stray Enter on a phase opens the question, and a second one cancels it.
    board.locator("#phase-control button[value=discussions]").focus()
    board.keyboard.press("Enter")
    expect(board.locator("#confirm")).to_be_visible()
    board.keyboard.press("Enter")
    expect(board.locator("#confirm")).to_be_hidden()
    phase = server.query("SELECT phase FROM sessions_app_meeting WHERE id = ?", board.meeting_id)
    assert phase == [("agenda",)]

    set_phase(board, "discussions")
    expect(board.locator("#stage .stage-body")).to_have_attribute("data-phase", "discussions")
    expect(board.locator("#phase-control [aria-current=step]")).to_have_attribute(
        "value", "discussions"
    )
    expect(board.locator("#phase-control button[value=discussions]")).to_be_focused()
    board.wait_for_load_state("networkidle")
    # The live regions are the same elements as before: only what they say was swapped.
    assert board.evaluate(f"window.regions.every((el, i) => el === {regions}[i])")
    assert errors == []


def test_pages_fetch_nothing_that_is_missing_and_have_an_icon(browser, server):
    meeting_id, code = server.demo_meeting()
    page = open_projector(browser, server, meeting_id)
    missing: list[str] = []
    page.context.on("response", lambda r: missing.append(r.url) if r.status >= 400 else None)
    for path in ("/", f"/meetings/{meeting_id}/", f"/meetings/{meeting_id}/projector/", "/join/"):
        page.goto(server.url + path)
        page.wait_for_load_state("networkidle")
        # Headless Chromium asks for no icon by itself: ask for the one the page names.
        icon = page.request.get(page.eval_on_selector("link[rel=icon]", "link => link.href"))
        assert icon.ok and icon.headers["content-type"].startswith("image/svg")
    assert missing == []
    page.context.close()


def _title_sizes(page) -> list[dict]:
    return page.evaluate(
        """() => Array.from(document.querySelectorAll('#grid .cell > .card')).map(card => {
          const title = card.querySelector('.card-title');
          const cut = card.classList.contains('is-clamped');
          return {
            code: card.dataset.code,
            size: parseFloat(getComputedStyle(title).fontSize),
            cut: cut,
            hidden: title.scrollHeight > title.clientHeight + 1 && !cut,
          };
        })"""
    )


@pytest.mark.parametrize("size", [(1920, 1080), (1280, 720)])
def test_projector_shows_the_seed_s_long_titles_whole(browser, server, size):
    meeting_id, _code = server.demo_meeting()
    server.move_to_phase(meeting_id, "agenda")
    page = open_projector(browser, server, meeting_id, width=size[0], height=size[1])
    page.wait_for_load_state("networkidle")

    titles = _title_sizes(page)

    assert len(titles) == 8
    assert [t["code"] for t in titles if t["cut"] or t["hidden"]] == []
    page.context.close()


@pytest.mark.parametrize("size", [(1920, 1080), (1280, 720)])
def test_projector_cuts_a_title_only_at_the_floor_and_shows_it_whole_on_request(
    browser, server, size
):
    from playwright.sync_api import expect

    rows = server.query("SELECT id FROM sessions_app_meeting WHERE title = 'Fyra pass, sex rum'")
    meeting_id = rows[0][0] if rows else server.run_script(WALL_4_BY_6)
    width, height = size
    page = open_projector(browser, server, meeting_id, width=width, height=height)
    page.wait_for_load_state("networkidle")
    floor = 20 * min(width / 1920, height / 1080)

    titles = _title_sizes(page)

    assert len(titles) == 24
    assert not any(t["hidden"] for t in titles)
    assert all(t["size"] >= floor - 0.5 for t in titles)
    cut = [t for t in titles if t["cut"]]
    assert cut and all(abs(t["size"] - floor) < 0.5 for t in cut)
    card = page.locator(f"#cell-{cut[0]['code']} .card")
    card.locator(".card-more").click()
    dialog = page.locator("#card-dialog")
    expect(dialog).to_be_visible()
    expect(dialog.locator("h2")).to_have_text(
        "Hur kan vi tillsammans påverka godsflöden så att de blir mer hållbara i hela "
        "regionen, och hur mäter vi det?"
    )
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    # "more" opens the dialog and selects nothing.
    expect(card.locator(".card-select")).to_have_attribute("aria-pressed", "false")
    page.context.close()


def _rgb(css: str) -> tuple[float, ...]:
    return tuple(float(v) for v in re.findall(r"[\d.]+", css)[:3])


def _contrast(first: str, second: str) -> float:
    """WCAG's contrast ratio of two CSS rgb() colours."""

    def luminance(rgb: tuple[float, ...]) -> float:
        linear = [c / 255 / 12.92 if c <= 10 else ((c / 255 + 0.055) / 1.055) ** 2.4 for c in rgb]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    high, low = sorted((luminance(_rgb(first)), luminance(_rgb(second))), reverse=True)
    return (high + 0.05) / (low + 0.05)


FOCUS_STYLE = """el => {
  const style = getComputedStyle(el);
  return {ring: style.outlineColor, width: parseFloat(style.outlineWidth),
          line: style.outlineStyle, border: style.borderTopColor};
}"""


def test_the_focus_ring_stands_out_and_differs_from_the_selection(board):
    page_background = board.evaluate("getComputedStyle(document.body).backgroundColor")
    card = board.locator("#cell-A1 .card")
    card.locator(".card-select").focus()
    board.keyboard.press("Enter")  # focused and selected at once
    focused = card.evaluate(FOCUS_STYLE)
    card_background = card.evaluate("el => getComputedStyle(el).backgroundColor")

    assert focused["line"] != "none" and focused["width"] >= 2
    assert _contrast(focused["ring"], page_background) >= 3
    assert _contrast(focused["ring"], card_background) >= 3
    # Selected is shown by the card's own border, in another colour than the ring.
    assert _contrast(focused["border"], card_background) >= 3
    assert _rgb(focused["border"]) != _rgb(focused["ring"])

    step = board.locator("#phase-control button[value=discussions]")
    step.focus()
    bar = board.locator(".projector-bar").evaluate("el => getComputedStyle(el).backgroundColor")
    assert _contrast(step.evaluate(FOCUS_STYLE)["ring"], bar) >= 3
