"""The meeting importer fuzzed: any document is imported whole or refused with a FormatError.

Two kinds of input: arbitrary JSON values (most fail early, at the top), and the seed
document with a few random changes deep inside it (a key dropped, a type changed, NUL,
surrogates, direction overrides, huge strings, deep nesting), which reach every check of
the format and the saving after it. A refusal leaves every table as it was; an import
gives back a document the format accepts again. `--hypothesis-show-statistics` prints
how many examples ran.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from hypothesis import HealthCheck, event, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from sessions_app.interchange import (
    FORMAT,
    Bundle,
    FormatError,
    export_document,
    import_document,
    validate_document,
)
from sessions_app.models import Meeting

from .documents import media_files, row_counts
from .factories import SEED_PATH

pytestmark = pytest.mark.django_db

SEED = json.loads(SEED_PATH.read_text(encoding="utf-8"))

# Enough examples to reach the format's rules many times over, few enough for about a
# minute for the whole file on PostgreSQL. The database is shared by a test's examples (each
# import is its own transaction), hence the fixture health check is off.
FUZZ = hypothesis_settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
# The seed's changes reach the saving, the slow part: more examples, as most get that far.
FUZZ_SEED = hypothesis_settings(FUZZ, max_examples=400)


def nested(depth: int) -> list:
    """A list inside a list, `depth` times: deeper than any reader's recursion limit."""
    value: list = []
    for _ in range(depth):
        value = [value]
    return value


HOSTILE_STRINGS = [
    "",
    " ",
    "\x00",
    "Träff\x00",
    "\ud800",
    "a\udfffb",
    "\u202eevil",
    "\u2066isolate\u2069",
    "\x1b[31mred",
    "line\r\nbreak",
    "<script>alert(1)</script>",
    "{{ meeting.join_code }}{% debug %}",
    '=HYPERLINK("http://evil")',
    "👩‍👩‍👧 مرحبا שלום",
    "http://[::1",
    "javascript:alert(1)",
    "1٣:45",
    "٢٠٢٤-٠٥-٠٧",
    "24:00",
    "0000-01-01",
    "A1",
    "ÅÄÖ",
]

scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=20)
    | st.sampled_from(HOSTILE_STRINGS)
)
json_values = st.recursive(
    scalars,
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(st.text(max_size=12) | st.sampled_from(list(SEED)), children, max_size=4)
    ),
    max_leaves=20,
)
# Built, not listed: a listed 100 KB string would fill every report Hypothesis prints.
huge_strings = st.builds(str.__mul__, st.sampled_from(["x", "é", "👩‍👩‍👧", "\n"]), st.just(100_000))
hostile_values = (
    json_values | st.sampled_from(HOSTILE_STRINGS) | huge_strings | st.builds(nested, st.just(5000))
)


def refused_or_whole(document: Any, settings) -> str:
    """Import the document: "imported" (and it exports as a valid document) or "refused"
    (and nothing of it was saved). Any other exception fails the test."""
    before, files = row_counts(), media_files(settings)
    try:
        meeting = import_document(Bundle(document=document))
    except FormatError as refusal:
        assert str(refusal)
        assert row_counts() == before, f"half a meeting was saved before: {refusal}"
        assert media_files(settings) == files
        return "refused"
    # Whole: the meeting the document describes comes back out as a document the format accepts.
    validate_document(Bundle(document=export_document(meeting)))
    # Removed again, so that the next example can import the seed's series and number.
    Meeting.objects.filter(pk=meeting.pk).delete()
    return "imported"


@FUZZ
@given(document=json_values)
def test_any_json_value_is_imported_or_refused_with_a_format_error(settings, document):
    event(refused_or_whole(document, settings))


@FUZZ
@given(
    document=st.fixed_dictionaries(
        {"format": st.just(FORMAT) | scalars, "version": st.sampled_from([1, 2]) | scalars},
        optional={key: json_values for key in SEED if key not in ("format", "version")},
    )
)
def test_a_document_with_the_formats_header_is_imported_or_refused(settings, document):
    event(refused_or_whole(document, settings))


