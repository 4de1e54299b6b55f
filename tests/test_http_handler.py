"""HTTP under the ASGI server: each request runs on one of a fixed set of threads."""

from __future__ import annotations

import asyncio
import threading

import pytest
from channels.testing import HttpCommunicator
from django.db import connections
from django.urls import path

from openspace.http import ThreadedASGIHandler
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


urlpatterns = [path("where/", where)]


@pytest.fixture
def handler(settings):
    settings.ROOT_URLCONF = __name__
    settings.ALLOWED_HOSTS = ["testserver"]
    seen_threads.clear()
    release.clear()
    handler = ThreadedASGIHandler(threads=2)
    yield handler
    # The threads outlive the test: give back the connections they hold, as a server's
    # threads do when it stops.
    for executor in handler.executors:
        executor.submit(connections.close_all).result()
        executor.shutdown()


def get(handler, query: str = "") -> HttpCommunicator:
    return HttpCommunicator(handler, "GET", f"/where/?{query}", headers=[(b"host", b"testserver")])


async def test_requests_are_served_by_the_same_few_threads_with_the_database(handler):
    answers = [await get(handler).get_response(timeout=5) for _ in range(5)]

    assert [answer["status"] for answer in answers] == [200] * 5
    assert all(answer["body"].endswith(b" 0") for answer in answers)
    # No new thread per request: the five reuse the pool's threads.
    assert set(seen_threads) <= {"http-0_0", "http-1_0"}


async def test_a_request_that_waits_holds_only_its_own_thread(handler):
    waiting = asyncio.ensure_future(get(handler, "wait=1").get_response(timeout=10))
    while not seen_threads:
        await asyncio.sleep(0.01)

    quick = await get(handler).get_response(timeout=5)
    release.set()
    slow = await waiting

    assert quick["status"] == 200 and slow["status"] == 200
    assert quick["body"].split()[0] != slow["body"].split()[0]
