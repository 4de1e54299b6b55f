from __future__ import annotations

from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from openspace.http import slow
from sessions_app import throttles
from sessions_app.views import (
    documents,
    meetings,
    participant,
    plan,
    projector,
    reports,
    setup,
    suggestion,
)

# Routes marked `slow` take long (a document rendered, a photo processed, a password checked,
# a suggestion computed) and run on threads of their own, as does the admin (openspace/http.py).
urlpatterns = [
    path("", meetings.home, name="home"),
    path("meetings/new/", setup.meeting_create, name="meeting_create"),
    path("meetings/<int:pk>/", meetings.meeting_detail, name="meeting_detail"),
    path("meetings/<int:pk>/edit/", setup.meeting_edit, name="meeting_edit"),
    path("meetings/<int:pk>/slots/", setup.meeting_slots, name="meeting_slots"),
    path("meetings/<int:pk>/rooms/", setup.meeting_rooms, name="meeting_rooms"),
    path("meetings/<int:pk>/copy/", setup.meeting_copy, name="meeting_copy"),
    path(
        "meetings/<int:pk>/documentation.pdf",
        slow(documents.documentation_pdf),
        name="documentation_pdf",
    ),
    path("meetings/<int:pk>/action-plan.csv", documents.action_plan_csv, name="action_plan_csv"),
    path(
        "meetings/<int:pk>/action-plan-excel.csv",
        documents.action_plan_excel_csv,
        name="action_plan_excel_csv",
    ),
    path("meetings/<int:pk>/agenda.ics", documents.agenda_ics, name="agenda_ics"),
    path("meetings/<int:pk>/projector/", projector.projector, name="projector"),
    path("meetings/<int:pk>/board/", projector.board_action, name="board_action"),
    path("meetings/<int:pk>/phase/", projector.set_phase, name="set_phase"),
    path(
        "meetings/<int:pk>/suggestion/",
        slow(suggestion.suggest_placement),
        name="suggest_placement",
    ),
    path(
        "meetings/<int:pk>/suggestion/apply/",
        suggestion.apply_suggestion,
        name="apply_suggestion",
    ),
    path("meetings/<int:pk>/spotlight/", projector.spotlight, name="spotlight"),
    path("meetings/<int:pk>/join-code/", projector.new_join_code, name="new_join_code"),
    path("meetings/<int:pk>/plan/", plan.plan_manage, name="plan_manage"),
    path("meetings/<int:pk>/plan/change/", plan.plan_action, name="plan_action"),
    path("meetings/<int:pk>/summary/", plan.summary, name="summary"),
    path(
        "meetings/<int:pk>/reflections/<int:reflection_id>/",
        plan.reflection_visibility,
        name="reflection_visibility",
    ),
    path("meetings/<int:pk>/publish/", plan.publish, name="publish"),
    path("meetings/<int:pk>/people/", reports.people_search, name="people_search"),
    path("meetings/<int:pk>/reports/", reports.reports_overview, name="reports_overview"),
    path("meetings/<int:pk>/signs.pdf", slow(reports.signs_pdf), name="signs_pdf"),
    path("meetings/<int:pk>/reports/<int:topic_id>/", reports.report_edit, name="report_edit"),
    path(
        "meetings/<int:pk>/reports/<int:topic_id>/field/",
        reports.report_edit_field,
        name="report_edit_field",
    ),
    path(
        "meetings/<int:pk>/reports/<int:topic_id>/photos/",
        slow(reports.report_edit_photos),
        name="report_edit_photos",
    ),
    path(
        "meetings/<int:pk>/reports/<int:topic_id>/photos/<int:photo_id>/remove/",
        reports.report_edit_photo_remove,
        name="report_edit_photo_remove",
    ),
    path(
        "meetings/<int:pk>/reports/<int:topic_id>/photos/<int:photo_id>/caption/",
        reports.report_edit_caption,
        name="report_edit_caption",
    ),
    path(
        "meetings/<int:pk>/reports/<int:topic_id>/new-sign/",
        reports.new_sign,
        name="new_sign",
    ),
    path("s/<str:secret>/", reports.sign, name="sign"),
    path("join/", participant.join, name="join"),
    path("j/<str:code>/", participant.join_code, name="join_code"),
    path("m/<int:meeting_id>/", participant.phone, name="phone"),
    path("m/<int:meeting_id>/topics/", participant.topic_create, name="phone_topic_create"),
    path(
        "m/<int:meeting_id>/topics/<int:topic_id>/edit/",
        participant.topic_edit,
        name="phone_topic_edit",
    ),
    path(
        "m/<int:meeting_id>/topics/<int:topic_id>/share/",
        participant.topic_share,
        name="phone_topic_share",
    ),
    path("m/<int:meeting_id>/partners/", participant.partner_search, name="phone_partner_search"),
    path(
        "m/<int:meeting_id>/topics/<int:topic_id>/cosign/",
        participant.topic_cosign,
        name="phone_topic_cosign",
    ),
    path(
        "m/<int:meeting_id>/topics/<int:topic_id>/raise/",
        participant.topic_raise,
        name="phone_topic_raise",
    ),
    path(
        "m/<int:meeting_id>/topics/<int:topic_id>/withdraw/",
        participant.topic_withdraw,
        name="phone_topic_withdraw",
    ),
    path(
        "m/<int:meeting_id>/topics/<int:topic_id>/interest/",
        participant.interest,
        name="phone_interest",
    ),
    path("m/<int:meeting_id>/dots/<int:topic_id>/", participant.dot, name="phone_dot"),
    path("m/<int:meeting_id>/initiatives/", plan.initiative_raise, name="phone_initiative_raise"),
    path(
        "m/<int:meeting_id>/initiatives/<int:initiative_id>/join/",
        plan.initiative_join,
        name="phone_initiative_join",
    ),
    path("m/<int:meeting_id>/reflections/", plan.reflection_create, name="phone_reflection_create"),
    path("m/<int:meeting_id>/reports/<int:topic_id>/", reports.phone_report, name="phone_report"),
    path(
        "m/<int:meeting_id>/reports/<int:topic_id>/field/",
        reports.phone_report_field,
        name="phone_report_field",
    ),
    path(
        "m/<int:meeting_id>/reports/<int:topic_id>/photos/",
        slow(reports.phone_report_photos),
        name="phone_report_photos",
    ),
    path(
        "m/<int:meeting_id>/reports/<int:topic_id>/photos/<int:photo_id>/remove/",
        reports.phone_report_photo_remove,
        name="phone_report_photo_remove",
    ),
    path(
        "m/<int:meeting_id>/reports/<int:topic_id>/photos/<int:photo_id>/caption/",
        reports.phone_report_caption,
        name="phone_report_caption",
    ),
    # Log in and out only: without mail configured, password resets could not reach anyone.
    # An admin sets a forgotten password (`manage.py changepassword`, or the admin).
    path(
        "accounts/login/",
        slow(throttles.limit_failed_logins(auth_views.LoginView.as_view())),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    # The admin's own login, under the same limit as the one above.
    path("admin/login/", slow(throttles.limit_failed_logins(admin.site.login))),
    path("admin/", admin.site.urls),
]

if settings.DEBUG:
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
