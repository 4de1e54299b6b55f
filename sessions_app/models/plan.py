"""The action plan and the closing: initiatives, who joins them, and reflections."""

from __future__ import annotations

from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .meetings import Meeting, Participant
from .topics import Topic


class InitiativeQuerySet(models.QuerySet):
    def open_before(self, meeting: Meeting) -> InitiativeQuerySet:
        """The still open initiatives of the series' earlier meetings: the look-back's."""
        if meeting.series_id is None or meeting.number is None:
            return self.none()
        return (
            self.filter(
                meeting__series_id=meeting.series_id,
                meeting__number__lt=meeting.number,
                status=Initiative.Status.OPEN,
            )
            .select_related("meeting")
            .prefetch_related("members")
            .order_by("meeting__number", "position", "pk")
        )


class Initiative(models.Model):
    """A row of the action plan: who does what, at which level, and when."""

    class Level(models.TextChoices):
        PREPARE = "F", _("prepare")
        CARRY_OUT = "G", _("carry out")
        EXPLORE = "U", _("explore")

    class Status(models.TextChoices):
        OPEN = "open", _("open")
        DONE = "done", _("done")
        DROPPED = "dropped", _("dropped")

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="initiatives")
    who = models.CharField(_("who"), max_length=300)
    what = models.TextField(_("what"))
    # The level letters in the order given, such as "FU".
    levels = models.CharField(
        _("levels"),
        max_length=3,
        validators=[RegexValidator(r"^(?!.*(.).*\1)[FGU]{1,3}$", _("One or more of F, G and U."))],
    )
    when = models.CharField(_("when"), max_length=200, blank=True)
    source_topic = models.ForeignKey(
        Topic,
        verbose_name=_("adopted from"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="initiatives",
    )
    # Open initiatives return in the look-back of every later meeting of the series.
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.OPEN
    )
    # Who raised it from a phone, kept for limits and removal; "who" says whose it is.
    raised_by = models.ForeignKey(
        Participant,
        verbose_name=_("raised by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="raised_initiatives",
    )
    position = models.PositiveIntegerField(default=0)

    objects = InitiativeQuerySet.as_manager()

    class Meta:
        verbose_name = _("initiative")
        verbose_name_plural = _("initiatives")
        ordering = ["position", "pk"]

    def __str__(self) -> str:
        return self.what

    @property
    def level_list(self) -> list[str]:
        return list(self.levels)


class InitiativeMember(models.Model):
    """Someone who signed up for an initiative ("Vem är med?")."""

    initiative = models.ForeignKey(Initiative, on_delete=models.CASCADE, related_name="members")
    name = models.CharField(_("name"), max_length=300)
    participant = models.ForeignKey(
        Participant, on_delete=models.CASCADE, null=True, blank=True, related_name="signups"
    )
    position = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("initiative member")
        verbose_name_plural = _("initiative members")
        ordering = ["position", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["initiative", "participant"],
                condition=Q(participant__isnull=False),
                name="initiative_member_once",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Reflection(models.Model):
    """Something said or written in the closing circle."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="reflections")
    text = models.TextField(_("text"))
    participant = models.ForeignKey(
        Participant, on_delete=models.SET_NULL, null=True, blank=True, related_name="reflections"
    )
    # The author is kept (for throttling and removal) but never shown when anonymous.
    anonymous = models.BooleanField(_("anonymous"), default=False)
    is_visible = models.BooleanField(_("visible"), default=True)
    position = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("reflection")
        verbose_name_plural = _("reflections")
        ordering = ["position", "pk"]

    def __str__(self) -> str:
        return self.text[:60]
