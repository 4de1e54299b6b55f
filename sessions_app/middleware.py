"""A database too busy to answer: "busy, try again" (503), never an error page.

Past the connection pool's bound a request waits up to the pool's
timeout for a connection; if none comes, it is answered with 503 and Retry-After. The
phone keeps what was typed and sends it again (static/js/phases.js); its writes carry a
key, so that a retry of a write that did commit is not saved twice.
"""

from __future__ import annotations

from django.db import OperationalError
from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string
from psycopg_pool import PoolTimeout

RETRY_AFTER_SECONDS = 2


class BusyDatabase:
    """Turn a view that found no free database connection into "busy, try again".

    Django turns an exception into a 500 at each middleware's edge, so it is caught where
    views' exceptions are handed out: a request's first query is made by its view (the
    session and the user are read lazily), and the connection then stays for the request.
    """

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, OperationalError):
            return None
        if not isinstance(exception.__cause__, PoolTimeout):
            return None
        html = render_to_string(
            "sessions_app/busy.html", {"htmx": request.headers.get("HX-Request") == "true"}
        )
        response = HttpResponse(html, status=503)
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response
