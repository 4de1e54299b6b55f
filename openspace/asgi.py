"""ASGI entry point: Daphne serves HTTP and websockets from this one application."""

from __future__ import annotations

import gc
import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "openspace.settings")
# Django must be set up before anything imports models (the Channels tutorial's order),
# as `get_asgi_application` does.
django.setup(set_prefix=False)

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402
from channels.sessions import CookieMiddleware  # noqa: E402
from django.conf import settings  # noqa: E402

from openspace.http import ThreadedASGIHandler  # noqa: E402
from sessions_app.realtime import BindOutbox  # noqa: E402
from sessions_app.routing import websocket_urlpatterns  # noqa: E402

application = BindOutbox(
    ProtocolTypeRouter(
        {
            "http": ThreadedASGIHandler(settings.HTTP_THREADS, settings.HTTP_SLOW_THREADS),
            # The cookies only: the socket reads its session and its user itself, in the
            # same trip to the database as everything else it needs on connecting
            # (consumers._open_many); only Django's check of the user's session may end or
            # renew it then. Channels' session middleware looked at the session on every
            # message a socket sent, a fifth of a broadcast's time (docs/benchmarks.md,
            # "The eighth round").
            "websocket": AllowedHostsOriginValidator(
                CookieMiddleware(URLRouter(websocket_urlpatterns))
            ),
        }
    )
)

# Everything imported so far lives as long as the process: frozen, the collector never walks
# it again. A collection pass walked the whole heap (300,000 objects with a thousand
# sockets open) and stopped the event loop for up to 0.4 s in the middle of a broadcast; a
# larger first generation makes the passes over what is left rarer (docs/benchmarks.md).
gc.freeze()
gc.set_threshold(50_000, 20, 10)
