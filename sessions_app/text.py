"""Text that people type: one way to clean each kind of field, and what is never kept.

Control characters (Unicode category Cc, but newline and tab in multi-line text) and the
bidirectional overrides and isolates (U+202A–U+202E, U+2066–U+2069) are refused with a
message, never stored: they can hide or reorder what a page, the PDF or a calendar shows.
Emoji joiners and right-to-left writing are ordinary text and stay.
"""

from __future__ import annotations

import unicodedata

from django.core.exceptions import ValidationError
from django.utils.deconstruct import deconstructible
from django.utils.translation import gettext as _

from .errors import DomainError

BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
MULTILINE_ALLOWED = frozenset("\n\t")


class TextError(DomainError):
    """Typed text that cannot be kept as it is."""


def has_hidden_characters(text: str, *, multiline: bool = False) -> bool:
    """Whether the text holds a control character or a bidirectional override."""
    allowed = MULTILINE_ALLOWED if multiline else frozenset()
    return any(
        char in BIDI_CONTROLS or (unicodedata.category(char) == "Cc" and char not in allowed)
        for char in text
    )


def _hidden_message() -> str:
    return _("The text holds invisible control characters; please type it again without them.")


def _refuse_hidden(text: str, *, multiline: bool) -> None:
    if has_hidden_characters(text, multiline=multiline):
        raise TextError(_hidden_message())


@deconstructible
class NoHiddenCharacters:
    """The same rule as a form field's validator: for the setup forms and the admin."""

    def __init__(self, *, multiline: bool = False) -> None:
        self.multiline = multiline

    def __call__(self, value: object) -> None:
        found = value if isinstance(value, list) else [value]
        if any(
            isinstance(item, str) and has_hidden_characters(item, multiline=self.multiline)
            for item in found
        ):
            raise ValidationError(_hidden_message(), code="hidden_characters")

    def __eq__(self, other: object) -> bool:
        return isinstance(other, NoHiddenCharacters) and other.multiline == self.multiline


def _limit(text: str, limit: int) -> str:
    if len(text) > limit:
        raise TextError(_("This is at most %(max)s characters.") % {"max": limit})
    return text


def one_line(text: object, *, limit: int, required: str = "") -> str:
    """A single line: runs of spaces, tabs and newlines become one space."""
    if not isinstance(text, str):
        raise TextError(_("This must be text."))
    text = " ".join(text.split())
    _refuse_hidden(text, multiline=False)
    if required and not text:
        raise TextError(required)
    return _limit(text, limit)


def paragraphs(text: object, *, limit: int, required: str = "") -> str:
    """Text of several lines, as typed; only the line ends are made the same everywhere."""
    if not isinstance(text, str):
        raise TextError(_("This must be text."))
    text = text.replace("\r\n", "\n").replace("\r", "\n").strip()
    _refuse_hidden(text, multiline=True)
    if required and not text:
        raise TextError(required)
    return _limit(text, limit)


def items(text: object, *, most: int, longest: int) -> list[str]:
    """A list written one item a line; blank lines are dropped."""
    if not isinstance(text, str):
        raise TextError(_("This must be text."))
    found = [" ".join(line.split()) for line in text.splitlines()]
    found = [item for item in found if item]
    for item in found:
        _refuse_hidden(item, multiline=False)
    if len(found) > most or any(len(item) > longest for item in found):
        raise TextError(
            _("This is at most %(count)s lines of %(max)s characters.")
            % {"count": most, "max": longest}
        )
    return found
