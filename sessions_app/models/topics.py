"""Topics: from a private draft to a cell on the wall, interest in them, and their signs."""

from __future__ import annotations

import secrets

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .meetings import Meeting, Participant, Room, Slot, cell_code


class TopicQuerySet(models.QuerySet):
    def on_wall(self) -> TopicQuerySet:
        """Topics the wall shows: raised ones in the tray and placed ones in their cells."""
        return self.filter(status__in=Topic.ON_WALL)


class Topic(models.Model):
    """A question raised for discussion, from a private draft to a cell on the wall."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Private draft")
        SHARED = "shared", _("Shared with a partner")
        RAISED = "raised", _("Raised")
        PLACED = "placed", _("Placed")
        WITHDRAWN = "withdrawn", _("Withdrawn")
        MERGED = "merged", _("Merged")

    ON_WALL = (Status.RAISED, Status.PLACED)
    # What the convener may write under the title; the meeting format holds it to this too.
    DESCRIPTION_MAX = 2000
    # The topic's state machine: each action and the statuses it may start from. Services
    # refuse an action from any other status, and templates offer only what is allowed.
    ALLOWED_FROM = {
        # The convener's own actions on a phone.
        "edit": (Status.DRAFT, Status.SHARED, Status.RAISED),
        "share": (Status.DRAFT, Status.SHARED),
        "raise": (Status.DRAFT, Status.SHARED),
        "withdraw_own": (Status.DRAFT, Status.SHARED, Status.RAISED),
        # The partner's, after the pair step.
        "cosign": (Status.SHARED, Status.RAISED),
        # The facilitators', on the board.
        "place": (Status.RAISED,),
        "move": (Status.PLACED,),
        "swap": ON_WALL,
        "unplace": (Status.PLACED,),
        "merge": ON_WALL,
        "withdraw": (Status.DRAFT, Status.SHARED, Status.RAISED, Status.PLACED),
        "pin": (Status.PLACED,),
    }

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="topics")
    title = models.CharField(_("title"), max_length=300)
    description = models.TextField(_("description"), blank=True)
    convener = models.ForeignKey(
        # RESTRICT, not PROTECT: a convener, slot or room holding a topic cannot be
        # deleted alone, but deleting the whole meeting takes them with its topics.
        Participant,
        verbose_name=_("convener"),
        on_delete=models.RESTRICT,
        related_name="topics",
    )
    partner = models.ForeignKey(
        Participant,
        verbose_name=_("partner"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="shared_topics",
    )
    # The pair step: the partner read the draft and signed it, so both convene it.
    partner_signed = models.BooleanField(_("co-signed by the partner"), default=False)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.DRAFT
    )
    slot = models.ForeignKey(
        Slot, on_delete=models.RESTRICT, null=True, blank=True, related_name="topics"
    )
    room = models.ForeignKey(
        Room, on_delete=models.RESTRICT, null=True, blank=True, related_name="topics"
    )
    merged_into = models.ForeignKey(
        "self",
        verbose_name=_("merged into"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="merged_from",
    )
    position = models.PositiveIntegerField(default=0)
    # A facilitator's word that a placed topic stays where it is: a suggested placement
    # leaves it in its cell. It goes when the topic leaves the wall.
    pinned = models.BooleanField(_("pinned"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = TopicQuerySet.as_manager()

    class Meta:
        verbose_name = _("topic")
        verbose_name_plural = _("topics")
        ordering = ["position", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["slot", "room"],
                condition=Q(slot__isnull=False, room__isnull=False),
                name="topic_one_per_cell",
            ),
            models.CheckConstraint(
                condition=(
                    Q(status="placed", slot__isnull=False, room__isnull=False)
                    | (~Q(status="placed") & Q(slot__isnull=True, room__isnull=True))
                ),
                name="topic_placed_iff_in_cell",
            ),
            models.CheckConstraint(
                condition=Q(status="merged") | Q(merged_into__isnull=True),
                name="topic_merged_has_target",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def clean(self) -> None:
        """Everything a topic points at belongs to its own meeting."""
        others = {
            "convener": self.convener if self.convener_id else None,
            "partner": self.partner,
            "slot": self.slot,
            "room": self.room,
            "merged_into": self.merged_into,
        }
        errors = {
            name: _("This belongs to another meeting.")
            for name, other in others.items()
            if other is not None and other.meeting_id != self.meeting_id
        }
        if errors:
            raise ValidationError(errors)

    @property
    def code(self) -> str:
        """The topic's code on the wall: room code then slot number, such as "B2"."""
        if self.slot_id is None or self.room_id is None:
            return ""
        return cell_code(self.room.code, self.slot.number)

    @property
    def is_on_wall(self) -> bool:
        return self.status in self.ON_WALL

    def allows(self, action: str) -> bool:
        """Whether the topic's status allows this action (see ALLOWED_FROM)."""
        return self.status in self.ALLOWED_FROM[action]

    @property
    def actions(self) -> frozenset[str]:
        """The actions its status allows, for templates: `{% if "raise" in topic.actions %}`."""
        return frozenset(action for action in self.ALLOWED_FROM if self.allows(action))


class Interest(models.Model):
    """A participant's mark that they want to join a topic's discussion."""

    topic = models.ForeignKey(Topic, on_delete=models.CASCADE, related_name="interests")
    participant = models.ForeignKey(Participant, on_delete=models.CASCADE, related_name="interests")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("interest")
        verbose_name_plural = _("interests")
        constraints = [
            models.UniqueConstraint(fields=["topic", "participant"], name="interest_once"),
        ]

    def __str__(self) -> str:
        return f"{self.participant} → {self.topic}"


def new_sign_secret() -> str:
    """Return the secret printed in a sign's QR code, which gives a phone the topic's pen."""
    return secrets.token_urlsafe(24)


class Sign(models.Model):
    """The printed sign of a placed topic, whose QR code gives a phone the topic's pen."""

    topic = models.OneToOneField(Topic, on_delete=models.CASCADE, related_name="sign")
    secret = models.CharField(max_length=64, unique=True, default=new_sign_secret, editable=False)
    issued_at = models.DateTimeField(_("issued"), auto_now=True)

    class Meta:
        verbose_name = _("sign")
        verbose_name_plural = _("signs")

    def __str__(self) -> str:
        return str(self.topic)


class Pen(models.Model):
    """A phone that may write a topic's report because it scanned the topic's sign."""

    topic = models.ForeignKey(Topic, on_delete=models.CASCADE, related_name="pens")
    participant = models.ForeignKey(Participant, on_delete=models.CASCADE, related_name="pens")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("pen")
        verbose_name_plural = _("pens")
        constraints = [
            models.UniqueConstraint(fields=["topic", "participant"], name="pen_once"),
        ]

    def __str__(self) -> str:
        return f"{self.participant} → {self.topic}"
