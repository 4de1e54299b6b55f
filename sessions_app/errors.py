"""The refusals of the meeting's rules: each message is written for the people who see it."""

from __future__ import annotations


class DomainError(Exception):
    """A request the meeting's rules refuse; nothing was changed."""


class AgendaError(DomainError):
    """A change to the wall that breaks one of its rules."""


class ParticipationError(DomainError):
    """A participant's request the meeting does not allow."""


class FacilitationError(DomainError):
    """A facilitator's request the meeting does not allow, such as an unknown phase."""


class SetupError(DomainError):
    """A setup change that would break the meeting."""
