"""The one text of Open Space's principles and law, for any template that shows them."""

from __future__ import annotations

from django import template

from ..principles import OPEN_SPACE, Method

register = template.Library()


@register.simple_tag
def open_space_method() -> Method:
    """The principles and the law, translated when the template prints them."""
    return OPEN_SPACE
