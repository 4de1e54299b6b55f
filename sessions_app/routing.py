"""Websocket routes: one socket per open page of a live meeting."""

from __future__ import annotations

from django.urls import path

from .consumers import MeetingConsumer

websocket_urlpatterns = [
    path("ws/meetings/<int:meeting_id>/", MeetingConsumer.as_asgi(), name="meeting_socket"),
]
