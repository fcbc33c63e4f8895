from django.apps import AppConfig


class MailConfig(AppConfig):
    name = "cxhub.mail"
    label = "mail"
    verbose_name = "Email channel"
