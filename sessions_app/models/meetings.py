"""A meeting and its setup: the series, facilitators, links, slots, rooms and participants."""

from __future__ import annotations

import secrets
import uuid

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

# Letters and digits that cannot be mistaken for one another when read aloud or
# typed from a projector (no 0/O, 1/I/L, 2/Z, 5/S, 8/B).
JOIN_CODE_ALPHABET = "ACDEFGHJKMNPQRTUVWXY34679"
JOIN_CODE_LENGTH = 6
MAX_DOTS_PER_PERSON = 20
MAX_SLOTS = 12


def new_join_code() -> str:
    """Return a random join code; uniqueness is checked by the caller."""
    return "".join(secrets.choice(JOIN_CODE_ALPHABET) for _ in range(JOIN_CODE_LENGTH))


def new_browser_token() -> str:
    """Return the secret that identifies one participant's browser."""
    return secrets.token_urlsafe(24)


def cell_code(room_code: str, slot_number: int) -> str:
    """The code of a cell of the wall: room code then slot number, such as "B2"."""
    return f"{room_code}{slot_number}"


def code_order(room: Room, slot: Slot) -> tuple:
    """Where a cell stands in code order: room by room (A1, A2, … B1), as the reports go."""
    return (room.position, room.code, slot.number)


room_code_validator = RegexValidator(
    r"^[^\W_]{1,3}$", _("A room code is 1–3 letters or digits, such as A or B2.")
)


