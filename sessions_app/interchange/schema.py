"""The keys of each object of the format, by version, and the limits the models set.

Every length, range and choice comes from the models, so that the format and the
database cannot drift apart; `tests/test_meeting_format.py` holds them to the numbers
in `docs/meeting-format.md`.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..models import MAX_DOTS_PER_PERSON, Initiative, Meeting, Room, Topic, room_code_validator

FORMAT = "openspace-meeting"
VERSION = 2
VERSIONS = (1, 2)

# The largest number every supported database stores in an integer column.
MAX_INTEGER = 2**31 - 1


def max_length(model: type, name: str) -> int | None:
    """The longest text a model's field holds."""
    return model._meta.get_field(name).max_length


def default(model: type, name: str) -> object:
    """The value a model's field takes when none is given."""
    return model._meta.get_field(name).get_default()


TOPIC_DESCRIPTION_MAX = Topic.DESCRIPTION_MAX
ROOM_CODE_MAX = max_length(Room, "code")
ROOM_CODE_RE = room_code_validator.regex
LANGUAGES = tuple(Meeting.Language.values)
LEVELS = tuple(Initiative.Level.values)
STATUSES = tuple(Initiative.Status.values)
DOTS_RANGE = (0, MAX_DOTS_PER_PERSON)

# What a version 1 document is taken to hold where version 2 has a key.
DEFAULT_DOTS_PER_PERSON = default(Meeting, "dots_per_person")
DEFAULT_STATUS = default(Initiative, "status")


@dataclass(frozen=True)
class Shape:
    """The keys an object may have in version 1, those it needs, and those version 2 adds.

    Version 2 keys are required in a version 2 document and refused in a version 1 one.
    """

    keys: frozenset[str]
    required: frozenset[str] = frozenset()
    added: frozenset[str] = frozenset()

    def keys_in(self, version: int) -> frozenset[str]:
        return self.keys | self.added if version >= 2 else self.keys

    def required_in(self, version: int) -> frozenset[str]:
        return self.required | self.added if version >= 2 else self.required


def _shape(keys: str, required: str = "", added: str = "") -> Shape:
    return Shape(frozenset(keys.split()), frozenset(required.split()), frozenset(added.split()))


TOP = _shape(
    "format version series meeting slots rooms topics initiatives reflections",
    required="format version meeting slots rooms topics",
    added="hidden_reflections",
)
SERIES = _shape("title organizer context")
MEETING = _shape(
    "number title date language location purpose participants facilitators method links "
    "lookback agenda_intro summary",
    required="title date language",
    added="dots_per_person",
)
FACILITATOR = _shape("name role", required="name")
LINK = _shape("title url", required="url")
SLOT = _shape("number starts ends", required="number starts ends")
ROOM = _shape("code name", required="code", added="capacity")
TOPIC = _shape(
    "title convener slot room report",
    required="title convener",
    added="description cosigner merged",
)
PERSON = _shape("name organization", required="name")
MERGED_TOPIC = _shape("title convener", required="title convener")
REPORT = _shape("participants summary insights next_steps photos")
PHOTO = _shape("file caption", required="file")
INITIATIVE = _shape(
    "who what levels when members", required="who what levels", added="status topic"
)

# The keys an exporter writes, all of them, in the current version.
TOP_KEYS = TOP.keys_in(VERSION)
MEETING_KEYS = MEETING.keys_in(VERSION)
