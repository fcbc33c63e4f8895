from django.apps import AppConfig


class SmsConfig(AppConfig):
    name = "cxhub.sms"
    label = "sms"
    verbose_name = "SMS and WhatsApp channel"
