"""Keep `Meeting.revision` honest, and give coordinators their group.

Everything the meeting's documents show belongs to a meeting. Any save or delete of
one of those rows raises the meeting's revision in the same transaction, so caches
keyed on the revision (the PDF) renew without each writer having to remember it. The
revision is raised in the database (`revision + 1`), never written from memory, so two
writers cannot both produce the same number.

Queryset `update()` and `bulk_create()` send no signals: code that changes a meeting's
rows that way calls `Meeting.bump_revision()` itself, or announces the change with
`documents=True` (`announce.fragments_changed`), which raises it with the live revision.
A slot or room saved or deleted also renews the meeting's `grid_version`, under which each
process keeps the grid (board.grid); `bump_revision` does not, so slots and rooms are
written one by one, except the copies `setup.copy_setup` makes for a meeting it has just
created, whose grid no one has read yet.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.db import transaction
from django.db.models import F, Q, QuerySet
from django.db.models.signals import post_delete, post_save, pre_save

from .models import (
    Facilitator,
    Initiative,
    InitiativeMember,
    Link,
    Meeting,
    Participant,
    Reflection,
    Report,
    ReportPhoto,
    Room,
    Series,
    Slot,
    Topic,
)

COORDINATORS_GROUP = "Coordinators"
# The rows that make the wall's grid: a change to one renews the meeting's `grid_version`.
GRID = (Slot, Room)


def _bump(meetings: QuerySet[Meeting], *, grid: bool = False) -> None:
    renewed = {"grid_version": uuid.uuid4()} if grid else {}
    meetings.update(revision=F("revision") + 1, **renewed)


def _with_later_meetings(meeting_id: int) -> QuerySet[Meeting]:
    """The meeting and the later meetings of its series, whose look-back shows it."""
    meeting = Meeting.objects.filter(pk=meeting_id).values("series_id", "number").first()
    if meeting is None or meeting["series_id"] is None or meeting["number"] is None:
        return Meeting.objects.filter(pk=meeting_id)
    return Meeting.objects.filter(
        Q(pk=meeting_id) | Q(series_id=meeting["series_id"], number__gt=meeting["number"])
    )


def _meetings_of(instance: Any) -> QuerySet[Meeting]:
    if isinstance(instance, Series):
        return Meeting.objects.filter(series=instance)
    if isinstance(instance, Initiative):
        return _with_later_meetings(instance.meeting_id)
    if isinstance(instance, InitiativeMember):
        return Meeting.objects.filter(initiatives__pk=instance.initiative_id)
    if isinstance(instance, Report):
        return Meeting.objects.filter(topics__pk=instance.topic_id)
    if isinstance(instance, ReportPhoto):
        return Meeting.objects.filter(topics__report__pk=instance.report_id)
    return Meeting.objects.filter(pk=instance.meeting_id)


def meeting_part_saved(sender: type, instance: Any, created: bool = False, **kwargs: Any) -> None:
    """Raise the revision of the meeting a changed row belongs to."""
    if kwargs.get("raw"):
        return
    # A newcomer is in no document until they convene a topic, which counts itself.
    if sender is Participant and created:
        return
    _bump(_meetings_of(instance), grid=sender in GRID)


def meeting_part_deleted(sender: type, instance: Any, **kwargs: Any) -> None:
    """Raise the revision of the meeting a deleted row belonged to."""
    _bump(_meetings_of(instance), grid=sender in GRID)


def meeting_saving(sender: type, instance: Meeting, **kwargs: Any) -> None:
    """Let the UPDATE of a meeting's own fields raise its revision in the same statement."""
    if kwargs.get("raw") or instance._state.adding or instance.pk is None:
        return
    instance.revision = F("revision") + 1
    # The live revision is raised only by announcements, in the database, and the grid's
    # version only by its slots and rooms: a save of a meeting read earlier must never
    # write back an older value.
    instance.live_revision = F("live_revision")
    instance.grid_version = F("grid_version")


def meeting_saved(sender: type, instance: Meeting, created: bool, **kwargs: Any) -> None:
    """Finish the revision raise of a meeting's own save, and read the new number back."""
    if kwargs.get("raw") or created:
        return
    update_fields = kwargs.get("update_fields")
    if update_fields is not None and "revision" not in update_fields:
        _bump(Meeting.objects.filter(pk=instance.pk))
    # The look-back of later meetings shows this one's theme.
    if instance.series_id is not None and instance.number is not None:
        _bump(Meeting.objects.filter(series_id=instance.series_id, number__gt=instance.number))
    instance.refresh_from_db(fields=["revision", "live_revision", "grid_version"])


MEETING_PARTS = (
    Series,
    Facilitator,
    Link,
    Slot,
    Room,
    Participant,
    Topic,
    Report,
    ReportPhoto,
    Initiative,
    InitiativeMember,
    Reflection,
)


def ensure_coordinators_group(**kwargs: Any) -> None:
    """Create the Coordinators group: it may view every meeting and its parts, nothing more."""
    from django.apps import apps as global_apps
    from django.contrib.auth.management import create_permissions
    from django.contrib.auth.models import Group, Permission

    using = kwargs.get("using", "default")
    app_config = global_apps.get_app_config("sessions_app")
    # Make sure the permissions exist even if auth's own handler has not run yet.
    create_permissions(app_config, verbosity=0, using=using)
    group, _ = Group.objects.using(using).get_or_create(name=COORDINATORS_GROUP)
    views = Permission.objects.using(using).filter(
        content_type__app_label="sessions_app", codename__startswith="view_"
    )
    group.permissions.add(*views)


def photo_deleted(sender: type, instance: ReportPhoto, **kwargs: Any) -> None:
    """Remove a deleted photo's file once the deletion commits (never if it rolls back)."""
    name, storage = instance.image.name, instance.image.storage
    if name:
        transaction.on_commit(lambda: storage.delete(name))


def connect() -> None:
    """Connect the receivers; called once from the app's `ready()`."""
    post_delete.connect(photo_deleted, sender=ReportPhoto, dispatch_uid="report_photo_file")
    pre_save.connect(meeting_saving, sender=Meeting, dispatch_uid="meeting_revision_pre")
    post_save.connect(meeting_saved, sender=Meeting, dispatch_uid="meeting_revision_post")
    for model in MEETING_PARTS:
        uid = f"meeting_revision_{model._meta.model_name}"
        post_save.connect(meeting_part_saved, sender=model, dispatch_uid=f"{uid}_save")
        post_delete.connect(meeting_part_deleted, sender=model, dispatch_uid=f"{uid}_delete")
