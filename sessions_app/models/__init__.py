"""The meeting domain: series, meetings, the agenda wall, reports and the action plan."""

from .meetings import (
    JOIN_CODE_ALPHABET,
    JOIN_CODE_LENGTH,
    MAX_DOTS_PER_PERSON,
    MAX_SLOTS,
    Facilitator,
    Link,
    Meeting,
    Participant,
    Room,
    SentWrite,
    Series,
    Slot,
    cell_code,
    new_browser_token,
    new_join_code,
    room_code_validator,
)
from .plan import Initiative, InitiativeMember, Reflection
from .reports import Dot, Report, ReportPhoto, report_photo_path
from .topics import Interest, Pen, Sign, Topic

__all__ = [
    "JOIN_CODE_ALPHABET",
    "JOIN_CODE_LENGTH",
    "MAX_DOTS_PER_PERSON",
    "MAX_SLOTS",
    "Dot",
    "Facilitator",
    "Initiative",
    "InitiativeMember",
    "Interest",
    "Link",
    "Meeting",
    "Participant",
    "Pen",
    "Reflection",
    "Report",
    "ReportPhoto",
    "Room",
    "SentWrite",
    "Series",
    "Sign",
    "Slot",
    "Topic",
    "cell_code",
    "new_browser_token",
    "new_join_code",
    "report_photo_path",
    "room_code_validator",
]
