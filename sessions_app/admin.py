"""Django admin for every model, with a meeting's parts inline on its page.

The admin writes through the same services as the app: a meeting's rows are saved with the
meeting locked, and every open projector and phone is told. The wall itself (a topic's
status, cell, conveners and merges) is read-only here: it changes only through `agenda`,
whose rules the admin would otherwise bypass.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models.constants import LOOKUP_SEP
from django.utils.translation import gettext_lazy as _

from . import announce, photos, setup
from .forms import TypedTextForm
from .models import (
    Dot,
    Facilitator,
    Initiative,
    InitiativeMember,
    Interest,
    Link,
    Meeting,
    Participant,
    Pen,
    Reflection,
    Report,
    ReportPhoto,
    Room,
    Series,
    Sign,
    Slot,
    Topic,
)

WALL_FIELDS = ["status", "slot", "room", "convener", "partner", "partner_signed", "merged_into"]


class TypedTextModelForm(TypedTextForm, forms.ModelForm):
    """The admin's text fields refuse control characters, as the app's own forms do."""


class TypedTextAdmin(admin.ModelAdmin):
    form = TypedTextModelForm


class TypedTextInline(admin.TabularInline):
    form = TypedTextModelForm
    extra = 0


MADE_LIVE = (Interest, Dot, Pen, Sign)


class TakesItsMarksAlong(TypedTextAdmin):
    """Deleting a meeting, a topic or a participant takes its marks, dots, pens and sign
    along, though none of them may be deleted alone (MadeLiveAdmin): without this, the
    admin would refuse to delete anything that a phone ever marked."""

    def get_deleted_objects(self, objs, request):
        deleted, counts, perms_needed, protected = super().get_deleted_objects(objs, request)
        made_live = {str(model._meta.verbose_name) for model in MADE_LIVE}
        perms_needed = {name for name in perms_needed if str(name) not in made_live}
        return deleted, counts, perms_needed, protected


class MeetingPartAdmin(TakesItsMarksAlong):
    """A row that belongs to one meeting: saved and deleted through `setup`, which announces.

    Once made, a row stays with its meeting: moved to another, the meeting it left would
    keep its wall's grid and documents as they were (signals.py renews those of the
    meeting a row is saved in).
    """

    def get_readonly_fields(self, request, obj=None) -> list[str]:
        return [*super().get_readonly_fields(request, obj), *(["meeting"] if obj else [])]

    def save_model(self, request, obj, form, change) -> None:
        setup.save_meeting_part(obj)

    def delete_model(self, request, obj) -> None:
        setup.delete_meeting_part(obj)

    def delete_queryset(self, request, queryset) -> None:
        for obj in queryset:
            setup.delete_meeting_part(obj)


class FacilitatorInline(TypedTextInline):
    model = Facilitator
    autocomplete_fields = ["user"]


class LinkInline(TypedTextInline):
    model = Link


class SlotInline(TypedTextInline):
    model = Slot


class RoomInline(TypedTextInline):
    model = Room


class TopicInline(TypedTextInline):
    model = Topic
    fields = ["title", "convener", "status", "slot", "room"]
    readonly_fields = ["convener", "status", "slot", "room"]

    def has_add_permission(self, request, obj=None) -> bool:
        # A topic starts on a phone; the wall places it.
        return False


@admin.register(Series)
class SeriesAdmin(TypedTextAdmin):
    list_display = ["title", "organizer", "context"]
    search_fields = ["title", "organizer"]


@admin.register(Meeting)
class MeetingAdmin(TakesItsMarksAlong):
    list_display = ["title", "series", "number", "date", "language", "phase", "join_code"]
    list_filter = ["series", "language", "phase"]
    search_fields = ["title", "join_code", "theme"]
    # The phase and the report on the projectors change from the projector, whose service
    # closes and reopens the meeting and tells every page.
    readonly_fields = ["phase", "spotlight", "join_code", "revision", "created_at", "updated_at"]
    inlines = [FacilitatorInline, LinkInline, SlotInline, RoomInline, TopicInline]

    def save_model(self, request, obj, form, change) -> None:
        # The admin's change view runs in one transaction: the lock holds until its end.
        if change:
            Meeting.objects.locked(obj.pk)
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change) -> None:
        with transaction.atomic():
            super().save_related(request, form, formsets, change)
            announce.setup_changed(form.instance)


@admin.register(Participant)
class ParticipantAdmin(MeetingPartAdmin):
    list_display = ["name", "organization", "meeting", "created_at"]
    list_filter = ["meeting"]
    search_fields = ["name", "organization"]


@admin.register(Topic)
class TopicAdmin(MeetingPartAdmin):
    list_display = ["title", "meeting", "convener", "status", "slot", "room"]
    list_filter = ["meeting", "status"]
    search_fields = ["title", "convener__name"]
    raw_id_fields = ["convener"]

    def get_readonly_fields(self, request, obj=None) -> list[str]:
        if obj is None:
            # A new topic starts as its convener's private draft.
            return [field for field in WALL_FIELDS if field != "convener"]
        return [*WALL_FIELDS, "meeting"]


class MadeLiveAdmin(admin.ModelAdmin):
    """Marks, dots, pens and signs: made by the live meeting and only read here.

    They count on every projector and phone, and each has a service with its rules.
    """

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Interest)
class InterestAdmin(MadeLiveAdmin):
    list_display = ["participant", "topic", "created_at"]


@admin.register(Dot)
class DotAdmin(MadeLiveAdmin):
    list_display = ["participant", "topic"]


@admin.register(Sign)
class SignAdmin(MadeLiveAdmin):
    list_display = ["topic", "issued_at"]
    exclude = ["secret"]


@admin.register(Pen)
class PenAdmin(MadeLiveAdmin):
    list_display = ["participant", "topic"]


class ReportPhotoForm(TypedTextForm, forms.ModelForm):
    """A photo uploaded in the admin goes through the same pipeline as a phone's."""

    class Meta:
        model = ReportPhoto
        fields = ["image", "caption", "position"]

    def clean_image(self):
        image = self.cleaned_data["image"]
        self.cleaned_photo = None
        if isinstance(image, UploadedFile):
            try:
                self.cleaned_photo = photos.clean_upload(image)
            except photos.PhotoError as exc:
                raise forms.ValidationError(str(exc)) from exc
        return image

    def clean(self) -> dict:
        data = super().clean()
        report = data.get("report") or getattr(self.instance, "report", None)
        adding = self.instance.pk is None and report is not None and report.pk
        if adding and report.photos.count() >= photos.MAX_PHOTOS_PER_REPORT:
            raise forms.ValidationError(photos.too_many())
        return data


