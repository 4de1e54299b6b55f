"""What the benchmarks share: the code under test, its database, Redis, Daphne, and figures.

Everything runs on 127.0.0.1 and is stopped by process id when the benchmark ends, also
on Ctrl-C or an error. A benchmark measures the checkout it lives in ("now") and, when
asked, a git revision extracted into a temporary folder ("baseline"), each against a
database of its own, so both are measured in the same run under the same load.
"""

from __future__ import annotations

import argparse
import contextlib
import html
import io
import json
import os
import re
import resource
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
POSTGRES_URL = os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres")
DEMO_LOGIN = {"username": "facilitator", "password": "open-space-demo"}
# Connections the kernel queues for each Daphne until it accepts them.
LISTEN_BACKLOG = 2048
# The demo meeting of `load_demo` (the seed): its series and number find it in any revision.
DEMO_SERIES, DEMO_NUMBER = "Leda omställning tillsammans", 4


def log(message: str) -> None:
    """Progress goes to stderr; stdout carries the one JSON line."""
    print(message, file=sys.stderr, flush=True)


def stop_on_sigterm() -> None:
    """Let SIGTERM unwind like Ctrl-C, so that every `finally` stops what it started."""

    def interrupt(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupt)


def raise_open_files_limit() -> None:
    """Thousands of sockets need more descriptors than the usual soft limit of 1024."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


# --- figures ---------------------------------------------------------------------------


def percentile(values: list[float], fraction: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, round(fraction * len(ordered)) - 1))]


def spread(values: list[float], digits: int = 1) -> dict:
    """Median, p95 and max of a list of figures, rounded."""
    if not values:
        return {"n": 0}
    return {
        "median": round(statistics.median(values), digits),
        "p95": round(percentile(values, 0.95), digits),
        "max": round(max(values), digits),
        "n": len(values),
    }


def load_average() -> list[float]:
    return [float(part) for part in Path("/proc/loadavg").read_text().split()[:3]]


def machine() -> dict:
    model = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        "unknown",
    )
    return {"nproc": os.cpu_count(), "cpu": model}


def rss_kib(pid: int) -> int:
    """Resident memory of a process, from /proc/<pid>/status."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for process {pid}")


def cpu_seconds(pid: int) -> float:
    """User and system CPU time a process has used, from /proc/<pid>/stat."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def revision_of(tree: Path, rev: str | None) -> str:
    """The commit measured; "+changes" when the checkout differs from it."""
    name = subprocess.run(
        ["git", "-C", str(ROOT), "rev-parse", "--short", rev or "HEAD"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    if rev is None:
        dirty = subprocess.run(
            ["git", "-C", str(tree), "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        if dirty:
            name += "+changes"
    return name


def report(benchmark: str, arguments: dict, started_load: list[float], **figures) -> None:
    """Print the benchmark's one JSON line."""
    line = {
        "benchmark": benchmark,
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        **machine(),
        **arguments,
        "load_before": started_load,
        "load_after": load_average(),
        **figures,
    }
    print(json.dumps(line, ensure_ascii=False), flush=True)


def server_arguments(parser: argparse.ArgumentParser) -> None:
    """What every benchmark of the Daphne servers is asked: how many, over which layer and
    database, and which revision to measure beside this checkout."""
    parser.add_argument("--processes", type=int, default=1, help="Daphne processes")
    parser.add_argument("--layer", choices=["memory", "redis"], help="default: memory for 1")
    parser.add_argument("--db", choices=["postgres", "sqlite"], default="postgres")
    parser.add_argument("--baseline", metavar="REV", help="also measure this git revision")


def parsed(parser: argparse.ArgumentParser) -> argparse.Namespace:
    """The arguments, with the layer that the number of processes needs."""
    args = parser.parse_args()
    args.layer = args.layer or ("memory" if args.processes == 1 else "redis")
    if args.processes > 1 and args.layer == "memory":
        parser.error("several processes share nothing without --layer redis")
    return args


def run(benchmark: str, measure: Callable, args: argparse.Namespace, arguments: dict) -> None:
    """Measure this checkout, and the baseline when asked, then print the one JSON line."""
    stop_on_sigterm()
    raise_open_files_limit()
    started_load = load_average()
    figures = {"now": measure(None, args)}
    if args.baseline:
        figures["baseline"] = measure(args.baseline, args)
    report(benchmark, arguments, started_load, **figures)


