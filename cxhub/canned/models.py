"""Replies agents insert with a shortcut, with variables filled in from the conversation."""

from django.db import models


class CannedResponse(models.Model):
    class Locale(models.TextChoices):
        ANY = "", "Any language"
        EN = "en", "English"
        FR = "fr", "Français"

    title = models.CharField(max_length=200)
    shortcut = models.SlugField(max_length=60, help_text='Typed after "/" in the console, e.g. "refund".')
    text = models.TextField(
        help_text="Variables: {customer_name} {customer_first_name} {customer_email} {agent_name} "
        "{agent_first_name} {site_name} {conversation_ref}"
    )
    locale = models.CharField(max_length=5, choices=Locale.choices, blank=True, default=Locale.ANY)
    team = models.ForeignKey(
        "routing.Team",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="canned_responses",
        help_text="Only this team's agents see it; empty means everyone.",
    )
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["shortcut", "locale", "id"]

    def __str__(self) -> str:
        return f"/{self.shortcut} ({self.locale or 'any'})"