class Series(models.Model):
    """A programme of meetings, such as "Leda omställning tillsammans"."""

    title = models.CharField(_("title"), max_length=200)
    organizer = models.CharField(_("organizer"), max_length=200, blank=True)
    context = models.CharField(_("context"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("series")
        verbose_name_plural = _("series")
        ordering = ["title"]
        constraints = [
            models.UniqueConstraint(fields=["title", "organizer"], name="series_unique_title")
        ]

    def __str__(self) -> str:
        return self.title


class MeetingManager(models.Manager):
    def locked(self, pk: int) -> Meeting:
        """The meeting's row, locked until the transaction ends.

        Every write to a meeting takes this lock first, so that writers are served one
        after the other and always take their locks in the same order.
        """
        return self.select_for_update(of=("self",)).get(pk=pk)


class Meeting(models.Model):
    """One Open Space meeting, from its setup to its documentation."""

    class Language(models.TextChoices):
        SWEDISH = "sv", _("Swedish")
        ENGLISH = "en", _("English")

    class Phase(models.TextChoices):
        OPENING = "opening", _("Opening")
        AGENDA = "agenda", _("Creating the agenda")
        DISCUSSIONS = "discussions", _("Discussions")
        VERNISSAGE = "vernissage", _("Vernissage")
        ACTION_PLAN = "action_plan", _("Action plan")
        CLOSING = "closing", _("Closing")
        CLOSED = "closed", _("Closed")

    series = models.ForeignKey(
        Series,
        verbose_name=_("series"),
        on_delete=models.PROTECT,
        related_name="meetings",
        null=True,
        blank=True,
    )
    number = models.PositiveIntegerField(
        _("number"), null=True, blank=True, validators=[MinValueValidator(1)]
    )
    title = models.CharField(_("title"), max_length=200)
    theme = models.CharField(
        _("theme"),
        max_length=300,
        blank=True,
        help_text=_("Recalled in later meetings' look-back."),
    )
    date = models.DateField(_("date"), null=True, blank=True)
    location = models.CharField(_("place"), max_length=200, blank=True)
    language = models.CharField(
        _("language"), max_length=2, choices=Language.choices, default=Language.SWEDISH
    )
    phase = models.CharField(
        _("phase"), max_length=20, choices=Phase.choices, default=Phase.OPENING
    )
    join_code = models.CharField(_("join code"), max_length=12, unique=True, editable=False)
    purpose = models.JSONField(_("purpose"), default=list, blank=True)
    participants = models.TextField(_("participants"), blank=True)
    method = models.TextField(_("method"), blank=True)
    lookback = models.JSONField(_("look-back themes"), default=list, blank=True)
    agenda_intro = models.TextField(_("how the agenda was made"), blank=True)
    summary = models.TextField(_("summary"), blank=True)
    dots_per_person = models.PositiveSmallIntegerField(
        _("dots per person"),
        default=3,
        validators=[MaxValueValidator(MAX_DOTS_PER_PERSON)],
        help_text=_("How many reports each participant may mark at the vernissage."),
    )
    # The report every projector shows full screen at the vernissage, when one is chosen.
    spotlight = models.ForeignKey(
        "sessions_app.Topic",
        verbose_name=_("report shown full screen"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    documents_public = models.BooleanField(
        _("documents published"),
        default=False,
        help_text=_("Once closed, anyone with the link may download the documents."),
    )
    revision = models.PositiveIntegerField(_("revision"), default=0, editable=False)
    # Counts every change a live page shows (interest marks and dots included), so that a
    # page can tell it missed one. Distinct from `revision`, which renews the documents.
    live_revision = models.PositiveBigIntegerField(default=0, editable=False)
    # A new value whenever a slot or room of the meeting is saved or deleted (signals.py):
    # each process keeps the slots and rooms under it (board.grid), and reads the wall
    # without them. A value, never a count: one raised in a transaction that was rolled
    # back is never given again.
    grid_version = models.UUIDField(default=uuid.uuid4, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = MeetingManager()

    class Meta:
        verbose_name = _("meeting")
        verbose_name_plural = _("meetings")
        ordering = [F("date").desc(nulls_last=True), "-number", "title"]
        constraints = [
            models.UniqueConstraint(
                fields=["series", "number"],
                condition=Q(series__isnull=False, number__isnull=False),
                name="meeting_unique_number_in_series",
            ),
            models.CheckConstraint(
                condition=Q(language__in=["sv", "en"]), name="meeting_language_known"
            ),
            models.CheckConstraint(
                condition=Q(dots_per_person__lte=MAX_DOTS_PER_PERSON),
                name="meeting_dots_per_person_range",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def save(self, *args, **kwargs) -> None:
        if not self.join_code:
            self.join_code = self.unused_join_code()
        super().save(*args, **kwargs)

    @classmethod
    def unused_join_code(cls) -> str:
        """A join code no meeting has."""
        while True:
            code = new_join_code()
            if not cls.objects.filter(join_code=code).exists():
                return code

    @classmethod
    def find(cls, reference: str) -> Meeting:
        """Return the meeting with this id or join code (any case, spaces ignored)."""
        reference = reference.strip()
        if reference.isdigit():
            found = cls.objects.filter(pk=int(reference)).first()
            if found is not None:
                return found
        return cls.objects.get(join_code=reference.replace(" ", "").replace("-", "").upper())

    def bump_revision(self) -> None:
        """Mark the meeting as changed, so caches keyed on its revision renew."""
        Meeting.objects.filter(pk=self.pk).update(revision=F("revision") + 1)
        self.refresh_from_db(fields=["revision"])


class Facilitator(models.Model):
    """A meeting's leader, with the role shown in its documentation."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="facilitators")
    name = models.CharField(_("name"), max_length=200)
    role = models.CharField(_("role"), max_length=200, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("account"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="facilitations",
    )
    position = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("facilitator")
        verbose_name_plural = _("facilitators")
        ordering = ["position", "pk"]

    def __str__(self) -> str:
        return self.name


class Link(models.Model):
    """Further reading about the meeting or its method."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="links")
    title = models.CharField(_("title"), max_length=300, blank=True)
    url = models.URLField(_("address"), max_length=1000)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("link")
        verbose_name_plural = _("links")
        ordering = ["position", "pk"]

    def __str__(self) -> str:
        return self.title or self.url


class Slot(models.Model):
    """A time slot ("pass") of the agenda."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="slots")
    number = models.PositiveIntegerField(_("number"), validators=[MinValueValidator(1)])
    starts = models.TimeField(_("starts"))
    ends = models.TimeField(_("ends"))

    class Meta:
        verbose_name = _("slot")
        verbose_name_plural = _("slots")
        ordering = ["number"]
        constraints = [
            models.UniqueConstraint(fields=["meeting", "number"], name="slot_unique_number"),
            models.CheckConstraint(condition=Q(ends__gt=F("starts")), name="slot_ends_after_start"),
        ]

    def __str__(self) -> str:
        return f"{self.number}: {self.starts:%H:%M}–{self.ends:%H:%M}"


class Room(models.Model):
    """A space where discussions are held, such as room A."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="rooms")
    code = models.CharField(_("code"), max_length=3, validators=[room_code_validator])
    name = models.CharField(_("name"), max_length=200, blank=True)
    capacity = models.PositiveIntegerField(_("capacity"), null=True, blank=True)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("room")
        verbose_name_plural = _("rooms")
        ordering = ["position", "code"]
        constraints = [
            models.UniqueConstraint(fields=["meeting", "code"], name="room_unique_code"),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}".strip()


class Participant(models.Model):
    """Someone taking part, known by name and organisation; no account needed."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="people")
    name = models.CharField(_("name"), max_length=200)
    organization = models.CharField(_("organisation"), max_length=200, blank=True)
    token = models.CharField(max_length=64, unique=True, default=new_browser_token, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("participant")
        verbose_name_plural = _("participants")
        ordering = ["name", "pk"]

    def __str__(self) -> str:
        return f"{self.name}, {self.organization}" if self.organization else self.name


class SentWrite(models.Model):
    """A phone's write that arrived, by the key the phone made for it.

    A phone sends a write again when its answer was lost; the same key then finds the
    write already done, so that it is not saved twice (views/once.py).
    """

    participant = models.ForeignKey(Participant, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=32)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["participant", "key"], name="sent_write_once")
        ]

    def __str__(self) -> str:
        return self.key
