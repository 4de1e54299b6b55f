"""Time the documentation PDF of the seed meeting: cold renders, cached downloads, and ten
simultaneous downloads of an unchanged meeting.

Run from the project root:  DEBUG=1 .venv/bin/python bench/pdf_render.py
It uses a database and a media folder of its own in a temporary folder, removed at the
end, and touches nothing else.
"""

from __future__ import annotations

import atexit
import io
import os
import shutil
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "openspace.settings")
WORK = Path(tempfile.mkdtemp(prefix="openspace-bench-"))
atexit.register(shutil.rmtree, WORK, ignore_errors=True)
# A file, not ":memory:", so that the download threads share the database.
os.environ["DATABASE_URL"] = f"sqlite:///{WORK / 'bench.sqlite3'}"
os.environ["MEDIA_ROOT"] = str(WORK / "media")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from PIL import Image  # noqa: E402

from sessions_app import pdf  # noqa: E402
from sessions_app.interchange import Bundle, import_document  # noqa: E402
from sessions_app.models import Meeting, Report, ReportPhoto  # noqa: E402

SEED = ROOT / "sessions_app" / "demo" / "larandetraff-4.json"
ROUNDS = 5


def timed(action) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def summary(label: str, seconds: list[float]) -> str:
    return (
        f"{label}: median {statistics.median(seconds) * 1000:.0f} ms, "
        f"min {min(seconds) * 1000:.0f} ms, max {max(seconds) * 1000:.0f} ms (n={len(seconds)})"
    )


def fresh(meeting: Meeting) -> Meeting:
    return Meeting.objects.get(pk=meeting.pk)


def add_photo_reports(meeting: Meeting) -> None:
    """Give every placed topic a report with two 1600×1200 JPEG photos."""
    from django.core.files.base import ContentFile

    for index, topic in enumerate(meeting.topics.all()):
        report = Report.objects.create(
            topic=topic,
            participants=["Anna", "Bo", "Cecilia"],
            summary="Vi pratade om vad som behövs. " * 8,
            insights=["Träffas oftare", "Dela erfarenheter"],
            next_steps=["Starta ett nätverk"],
        )
        for n in range(2):
            buffer = io.BytesIO()
            extent = (-2.0 + index * 0.05, -1.2, 1.0, 1.2)
            fractal = Image.effect_mandelbrot((1600, 1200), extent, 60 + n * 20)
            fractal.convert("RGB").save(buffer, "JPEG", quality=85)
            photo = ReportPhoto(report=report, caption=f"Rapportblad {n + 1}", position=n)
            photo.image.save(f"t{topic.pk}-{n}.jpg", ContentFile(buffer.getvalue()), save=False)
            photo.save()


def loop_lag(meeting: Meeting | None) -> list[float]:
    """How late an event loop's 10 ms timer fires, while a PDF renders in a thread or not.

    This is what a Daphne process serving websockets feels while a sync download view
    lays out a PDF in its worker thread: WeasyPrint is Python, so it shares the GIL.
    """
    import asyncio

    async def measure() -> list[float]:
        done = threading.Event()
        if meeting is not None:
            worker = threading.Thread(target=lambda: (pdf.render_proceedings(meeting), done.set()))
            worker.start()
        else:
            threading.Timer(0.8, done.set).start()
        lags = []
        while not done.is_set():
            started = time.perf_counter()
            await asyncio.sleep(0.01)
            lags.append(time.perf_counter() - started - 0.01)
        return lags

    return asyncio.run(measure())


def main() -> None:
    call_command("migrate", verbosity=0)
    document = __import__("json").loads(SEED.read_text(encoding="utf-8"))
    meeting = import_document(Bundle(document=document))

    pdf.render_proceedings(fresh(meeting))  # warm up imports and fonts
    cold = [timed(lambda: pdf.render_proceedings(fresh(meeting))) for _ in range(ROUNDS)]
    size = len(pdf.proceedings_pdf(fresh(meeting)))
    cached = [timed(lambda: pdf.proceedings_pdf(fresh(meeting))) for _ in range(ROUNDS * 4)]

    meeting.bump_revision()
    renders = []
    real = pdf.render_proceedings

    def counted(m, **kwargs):
        renders.append(1)
        return real(m, **kwargs)

    pdf.render_proceedings = counted
    barrier = threading.Barrier(10)
    target = fresh(meeting)

    def download() -> None:
        barrier.wait()
        pdf.proceedings_pdf(target)

    threads = [threading.Thread(target=download) for _ in range(10)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    ten = time.perf_counter() - started
    pdf.render_proceedings = real

    lag_idle, lag_rendering = loop_lag(None), loop_lag(fresh(meeting))

    add_photo_reports(meeting)
    with_photos = [timed(lambda: pdf.render_proceedings(fresh(meeting))) for _ in range(3)]
    photo_size = len(pdf.render_proceedings(fresh(meeting)))

    print(
        f"Python {sys.version.split()[0]}, Django {django.get_version()}, "
        f"WeasyPrint {__import__('weasyprint').__version__}"
    )
    print(summary("seed PDF, cold render", cold) + f", {size // 1024} KB")
    print(summary("seed PDF, cached download", cached))
    print(
        f"ten simultaneous downloads of a new revision: {ten * 1000:.0f} ms, "
        f"{len(renders)} render(s)"
    )
    print(summary("event-loop timer lateness, idle", lag_idle))
    print(
        summary("event-loop timer lateness, while the seed PDF renders in a thread", lag_rendering)
    )
    print(
        summary("seed + 8 reports with 2 photos of 1600×1200 each, cold render", with_photos)
        + f", {photo_size // 1024} KB"
    )


if __name__ == "__main__":
    main()
