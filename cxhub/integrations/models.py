"""Outbound webhooks: who is told about conversation events, and every delivery with its attempts."""

import secrets

from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models

# The names receivers subscribe to (docs/webhooks.md). Renaming one breaks every receiver that filters on it.
EVENTS = (
    "conversation.created",
    "message.created",
    "handoff.requested",
    "handoff.accepted",
    "handoff.returned",
    "autonomy.changed",
    "conversation.closed",
    "csat.received",
)
# Names subscriptions may list before anything emits them; none at the moment.
RESERVED_EVENTS: tuple[str, ...] = ()


def new_webhook_secret() -> str:
    return "whsec_" + secrets.token_urlsafe(32)


def events_validate(value: object) -> None:
    if not isinstance(value, list) or not all(isinstance(name, str) for name in value):
        raise ValidationError("A list of event names.")
    unknown = sorted(set(value) - set(EVENTS) - set(RESERVED_EVENTS))
    if unknown:
        raise ValidationError(f"Unknown events: {', '.join(unknown)}.")


class WebhookSubscription(models.Model):
    """An outside system (CRM, ticketing tool) that wants signed POSTs about conversation events."""

    name = models.CharField(max_length=200)
    url = models.URLField(max_length=500)
    secret = models.CharField(
        max_length=100,
        default=new_webhook_secret,
        help_text="Signs every delivery (X-Cxhub-Signature); give it to the receiver to verify them.",
    )
    events = models.JSONField(
        default=list,
        blank=True,
        validators=[events_validate],
        help_text="Event names to send; empty sends every event.",
    )
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.name

    def wants(self, event: str) -> bool:
        return not self.events or event in self.events


class WebhookDelivery(models.Model):
    """One event for one subscription: the frozen payload, and what happened each time it was sent."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        DELIVERED = "delivered", "Delivered"
        FAILED = "failed", "Failed, will retry"
        DEAD = "dead", "Dead (gave up)"

    subscription = models.ForeignKey(WebhookSubscription, on_delete=models.CASCADE, related_name="deliveries")
    event = models.CharField(max_length=40)
    # Sent as the body's "id" and X-Cxhub-Delivery: the same on every attempt and replay, so receivers dedupe.
    idempotency_key = models.CharField(max_length=200)
    payload = models.JSONField(encoder=DjangoJSONEncoder)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    last_status_code = models.PositiveIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    # When the next attempt may start: after a failure the backoff, during an attempt a lease that keeps a
    # duplicate task from sending at the same time.
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    # Every attempt and replay: [{"attempt", "at", "status_code", "error", "ms"} | {"replayed_at"}].
    history = models.JSONField(default=list, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name_plural = "webhook deliveries"
        constraints = [
            models.UniqueConstraint(fields=["subscription", "idempotency_key"], name="webhook_delivery_unique_key")
        ]
        indexes = [models.Index(fields=["status", "next_attempt_at"])]

    def __str__(self) -> str:
        return f"{self.event} to {self.subscription_id} ({self.status})"