def paths_of(value: Any, path: tuple = ()) -> list[tuple]:
    """Every path inside a JSON value, as tuples of keys and indexes, to a depth of ten."""
    found = [path]
    if len(path) >= 10:
        return found
    if isinstance(value, dict):
        for key, item in value.items():
            found += paths_of(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += paths_of(item, (*path, index))
    return found


@st.composite
def seed_mutations(draw) -> tuple[dict, list[str]]:
    """The seed document with one to three random changes: drop, replace, duplicate, add."""
    document = copy.deepcopy(SEED)
    done = []
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        path = draw(st.sampled_from(paths_of(document)[1:] or [("meeting",)]))
        *parents, last = path
        holder = document
        try:
            for step in parents:
                holder = holder[step]
            holder[last]
        except (KeyError, IndexError, TypeError):
            continue
        change = draw(st.sampled_from(["drop", "replace", "text", "text", "duplicate", "add key"]))
        if change == "drop":
            del holder[last]
        elif change == "replace":
            holder[last] = draw(hostile_values)
        elif change == "text":
            # Most of the document is text: a hostile string where text is expected gets
            # past the type checks, to the checks of text and to the database.
            holder[last] = draw(st.sampled_from(HOSTILE_STRINGS) | huge_strings)
        elif change == "duplicate" and isinstance(holder, list):
            # Shallow: a value nested 5,000 deep is beyond deepcopy's recursion.
            holder.append(copy.copy(holder[last]))
        elif isinstance(holder[last], dict):
            holder[last][draw(st.text(max_size=12))] = draw(hostile_values)
        done.append(f"{change} {path}")
    return document, done


@FUZZ_SEED
@given(mutated=seed_mutations())
def test_the_seed_changed_anywhere_is_imported_or_refused(settings, mutated):
    document, _changes = mutated
    event(refused_or_whole(document, settings))


@pytest.mark.parametrize(
    ("where", "value", "message"),
    [
        (("meeting", "title"), "Träff\x00", "meeting.title: must not hold control characters"),
        (("meeting", "method"), "\u202eevil", "meeting.method: must not hold control"),
        (("topics", 0, "title"), "a\ud800b", "topics[0].title: must not hold a lone surrogate"),
        (("initiatives", 0, "what"), "\x1b[31m", "initiatives[0].what: must not hold"),
        (("slots", 0, "starts"), "1٣:45", "slots[0].starts: must be a 24-hour time"),
        (("meeting", "date"), "٢٠٢٤-٠٥-٠٧", "meeting.date: must be a date"),
        (("meeting", "links"), [{"url": "http://[::1"}], "meeting.links[0].url: must be an http"),
    ],
    ids=["NUL", "bidi override", "surrogate", "escape", "arabic digits", "arabic date", "ipv6"],
)
def test_what_the_fuzzer_found_is_refused_with_its_path(seed_document, where, value, message):
    *parents, last = where
    holder = seed_document
    for step in parents:
        holder = holder[step]
    holder[last] = value
    before = row_counts()

    with pytest.raises(FormatError) as refused:
        import_document(Bundle(document=seed_document))

    assert message in str(refused.value)
    assert row_counts() == before


def test_text_with_newlines_tabs_emoji_and_right_to_left_writing_is_imported(seed_document):
    seed_document["meeting"]["method"] = "Steg ett\n\tSteg två 👩‍👩‍👧 مرحبا שלום"

    meeting = import_document(Bundle(document=seed_document))

    assert meeting.method == "Steg ett\n\tSteg två 👩‍👩‍👧 مرحبا שלום"


FILES = [
    b"[" * 100_000,
    b'{"format": "openspace-meeting", "version": 2, "meeting": ' + b"1" * 5000 + b"}",
    b'{"format": "openspace-meeting", "version": ' + b"9" * 5000 + b"}",
    b"\xff\xfe\x00garbage",
    b"",
    json.dumps(SEED).encode().replace(b'"title": "L', b'"title": "\\u0000L', 1),
]


@pytest.mark.parametrize(
    "data", FILES, ids=["deep", "huge int", "huge version", "bytes", "empty", "NUL"]
)
def test_the_import_command_refuses_a_broken_file_with_a_message(tmp_path: Path, data):
    path = tmp_path / "meeting.json"
    path.write_bytes(data)
    before = row_counts()

    with pytest.raises(CommandError, match="was not imported"):
        call_command("import_meeting", str(path))

    assert row_counts() == before


@FUZZ
@given(data=st.binary(max_size=200) | json_values.map(lambda v: json.dumps(v).encode()))
def test_the_import_command_takes_any_file_or_refuses_it(settings, tmp_path_factory, data):
    path = tmp_path_factory.mktemp("fuzz") / "meeting.json"
    path.write_bytes(data)
    before = row_counts()
    try:
        call_command("import_meeting", str(path))
    except CommandError as refusal:
        assert "was not imported" in str(refusal)
        assert row_counts() == before
