"""HTTP under the ASGI server: each request runs on one of a fixed set of threads, ordinary
requests on one lane and those of routes marked slow on another."""

from __future__ import annotations

import asyncio
import threading

import pytest
from asgiref.sync import iscoroutinefunction
from asgiref.testing import ApplicationCommunicator
from channels.testing import HttpCommunicator
from django.core.signals import request_finished, request_started
from django.db import connections
from django.urls import path, resolve, reverse

from openspace import http
from openspace.http import ThreadedASGIHandler, is_slow, slow
from sessions_app.models import Meeting

pytestmark = pytest.mark.django_db(transaction=True)

seen_threads: list[str] = []
release = threading.Event()


def where(request):
    """Answer with the name of the thread that serves the request, and its meeting count."""
    from django.http import HttpResponse

    seen_threads.append(threading.current_thread().name)
    if request.GET.get("wait"):
        release.wait(10)
    return HttpResponse(f"{threading.current_thread().name} {Meeting.objects.count()}")


def streamed(request):
    """An answer streamed in parts, as a file is."""
    from django.http import StreamingHttpResponse

    async def parts():
        for number in range(3):
            events.append(("part", threading.current_thread().name))
            yield f"part {number};"

    return StreamingHttpResponse(parts())


def broken(request):
    raise RuntimeError("a view that fails")


def a_file(request):
    from django.http import FileResponse

    return FileResponse(open(__file__, "rb"))  # noqa: SIM115 (the response closes it)


urlpatterns = [
    path("where/", where),
    path("slow/", slow(where)),
    path("streamed/", streamed),
    path("broken/", broken),
    path("file/", a_file),
]
# What happened to a request, in order, and on which thread.
events: list[tuple[str, str]] = []


@pytest.fixture
def make_handler(settings):
    """Handlers of this module's routes with the threads asked for, stopped afterwards."""
    settings.ROOT_URLCONF = __name__
    settings.ALLOWED_HOSTS = ["testserver"]
    seen_threads.clear()
    release.clear()
    events.clear()
    made = []

    def make(threads: int, slow_threads: int) -> ThreadedASGIHandler:
        made.append(ThreadedASGIHandler(threads=threads, slow_threads=slow_threads))
        return made[-1]

    yield make
    release.set()
    # The threads outlive the test: give back the connections they hold, as a server's
    # threads do when it stops.
    for handler in made:
        for executor in handler.executors:
            executor.submit(connections.close_all).result()
            executor.shutdown()


@pytest.fixture
def handler(make_handler):
    return make_handler(threads=2, slow_threads=1)


async def first_request_seen() -> None:
    """Until a request reached the view; a test fails rather than hangs if none does."""
    async with asyncio.timeout(5):
        while not seen_threads:
            await asyncio.sleep(0.01)


async def answered(communicator: HttpCommunicator, timeout: float) -> dict:
    """The response, once the handler has finished with the request (its signals too)."""
    response = await communicator.get_response(timeout=timeout)
    await communicator.wait(timeout)
    return response


def get(handler, query: str = "", *, where: str = "/where/") -> HttpCommunicator:
    return HttpCommunicator(handler, "GET", f"{where}?{query}", headers=[(b"host", b"testserver")])


async def test_requests_are_served_by_the_same_few_threads_with_the_database(handler):
    answers = [await answered(get(handler), 5) for _ in range(5)]

    assert [answer["status"] for answer in answers] == [200] * 5
    assert all(answer["body"].endswith(b" 0") for answer in answers)
    # No new thread per request: the five reuse the pool's threads.
    assert set(seen_threads) <= {"http-0_0", "http-1_0"}


async def test_a_request_that_waits_holds_only_its_own_thread(handler):
    waiting = asyncio.ensure_future(answered(get(handler, "wait=1"), 10))
    await first_request_seen()

    quick = await answered(get(handler), 5)
    release.set()
    slow = await waiting

    assert quick["status"] == 200 and slow["status"] == 200
    assert quick["body"].split()[0] != slow["body"].split()[0]


async def test_a_slow_route_runs_on_its_own_lane_and_holds_up_no_page(make_handler):
    handler = make_handler(threads=1, slow_threads=1)
    waiting = asyncio.ensure_future(answered(get(handler, "wait=1", where="/slow/"), 10))
    await first_request_seen()
    # The one ordinary thread is free: a page is served while the slow request waits.
    pages = [await answered(get(handler), 5) for _ in range(3)]
    release.set()
    slow_answer = await waiting

    assert [page["status"] for page in pages] == [200] * 3
    assert {page["body"].split()[0] for page in pages} == {b"http-0_0"}
    assert slow_answer["status"] == 200
    assert slow_answer["body"].split()[0] == b"http-slow-0_0"