class ReportPhotoFormSet(forms.BaseInlineFormSet):
    def clean(self) -> None:
        super().clean()
        kept = [form for form in self.forms if form.has_changed() or form.instance.pk]
        kept = [form for form in kept if form not in self.deleted_forms]
        if len(kept) > photos.MAX_PHOTOS_PER_REPORT:
            raise forms.ValidationError(photos.too_many())


def _save_photo_form(form: ReportPhotoForm, report: Report) -> ReportPhoto:
    """Store a new photo through the pipeline (which refuses a 13th); else save as edited."""
    photo = form.instance
    if form.cleaned_photo is None:
        photo.save()
    elif photo.pk is None:
        photo = photos.save_report_photo(
            report, form.cleaned_photo, caption=photo.caption, bundle_path=photo.bundle_path
        )
    else:
        photos.replace_image(photo, form.cleaned_photo)
    return photo


class ReportPhotoInline(admin.TabularInline):
    model = ReportPhoto
    form = ReportPhotoForm
    formset = ReportPhotoFormSet
    extra = 0


@admin.register(Report)
class ReportAdmin(TypedTextAdmin):
    list_display = ["topic", "updated_at"]
    list_filter = ["topic__meeting"]
    raw_id_fields = ["topic"]
    inlines = [ReportPhotoInline]

    def save_formset(self, request, form, formset, change) -> None:
        if formset.model is not ReportPhoto:
            return super().save_formset(request, form, formset, change)
        # What formset.save() would have noted: the admin's history message reads it.
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        with transaction.atomic():
            for photo_form in formset.forms:
                photo = photo_form.instance
                if photo_form in formset.deleted_forms:
                    if photo.pk:
                        photo.delete()
                        formset.deleted_objects.append(photo)
                elif photo_form.has_changed():
                    adding = photo.pk is None
                    photo.report = form.instance
                    photo = _save_photo_form(photo_form, form.instance)
                    if adding:
                        formset.new_objects.append(photo)
                    else:
                        formset.changed_objects.append((photo, photo_form.changed_data))
            announce.report_changed(form.instance.topic)
        return None

    def save_model(self, request, obj, form, change) -> None:
        super().save_model(request, obj, form, change)
        announce.report_changed(obj.topic)


