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


class MeetingPartAdmin(TypedTextAdmin):
    """A row that belongs to one meeting: saved and deleted through `setup`, which announces."""

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
class MeetingAdmin(TypedTextAdmin):
    list_display = ["title", "series", "number", "date", "language", "phase", "join_code"]
    list_filter = ["series", "language", "phase"]
    search_fields = ["title", "join_code", "theme"]
    readonly_fields = ["join_code", "revision", "created_at", "updated_at"]
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


@admin.register(Interest)
class InterestAdmin(TypedTextAdmin):
    list_display = ["participant", "topic", "created_at"]
    raw_id_fields = ["participant", "topic"]


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


def _save_photo_form(form: ReportPhotoForm, report: Report) -> None:
    """Store a new photo through the pipeline (which refuses a 13th); else save as edited."""
    photo = form.instance
    if form.cleaned_photo is None:
        photo.save()
    elif photo.pk is None:
        photos.save_report_photo(
            report, form.cleaned_photo, caption=photo.caption, bundle_path=photo.bundle_path
        )
    else:
        photos.replace_image(photo, form.cleaned_photo)


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
        with transaction.atomic():
            for photo_form in formset.forms:
                if photo_form in formset.deleted_forms:
                    if photo_form.instance.pk:
                        photo_form.instance.delete()
                elif photo_form.has_changed():
                    photo_form.instance.report = form.instance
                    _save_photo_form(photo_form, form.instance)
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


class InitiativeMemberInline(TypedTextInline):
    model = InitiativeMember
    raw_id_fields = ["participant"]


@admin.register(Initiative)
class InitiativeAdmin(TypedTextAdmin):
    list_display = ["what", "who", "levels", "when", "meeting", "status"]
    list_filter = ["meeting", "status"]
    search_fields = ["what", "who"]
    raw_id_fields = ["source_topic"]
    inlines = [InitiativeMemberInline]


@admin.register(Reflection)
class ReflectionAdmin(TypedTextAdmin):
    list_display = ["text", "meeting", "is_visible", "created_at"]
    list_filter = ["meeting", "is_visible"]


for model in (Slot, Room, Facilitator, Link):
    admin.site.register(model, MeetingPartAdmin)
admin.site.register([InitiativeMember, Sign, Pen, Dot], TypedTextAdmin)
