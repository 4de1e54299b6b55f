from __future__ import annotations

from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.urls import include, path

from sessions_app.views import documents, meetings, setup

urlpatterns = [
    path("", meetings.home, name="home"),
    path("meetings/new/", setup.meeting_create, name="meeting_create"),
    path("meetings/<int:pk>/", meetings.meeting_detail, name="meeting_detail"),
    path("meetings/<int:pk>/edit/", setup.meeting_edit, name="meeting_edit"),
    path("meetings/<int:pk>/slots/", setup.meeting_slots, name="meeting_slots"),
    path("meetings/<int:pk>/rooms/", setup.meeting_rooms, name="meeting_rooms"),
    path(
        "meetings/<int:pk>/documentation.pdf",
        documents.documentation_pdf,
        name="documentation_pdf",
    ),
    path("meetings/<int:pk>/action-plan.csv", documents.action_plan_csv, name="action_plan_csv"),
    path("meetings/<int:pk>/agenda.ics", documents.agenda_ics, name="agenda_ics"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
]

if settings.DEBUG:
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