def test_the_routes_that_take_long_are_marked_slow_and_the_pages_are_not(settings):
    urlconf = settings.ROOT_URLCONF
    for name, args in [
        ("documentation_pdf", [1]),
        ("signs_pdf", [1]),
        ("suggest_placement", [1]),
        ("report_edit_photos", [1, 2]),
        ("phone_report_photos", [1, 2]),
        ("login", []),
    ]:
        assert is_slow(urlconf, reverse(name, args=args)), name
    assert is_slow(urlconf, "/admin/login/")
    # The suggestion stays an async view under its mark.
    assert iscoroutinefunction(resolve(reverse("suggest_placement", args=[1])).func)
    assert is_slow(urlconf, reverse("admin:sessions_app_meeting_changelist"))
    for name, args in [
        ("phone", [1]),
        ("phone_topic_create", [1]),
        ("board_action", [1]),
        ("projector", [1]),
        ("join_code", ["ABC123"]),
        ("agenda_ics", [1]),
    ]:
        assert not is_slow(urlconf, reverse(name, args=args)), name
    # An address that leads nowhere is answered quickly, with a 404.
    assert not is_slow(urlconf, "/no/such/page/")


async def test_a_slow_route_is_found_under_the_sites_prefix(handler):
    communicator = HttpCommunicator(
        handler, "GET", "/site/slow/", headers=[(b"host", b"testserver")]
    )
    communicator.scope["root_path"] = "/site"

    answer = await answered(communicator, 5)

    assert answer["status"] == 200
    assert answer["body"].split()[0] == b"http-slow-0_0"


def test_a_made_up_long_path_is_looked_up_but_not_kept(settings):
    long_path = "/m/" + "9" * 5000 + "/"
    before = http._remembered.cache_info().currsize

    assert not is_slow(settings.ROOT_URLCONF, long_path)
    assert http._remembered.cache_info().currsize == before


@pytest.fixture
def watched(handler):
    """The handler, with its requests' signals and its trips to their threads recorded."""

    def started(**kwargs):
        events.append(("started", threading.current_thread().name))

    def finished(**kwargs):
        events.append(("finished", threading.current_thread().name))

    for executor in handler.executors:
        submit = executor.submit

        def counted(*args, submit=submit, **kwargs):
            events.append(("trip", threading.current_thread().name))
            return submit(*args, **kwargs)

        executor.submit = counted
    request_started.connect(started, weak=False)
    request_finished.connect(finished, weak=False)
    yield handler
    request_started.disconnect(started)
    request_finished.disconnect(finished)


async def test_a_page_is_started_served_and_finished_in_one_trip_to_its_thread(watched):
    answer = await answered(get(watched), 5)

    assert answer["status"] == 200 and answer["body"].endswith(b" 0")
    loop = threading.current_thread().name
    thread = seen_threads[0]
    assert events == [("trip", loop), ("started", thread), ("finished", thread)]


async def streamed_answer(handler, where: str) -> tuple[int, bytes]:
    # Channels' HttpCommunicator expects a body in the last message, which ASGI leaves out.
    communicator = ApplicationCommunicator(handler, get(handler, where=where).scope)
    await communicator.send_input({"type": "http.request", "body": b""})
    start = await communicator.receive_output(5)
    body = b""
    while (message := await communicator.receive_output(5)).get("more_body"):
        body += message["body"]
    await communicator.wait(5)
    return start["status"], body + message.get("body", b"")


async def test_a_streamed_answer_is_sent_whole_then_finished(watched):
    assert await streamed_answer(watched, "/streamed/") == (200, b"part 0;part 1;part 2;")
    # Started on the thread, streamed from the event loop, finished on the thread after.
    kinds = [kind for kind, _ in events]
    assert kinds == ["trip", "started", "part", "part", "part", "trip", "finished"]
    threads = dict(events)
    assert threads["started"] == threads["finished"] != threads["part"]


async def test_a_failing_view_is_answered_with_an_error_page_and_finished(watched, settings):
    settings.DEBUG_PROPAGATE_EXCEPTIONS = False

    answer = await answered(get(watched, where="/broken/"), 5)

    assert answer["status"] == 500
    assert [kind for kind, _ in events] == ["trip", "started", "finished"]


# Django warns that it reads a file's chunks in a thread under ASGI: as it serves static files.
@pytest.mark.filterwarnings("ignore:StreamingHttpResponse must consume synchronous iterators")
async def test_a_file_is_sent_whole_then_finished(watched):
    with open(__file__, "rb") as source:
        expected = source.read()

    assert await streamed_answer(watched, "/file/") == (200, expected)
    kinds = [kind for kind, _ in events]
    assert kinds[:2] == ["trip", "started"] and kinds[-1] == "finished"
    assert kinds.count("started") == kinds.count("finished") == 1


async def test_a_page_is_sent_even_when_finishing_it_fails(watched, caplog):
    def failing(**kwargs):
        raise RuntimeError("a receiver that fails")

    request_finished.connect(failing, weak=False)
    try:
        answer = await answered(get(watched), 5)
    finally:
        request_finished.disconnect(failing)

    assert answer["status"] == 200 and answer["body"].endswith(b" 0")
    assert "Finishing a request failed: <ASGIRequest: GET '/where/'>" in caplog.text
