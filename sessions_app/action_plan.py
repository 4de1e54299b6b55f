"""The action plan: initiatives raised from phones or adopted from reports, and who joins them.

Anyone raises an initiative during the action plan and the closing, and anyone joins or
leaves one with a tap. Facilitators add people by name, edit, remove and merge
initiatives. Open initiatives return in the look-back of every later meeting of the
series until a facilitator marks them done or dropped: the one change a closed meeting
takes, made by a facilitator of a later meeting of its series.
"""

from __future__ import annotations

from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from . import announce, text
from .errors import DomainError
from .models import Initiative, InitiativeMember, Meeting, Participant, Topic

PLAN_PHASES = (Meeting.Phase.ACTION_PLAN, Meeting.Phase.CLOSING)
WHO_MAX = Initiative._meta.get_field("who").max_length
WHEN_MAX = Initiative._meta.get_field("when").max_length
MEMBER_MAX = InitiativeMember._meta.get_field("name").max_length
WHAT_MAX = 1000
LEVEL_ORDER = Initiative.Level.values


class PlanError(DomainError):
    """A change to the action plan the meeting does not allow."""


def _locked_planning(meeting_id: int) -> Meeting:
    meeting = Meeting.objects.locked(meeting_id)
    if meeting.phase == Meeting.Phase.CLOSED:
        raise PlanError(_("This meeting is closed; its action plan can no longer be changed."))
    if meeting.phase not in PLAN_PHASES:
        raise PlanError(_("Initiatives are raised in the action plan and the closing."))
    return meeting


def _levels(levels: list[str]) -> str:
    chosen = set(levels)
    if not chosen or not chosen <= set(LEVEL_ORDER):
        raise PlanError(_("Choose one or more levels: F, G or U."))
    return "".join(level for level in LEVEL_ORDER if level in chosen)


def _initiative(meeting: Meeting, initiative_id: int) -> Initiative:
    initiative = (
        Initiative.objects.select_for_update().filter(meeting=meeting, pk=initiative_id).first()
    )
    if initiative is None:
        raise PlanError(_("That initiative is not part of this meeting's action plan."))
    return initiative


def _next_position(queryset) -> int:
    last = queryset.aggregate(last=Max("position"))["last"]
    return 0 if last is None else last + 1


def _cleaned(*, who: str, what: str, levels: list[str], when: str) -> dict:
    return {
        "who": text.one_line(who, limit=WHO_MAX, required=_("Say who takes the initiative.")),
        "what": text.one_line(what, limit=WHAT_MAX, required=_("Say what the initiative is.")),
        "levels": _levels(levels),
        "when": text.one_line(when, limit=WHEN_MAX),
    }


@transaction.atomic
def raise_initiative(
    *,
    participant: Participant,
    who: str,
    what: str,
    levels: list[str],
    when: str = "",
    topic_id: int | None = None,
) -> Initiative:
    """Add an initiative to the action plan, adopted from a report's topic if one is named."""
    fields = _cleaned(who=who, what=what, levels=levels, when=when)
    meeting = _locked_planning(participant.meeting_id)
    topic = None
    if topic_id is not None:
        topic = Topic.objects.filter(
            meeting=meeting, pk=topic_id, status=Topic.Status.PLACED
        ).first()
        if topic is None:
            raise PlanError(_("That topic is not on this meeting's agenda."))
    initiative = Initiative.objects.create(
        meeting=meeting,
        source_topic=topic,
        raised_by=participant,
        position=_next_position(meeting.initiatives),
        **fields,
    )
    announce.plan_changed(meeting)
    return initiative


@transaction.atomic
def join_initiative(*, participant: Participant, initiative_id: int) -> InitiativeMember:
    """Sign the participant up for an initiative ("Who joins?")."""
    meeting = _locked_planning(participant.meeting_id)
    initiative = _initiative(meeting, initiative_id)
    member = initiative.members.filter(participant=participant).first()
    if member is None:
        member = InitiativeMember.objects.create(
            initiative=initiative,
            participant=participant,
            name=str(participant)[:MEMBER_MAX],
            position=_next_position(initiative.members),
        )
        announce.plan_gathered(meeting)
    return member


@transaction.atomic
def leave_initiative(*, participant: Participant, initiative_id: int) -> None:
    """Take the participant off an initiative they joined."""
    meeting = _locked_planning(participant.meeting_id)
    initiative = _initiative(meeting, initiative_id)
    deleted, _counts = initiative.members.filter(participant=participant).delete()
    if deleted:
        announce.plan_gathered(meeting)


