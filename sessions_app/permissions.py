"""Who may do what with a meeting: pure answers, with no HTTP in them.

Facilitators run meetings: a user with the `change_meeting` permission runs any
meeting, and a user linked to one of a meeting's facilitators runs that meeting.
Coordinators read every meeting and download its documents but change nothing: they
hold `view_meeting` without `change_meeting`. Participants have no account at all.
The views turn these answers into 403 and 404 (views/access.py).
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser, Group, Permission
from django.db.models import Exists, OuterRef, QuerySet, Value

from .board import conveners_of
from .models import Facilitator, Meeting, Participant, Topic
from .statements import Statement

User = AbstractBaseUser | AnonymousUser

MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"


def with_facilitation(meetings: QuerySet[Meeting], user_id: int) -> QuerySet[Meeting]:
    """The meetings, each read with whether the logged-in user with this id is linked to
    one of its facilitators, so that `can_facilitate` needs no query of its own for the
    link."""
    return meetings.annotate(
        facilitation_user=Value(user_id),
        facilitation_linked=Exists(
            Facilitator.objects.filter(meeting=OuterRef("pk"), user_id=user_id)
        ),
    )


def _linked(user: User, meeting: Meeting) -> bool:
    # The answer read with the meeting counts only for the user it was read for.
    if getattr(meeting, "facilitation_user", None) == user.pk:
        return meeting.facilitation_linked
    return meeting.facilitators.filter(user=user).exists()


def holds(user: User, codename: str) -> bool:
    """Whether the user holds this permission of the app: `user.has_perm`'s answer.

    Django's ModelBackend reads every permission the user holds and every one their
    groups hold, to answer for one: a facilitator who holds all of the app's waited 2.3 ms
    for it on each request (docs/benchmarks.md, "The sixth round"). With that backend
    alone, the database is asked for this one, the user's own or their groups', in one
    query composed once (0.6 ms, "The eighth round"), once per user object, as Django
    keeps its own answers. A user whose permissions were already read, or another
    backend, is asked as Django asks.
    """
    if not user.is_active:
        return False
    if user.is_superuser:
        return True
    if list(settings.AUTHENTICATION_BACKENDS) != [MODEL_BACKEND] or hasattr(user, "_perm_cache"):
        return user.has_perm(f"sessions_app.{codename}")
    answers = user.__dict__.setdefault("_held_permissions", {})
    if codename not in answers:
        answers[codename] = bool(_held.all(user_id=user.pk, codename=codename))
    return answers[codename]


# The user's own permission or one of their groups', in one query.
_held = Statement(
    lambda user_id, codename: (
        Permission.objects.filter(
            Exists(
                get_user_model()
                .user_permissions.through.objects.filter(permission=OuterRef("pk"), user_id=user_id)
                .order_by()
            )
            | Exists(
                Group.permissions.through.objects.filter(
                    permission=OuterRef("pk"), group__user=user_id
                ).order_by()
            ),
            content_type__app_label="sessions_app",
            codename=codename,
        )
        .order_by()
        .values_list("pk", flat=True)[:1]
    ),
    user_id=-1,
    codename="codename",
)


def can_facilitate(user: User, meeting: Meeting) -> bool:
    """Whether the user may change this meeting: its setup, phase and wall."""
    if not user.is_authenticated or not user.is_active:
        return False
    # The cheapest answer first: a superuser's needs no query, a facilitator's link one
    # (or none, read with the meeting), and the permission one (the user's own or their
    # groups'), read only when needed.
    return user.is_superuser or _linked(user, meeting) or holds(user, "change_meeting")


def can_read(user: User, meeting: Meeting) -> bool:
    """Whether the user may read everything of this meeting, as a coordinator does."""
    if not user.is_authenticated or not user.is_active:
        return False
    return holds(user, "view_meeting") or can_facilitate(user, meeting)


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
