"""The browser journeys' fixtures: one server and one Chromium per test module."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from .support import ARRIVES_MS, CHROMIUM, CHROMIUM_ARGS, Server, require_browser, serving

AUDIT_KEY = pytest.StashKey[list[str]]()


@pytest.fixture(scope="session")
def demo_database(tmp_path_factory) -> Path:
    """The database migrated and with the demo meeting, made once for the whole run: each
    module's server starts from a copy of it."""
    require_browser()
    made = Server(tmp_path_factory.mktemp("demo"))
    made.prepare()
    return made.database


@pytest.fixture(scope="module")
def server(tmp_path_factory, demo_database) -> Iterator[Server]:
    with serving(tmp_path_factory.mktemp("live"), demo_database) as server:
        yield server


@pytest.fixture(scope="module")
def browser(server):
    from playwright.sync_api import expect, sync_playwright

    # Wait long for what must come, and fail only when it never does: a test here asserts
    # that a change arrives, not how fast (bench/live_latency.py measures that).
    expect.set_options(timeout=ARRIVES_MS)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def audit_report(request) -> list[str]:
    """Lines for the audit's summary at the end of the run (moderate and minor findings)."""
    return request.config.stash.setdefault(AUDIT_KEY, [])


def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:
    lines = config.stash.get(AUDIT_KEY, [])
    if lines:
        terminalreporter.section("accessibility audit")
        for line in lines:
            terminalreporter.write_line(line)
