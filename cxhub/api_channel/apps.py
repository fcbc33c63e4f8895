from django.apps import AppConfig


class ApiChannelConfig(AppConfig):
    name = "cxhub.api_channel"
    label = "api_channel"
    verbose_name = "API channel"
