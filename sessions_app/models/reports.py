"""What discussions leave behind: reports with photos of the paper sheet, and dots on them."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from .meetings import Participant
from .topics import Topic


class Report(models.Model):
    """What a discussion circle wrote on its report sheet."""

    topic = models.OneToOneField(Topic, on_delete=models.CASCADE, related_name="report")
    participants = models.JSONField(_("participants"), default=list, blank=True)
    summary = models.TextField(_("summary"), blank=True)
    insights = models.JSONField(_("insights"), default=list, blank=True)
    next_steps = models.JSONField(_("next steps"), default=list, blank=True)
    # How many times each field was saved: a save names the version it started from, and
    # one that started from an older version is refused instead of overwriting.
    versions = models.JSONField(default=dict, blank=True, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("report")
        verbose_name_plural = _("reports")

    def __str__(self) -> str:
        return str(self.topic)


def report_photo_path(photo: ReportPhoto, filename: str) -> str:
    return f"reports/{photo.report.topic.meeting_id}/{filename}"


class ReportPhoto(models.Model):
    """A photo of a paper report sheet."""

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="photos")
    # Its size is kept with it, so that pages and broadcasts lay photos out without
    # opening every file.
    image = models.ImageField(
        _("image"), upload_to=report_photo_path, width_field="width", height_field="height"
    )
    width = models.PositiveIntegerField(null=True, editable=False)
    height = models.PositiveIntegerField(null=True, editable=False)
    caption = models.CharField(_("caption"), max_length=300, blank=True)
    caption_version = models.PositiveIntegerField(default=0, editable=False)
    # The path the photo had in an imported bundle, kept so that export gives it back.
    bundle_path = models.CharField(max_length=300, blank=True, editable=False)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("report photo")
        verbose_name_plural = _("report photos")
        ordering = ["position", "pk"]

    def __str__(self) -> str:
        return self.caption or self.image.name


class Dot(models.Model):
    """A participant's dot on a report at the vernissage: this should go on."""

    topic = models.ForeignKey(Topic, on_delete=models.CASCADE, related_name="dots")
    participant = models.ForeignKey(Participant, on_delete=models.CASCADE, related_name="dots")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("dot")
        verbose_name_plural = _("dots")
        constraints = [
            models.UniqueConstraint(fields=["topic", "participant"], name="dot_once_per_report"),
        ]

    def __str__(self) -> str:
        return f"{self.participant} → {self.topic}"
