"""The company's approved knowledge base: the only thing the AI may answer from."""

from django.conf import settings
from django.db import models


class Article(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        PUBLISHED = "published", "Published"

    slug = models.SlugField(max_length=120, unique=True)
    title = models.CharField(max_length=300)
    answer = models.TextField(help_text="What the assistant says, word for word.")
    body = models.TextField(blank=True)
    questions = models.JSONField(default=list, blank=True, help_text="Example questions customers ask.")
    locale = models.CharField(max_length=5, default="en", choices=[("en", "English"), ("fr", "Français")])
    tags = models.JSONField(default=list, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["slug"]

    def __str__(self) -> str:
        return f"{self.title} ({self.locale})"