# --- processes ---------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for_port(port: int, process: subprocess.Popen, logfile: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"process {process.pid} exited:\n{tail(logfile)}")
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise RuntimeError(f"nothing listened on {port} within {timeout:.0f} s:\n{tail(logfile)}")


def tail(logfile: Path, lines: int = 30) -> str:
    if not logfile.exists():
        return ""
    return "\n".join(logfile.read_text(errors="replace").splitlines()[-lines:])


def stop(process: subprocess.Popen) -> None:
    """Stop one process we started, by its id: terminate, then kill if it lingers."""
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


@contextlib.contextmanager
def started(command: list[str], *, cwd: Path, env: dict, logfile: Path) -> Iterator:
    with logfile.open("ab") as out:
        process = subprocess.Popen(
            command, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=out, stderr=out
        )
    try:
        yield process
    finally:
        stop(process)


@contextlib.contextmanager
def workdir() -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix="openspace-bench-"))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


# --- what is measured ----------------------------------------------------------------------


@contextlib.contextmanager
def source_tree(rev: str | None) -> Iterator[Path]:
    """The code to measure: this checkout, or a revision extracted into a temporary folder."""
    if rev is None:
        yield ROOT
        return
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", "--format=tar", rev], capture_output=True, check=True
    ).stdout
    with workdir() as folder:
        with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
            tar.extractall(folder, filter="data")
        yield folder


