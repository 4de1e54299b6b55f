"""The meeting's clock: the time of day in TIME_ZONE, and which slot is under way.

Everything that depends on the time asks `now()`, so tests set the clock by replacing it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from django.utils import timezone

from .models import Slot


def now() -> dt.datetime:
    """The current time in the meeting's time zone (settings.TIME_ZONE)."""
    return timezone.localtime()


@dataclass(frozen=True)
class Moment:
    """Where the day stands: the slot under way (or next, between slots) and the one after."""

    current: Slot | None
    following: Slot | None
    running: bool
    # When `current` or `running` changes next, so that pages know when to look again.
    changes_at: dt.datetime | None


def moment(slots: Sequence[Slot], at: dt.datetime) -> Moment:
    """The running slot, or between slots the next one; before the first, the first; after
    the last, none."""
    time = at.timetz().replace(tzinfo=None)
    ordered = sorted(slots, key=lambda slot: slot.starts)
    for index, slot in enumerate(ordered):
        if time < slot.ends:
            running = slot.starts <= time
            following = ordered[index + 1] if index + 1 < len(ordered) else None
            boundary = slot.ends if running else slot.starts
            return Moment(
                slot, following, running, dt.datetime.combine(at.date(), boundary, at.tzinfo)
            )
    return Moment(None, None, False, None)
