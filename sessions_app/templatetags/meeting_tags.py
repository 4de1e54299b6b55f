"""Template filters for how a meeting writes its times and codes."""

from __future__ import annotations

import datetime as dt

from django import template
from django.utils import translation

register = template.Library()

# Swedish writes clock times with a full stop: 13.45–14.10.
TIME_SEPARATORS = {"sv": "."}


@register.filter
def clock(value: dt.time, language: str | None = None) -> str:
    """Write a time in the meeting's language: "13.45" in Swedish, "13:45" in English."""
    separator = TIME_SEPARATORS.get(language or translation.get_language() or "", ":")
    return f"{value:%H}{separator}{value:%M}"


@register.filter
def slot_span(slot, language: str | None = None) -> str:
    """Write a slot's times as a range, such as "13.45–14.10"."""
    return f"{clock(slot.starts, language)}–{clock(slot.ends, language)}"
