from django.apps import AppConfig


class RecoveryConfig(AppConfig):
    name = "cxhub.recovery"
    label = "recovery"
    verbose_name = "Recovery of lost background work"