@contextlib.contextmanager
def database(kind: str, folder: Path) -> Iterator[str]:
    """A database of the benchmark's own: a new PostgreSQL database, or a SQLite file."""
    if kind == "sqlite":
        yield f"sqlite:///{folder / 'bench.sqlite3'}"
        return
    import psycopg

    name = f"openspace_bench_{os.getpid()}_{secrets.token_hex(3)}"
    with psycopg.connect(POSTGRES_URL, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield POSTGRES_URL.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with psycopg.connect(POSTGRES_URL, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextlib.contextmanager
def redis(folder: Path) -> Iterator[str]:
    """A Redis of the benchmark's own on a spare port, keeping nothing on disk."""
    port = free_port()
    logfile = folder / f"redis-{port}.log"
    command = ["redis-server", "--port", str(port), "--bind", "127.0.0.1"]
    command += ["--save", "", "--appendonly", "no", "--dir", str(folder)]
    with started(command, cwd=folder, env=dict(os.environ), logfile=logfile) as process:
        wait_for_port(port, process, logfile)
        yield f"redis://127.0.0.1:{port}/0"


def server_environment(folder: Path, database_url: str, redis_url: str | None) -> dict:
    """How the app is configured for a benchmark: production settings on loopback."""
    environment = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DATABASE_URL", "REDIS_URL", "DEBUG", "DJANGO_SETTINGS_MODULE"}
    }
    environment |= {
        "DJANGO_SETTINGS_MODULE": "openspace.settings",
        "SECRET_KEY": "bench-only",
        "DEBUG": "0",
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_COOKIES": "0",
        "LOG_LEVEL": "WARNING",
        "DATABASE_URL": database_url,
        "MEDIA_ROOT": str(folder / "media"),
        # A benchmark is a thousand phones behind one address: its limits are raised.
        "THROTTLE_WRONG_CODES": "100000/m",
        "THROTTLE_JOINS": "100000/m",
        "THROTTLE_DRAFTS": "100000/m",
        "THROTTLE_LOGINS": "100000/m",
        "THROTTLE_INITIATIVES": "100000/m",
        "THROTTLE_REFLECTIONS": "100000/m",
    }
    if redis_url:
        environment["REDIS_URL"] = redis_url
    return environment


def manage(tree: Path, environment: dict, *arguments: str) -> str:
    result = subprocess.run(
        [PYTHON, "manage.py", *arguments],
        cwd=tree,
        env=environment,
        capture_output=True,
        text=True,
    )
    if result.returncode:
        raise RuntimeError(f"manage.py {' '.join(arguments)} failed:\n{result.stderr[-3000:]}")
    return result.stdout


# Runs inside the measured revision (`manage.py shell`), so it may use only what every
# revision has: the models and identity.remember.
PARTICIPANTS_SCRIPT = """
import json
from django.contrib.sessions.backends.db import SessionStore
from django.db import transaction
from sessions_app.identity import remember
from sessions_app.models import Meeting, Participant

meeting = Meeting.objects.get(series__title={series!r}, number={number})
sessions = []
with transaction.atomic():
    people = Participant.objects.bulk_create(
        Participant(meeting=meeting, name=f"Phone {{n}}", organization="Bench")
        for n in range({count})
    )
    for person in people:
        session = SessionStore()
        remember(session, person)
        session.create()
        sessions.append(session.session_key)
print("BENCH " + json.dumps({{"meeting": meeting.pk, "sessions": sessions}}))
"""


def prepare(tree: Path, environment: dict, *, participants: int = 0) -> dict:
    """Migrate, load the demo meeting and its facilitator, collect static files.

    With `participants`, also make that many joined participants, each with a browser
    session, straight in the database (joining a thousand over HTTP takes minutes).
    """
    manage(tree, environment, "migrate", "--no-input", "-v0")
    # The demo facilitator is made only with DEBUG; the database is the same.
    manage(tree, environment | {"DEBUG": "1"}, "load_demo", "-v0")
    manage(tree, environment, "collectstatic", "--no-input", "-v0")
    script = PARTICIPANTS_SCRIPT.format(series=DEMO_SERIES, number=DEMO_NUMBER, count=participants)
    output = manage(tree, environment, "shell", "-c", script)
    line = next(line for line in output.splitlines() if line.startswith("BENCH "))
    return json.loads(line.removeprefix("BENCH "))


@dataclass
class Server:
    port: int
    process: subprocess.Popen
    logfile: Path

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"


@contextlib.contextmanager
def daphnes(tree: Path, environment: dict, count: int, folder: Path) -> Iterator[list[Server]]:
    """Daphne processes serving the tree's app, started the way the README deploys it."""
    with contextlib.ExitStack() as stack:
        servers = []
        for _ in range(count):
            port = free_port()
            logfile = folder / f"daphne-{port}.log"
            # Twisted listens with a backlog of 50: a restart's thousand phones would
            # overflow it, and the kernel drops what does not fit (README, Deployment).
            endpoint = f"tcp:port={port}:interface=127.0.0.1:backlog={LISTEN_BACKLOG}"
            command = [PYTHON, "-m", "daphne", "-e", endpoint, "openspace.asgi:application"]
            process = stack.enter_context(
                started(command, cwd=tree, env=environment, logfile=logfile)
            )
            servers.append(Server(port, process, logfile))
        for server in servers:
            wait_for_port(server.port, server.process, server.logfile)
        yield servers


@dataclass
class Target:
    """One revision under test, prepared: its code, database and channel layer."""

    revision: str
    tree: Path
    folder: Path
    environment: dict
    processes: int
    meeting_id: int
    sessions: list[str]
    servers: list[Server] = field(default_factory=list)

    @contextlib.contextmanager
    def serve(self) -> Iterator[list[Server]]:
        """Fresh Daphne processes for this revision, stopped when the block ends."""
        with daphnes(self.tree, self.environment, self.processes, self.folder) as servers:
            self.servers = servers
            ports = [server.port for server in servers]
            log(f"[{self.revision}] Daphne on {ports}")
            try:
                yield servers
            finally:
                self.servers = []


@contextlib.contextmanager
def prepared(
    rev: str | None, *, db: str, processes: int, layer: str, participants: int = 0
) -> Iterator[Target]:
    """Extract and prepare one revision; remove everything afterwards."""
    with contextlib.ExitStack() as stack:
        tree = stack.enter_context(source_tree(rev))
        folder = stack.enter_context(workdir())
        database_url = stack.enter_context(database(db, folder))
        redis_url = stack.enter_context(redis(folder)) if layer == "redis" else None
        environment = server_environment(folder, database_url, redis_url)
        revision = revision_of(tree, rev)
        log(f"[{revision}] preparing the database ({db}) and {participants} participants")
        made = prepare(tree, environment, participants=participants)
        yield Target(
            revision, tree, folder, environment, processes, made["meeting"], made["sessions"]
        )


@contextlib.contextmanager
def running(
    rev: str | None, *, db: str, processes: int, layer: str, participants: int = 0
) -> Iterator[Target]:
    """Extract, prepare and serve one revision; stop and remove everything afterwards."""
    with (
        prepared(rev, db=db, processes=processes, layer=layer, participants=participants) as target,
        target.serve(),
    ):
        yield target


# --- reading pages ---------------------------------------------------------------------


def attribute(page: str, name: str) -> str:
    """The first value of an HTML attribute on a page, unescaped."""
    found = re.search(rf'{re.escape(name)}="([^"]*)"', page)
    if found is None:
        raise RuntimeError(f"the page has no {name} attribute")
    return html.unescape(found.group(1))


def csrf_header(page: str) -> str:
    """The CSRF token a page gives htmx in its body's hx-headers."""
    found = re.search(r"hx-headers='([^']*)'", page)
    if found is None:
        raise RuntimeError("the page has no hx-headers")
    return json.loads(html.unescape(found.group(1)))["X-CSRFToken"]


def path_of(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def cells(page: str) -> dict[str, dict]:
    """The wall's cells on a page: code → slot id, room id and the topic in it, if any."""
    found = {}
    pattern = re.compile(r'<td class="cell[^"]*" id="cell-([^"]+)"([^>]*)>(.*?)</td>', re.S)
    for code, attributes, content in pattern.findall(page):
        topic = re.search(r'data-topic="(\d+)"', content)
        found[code] = {
            "slot": re.search(r'data-slot="(\d+)"', attributes).group(1),
            "room": re.search(r'data-room="(\d+)"', attributes).group(1),
            "topic": topic.group(1) if topic else None,
        }
    return found


def topic_in_cell(message: str, topic: str, code: str) -> bool:
    """Whether a message shows this topic's card in this cell."""
    start = message.find(f'id="cell-{code}"')
    if start < 0:
        return False
    end = message.find("</td>", start)
    return f'data-topic="{topic}"' in message[start:end]


# --- clients ---------------------------------------------------------------------------


@dataclass
class Phone:
    """A participant's browser after joining: its cookies and what its page says."""

    page: str
    me: str
    cookie: str
    csrf: str
    socket: str
    propose: str


async def join_over_http(base: str, join_path: str, name: str) -> Phone:
    """Join as a phone does: open the join URL, give a name, follow to the phone page."""
    import httpx

    # As long as the facilitator waits: a slow server (the stock baseline, fifty joins at
    # once on a slow machine) takes more than httpx's 5 s, and its join time is a figure.
    async with httpx.AsyncClient(
        base_url=base, follow_redirects=True, trust_env=False, timeout=60
    ) as client:
        form = await client.get(join_path)
        answer = await client.post(
            form.url,
            data={"name": name, "organization": "Bench"},
            headers={"X-CSRFToken": csrf_header(form.text)},
        )
        page = answer.text
        if answer.status_code != 200 or "ws-connect" not in page:
            raise RuntimeError(f"joining as {name} did not reach the phone page ({answer.url})")
        propose = re.search(r'action="([^"]+)"[^>]*class="[^"]*\bpropose\b', page)
        return Phone(
            page=path_of(str(answer.url)),
            me=attribute(page, "data-me"),
            cookie="; ".join(f"{key}={value}" for key, value in client.cookies.items()),
            csrf=csrf_header(page),
            socket=attribute(page, "ws-connect"),
            propose=html.unescape(propose.group(1)) if propose else "",
        )


async def open_socket(port: int, path: str, cookie: str, *, timeout: float = 30, **options):
    """A websocket to one server as a browser opens it: with its cookie and origin."""
    from websockets.asyncio.client import connect

    return await connect(
        f"ws://127.0.0.1:{port}{path}",
        additional_headers={"Cookie": cookie},
        origin=f"http://127.0.0.1:{port}",
        max_size=2**22,
        open_timeout=timeout,
        ping_interval=None,
        proxy=None,
        **options,
    )
