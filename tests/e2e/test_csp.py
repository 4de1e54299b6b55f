"""The Content-Security-Policy in Chromium: every kind of page works under it, untouched.

The server runs the real settings, so every journey in tests/e2e runs under the policy.
Here each browser also listens for what the policy refuses (the `securitypolicyviolation`
event and Chromium's console message), and a journey fails on the first one.
"""

from __future__ import annotations

import pytest

from sessions_app.models import Meeting

from .support import ARRIVES_MS, PHONE, PROJECTOR, log_in, set_phase

pytestmark = pytest.mark.e2e

DESKTOP = {"viewport": {"width": 1280, "height": 800}}

REPORT_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (event) => {
  window.reportViolation(
    `${event.violatedDirective} refused ${event.blockedURI || "inline"} ` +
    `at ${event.sourceFile}:${event.lineNumber} on ${document.location.pathname}`
  );
});
"""


@pytest.fixture
def watch(browser):
    """watch(**context options): a browser context whose policy violations are recorded
    in the list it is returned with."""
    contexts = []

    def open_context(**options):
        context = browser.new_context(**options)
        refused: list[str] = []
        context.expose_binding("reportViolation", lambda source, text: refused.append(text))
        context.add_init_script(REPORT_VIOLATIONS)
        context.on(
            "console",
            lambda message: (
                refused.append(message.text) if "Content Security Policy" in message.text else None
            ),
        )
        contexts.append(context)
        return context, refused

    yield open_context
    for context in contexts:
        context.close()


def _join(page, server, code: str, name: str) -> None:
    page.goto(f"{server.url}/join/")
    page.fill("input[name=code]", code)
    page.click("button[type=submit]")
    page.fill("input[name=name]", name)
    page.fill("input[name=organization]", "Umeå kommun")
    page.click("button[type=submit]")
    page.wait_for_selector(".connection.is-online", timeout=ARRIVES_MS)


def test_the_policy_is_enforced_and_strict(browser, server):
    context = browser.new_context()
    response = context.new_page().goto(f"{server.url}/join/")
    headers = response.headers
    context.close()

    policy = headers["content-security-policy"]
    assert "content-security-policy-report-only" not in headers
    assert "script-src 'self' 'nonce-" in policy and "style-src 'self';" in policy
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy


def test_the_watch_sees_what_the_policy_refuses(watch, server):
    context, refused = watch()
    page = context.new_page()
    page.goto(f"{server.url}/join/")

    page.evaluate(
        """() => document.body.insertAdjacentHTML(
            "beforeend", '<p style="color: red">inline</p><img src="https://example.org/x.png">'
        )"""
    )

    page.wait_for_timeout(500)
    assert any("style-src-attr" in line for line in refused)
    assert any("img-src" in line and "example.org" in line for line in refused)


def test_the_projector_changes_phase_under_the_policy(watch, server):
    from playwright.sync_api import expect

    meeting_id, _code = server.demo_meeting_in_phase(Meeting.Phase.OPENING)
    context, refused = watch(**PROJECTOR)
    page = context.new_page()
    log_in(page, server)
    page.goto(f"{server.url}/meetings/{meeting_id}/projector/")
    page.wait_for_selector(".connection.is-online", timeout=ARRIVES_MS)

    set_phase(page, "agenda")

    expect(page.locator("#stage [data-phase]")).to_have_attribute("data-phase", "agenda")
    assert server.query("SELECT phase FROM sessions_app_meeting WHERE id = ?", meeting_id) == [
        ("agenda",)
    ]
    assert refused == []


def test_a_phone_joins_and_marks_interest_under_the_policy(watch, server):
    from playwright.sync_api import expect

    _meeting_id, code = server.demo_meeting_in_phase(Meeting.Phase.AGENDA)
    context, refused = watch(**PHONE)
    page = context.new_page()
    _join(page, server, code, "CSP Phone")

    toggle = page.locator("#cell-B3 .interest-toggle")
    toggle.click()

    expect(toggle).to_have_attribute("aria-pressed", "true")
    expect(page.locator("#cell-B3 .interest-count")).to_have_attribute("data-count", "1")
    page.fill("#new-title", "Vem tar hand om cyklarna?")
    page.click(".propose [type=submit]")
    expect(page.locator(".my-topic", has_text="Vem tar hand om cyklarna?")).to_be_visible()
    assert refused == []


def test_setup_adds_a_room_row_under_the_policy(watch, server):
    from playwright.sync_api import expect

    meeting_id, _code = server.demo_meeting()
    context, refused = watch(**DESKTOP)
    page = context.new_page()
    log_in(page, server)
    page.goto(f"{server.url}/meetings/{meeting_id}/rooms/")
    rows = page.locator("[data-formset=rooms] .setup-row")
    before = rows.count()

    page.click("[data-add-form=rooms]")

    expect(rows).to_have_count(before + 1)
    expect(page.locator(f"#id_rooms-{before}-code")).to_be_focused()
    assert refused == []


def test_the_admin_opens_a_change_form_and_adds_an_inline_row_under_the_policy(watch, server):
    from playwright.sync_api import expect

    meeting_id, _code = server.demo_meeting()
    context, refused = watch(**DESKTOP)
    page = context.new_page()
    page.goto(f"{server.url}/admin/login/?next=/admin/")
    page.fill("input[name=username]", "facilitator")
    page.fill("input[name=password]", "open-space-demo")
    page.click("input[type=submit]")
    page.wait_for_url(f"{server.url}/admin/")
    page.goto(f"{server.url}/admin/sessions_app/meeting/{meeting_id}/change/")
    rooms = page.locator("#rooms-group tbody tr.form-row:not(.empty-form)")
    before = rooms.count()

    page.locator("#rooms-group .add-row a").click()

    expect(rooms).to_have_count(before + 1)
    assert page.locator("#meeting_form").is_visible()
    assert refused == []


def test_every_page_loads_under_the_policy(watch, server):
    meeting_id, code = server.demo_meeting_in_phase(Meeting.Phase.AGENDA)
    desk, refused = watch(**DESKTOP)
    page = desk.new_page()
    for path in ("/accounts/login/", "/join/", f"/j/{code}/"):
        page.goto(server.url + path)
    log_in(page, server)
    for path in (
        "/",
        f"/meetings/{meeting_id}/",
        f"/meetings/{meeting_id}/edit/",
        f"/meetings/{meeting_id}/slots/",
        f"/meetings/{meeting_id}/reports/",
        f"/meetings/{meeting_id}/plan/",
        "/admin/",
        "/admin/sessions_app/topic/",
    ):
        page.goto(server.url + path)
        page.wait_for_load_state("networkidle")
    phone_context, phone_refused = watch(**PHONE)
    phone = phone_context.new_page()
    _join(phone, server, code, "CSP Sweep Phone")
    for phase in Meeting.Phase.values:
        server.demo_meeting_in_phase(phase)
        for screen, path in (
            (page, f"/meetings/{meeting_id}/projector/"),
            (phone, f"/m/{meeting_id}/"),
        ):
            screen.goto(server.url + path)
            screen.wait_for_selector(".connection.is-online", timeout=ARRIVES_MS)
            screen.wait_for_load_state("networkidle")

    assert refused == [] and phone_refused == []
