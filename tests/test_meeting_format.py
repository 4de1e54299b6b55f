"""The format's contract: the project's copy of the specification, and the models behind it.

The importer and exporter take their limits and choices from the models, so a change
to a model would silently change the format; these tests hold the models to the
numbers the specification writes.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from sessions_app import services
from sessions_app.models import (
    MAX_DOTS_PER_PERSON,
    Initiative,
    Meeting,
    Room,
    Topic,
    room_code_validator,
)

REPO = Path(__file__).resolve().parents[1]
SPEC = REPO / "docs" / "meeting-format.md"
SHARED_SPEC = Path(__file__).resolve().parents[2] / "shared" / "design" / "meeting-format.md"


def field(model: type, name: str):
    return model._meta.get_field(name)


@pytest.mark.skipif(not SHARED_SPEC.parent.parent.exists(), reason="no shared folder here")
def test_spec_in_docs_is_the_shared_one_byte_for_byte():
    assert SPEC.read_bytes() == SHARED_SPEC.read_bytes()


# (what the specification says, the text it says it with, the value the models hold)
CONTRACT = [
    ("meeting title", "`title` | string, 1–200 chars", field(Meeting, "title").max_length, 200),
    ("topic title", "`title` | string, 1–300 chars", field(Topic, "title").max_length, 300),
    (
        "topic description",
        "`description` | string, at most 2000 chars",
        services.DESCRIPTION_MAX,
        2000,
    ),
    ("most dots", "`dots_per_person` | integer, 0–20", MAX_DOTS_PER_PERSON, 20),
    (
        "default dots",
        "| integer, 0–20 | `3` |",
        field(Meeting, "dots_per_person").get_default(),
        3,
    ),
    ("languages", '`"sv"` or `"en"`', Meeting.Language.values, ["sv", "en"]),
    ("levels", 'list of `"F"`, `"G"`, `"U"`', Initiative.Level.values, ["F", "G", "U"]),
    (
        "statuses",
        '`"open"`, `"done"` or `"dropped"` | `"open"`',
        [*Initiative.Status.values, field(Initiative, "status").get_default()],
        ["open", "done", "dropped", "open"],
    ),
    ("room code length", "`code` (1–3 letters or digits", field(Room, "code").max_length, 3),
]


@pytest.mark.parametrize(
    ("what", "text", "model_value", "spec_value"), CONTRACT, ids=[row[0] for row in CONTRACT]
)
def test_models_hold_the_numbers_the_spec_writes(what, text, model_value, spec_value):
    assert text in SPEC.read_text(encoding="utf-8")
    assert model_value == spec_value


@pytest.mark.parametrize(
    ("code", "accepted"),
    [
        ("A", True),
        ("B2", True),
        ("12", True),
        ("Ö1", True),
        ("", False),
        ("ABCD", False),
        ("A 1", False),
        ("A_", False),
        ("A-", False),
        ("A\n", False),
    ],
)
def test_room_code_rule_is_one_to_three_letters_or_digits(code, accepted):
    assert bool(room_code_validator.regex.fullmatch(code)) is accepted
