"""Writes from the room: joining, the life of a topic on a phone, and interest.

Each function validates, writes in one transaction, and announces its change through
`announce` after commit; views only read input and call them (Zulip's actions).
"""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from . import agenda, announce, text
from .errors import ParticipationError
from .models import Interest, Meeting, Participant, Topic

Status = Topic.Status
NAME_MAX = Participant._meta.get_field("name").max_length
ORGANIZATION_MAX = Participant._meta.get_field("organization").max_length
TITLE_MAX = Topic._meta.get_field("title").max_length
DESCRIPTION_MAX = Topic.DESCRIPTION_MAX
PROPOSING_PHASES = (Meeting.Phase.OPENING, Meeting.Phase.AGENDA)


def _clean_title(title: str) -> str:
    return text.one_line(title, limit=TITLE_MAX, required=_("Give the topic a title."))


def _clean_description(description: str) -> str:
    return text.paragraphs(description, limit=DESCRIPTION_MAX)


def _require_open(meeting: Meeting) -> None:
    if meeting.phase == Meeting.Phase.CLOSED:
        raise ParticipationError(_("This meeting is closed."))


def _lock_open_meeting(participant: Participant) -> Meeting:
    """Lock the meeting first, in the order the agenda's writes take their locks."""
    meeting = Meeting.objects.locked(participant.meeting_id)
    _require_open(meeting)
    return meeting


def _locked_topic(participant: Participant, topic_id: int, *, action: str) -> Topic:
    """The participant's topic, locked, if its status allows the action.

    A convener acts on their own topics; the partner a topic was shared with co-signs it.
    """
    _lock_open_meeting(participant)
    role = "partner" if action == "cosign" else "convener"
    topic = (
        Topic.objects.select_for_update()
        .filter(meeting_id=participant.meeting_id, pk=topic_id, **{role: participant})
        .first()
    )
    if topic is None:
        if role == "partner":
            raise ParticipationError(_("Only the partner a topic was shared with can co-sign it."))
        raise ParticipationError(_("Only the person who proposed a topic can change it."))
    if topic.allows(action):
        return topic
    if topic.status == Status.PLACED:
        raise ParticipationError(
            _("“%(title)s” is on the agenda already; ask a facilitator to change it.")
            % {"title": topic.title}
        )
    raise ParticipationError(
        _("“%(title)s” is %(status)s and cannot be changed any more.")
        % {"title": topic.title, "status": topic.get_status_display().lower()}
    )


@transaction.atomic
def join_meeting(*, meeting: Meeting, name: str, organization: str = "") -> Participant:
    """Add someone to the meeting by name and organisation; no account needed."""
    _require_open(meeting)
    name = text.one_line(name, limit=NAME_MAX, required=_("Tell us your name."))
    organization = text.one_line(organization, limit=ORGANIZATION_MAX)
    participant = Participant.objects.create(meeting=meeting, name=name, organization=organization)
    announce.moderation_changed(meeting)
    return participant


@transaction.atomic
def create_draft(*, participant: Participant, title: str, description: str = "") -> Topic:
    """Start a topic as the participant's private draft, while topics are being proposed."""
    meeting = _lock_open_meeting(participant)
    if meeting.phase not in PROPOSING_PHASES:
        raise ParticipationError(
            _("Topics are proposed at the opening and while the agenda is made.")
        )
    topic = Topic.objects.create(
        meeting=meeting,
        convener=participant,
        title=_clean_title(title),
        description=_clean_description(description),
        status=Status.DRAFT,
    )
    announce.moderation_changed(meeting)
    return topic


@transaction.atomic
def edit_topic(
    *, participant: Participant, topic_id: int, title: str, description: str | None = None
) -> Topic:
    """Change the title (and description, if given) of one's own topic until it is placed."""
    topic = _locked_topic(participant, topic_id, action="edit")
    topic.title = _clean_title(title)
    if description is not None:
        topic.description = _clean_description(description)
    topic.save(update_fields=["title", "description", "updated_at"])
    if topic.is_on_wall:
        # Only a raised topic can be edited, and it waits in the tray: its card is all.
        announce.card_changed(topic)
    announce.nudge([topic.partner_id], meeting=participant.meeting)
    return topic


@transaction.atomic
def share_topic(*, participant: Participant, topic_id: int, partner_id: int) -> Topic:
    """Show one's draft to a partner of the same meeting, who may then co-sign it."""
    topic = _locked_topic(participant, topic_id, action="share")
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
    announce.moderation_changed(participant.meeting, nudge=[partner.pk, earlier])
    return topic


@transaction.atomic
def cosign_topic(*, participant: Participant, topic_id: int) -> Topic:
    """Sign a topic a partner shared with you, so that you convene it together."""
    topic = _locked_topic(participant, topic_id, action="cosign")
    topic.partner_signed = True
    topic.save(update_fields=["partner_signed", "updated_at"])
    announce.nudge([topic.convener_id], meeting=participant.meeting)
    if topic.is_on_wall:
        announce.card_changed(topic)
    return topic


@transaction.atomic
def raise_topic(*, participant: Participant, topic_id: int) -> Topic:
    """Bring one's draft to the marketplace, where the facilitator can place it."""
    topic = _locked_topic(participant, topic_id, action="raise")
    topic.status = Status.RAISED
    topic.save(update_fields=["status", "updated_at"])
    announce.agenda_changed(participant.meeting, slot_ids=[None], nudge=[topic.partner_id])
    return topic


@transaction.atomic
def withdraw_own_topic(*, participant: Participant, topic_id: int) -> Topic:
    """Withdraw one's own topic, as long as it is not yet on the agenda."""
    _locked_topic(participant, topic_id, action="withdraw_own")
    topic = agenda.withdraw_topic(meeting=participant.meeting, topic_id=topic_id)
    announce.nudge([topic.partner_id], meeting=participant.meeting)
    return topic


@transaction.atomic
def toggle_interest(*, participant: Participant, topic_id: int) -> bool:
    """Mark or unmark a topic one wants to join; returns whether it is now marked."""
    # The meeting's lock serves taps one after the other: two at once cannot both add.
    _lock_open_meeting(participant)
    topic = Topic.objects.on_wall().filter(meeting_id=participant.meeting_id, pk=topic_id).first()
    if topic is None:
        raise ParticipationError(_("That topic is not on the agenda."))
    deleted, _counts = Interest.objects.filter(topic=topic, participant=participant).delete()
    if not deleted:
        Interest.objects.create(topic=topic, participant=participant)
    announce.card_changed(topic)
    return not deleted


def interests_of(participant: Participant) -> list[int]:
    """Ids of the topics a participant wants to join."""
    return list(participant.interests.values_list("topic_id", flat=True))
