from django.apps import AppConfig


class ConversationsConfig(AppConfig):
    name = "cxhub.conversations"
    label = "conversations"
    verbose_name = "Conversations"
