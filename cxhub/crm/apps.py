from django.apps import AppConfig


class CrmConfig(AppConfig):
    name = "cxhub.crm"
    label = "crm"
    verbose_name = "CRM and post-conversation work"
