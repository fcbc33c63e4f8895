from django.apps import AppConfig


class ReportingConfig(AppConfig):
    name = "cxhub.reporting"
    label = "reporting"
    verbose_name = "Reporting"
