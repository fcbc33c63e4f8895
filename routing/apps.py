from django.apps import AppConfig


class RoutingConfig(AppConfig):
    name = "routing"
    verbose_name = "Routing and handoff"

    def ready(self):
        # Registers routing's Celery tasks in every process: the assistant schedules `draft_expire` by name,
        # and a registered task is what lets that respect eager mode and task routes everywhere.
        from . import tasks  # noqa: F401
