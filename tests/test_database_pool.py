"""A database too busy to answer: "busy, try again" (503), never an error, nothing lost.

With PostgreSQL the server holds a bounded pool of connections (openspace/settings.py).
A request that finds none free within the pool's timeout is answered 503 with
Retry-After; the phone sends the same write again (static/js/busy.js). A request that
never got a connection wrote nothing, so its retry saves the write once.
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from urllib.error import HTTPError
from urllib.parse import urlencode
from urllib.request import Request, build_opener

import pytest
from django.conf import settings
from django.db import OperationalError, connection
from django.http import HttpResponse
from django.test import RequestFactory
from django.urls import reverse
from psycopg_pool import PoolTimeout

from sessions_app.middleware import RETRY_AFTER_SECONDS, BusyDatabase
from sessions_app.models import Participant, Topic

from .factories import make_meeting, participant_session_key


def no_connection() -> OperationalError:
    """The error Django raises when the pool has no connection to give within its timeout."""
    try:
        try:
            raise PoolTimeout("couldn't get a connection after 5.00 sec")
        except PoolTimeout as timeout:
            raise OperationalError(str(timeout)) from timeout
    except OperationalError as error:
        return error


def answer(request, exception):
    return BusyDatabase(lambda request: HttpResponse("ok")).process_exception(request, exception)


def test_a_request_that_finds_no_connection_is_answered_busy():
    response = answer(RequestFactory().get("/"), no_connection())

    assert response.status_code == 503
    assert response["Retry-After"] == str(RETRY_AFTER_SECONDS)
    assert "<h1>" in response.content.decode()


def test_an_htmx_request_gets_the_message_alone():
    response = answer(RequestFactory().post("/", HTTP_HX_REQUEST="true"), no_connection())

    assert response.status_code == 503
    assert response.content.decode().startswith('<p class="form-error" role="alert">')


def test_other_errors_are_left_to_django():
    request = RequestFactory().get("/")

    assert answer(request, OperationalError("the server closed the connection")) is None
    assert answer(request, ValueError("no")) is None


POOL_SIZE = 2
CSRF = "k" * 32
WRITERS = 24


@pytest.fixture
def small_pool():
    """The server's pool made two connections deep, with a short wait for one."""
    if connection.vendor != "postgresql":
        pytest.skip("needs DATABASE_URL of PostgreSQL: SQLite has no connection pool")
    options = settings.DATABASES["default"]["OPTIONS"]
    kept = dict(options["pool"])
    connection.close_pool()
    options["pool"].update(min_size=1, max_size=POOL_SIZE, timeout=0.3)
    yield
    connection.close_pool()
    options["pool"].clear()
    options["pool"].update(kept)


def phone_of(participant):
    session = f"{settings.SESSION_COOKIE_NAME}={participant_session_key(participant)}"
    cookies = f"{session}; {settings.CSRF_COOKIE_NAME}={CSRF}"
    opener = build_opener()
    opener.addheaders = [("Cookie", cookies), ("X-CSRFToken", CSRF), ("HX-Request", "true")]
    return opener


def propose(live_server, opener, meeting, title):
    """Send a proposal as a phone does, again after each "busy"; the answers it got."""
    url = live_server.url + reverse("phone_topic_create", args=[meeting.pk])
    answers = []
    for _ in range(30):
        request = Request(url, data=urlencode({"title": title}).encode(), method="POST")
        try:
            with opener.open(request, timeout=30) as response:
                answers.append(response.status)
                return answers
        except HTTPError as error:
            answers.append(error.code)
            if error.code != 503:
                return answers
            time.sleep(0.05)
    return answers


@pytest.mark.django_db(transaction=True)
def test_more_writers_than_connections_lose_nothing(small_pool, live_server):
    meeting = make_meeting()
    people = [
        Participant.objects.create(meeting=meeting, name=f"Person {n}", organization="Org")
        for n in range(WRITERS)
    ]
    openers = [phone_of(person) for person in people]
    # This thread's own connection goes back to the pool, so that the pool is all there is.
    connection.close()
    # Both connections held by someone else for a moment: the first writers must be told
    # "busy" rather than wait without end.
    held = threading.Event()
    release = threading.Event()

    def hold_the_pool():
        pool = connection.pool
        pool.open()
        taken = []
        try:
            taken.extend(pool.getconn(timeout=10) for _ in range(POOL_SIZE))
            held.set()
            release.wait(10)
        finally:
            for each in taken:
                pool.putconn(each)

    holder = threading.Thread(target=hold_the_pool)
    holder.start()
    assert held.wait(10), "the pool's connections could not all be taken"
    with ThreadPoolExecutor(WRITERS) as writers:
        sent = [
            writers.submit(propose, live_server, opener, meeting, f"Topic {n}")
            for n, opener in enumerate(openers)
        ]
        time.sleep(1)
        release.set()
        answers = [each.result() for each in sent]
    holder.join()

    seen = sorted({code for each in answers for code in each})
    assert 503 in seen, seen
    assert set(seen) <= {200, 503}, seen
    assert all(each[-1] == 200 for each in answers), answers
    titles = sorted(Topic.objects.filter(meeting=meeting).values_list("title", flat=True))
    assert titles == sorted(f"Topic {n}" for n in range(WRITERS))