def joined_by(participant: Participant) -> list[int]:
    """Ids of the initiatives the participant joined."""
    return list(participant.signups.values_list("initiative_id", flat=True))


# The facilitators' changes --------------------------------------------------------------


@transaction.atomic
def add_member(*, meeting: Meeting, initiative_id: int, name: str) -> InitiativeMember:
    """Write someone into an initiative by name, such as a person not on a phone."""
    name = text.one_line(name, limit=MEMBER_MAX, required=_("Give the name of who joins."))
    meeting = _locked_planning(meeting.pk)
    initiative = _initiative(meeting, initiative_id)
    member = InitiativeMember.objects.create(
        initiative=initiative, name=name, position=_next_position(initiative.members)
    )
    announce.plan_changed(meeting)
    return member


@transaction.atomic
def remove_member(*, meeting: Meeting, initiative_id: int, member_id: int) -> None:
    """Take someone off an initiative."""
    meeting = _locked_planning(meeting.pk)
    initiative = _initiative(meeting, initiative_id)
    deleted, _counts = initiative.members.filter(pk=member_id).delete()
    if not deleted:
        raise PlanError(_("That person has not joined this initiative."))
    announce.plan_changed(meeting)


@transaction.atomic
def edit_initiative(
    *, meeting: Meeting, initiative_id: int, who: str, what: str, levels: list[str], when: str
) -> Initiative:
    """Change an initiative's who, what, levels and when."""
    fields = _cleaned(who=who, what=what, levels=levels, when=when)
    meeting = _locked_planning(meeting.pk)
    initiative = _initiative(meeting, initiative_id)
    for name, value in fields.items():
        setattr(initiative, name, value)
    initiative.save(update_fields=list(fields))
    announce.plan_changed(meeting)
    return initiative


@transaction.atomic
def remove_initiative(*, meeting: Meeting, initiative_id: int) -> None:
    """Take an initiative off the action plan, with who joined it."""
    meeting = _locked_planning(meeting.pk)
    _initiative(meeting, initiative_id).delete()
    announce.plan_changed(meeting)


@transaction.atomic
def merge_initiatives(*, meeting: Meeting, initiative_id: int, into_id: int) -> Initiative:
    """Merge one initiative into another: the target's who, what and when stay, with the
    levels and the members of both."""
    if initiative_id == into_id:
        raise PlanError(_("An initiative cannot be merged into itself."))
    meeting = _locked_planning(meeting.pk)
    source = _initiative(meeting, initiative_id)
    target = _initiative(meeting, into_id)
    target.levels = _levels(list(target.levels + source.levels))
    target.source_topic = target.source_topic or source.source_topic
    target.save(update_fields=["levels", "source_topic"])
    known = {(m.participant_id or m.name) for m in target.members.all()}
    position = _next_position(target.members)
    for member in source.members.all():
        if (member.participant_id or member.name) in known:
            continue
        known.add(member.participant_id or member.name)
        InitiativeMember.objects.create(
            initiative=target, participant=member.participant, name=member.name, position=position
        )
        position += 1
    source.delete()
    announce.plan_changed(meeting)
    return target


@transaction.atomic
def set_status(*, meeting: Meeting, initiative_id: int, status: str) -> Initiative:
    """Mark an initiative of this meeting or of an earlier one of its series done, dropped or
    open again; earlier meetings take this change even when they are closed."""
    if status not in Initiative.Status.values:
        raise PlanError(_("There is no such status."))
    meeting = Meeting.objects.locked(meeting.pk)
    initiative = (
        Initiative.objects.select_for_update(of=("self",))
        .select_related("meeting")
        .filter(pk=initiative_id)
        .first()
    )
    if initiative is None or not _is_in_look_back(meeting, initiative):
        raise PlanError(_("That initiative is not part of this meeting or its series."))
    if initiative.meeting_id == meeting.pk and meeting.phase == Meeting.Phase.CLOSED:
        raise PlanError(_("This meeting is closed; its action plan can no longer be changed."))
    initiative.status = status
    initiative.save(update_fields=["status"])
    announce.lookback_changed(meeting)
    return initiative


def _is_in_look_back(meeting: Meeting, initiative: Initiative) -> bool:
    """The meeting's own initiatives, and those of earlier meetings of its series."""
    if initiative.meeting_id == meeting.pk:
        return True
    other = initiative.meeting
    return (
        meeting.series_id is not None
        and other.series_id == meeting.series_id
        and meeting.number is not None
        and other.number is not None
        and other.number < meeting.number
    )
