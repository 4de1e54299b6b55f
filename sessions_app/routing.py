"""Websocket routes: one socket per open page of a live meeting."""

from __future__ import annotations

from django.urls import path

from .consumers import MeetingConsumer
from .realtime import SOCKET_ROUTE

websocket_urlpatterns = [
    path(SOCKET_ROUTE, MeetingConsumer.as_asgi(), name="meeting_socket"),
]
