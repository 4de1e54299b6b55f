"""Django admin for every model, with a meeting's parts inline on its page."""

from __future__ import annotations

from django.contrib import admin

from .models import (
    Facilitator,
    Initiative,
    InitiativeMember,
    Interest,
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


class FacilitatorInline(admin.TabularInline):
    model = Facilitator
    extra = 0
    autocomplete_fields = ["user"]


class LinkInline(admin.TabularInline):
    model = Link
    extra = 0


class SlotInline(admin.TabularInline):
    model = Slot
    extra = 0


class RoomInline(admin.TabularInline):
    model = Room
    extra = 0


class TopicInline(admin.TabularInline):
    model = Topic
    extra = 0
    fields = ["title", "convener", "status", "slot", "room"]
    raw_id_fields = ["convener"]

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        # Offer only this meeting's slots and rooms in a topic's cell.
        if obj is not None:
            formset.form.base_fields["slot"].queryset = obj.slots.all()
            formset.form.base_fields["room"].queryset = obj.rooms.all()
        return formset


@admin.register(Series)
class SeriesAdmin(admin.ModelAdmin):
    list_display = ["title", "organizer", "context"]
    search_fields = ["title", "organizer"]


@admin.register(Meeting)
class MeetingAdmin(admin.ModelAdmin):
    list_display = ["title", "series", "number", "date", "language", "phase", "join_code"]
    list_filter = ["series", "language", "phase"]
    search_fields = ["title", "join_code", "theme"]
    readonly_fields = ["join_code", "revision", "created_at", "updated_at"]
    inlines = [FacilitatorInline, LinkInline, SlotInline, RoomInline, TopicInline]


@admin.register(Participant)
class ParticipantAdmin(admin.ModelAdmin):
    list_display = ["name", "organization", "meeting", "created_at"]
    list_filter = ["meeting"]
    search_fields = ["name", "organization"]


@admin.register(Topic)
class TopicAdmin(admin.ModelAdmin):
    list_display = ["title", "meeting", "convener", "status", "slot", "room"]
    list_filter = ["meeting", "status"]
    search_fields = ["title", "convener__name"]
    raw_id_fields = ["convener", "partner", "merged_into", "slot", "room"]


@admin.register(Interest)
class InterestAdmin(admin.ModelAdmin):
    list_display = ["participant", "topic", "created_at"]
    raw_id_fields = ["participant", "topic"]


class ReportPhotoInline(admin.TabularInline):
    model = ReportPhoto
    extra = 0


@admin.register(Report)
class ReportAdmin(admin.ModelAdmin):
    list_display = ["topic", "updated_at"]
    list_filter = ["topic__meeting"]
    raw_id_fields = ["topic"]
    inlines = [ReportPhotoInline]


class InitiativeMemberInline(admin.TabularInline):
    model = InitiativeMember
    extra = 0
    raw_id_fields = ["participant"]


@admin.register(Initiative)
class InitiativeAdmin(admin.ModelAdmin):
    list_display = ["what", "who", "levels", "when", "meeting", "status"]
    list_filter = ["meeting", "status"]
    search_fields = ["what", "who"]
    raw_id_fields = ["source_topic"]
    inlines = [InitiativeMemberInline]


@admin.register(Reflection)
class ReflectionAdmin(admin.ModelAdmin):
    list_display = ["text", "meeting", "is_visible", "created_at"]
    list_filter = ["meeting", "is_visible"]


admin.site.register([Slot, Room, Facilitator, Link, ReportPhoto, InitiativeMember])
