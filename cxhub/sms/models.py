"""The SMS and WhatsApp channel (Twilio-compatible): the numbers a site receives texts on, and every text in or
out of a conversation."""

from django.db import models

from cxhub.conversations.models import Conversation, Message, Site


class SmsNumber(models.Model):
    """A number customers text; `whatsapp:+33…` for a WhatsApp sender, as Twilio writes it."""

    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="sms_numbers")
    number = models.CharField(max_length=64, unique=True, help_text="E.164 (+33612345678) or whatsapp:+33612345678.")
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.number


class TextMessage(models.Model):
    """One SMS or WhatsApp message. Inbound: keyed by the provider's MessageSid (a redelivered webhook is stored
    once). Outbound: one per conversation message, so a redelivered task never sends it twice."""

    class Direction(models.TextChoices):
        INBOUND = "inbound", "Received"
        OUTBOUND = "outbound", "Sent"

    class Status(models.TextChoices):
        RECEIVED = "received", "Received"
        PENDING = "pending", "Waiting to be sent"
        SENDING = "sending", "Being sent"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed, will retry"
        DEAD = "dead", "Failed (gave up)"

    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="text_messages")
    message = models.OneToOneField(
        Message, null=True, blank=True, on_delete=models.SET_NULL, related_name="text_message"
    )
    direction = models.CharField(max_length=10, choices=Direction.choices)
    status = models.CharField(max_length=10, choices=Status.choices)
    channel = models.CharField(max_length=10, choices=Conversation.Channel.choices)
    provider_sid = models.CharField(max_length=64, null=True, blank=True, unique=True)
    customer_address = models.CharField(max_length=64, help_text="The customer's number, as the provider writes it.")
    our_address = models.CharField(max_length=64, help_text="Our number the customer wrote to or gets replies from.")
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["conversation", "id"]
        indexes = [models.Index(fields=["direction", "status"])]

    def __str__(self) -> str:
        return f"{self.direction} {self.channel} {self.provider_sid or self.pk}"
