"""Open Space's four principles and its one law, worded once for the projector and the PDF.

The English is Harrison Owen's. The four principles are as in "Open Space Technology: A
User's Guide"; the law as he put it himself ("if at any time you are neither learning
nor contributing, you should use your two feet and move to a more productive place").
The Swedish, in the catalogue, follows Swedish Open Space practice: the principles as
Swedish facilitators write them, and the law under the name Svenska Open Space
Institutet gives it, "lagen om rörlighet".
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Method:
    """What every opening tells the room: the principles, and the law with its name."""

    principles: tuple[Promise, ...]
    law_name: Promise
    law: Promise


OPEN_SPACE = Method(
    principles=(
        _("Whoever comes is the right people"),
        _("Whatever happens is the only thing that could have"),
        _("Whenever it starts is the right time"),
        _("When it's over, it's over"),
    ),
    law_name=_("The law of two feet"),
    law=_(
        "If at any time you are neither learning nor contributing, use your two feet and "
        "move to a more productive place."
    ),
)
