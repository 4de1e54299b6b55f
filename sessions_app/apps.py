from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SessionsAppConfig(AppConfig):
    name = "sessions_app"
    verbose_name = _("Open Space meetings")

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from . import pdf, signals

        signals.connect()
        pdf.connect()
        post_migrate.connect(
            signals.ensure_coordinators_group, sender=self, dispatch_uid="coordinators_group"
        )
