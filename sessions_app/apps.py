from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SessionsAppConfig(AppConfig):
    name = "sessions_app"
    verbose_name = _("Open Space meetings")

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_out
        from django.db.models.signals import post_migrate

        from . import pdf, realtime, signals

        signals.connect()
        pdf.connect()
        user_logged_out.connect(realtime.end_session_sockets, dispatch_uid="end_session_sockets")
        post_migrate.connect(
            signals.ensure_coordinators_group, sender=self, dispatch_uid="coordinators_group"
        )
