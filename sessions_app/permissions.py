"""Who may do what with a meeting: pure answers, with no HTTP in them.

Facilitators run meetings: a user with the `change_meeting` permission runs any
meeting, and a user linked to one of a meeting's facilitators runs that meeting.
Coordinators read every meeting and download its documents but change nothing: they
hold `view_meeting` without `change_meeting`. Participants have no account at all.
The views turn these answers into 403 and 404 (views/access.py).
"""

from __future__ import annotations

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser

from .board import conveners_of
from .models import Meeting, Participant, Topic

User = AbstractBaseUser | AnonymousUser


def can_facilitate(user: User, meeting: Meeting) -> bool:
    """Whether the user may change this meeting: its setup, phase and wall."""
    if not user.is_authenticated or not user.is_active:
        return False
    # The cheapest answer first: a superuser's needs no query, a facilitator's link one,
    # and the permission two (the user's and their groups'), read only when needed.
    return (
        user.is_superuser
        or meeting.facilitators.filter(user=user).exists()
        or user.has_perm("sessions_app.change_meeting")
    )


def can_read(user: User, meeting: Meeting) -> bool:
    """Whether the user may read everything of this meeting, as a coordinator does."""
    if not user.is_authenticated or not user.is_active:
        return False
    return user.has_perm("sessions_app.view_meeting") or can_facilitate(user, meeting)


def may_download(user: User, meeting: Meeting, *, participant: Participant | None = None) -> bool:
    """Whether this visitor may download the meeting's documentation and action plan.

    Facilitators and coordinators at any time. Once the meeting is closed, those who
    took part in it (the phone's participant), and anyone if its documents are published.
    """
    if can_read(user, meeting):
        return True
    if meeting.phase != Meeting.Phase.CLOSED:
        return False
    took_part = participant is not None and participant.meeting_id == meeting.pk
    return meeting.documents_public or took_part


def may_write_report(topic: Topic, *, participant: Participant | None, user: User) -> bool:
    """Whether this phone or user may write the topic's report.

    Its conveners (with a co-signing partner and the conveners of topics merged into
    it), the meeting's facilitators, and whoever holds the topic's pen from its sign.
    """
    if can_facilitate(user, topic.meeting):
        return True
    if participant is None or participant.meeting_id != topic.meeting_id:
        return False
    return (
        participant.pk in conveners_of(topic) or topic.pens.filter(participant=participant).exists()
    )
