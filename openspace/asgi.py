"""ASGI entry point: Daphne serves HTTP and websockets from this one application."""

from __future__ import annotations

import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "openspace.settings")
# Django must be set up before anything imports models (the Channels tutorial's order),
# as `get_asgi_application` does.
django.setup(set_prefix=False)

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402
from django.conf import settings  # noqa: E402

from openspace.http import ThreadedASGIHandler  # noqa: E402
from sessions_app.realtime import BindOutbox  # noqa: E402
from sessions_app.routing import websocket_urlpatterns  # noqa: E402

application = BindOutbox(
    ProtocolTypeRouter(
        {
            "http": ThreadedASGIHandler(settings.HTTP_THREADS),
            "websocket": AllowedHostsOriginValidator(
                AuthMiddlewareStack(URLRouter(websocket_urlpatterns))
            ),
        }
    )
)
