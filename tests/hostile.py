"""One list of hostile strings, for every text field a user can type (tests/test_hostile_input.py).

Each string says what must become of it:
- KEPT: saved as typed (with a one-line field's runs of spaces made one) and shown as text:
  escaped in every page and broadcast, never run as markup or as a template, never a
  formula in the action plan's CSV;
- HIDDEN: refused with a message and nothing saved: a control character (Unicode Cc),
  or a bidirectional override or isolate (U+202A–U+202E, U+2066–U+2069);
- FOLDED: a line break or another control character that counts as a space: a one-line
  field of a phone may make it one space, any other field refuses it; never stored;
- LONG: longer than any field takes, refused with a message that says how long it may be.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Verdict = Literal["kept", "hidden", "folded", "long"]


@dataclass(frozen=True)
class Hostile:
    name: str
    text: str
    verdict: Verdict
    # Whether a spreadsheet would run it as a formula if it were written as it is.
    formula: bool = False

    def __str__(self) -> str:
        return self.name


HOSTILE = [
    # Markup and script: shown as text.
    Hostile("script", '<script>alert("hostile")</script>', "kept"),
    Hostile("img onerror", '<img src=x onerror="alert(1)">', "kept"),
    Hostile("attribute breakout", '"><svg/onload=alert(1)>', "kept"),
    Hostile("quote breakout", "' autofocus onfocus='alert(1)", "kept"),
    Hostile("javascript url", "javascript:alert(document.cookie)", "kept"),
    Hostile("javascript link", '<a href="javascript:alert(1)">click</a>', "kept"),
    Hostile("css url", '<style>*{background:url("https://evil.example/x")}</style>', "kept"),
    Hostile("inline css url", "x;background-image:url(javascript:alert(1))", "kept"),
    Hostile("entities", "&lt;b&gt; &amp; &#x3C;script&#x3E;", "kept"),
    # Template syntax: never evaluated.
    Hostile("django variable", "{{ meeting.join_code }} {{ request.user.password }}", "kept"),
    Hostile("django tag", "{% debug %}{% load static %}{# hidden #}", "kept"),
    Hostile("other templates", "${7*7} #{7*7} <%= 7*7 %> {{7*7}}", "kept"),
    # Formula starts: the CSV neutralises them.
    Hostile("formula =", '=HYPERLINK("https://evil.example","click")', "kept", formula=True),
    Hostile("formula +", "+SUM(1,2)", "kept", formula=True),
    Hostile("formula -", "-2+3+cmd|' /C calc'!A0", "kept", formula=True),
    Hostile("formula @", "@SUM(1+1)*cmd|' /C calc'!A0", "kept", formula=True),
    # A tab or carriage return ahead of a formula is trimmed, which leaves the formula.
    Hostile("formula after tab", "\t=1+1", "kept", formula=True),
    Hostile("formula after CR", "\r=1+1", "kept", formula=True),
    # Writing of the world: kept exactly.
    Hostile("emoji with joiners", "👩‍👩‍👧‍👦 🏳️‍🌈 👍🏽 family", "kept"),
    Hostile("arabic", "مرحبا بالعالم", "kept"),
    Hostile("hebrew", "שלום עולם", "kept"),
    Hostile("mixed directions", "Träff مرحبا שלום 2024", "kept"),
    # Control characters and direction overrides: refused.
    Hostile("NUL", "Ann\x00Berg", "hidden"),
    Hostile("NUL alone", "\x00", "hidden"),
    Hostile("start of heading", "a\x01b", "hidden"),
    Hostile("bell", "ring\x07", "hidden"),
    Hostile("backspace", "abc\x08\x08\x08xyz", "hidden"),
    Hostile("terminal escape", "\x1b[31mred\x1b[0m", "hidden"),
    Hostile("delete", "del\x7f", "hidden"),
    Hostile("C1 control", "csi\x9b31m", "hidden"),
    Hostile("LRE U+202A", "a\u202ab", "hidden"),
    Hostile("RLE U+202B", "a\u202bb", "hidden"),
    Hostile("PDF U+202C", "a\u202cb", "hidden"),
    Hostile("LRO U+202D", "a\u202db", "hidden"),
    Hostile("RLO U+202E", "invoice\u202egpj.exe", "hidden"),
    Hostile("LRI U+2066", "a\u2066b", "hidden"),
    Hostile("RLI U+2067", "a\u2067b", "hidden"),
    Hostile("FSI U+2068", "a\u2068b", "hidden"),
    Hostile("PDI U+2069", "a\u2069b", "hidden"),
    # Line breaks and controls that are also whitespace.
    Hostile("newline", "two\nlines", "folded"),
    Hostile("vertical tab", "a\x0bb", "folded"),
    Hostile("form feed", "a\x0cb", "folded"),
    Hostile("file separator", "a\x1cb", "folded"),
    Hostile("next line U+0085", "a\x85b", "folded"),
    # Too long for any field.
    Hostile("100 KB", "A" * 102_400, "long"),
    Hostile("100 KB of lines", "line\n" * 20_480, "long"),
    Hostile("100 KB of emoji", "👩‍👩‍👧" * 20_480, "long"),
]

KEPT = [h for h in HOSTILE if h.verdict == "kept"]
REFUSED = [h for h in HOSTILE if h.verdict in ("hidden", "long")]
FOLDED = [h for h in HOSTILE if h.verdict == "folded"]

# What a spreadsheet runs as a formula (exports.FORMULA_STARTS names the same, to refuse).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "|", "%")
