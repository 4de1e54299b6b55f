"""What the browser journeys share: a real server in a subprocess, and how people reach it.

Daphne serves the project from a subprocess with its own SQLite database and the demo
meeting, so the browsers exercise HTTP, websockets, static files and the channel layer
exactly as a deployment does. The fixtures that start it are in conftest.py.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import socket
import sqlite3
import subprocess
import sys
import time
import zoneinfo
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path(os.environ.get("CHROMIUM", "/usr/bin/chromium"))
# The meetings' clock of the server under test (its TIME_ZONE), set rather than inherited.
TIME_ZONE = "Europe/Stockholm"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-gpu",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PHONE = {
    "viewport": {"width": 390, "height": 844},
    "is_mobile": True,
    "has_touch": True,
    "timezone_id": "UTC",
}
PROJECTOR = {"viewport": {"width": 1920, "height": 1080}}
FACILITATOR = ("facilitator", "open-space-demo")
DEMO_TITLE = "Lärandeträff 4"
# How long to wait for something that must arrive. Generous: a busy 2-core machine can
# be slow, and a test fails only when a change never arrives, not when it is late.
ARRIVES_MS = 15_000


def require(present: bool, message: str) -> None:
    """Skip a journey whose tool is missing, except in CI, where every journey must run."""
    if present:
        return
    if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
        pytest.fail(message + " (CI must run the browser journeys)")
    pytest.skip(message)


def require_browser() -> None:
    require(CHROMIUM.exists(), f"needs Chromium at {CHROMIUM}")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """Daphne serving the project in a subprocess; it can be stopped and started again."""

    def __init__(self, folder: Path) -> None:
        self.database = folder / "db.sqlite3"
        self.log = folder / "daphne.log"
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen | None = None
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "openspace.settings",
            # DEBUG serves static files from the app folders and creates the demo login.
            "DEBUG": "1",
            "SECRET_KEY": "e2e-only-not-secret",
            "DATABASE_URL": f"sqlite:///{self.database}",
            "MEDIA_ROOT": str(folder / "media"),
            "ALLOWED_HOSTS": "127.0.0.1",
            "LOG_LEVEL": "WARNING",
            "TIME_ZONE": TIME_ZONE,
        }
        self.env.pop("REDIS_URL", None)  # one process: the in-memory layer is enough

    def prepare(self, demo: Path | None = None) -> None:
        """Give the server its database, migrated and with the demo meeting: a copy of
        `demo` (the database of a server prepared before) when given, which spares two
        starts of Django, else made here."""
        if demo is not None:
            # SQLite's backup, not a file copy: it carries what is still in the WAL file.
            with sqlite3.connect(demo) as source, sqlite3.connect(self.database) as copy:
                source.backup(copy)
            return
        subprocess.run([*self.manage, "migrate", "-v0"], env=self.env, cwd=ROOT, check=True)
        subprocess.run(
            [*self.manage, "load_demo"], env=self.env, cwd=ROOT, check=True, capture_output=True
        )

    @property
    def manage(self) -> list[str]:
        return [sys.executable, str(ROOT / "manage.py")]

    def run_script(self, script: Path) -> int:
        """Run a script of tests/e2e in `manage.py shell`; it prints a meeting's id last."""
        shell = [*self.manage, "shell", "-c", script.read_text()]
        done = subprocess.run(shell, env=self.env, cwd=ROOT, check=True, capture_output=True)
        return int(done.stdout.split()[-1])

    def start(self) -> None:
        command = [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(self.port)]
        with self.log.open("a") as log:
            self.process = subprocess.Popen(
                [*command, "openspace.asgi:application"],
                env=self.env,
                cwd=ROOT,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(self.log.read_text()) from None
                time.sleep(0.05)

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None

    def query(self, sql: str, *params) -> list[tuple]:
        with sqlite3.connect(self.database) as connection:
            return connection.execute(sql, params).fetchall()

    def demo_meeting(self) -> tuple[int, str]:
        """The demo meeting's id and join code."""
        rows = self.query(
            "SELECT id, join_code FROM sessions_app_meeting WHERE title = ?", DEMO_TITLE
        )
        return rows[0]

    def demo_meeting_in_phase(self, phase: str) -> tuple[int, str]:
        """The demo meeting, moved to this phase first: a journey does not depend on the last."""
        meeting = self.demo_meeting()
        self.move_to_phase(meeting[0], phase)
        return meeting

    def slots_from_now(self, meeting_id: int) -> None:
        """Move the meeting's slots, in their order, so that the first started five minutes
        ago on the server's clock: what the pages call "now" does not depend on the hour
        the test runs at. Late in the evening the slots are shortened to end by midnight."""
        now = dt.datetime.now(zoneinfo.ZoneInfo(TIME_ZONE)).replace(second=0, microsecond=0)
        day = now.replace(hour=0, minute=0)
        start = max(day, now - dt.timedelta(minutes=5))
        slots = self.query(
            "SELECT id FROM sessions_app_slot WHERE meeting_id = ? ORDER BY number", meeting_id
        )
        left = day + dt.timedelta(hours=23, minutes=59) - start
        length = max(dt.timedelta(minutes=1), min(dt.timedelta(minutes=25), left / len(slots)))
        for index, (slot_id,) in enumerate(slots):
            starts = start + index * length
            self.query(
                "UPDATE sessions_app_slot SET starts = ?, ends = ? WHERE id = ?",
                starts.strftime("%H:%M:%S"),
                (starts + length).strftime("%H:%M:%S"),
                slot_id,
            )
        self.query(
            "UPDATE sessions_app_meeting SET revision = revision + 1,"
            " live_revision = live_revision + 1 WHERE id = ?",
            meeting_id,
        )

    def move_to_phase(self, meeting_id: int, phase: str) -> None:
        """Set a meeting's phase behind the app's back, raising its live revision as the
        app's own writes do, so that live pages and the server's cached state follow."""
        self.query(
            "UPDATE sessions_app_meeting SET phase = ?, live_revision = live_revision + 1"
            " WHERE id = ?",
            phase,
            meeting_id,
        )


@contextlib.contextmanager
def serving(folder: Path, demo: Path, **settings: str) -> Iterator[Server]:
    """A server in this folder, on a copy of the demo database and with these settings
    in its environment, stopped when the block ends."""
    require_browser()
    server = Server(folder)
    server.env.update(settings)
    server.prepare(demo)
    server.start()
    try:
        yield server
    finally:
        server.stop()


def log_in(page, server: Server) -> None:
    """Log the page's browser in as the demo facilitator."""
    page.goto(f"{server.url}/accounts/login/")
    page.fill("input[name=username]", FACILITATOR[0])
    page.fill("input[name=password]", FACILITATOR[1])
    page.click("form [type=submit]")
    page.wait_for_url(f"{server.url}/")


def open_projector(browser, server: Server, meeting_id: int, *, width=1920, height=1080):
    """A facilitator's projector page, logged in and connected."""
    page = browser.new_context(viewport={"width": width, "height": height}).new_page()
    log_in(page, server)
    page.goto(f"{server.url}/meetings/{meeting_id}/projector/")
    page.wait_for_selector(".connection.is-online", timeout=ARRIVES_MS)
    return page


def join_by_code(browser, server: Server, code: str, name: str, width: int = 390, **options):
    """A phone that typed the join code and said who it is, connected to the meeting;
    `options` go to its browser context."""
    viewport = {"width": width, "height": 844}
    page = browser.new_context(**{**PHONE, "viewport": viewport, **options}).new_page()
    page.goto(f"{server.url}/join/")
    page.fill("input[name=code]", code.lower())
    page.click("button[type=submit]")
    page.fill("input[name=name]", name)
    page.fill("input[name=organization]", "Umeå kommun")
    page.click("button[type=submit]")
    page.wait_for_selector(".connection.is-online", timeout=ARRIVES_MS)
    return page


def confirm(page, *, answer: str = "yes") -> None:
    """Answer the projector's in-page question (a swap, a withdrawal, a change of phase)."""
    dialog = page.locator("#confirm")
    dialog.wait_for(state="visible")
    dialog.locator(f"button[value={answer}]").click()
    dialog.wait_for(state="hidden")


def set_phase(page, phase: str) -> None:
    """On the projector: choose the phase, and confirm it."""
    page.click(f"#phase-control button[value={phase}]")
    confirm(page)
