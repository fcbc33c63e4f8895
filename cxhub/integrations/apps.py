from django.apps import AppConfig


class IntegrationsConfig(AppConfig):
    name = "cxhub.integrations"
    label = "integrations"
    verbose_name = "Integrations"
