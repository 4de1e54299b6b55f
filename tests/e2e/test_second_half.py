"""The second half of a meeting end to end: a projector and three phones, from the
discussions to a closed meeting and its documentation.

A phone follows a sign's QR link and writes a report with a photo; the vernissage shows it
on the projector without a reload; another phone gives it a dot. A report is adopted into
an initiative that two phones join; a reflection comes in; the meeting closes and a phone
downloads the PDF, which holds all of it.

With SCREENSHOTS set to a folder, the journey also saves the projector and a phone in each
phase there, and the first page of the signs' PDF (the README shows them).
"""

from __future__ import annotations

import io
import os
import re
import subprocess
from pathlib import Path

import pytest
from PIL import Image
from pypdf import PdfReader

from .support import ARRIVES_MS, join_by_code, open_projector, set_phase

pytestmark = pytest.mark.e2e
SUMMARY = "Vi kartlade godsflödena och vem som äger vilken del."
INITIATIVE = "Samla speditörerna till ett första möte"
REFLECTION = "Bra att få prata tvärs över branscherna."
SHOTS = os.environ.get("SCREENSHOTS", "")


def shoot(page, name: str, *, section: str = "") -> None:
    """Save the page as it looks now, scrolled to the section that matters in this phase."""
    if SHOTS:
        if section:
            page.locator(section).scroll_into_view_if_needed()
            page.evaluate(f"document.querySelector('{section}').scrollIntoView()")
        page.wait_for_timeout(300)  # let the last swap settle before the picture
        page.screenshot(path=str(Path(SHOTS) / f"{name}.png"))


def photo_file(tmp_path: Path) -> Path:
    """A photo of a paper sheet, as a phone's camera gives it."""
    path = tmp_path / "IMG_2044.jpg"
    image = Image.new("RGB", (1600, 1200), "#f4f1e8")
    for row in range(100, 1100, 90):
        image.paste("#33414e", (150, row, 1450, row + 12))
    image.save(path, "JPEG", quality=80)
    return path


def pdf_text(data: bytes) -> str:
    reader = PdfReader(io.BytesIO(data))
    return " ".join(" ".join(page.extract_text() for page in reader.pages).split())