@admin.register(ReportPhoto)
class ReportPhotoAdmin(admin.ModelAdmin):
    form = ReportPhotoForm
    fields = ["report", "image", "caption", "position"]
    raw_id_fields = ["report"]

    def save_model(self, request, obj, form, change) -> None:
        with transaction.atomic():
            _save_photo_form(form, obj.report)
            announce.report_changed(obj.report.topic)


class ClosingPartAdmin(TypedTextAdmin):
    """The action plan and the closing circle: saved with the meeting locked, pages told.

    The admin runs each change and each deletion in one transaction, so the lock holds
    until the change is committed, and the pages hear of it after.
    """

    tell = staticmethod(announce.plan_changed)
    # From a row to its meeting, as a lookup path.
    meeting_path = "meeting"

    def meeting_of(self, obj) -> Meeting:
        for name in self.meeting_path.split(LOOKUP_SEP):
            obj = getattr(obj, name)
        return obj

    def save_model(self, request, obj, form, change) -> None:
        Meeting.objects.locked(self.meeting_of(obj).pk)
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change) -> None:
        super().save_related(request, form, formsets, change)
        self.tell(self.meeting_of(form.instance))

    def delete_model(self, request, obj) -> None:
        meeting = Meeting.objects.locked(self.meeting_of(obj).pk)
        super().delete_model(request, obj)
        self.tell(meeting)

    def delete_queryset(self, request, queryset) -> None:
        # Each meeting locked and told once, however many of its rows go.
        with transaction.atomic():
            rows = list(queryset.select_related(self.meeting_path))
            ids = sorted({self.meeting_of(obj).pk for obj in rows})
            meetings = [Meeting.objects.locked(pk) for pk in ids]
            for obj in rows:
                super().delete_model(request, obj)
            for meeting in meetings:
                self.tell(meeting)


class InitiativeMemberInline(TypedTextInline):
    model = InitiativeMember
    raw_id_fields = ["participant"]


@admin.register(Initiative)
class InitiativeAdmin(ClosingPartAdmin):
    list_display = ["what", "who", "levels", "when", "meeting", "status"]
    list_filter = ["meeting", "status"]
    search_fields = ["what", "who"]
    raw_id_fields = ["source_topic", "raised_by"]
    inlines = [InitiativeMemberInline]
    # An open initiative of an earlier meeting shows in the look-back of later ones.
    tell = staticmethod(announce.lookback_changed)


@admin.register(InitiativeMember)
class InitiativeMemberAdmin(ClosingPartAdmin):
    list_display = ["name", "initiative"]
    raw_id_fields = ["initiative", "participant"]
    meeting_path = "initiative__meeting"


@admin.register(Reflection)
class ReflectionAdmin(ClosingPartAdmin):
    list_display = ["text", "meeting", "author", "is_visible", "created_at"]
    list_filter = ["meeting", "is_visible"]
    # Who wrote an anonymous reflection is kept for throttling and removal, never shown.
    exclude = ["participant"]
    readonly_fields = ["author", "anonymous"]

    @admin.display(description=_("author"))
    def author(self, obj: Reflection) -> str:
        if obj.anonymous or obj.participant is None:
            return _("anonymous")
        return obj.participant.name

    tell = staticmethod(announce.closing_changed)


for model in (Slot, Room, Facilitator, Link):
    admin.site.register(model, MeetingPartAdmin)
