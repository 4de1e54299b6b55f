"""Websocket routes; the live meeting's consumers are added here."""

from __future__ import annotations

websocket_urlpatterns: list = []
