"""Writes from the room: joining, the life of a topic on a phone, interest, and the phase.

Each function validates, writes in one transaction, and announces its change through
`realtime` after commit; views only read input and call them (Zulip's actions).
"""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from . import agenda, realtime
from .models import Interest, Meeting, Participant, Topic

Status = Topic.Status
OWN_EDITABLE = (Status.DRAFT, Status.SHARED, Status.RAISED)
NAME_MAX = Participant._meta.get_field("name").max_length
ORGANIZATION_MAX = Participant._meta.get_field("organization").max_length
TITLE_MAX = Topic._meta.get_field("title").max_length
DESCRIPTION_MAX = 2000


class ParticipationError(Exception):
    """A participant's request the meeting does not allow; the message is for people."""


def _clean_title(title: str) -> str:
    title = " ".join(title.split())
    if not title:
        raise ParticipationError(_("Give the topic a title."))
    if len(title) > TITLE_MAX:
        raise ParticipationError(_("A title is at most %(max)s characters.") % {"max": TITLE_MAX})
    return title


def _clean_description(description: str) -> str:
    description = description.strip()
    if len(description) > DESCRIPTION_MAX:
        raise ParticipationError(
            _("A description is at most %(max)s characters.") % {"max": DESCRIPTION_MAX}
        )
    return description


def _require_open(meeting: Meeting) -> None:
    if meeting.phase == Meeting.Phase.CLOSED:
        raise ParticipationError(_("This meeting is closed."))


def _lock_open_meeting(participant: Participant) -> Meeting:
    """Lock the meeting first, in the order the agenda's writes take their locks."""
    meeting = Meeting.objects.select_for_update().get(pk=participant.meeting_id)
    _require_open(meeting)
    return meeting


def _own_topic(participant: Participant, topic_id: int, *, allowed=OWN_EDITABLE) -> Topic:
    _lock_open_meeting(participant)
    topic = (
        Topic.objects.select_for_update()
        .filter(meeting_id=participant.meeting_id, convener=participant, pk=topic_id)
        .first()
    )
    if topic is None:
        raise ParticipationError(_("Only the person who proposed a topic can change it."))
    if topic.status not in allowed:
        if topic.status == Status.PLACED:
            raise ParticipationError(
                _("“%(title)s” is on the agenda already; ask a facilitator to change it.")
                % {"title": topic.title}
            )
        raise ParticipationError(
            _("“%(title)s” is %(status)s and cannot be changed any more.")
            % {"title": topic.title, "status": topic.get_status_display().lower()}
        )
    return topic


@transaction.atomic
def join_meeting(*, meeting: Meeting, name: str, organization: str = "") -> Participant:
    """Add someone to the meeting by name and organisation; no account needed."""
    _require_open(meeting)
    name, organization = " ".join(name.split()), " ".join(organization.split())
    if not name:
        raise ParticipationError(_("Tell us your name."))
    if len(name) > NAME_MAX or len(organization) > ORGANIZATION_MAX:
        raise ParticipationError(_("That is longer than we can keep; please shorten it."))
    participant = Participant.objects.create(meeting=meeting, name=name, organization=organization)
    realtime.announce_moderation(meeting)
    return participant


@transaction.atomic
def create_draft(*, participant: Participant, title: str, description: str = "") -> Topic:
    """Start a topic as the participant's private draft."""
    meeting = participant.meeting
    _require_open(meeting)
    topic = Topic.objects.create(
        meeting=meeting,
        convener=participant,
        title=_clean_title(title),
        description=_clean_description(description),
        status=Status.DRAFT,
    )
    realtime.announce_moderation(meeting)
    return topic


@transaction.atomic
def edit_topic(
    *, participant: Participant, topic_id: int, title: str, description: str | None = None
) -> Topic:
    """Change the title (and description, if given) of one's own topic until it is placed."""
    topic = _own_topic(participant, topic_id)
    topic.title = _clean_title(title)
    if description is not None:
        topic.description = _clean_description(description)
    topic.save(update_fields=["title", "description", "updated_at"])
    if topic.is_on_wall:
        realtime.announce_topic(topic)
    realtime.nudge([topic.partner_id], join_code=topic.meeting.join_code)
    return topic


