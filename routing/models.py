"""Who handles what: teams and agents' presence, business hours, and the admin's ordered routing rules."""

import zoneinfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models

from cxhub.conversations.models import AutonomyLevel


class Team(models.Model):
    class Assignment(models.TextChoices):
        AUTO = "auto", "Automatic: the least-loaded available agent"
        POOL = "pool", "Shared queue: agents pick"

    name = models.CharField(max_length=100)
    slug = models.SlugField(unique=True)
    skills = models.JSONField(default=list, blank=True, help_text="Topics (article tags) this team handles.")
    languages = models.JSONField(default=list, blank=True, help_text='e.g. ["en", "fr"]; empty means any.')
    assignment = models.CharField(max_length=10, choices=Assignment.choices, default=Assignment.POOL)
    members = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="teams")

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class AgentPresence(models.Model):
    class Status(models.TextChoices):
        ONLINE = "online", "Online"
        AWAY = "away", "Away"
        OFFLINE = "offline", "Offline"

    agent = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="presence")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OFFLINE)
    capacity = models.PositiveIntegerField(default=3, help_text="Conversations this agent holds at once.")
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.agent} ({self.status})"


class BusinessHours(models.Model):
    """Opening hours in a time zone, e.g. {"mon": ["09:00", "18:00"], ...}; a missing day is closed."""

    name = models.CharField(max_length=100)
    timezone = models.CharField(max_length=60, default="Europe/Paris")
    schedule = models.JSONField(default=dict)

    class Meta:
        verbose_name_plural = "business hours"

    def __str__(self) -> str:
        return self.name

    def clean(self):
        try:
            zoneinfo.ZoneInfo(self.timezone)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
            raise ValidationError({"timezone": "Unknown time zone."}) from exc


LEVEL_CHOICES = [("", "—"), *AutonomyLevel.choices]


class RoutingRule(models.Model):
    """Ordered; every condition that is set must hold. The first match applies, unless it lets later
    rules apply too."""

    class Escalation(models.TextChoices):
        NONE = "", "—"
        OFFER = "offer", "Offer a person"
        HAND = "hand", "Hand to a person now"

    class HoursWhen(models.TextChoices):
        INSIDE = "inside", "Inside these hours"
        OUTSIDE = "outside", "Outside these hours"

    name = models.CharField(max_length=200)
    order = models.PositiveIntegerField(default=100)
    active = models.BooleanField(default=True)
    continue_after_match = models.BooleanField(
        default=False, help_text="Let later rules apply too when this one matches."
    )
    site = models.ForeignKey(
        "conversations.Site", null=True, blank=True, on_delete=models.CASCADE, help_text="Empty: every site."
    )

    # Conditions
    tags = models.JSONField(default=list, blank=True, help_text="Topic: tags of the article the question is about.")
    keywords = models.JSONField(default=list, blank=True, help_text="Any of these words or phrases.")
    pattern = models.CharField(max_length=300, blank=True, help_text="A regular expression on the message.")
    signals = models.JSONField(default=list, blank=True, help_text="Any of these detected signals.")
    ai_confidence_below = models.FloatField(null=True, blank=True)
    customer_identified = models.BooleanField(null=True, blank=True)
    customer_vip = models.BooleanField(null=True, blank=True)
    customer_segments = models.JSONField(default=list, blank=True)
    languages = models.JSONField(default=list, blank=True)
    channels = models.JSONField(default=list, blank=True)
    hours = models.ForeignKey(BusinessHours, null=True, blank=True, on_delete=models.SET_NULL)
    hours_when = models.CharField(max_length=10, choices=HoursWhen.choices, blank=True)
    queue_length_at_least = models.PositiveIntegerField(null=True, blank=True)

    # Actions
    escalation = models.CharField(max_length=10, choices=Escalation.choices, blank=True)
    autonomy_at_least = models.CharField(max_length=20, choices=LEVEL_CHOICES, blank=True)
    autonomy_at_most = models.CharField(max_length=20, choices=LEVEL_CHOICES, blank=True)
    require_approval = models.BooleanField(default=False, help_text="AI replies wait for a person's approval.")
    team = models.ForeignKey(Team, null=True, blank=True, on_delete=models.SET_NULL)
    priority = models.IntegerField(null=True, blank=True)
    agent_reminder = models.TextField(blank=True, help_text="Compliance reminder shown to the agent.")
    customer_reason_en = models.CharField(
        max_length=300, blank=True, help_text="Told to the customer when this rule overrides their choice."
    )
    customer_reason_fr = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["order", "id"]

    def __str__(self) -> str:
        return self.name

    def clean(self):
        import re

        if self.pattern:
            try:
                re.compile(self.pattern)
            except re.error as exc:
                raise ValidationError({"pattern": f"Not a valid regular expression: {exc}"}) from exc
        if bool(self.hours_id) != bool(self.hours_when):
            raise ValidationError({"hours_when": "Choose both the hours and inside/outside, or neither."})
