from django.apps import AppConfig


class AssistantConfig(AppConfig):
    name = "cxhub.assistant"
    label = "assistant"
    verbose_name = "AI assistant and knowledge base"