@transaction.atomic
def share_topic(*, participant: Participant, topic_id: int, partner_id: int) -> Topic:
    """Show one's draft to a partner of the same meeting, who may then co-sign it."""
    topic = _own_topic(participant, topic_id, allowed=(Status.DRAFT, Status.SHARED))
    partner = Participant.objects.filter(meeting_id=participant.meeting_id, pk=partner_id).first()
    if partner is None:
        raise ParticipationError(_("Choose a partner who takes part in this meeting."))
    if partner.pk == participant.pk:
        raise ParticipationError(_("Choose someone else as your partner."))
    earlier = topic.partner_id
    if earlier != partner.pk:
        topic.partner_signed = False
    topic.partner = partner
    topic.status = Status.SHARED
    topic.save(update_fields=["partner", "partner_signed", "status", "updated_at"])
    realtime.announce_moderation(topic.meeting)
    realtime.nudge([partner.pk, earlier], join_code=topic.meeting.join_code)
    return topic


@transaction.atomic
def cosign_topic(*, participant: Participant, topic_id: int) -> Topic:
    """Sign a topic a partner shared with you, so that you convene it together."""
    _lock_open_meeting(participant)
    topic = (
        Topic.objects.select_for_update()
        .filter(meeting_id=participant.meeting_id, partner=participant, pk=topic_id)
        .first()
    )
    if topic is None:
        raise ParticipationError(_("Only the partner a topic was shared with can co-sign it."))
    if topic.status not in OWN_EDITABLE:
        raise ParticipationError(
            _("“%(title)s” is %(status)s and cannot be co-signed any more.")
            % {"title": topic.title, "status": topic.get_status_display().lower()}
        )
    topic.partner_signed = True
    topic.save(update_fields=["partner_signed", "updated_at"])
    realtime.nudge([topic.convener_id], join_code=participant.meeting.join_code)
    if topic.is_on_wall:
        realtime.announce_topic(topic)
    return topic


@transaction.atomic
def raise_topic(*, participant: Participant, topic_id: int) -> Topic:
    """Bring one's draft to the marketplace, where the facilitator can place it."""
    topic = _own_topic(participant, topic_id, allowed=(Status.DRAFT, Status.SHARED))
    topic.status = Status.RAISED
    topic.save(update_fields=["status", "updated_at"])
    realtime.announce_agenda(topic.meeting, slot_ids=[None])
    realtime.nudge([topic.partner_id], join_code=topic.meeting.join_code)
    return topic


def withdraw_own_topic(*, participant: Participant, topic_id: int) -> Topic:
    """Withdraw one's own topic, as long as it is not yet on the agenda."""
    with transaction.atomic():
        _own_topic(participant, topic_id)
        topic = agenda.withdraw_topic(meeting=participant.meeting, topic_id=topic_id)
        realtime.nudge([topic.partner_id], join_code=participant.meeting.join_code)
    if topic.status == Status.WITHDRAWN:
        realtime.announce_moderation(participant.meeting)
    return topic


@transaction.atomic
def toggle_interest(*, participant: Participant, topic_id: int) -> bool:
    """Mark or unmark a topic one wants to join; returns whether it is now marked."""
    topic = Topic.objects.filter(
        meeting_id=participant.meeting_id,
        pk=topic_id,
        status__in=[Status.RAISED, Status.PLACED],
    ).first()
    if topic is None:
        raise ParticipationError(_("That topic is not on the agenda."))
    # One participant's taps are served one after the other: two at once cannot both add.
    Participant.objects.select_for_update().filter(pk=participant.pk).first()
    deleted, _counts = Interest.objects.filter(topic=topic, participant=participant).delete()
    if not deleted:
        Interest.objects.create(topic=topic, participant=participant)
    realtime.announce_card(topic)
    return not deleted


def interests_of(participant: Participant) -> list[int]:
    """Ids of the topics a participant wants to join."""
    return list(participant.interests.values_list("topic_id", flat=True))


@transaction.atomic
def set_phase(*, meeting: Meeting, phase: str) -> Meeting:
    """Move the meeting to another phase; every projector and phone follows."""
    if phase not in Meeting.Phase.values:
        raise ParticipationError(_("There is no such phase."))
    meeting = Meeting.objects.select_for_update().get(pk=meeting.pk)
    if meeting.phase != phase:
        meeting.phase = phase
        meeting.save(update_fields=["phase", "updated_at"])
        realtime.announce_phase(meeting)
    return meeting
