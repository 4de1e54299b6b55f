"""The phone page's frame: everything but what is one phone's own, rendered once.

Forms, labels, ~40 translated strings, addresses and the shared sections are the same
text for every phone of a meeting at one revision, minute and language; rendering them
cost a third of a phone page's CPU. The frame is rendered once with placeholders where a
request's own values go (its CSRF token, its CSP nonce, who the phone is, its marks and
its own topics), and each request fills them in. Personal values never enter the kept
text: the placeholders stand in for them, and a frame in which any stand-in survives
outside a placeholder is not kept.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass

from django.http import HttpRequest
from django.middleware.csp import get_nonce
from django.middleware.csrf import get_token
from django.template.loader import get_template
from django.utils import translation
from django.utils.html import escape
from django.utils.safestring import mark_safe

from .. import fragments
from ..kept import Kept
from ..models import Meeting

PAGE = "sessions_app/phone.html"
# Unguessable per process, so no text a user typed can pose as a placeholder.
_STAND_IN = "frame" + secrets.token_hex(8)
_PLACEHOLDER = re.compile(rf"{_STAND_IN}:(\w+):")


def _placeholder(name: str) -> str:
    return f"{_STAND_IN}:{name}:"


class _NoOne:
    """The participant the frame is rendered for: placeholders in place of a person."""

    pk = _STAND_IN + "pk"
    name = _STAND_IN + "name"
    organization = _STAND_IN + "organization"

    def __str__(self) -> str:
        return _placeholder("person")


@dataclass(frozen=True)
class Frame:
    # The frame cut at its placeholders: text, name, text, name, ..., text.
    pieces: tuple[str, ...]
    # The "Your topics" list of a phone that has none, the same for all of them.
    no_topics: str


_frames: Kept[Frame | None] = Kept(64)


def _personal(context: dict, **values) -> dict:
    """The context with the personal parts replaced by the frame's stand-ins."""
    return context | {
        "participant": _NoOne(),
        "interests": [],
        "pens": [],
        "dots": [],
        "joined": [],
        "my_topics": [],
        "shared_with_me": [],
        "error": "",
        **values,
    }


def _render_frame(context: dict) -> Frame | None:
    """Render the page for no one, and cut it at the placeholders; None if a stand-in
    value is left anywhere else (then every request renders the page in full)."""
    stand_in = _personal(
        context,
        csrf_token=_placeholder("csrf"),
        csp_nonce=_placeholder("nonce"),
        messages=[],
    )
    page = get_template(PAGE).render(stand_in)
    parts = {name: get_template(f"{PAGE}#{name}").render(stand_in) for name in ("me", "mine")}
    no_topics = parts["mine"]
    for name, part in parts.items():
        if page.count(part) != 1:
            return None
        page = page.replace(part, _placeholder(name))
    if _STAND_IN in _PLACEHOLDER.sub("", page) or _STAND_IN in no_topics:
        return None
    return Frame(pieces=tuple(_PLACEHOLDER.split(page)), no_topics=no_topics)


# A frame that could not be cut is kept too (as None), so that it is tried once per key.
_NOT_KEPT = object()


def _frame(meeting: Meeting, context: dict) -> Frame | None:
    # The key is read before the shared sections: a frame is never older than its key.
    key = (*fragments.as_of(meeting), translation.get_language())
    frame = _frames.get(key, _NOT_KEPT)
    if frame is _NOT_KEPT:
        shared = fragments.sections(meeting, fragments.SHARED)
        frame = _frames.put(key, _render_frame(context | {"shared": shared}))
    return frame


def render_page(request: HttpRequest, meeting: Meeting, context: dict) -> str | None:
    """The phone page for this request from the meeting's frame, given the personal
    context (mine_context) without the shared sections; None when it needs a full render
    instead (the frame could not be cut, or no CSP nonce is made)."""
    nonce = get_nonce(request)
    frame = _frame(meeting, context)
    if frame is None or nonce is None:
        return None
    csrf_token = get_token(request)
    personal = context | {"csrf_token": csrf_token}
    has_topics = context["my_topics"] or context["shared_with_me"]
    values = {
        "csrf": csrf_token,
        "nonce": str(nonce),
        "person": escape(str(context["participant"])),
        "me": get_template(f"{PAGE}#me").render(personal),
        "mine": get_template(f"{PAGE}#mine").render(personal) if has_topics else frame.no_topics,
    }
    pieces = frame.pieces
    # Safe: the templates' own output and escaped values, as a full render makes them.
    return mark_safe(
        "".join(piece if index % 2 == 0 else values[piece] for index, piece in enumerate(pieces))
    )
