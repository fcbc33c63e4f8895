from django.apps import AppConfig


class CannedConfig(AppConfig):
    name = "cxhub.canned"
    label = "canned"
    verbose_name = "Canned responses"
