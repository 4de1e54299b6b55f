"""Per-client limits: how often one address, or one phone, may try something.

Counted by django-ratelimit in fixed windows, in the "throttles" cache: Redis when it is
set, so that every server process counts together, else this process's memory. (Its app
is not installed: its system check refuses a cache that is not shared, and here one
process without Redis is a real deployment.) A cache that fails lets everything through,
and is left alone for a few seconds: a limit never makes a write wait for a frozen Redis.
Past a limit the answer is 429 with a "slow down" message in the language of the page.
"""

from __future__ import annotations

import ipaddress
import logging
import math
import time
from collections.abc import Callable
from functools import wraps

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import translation
from django.utils.translation import ngettext
from django_ratelimit.core import get_usage
from redis.exceptions import RedisError

from .models import Participant
from .views.access import meeting_for_code

logger = logging.getLogger(__name__)

# After the cache failed, count nothing for this long: one slow answer, not one a request.
CACHE_REST_SECONDS = 10.0
_cache_rests_until = 0.0

View = Callable[..., HttpResponse]


def _network(address: str) -> str:
    """What a client is counted as: its IPv4 address, or its IPv6 /64 (one household)."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address[:64]
    if ip.version == 6 and ip.ipv4_mapped:
        return str(ip.ipv4_mapped)
    if ip.version == 6:
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


def _trusted(address: str) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    if ip.version == 6 and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return any(
        ip in ipaddress.ip_network(proxy, strict=False) for proxy in settings.TRUSTED_PROXIES
    )


def client_address(request: HttpRequest) -> str:
    """The client's address: the one that connected, or, when that is a trusted proxy, the
    right-most address in X-Forwarded-For that is not a trusted proxy (the left of it is
    whatever the client chose to send)."""
    remote = request.META.get("REMOTE_ADDR") or ""
    if not _trusted(remote):
        return _network(remote)
    forwarded = [hop.strip() for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    for hop in reversed(forwarded):
        if hop and not _trusted(hop):
            return _network(hop)
    return _network(remote)


def _wait(request: HttpRequest, limit: str, key: str, *, count: bool) -> int | None:
    """Seconds this client must wait before trying `limit` again, or None if it may go on.

    With `count`, this try is counted first; without, the tries so far are only read."""
    global _cache_rests_until
    if time.monotonic() < _cache_rests_until:
        return None
    try:
        usage = get_usage(
            request,
            group=limit,
            key=lambda group, request: key,
            rate=settings.THROTTLES[limit],
            increment=count,
        )
    except (RedisError, OSError) as error:
        _cache_rests_until = time.monotonic() + CACHE_REST_SECONDS
        logger.warning("The limits' cache failed (%s); counting nothing for a while", error)
        return None
    if usage is None:  # the cache gave no count: RATELIMIT_FAIL_OPEN
        return None
    over = usage["count"] > usage["limit"] if count else usage["count"] >= usage["limit"]
    return max(usage["time_left"], 1) if over else None


def slow_down_message(wait: int) -> str:
    if wait <= 90:
        return ngettext(
            "Slow down: that was too many tries in a short time. Try again in %(seconds)d second.",
            "Slow down: that was too many tries in a short time. Try again in %(seconds)d seconds.",
            wait,
        ) % {"seconds": wait}
    minutes = math.ceil(wait / 60)
    return ngettext(
        "Slow down: that was too many tries in a short time. Try again in %(minutes)d minute.",
        "Slow down: that was too many tries in a short time. Try again in %(minutes)d minutes.",
        minutes,
    ) % {"minutes": minutes}


def _too_many(response: HttpResponse, wait: int) -> HttpResponse:
    response.status_code = 429
    response["Retry-After"] = str(wait)
    return response


def slow_down(request: HttpRequest, wait: int) -> HttpResponse:
    """The page past a limit, in the active language."""
    response = render(request, "sessions_app/slow_down.html", {"message": slow_down_message(wait)})
    return _too_many(response, wait)


def limit_failures(limit: str, failed: Callable[[HttpRequest, HttpResponse], bool]):
    """Refuse an address that failed too often; only the tries that fail are counted."""

    def decorate(view: View) -> View:
        @wraps(view)
        def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            key = client_address(request)
            wait = _wait(request, limit, key, count=False)
            if wait is not None:
                return slow_down(request, wait)
            response = view(request, *args, **kwargs)
            if failed(request, response):
                _wait(request, limit, key, count=True)
            return response

        return wrapper

    return decorate


# A code that leads to no meeting: someone mistyped, or is guessing.
limit_wrong_codes = limit_failures(
    "wrong_codes", lambda request, response: response.status_code == 404
)
# A login form that comes back instead of going on: a wrong name or password.
limit_failed_logins = limit_failures(
    "logins", lambda request, response: request.method == "POST" and response.status_code == 200
)


def limit_joins(view: View) -> View:
    """Refuse more joins into one meeting from one address than a room's worth a minute."""

    @wraps(view)
    def wrapper(request: HttpRequest, code: str, *args, **kwargs) -> HttpResponse:
        meeting = meeting_for_code(code) if request.method == "POST" else None
        if meeting is not None:
            key = f"{meeting.pk}:{client_address(request)}"
            wait = _wait(request, "joins", key, count=True)
            if wait is not None:
                with translation.override(meeting.language):
                    return slow_down(request, wait)
        return view(request, code, *args, **kwargs)

    return wrapper


def limit_participant(limit: str, *, answer: View):
    """Refuse a phone's write past its limit with `answer(request, participant, error=...)`:
    the phone shows the message where it shows a refusal. Goes under `participant_view`,
    which has found the participant and speaks the meeting's language."""

    def decorate(view: View) -> View:
        @wraps(view)
        def wrapper(request: HttpRequest, participant: Participant, *args, **kwargs):
            wait = _wait(request, limit, f"participant:{participant.pk}", count=True)
            if wait is None:
                return view(request, participant, *args, **kwargs)
            response = answer(request, participant, error=slow_down_message(wait))
            return _too_many(response, wait)

        return wrapper

    return decorate