def test_the_second_half_from_the_discussions_to_the_documentation(browser, server, tmp_path):
    from playwright.sync_api import expect

    meeting_id, code = server.demo_meeting_in_phase("agenda")
    server.slots_from_now(meeting_id)
    projector = open_projector(browser, server, meeting_id)
    set_phase(projector, "discussions")
    expect(projector.locator("#now .now-topics")).to_be_visible()
    ada = join_by_code(browser, server, code, "Ada Andersson")
    bo = join_by_code(browser, server, code, "Bo Berg")
    cy = join_by_code(browser, server, code, "Cy Carlsson")
    expect(ada.locator("#now .now-topic").first).to_be_visible()
    shoot(projector, "projector-discussions-now-1920x1080")
    shoot(ada, "phone-discussions-390x844", section="#stage")

    # The facilitator prints the signs; B1's sign hangs in room B.
    projector.goto(f"{server.url}/meetings/{meeting_id}/reports/")
    with projector.expect_download() as download:
        projector.click("a[href$='signs.pdf']")
    signs = Path(download.value.path()).read_bytes()
    assert "B1" in pdf_text(signs) and "Godsflöden" in pdf_text(signs)
    if SHOTS:
        pages = tmp_path / "signs"
        (tmp_path / "signs.pdf").write_bytes(signs)
        subprocess.run(
            ["pdftoppm", "-png", "-r", "60", "-f", "2", "-l", "2", tmp_path / "signs.pdf", pages],
            check=True,
        )
        next(tmp_path.glob("signs*.png")).rename(Path(SHOTS) / "signs-pdf-page.png")
    secret = server.query(
        "SELECT s.secret FROM sessions_app_sign s"
        " JOIN sessions_app_topic t ON t.id = s.topic_id"
        " JOIN sessions_app_room r ON r.id = t.room_id"
        " JOIN sessions_app_slot sl ON sl.id = t.slot_id"
        " WHERE r.code = 'B' AND sl.number = 1"
    )[0][0]

    # Ada scans it: the pen is hers, and the address bar no longer holds the secret.
    ada.goto(f"{server.url}/s/{secret}/")
    expect(ada.locator("h1.report-heading")).to_contain_text("B1")
    assert secret not in ada.url
    ada.fill("#field-summary", SUMMARY)
    expect(ada.locator("#state-summary")).to_have_text("Sparat", timeout=ARRIVES_MS)
    ada.set_input_files("#photo", str(photo_file(tmp_path)))
    ada.click(".photo-upload [type=submit]")
    expect(ada.locator(".photo-edit img")).to_have_count(1)
    ada.reload()
    expect(ada.locator("#field-summary")).to_have_value(SUMMARY)  # saved, not only typed
    shoot(ada, "phone-report-390x844")
    ada.click(".back a")
    ada.wait_for_selector(".connection.is-online", timeout=ARRIVES_MS)

    # The vernissage: the projector shows the report as it was written, without a reload.
    projector.goto(f"{server.url}/meetings/{meeting_id}/projector/")
    projector.wait_for_selector(".connection.is-online", timeout=ARRIVES_MS)
    set_phase(projector, "vernissage")
    projector.evaluate("window.notReloaded = true")
    b1 = projector.locator(".report-card", has_text="Godsflöden")
    expect(b1).to_contain_text(SUMMARY)
    expect(b1.locator("img")).to_have_count(1)

    # Bo gives it a dot; the count shows on the projector.
    bo_b1 = bo.locator(".report-card", has_text="Godsflöden")
    bo_b1.locator(".dot-toggle").click()
    expect(bo_b1).to_have_class(re.compile("is-dotted"))
    expect(b1.locator(".dot-count")).to_have_text("1 prick")
    assert projector.evaluate("window.notReloaded") is True
    shoot(projector, "projector-vernissage-1920x1080")
    shoot(bo, "phone-vernissage-390x844", section="#reports")

    # The action plan: Cy adopts the report; Ada and Bo join with a tap.
    set_phase(projector, "action_plan")
    cy.locator(".report-card", has_text="Godsflöden").locator(".adopt").click()
    expect(cy.locator("#raise-title")).to_contain_text("B1")
    cy.fill("#initiative-what", INITIATIVE)
    cy.check("input[name=levels][value=F]")
    cy.check("input[name=levels][value=U]")
    cy.fill("#initiative-when", "Före semestern")
    cy.click("#raise [type=submit]")
    expect(cy.locator("#raise-result")).to_contain_text("handlingsplanen")
    for phone in (ada, bo):
        row = phone.locator(".initiative", has_text=INITIATIVE)
        row.locator(".join-toggle").click()
        expect(row).to_have_class(re.compile("is-joined"))
    plan_row = projector.locator(".initiative", has_text=INITIATIVE)
    expect(plan_row).to_contain_text("Ada Andersson, Umeå kommun")
    expect(plan_row).to_contain_text("Bo Berg, Umeå kommun")
    expect(plan_row.locator(".levels")).to_have_text("F/U")
    expect(projector.locator("#plan .legend")).to_be_visible()
    shoot(projector, "projector-action-plan-1920x1080")
    shoot(ada, "phone-action-plan-390x844", section="#stage")

    # The closing circle: Bo's reflection appears on the projector.
    set_phase(projector, "closing")
    bo.fill("#reflection-text", REFLECTION)
    bo.click("#reflect [type=submit]")
    expect(projector.locator("#closing .reflection", has_text=REFLECTION)).to_be_visible()
    shoot(projector, "projector-closing-1920x1080")
    shoot(bo, "phone-closing-390x844", section="#stage")

    # Closed: every form is gone, and a phone downloads the documentation.
    set_phase(projector, "closed")
    expect(projector.locator("#farewell")).to_contain_text("Tack för i dag!")
    expect(cy.locator("#farewell .documents a")).to_have_count(4)
    expect(cy.locator("#raise")).to_be_hidden()
    expect(cy.locator(".propose")).to_be_hidden()
    shoot(projector, "projector-closed-1920x1080")
    shoot(cy, "phone-closed-390x844", section="#stage")
    with cy.expect_download() as download:
        cy.locator("#farewell a[href$='documentation.pdf']").click()
    text = pdf_text(Path(download.value.path()).read_bytes())
    assert SUMMARY in text
    assert INITIATIVE in text and "Ada Andersson, Umeå kommun" in text
    assert REFLECTION in text
