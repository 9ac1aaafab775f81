from django.apps import AppConfig
from django.core.signals import setting_changed


class VisitorsConfig(AppConfig):
    name = "visitors"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from visitors import freshness
        from visitors_site.postgresql.signals import connection_lost

        connection_lost.connect(freshness.forget)
        setting_changed.connect(freshness.resize)
