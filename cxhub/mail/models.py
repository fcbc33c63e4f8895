"""The email channel: the addresses a site receives mail at, and every email in or out of a conversation,
keyed by its Message-ID so replies thread back into the conversation they answer."""

from django.db import models

from cxhub.conversations.models import Conversation, Message, Site


class MailInbox(models.Model):
    """An address customers write to; mail to it starts (or continues) conversations on the site."""

    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="mail_inboxes")
    address = models.EmailField(unique=True, help_text="Also the From and Reply-To of the replies we send.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name_plural = "mail inboxes"

    def __str__(self) -> str:
        return self.address


class Email(models.Model):
    """One email of a conversation's thread. Inbound: kept whole (the conversation message may be shortened).
    Outbound: one per message sent, so a redelivered task never sends it twice."""

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

    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="emails")
    message = models.OneToOneField(Message, null=True, blank=True, on_delete=models.SET_NULL, related_name="email")
    # With the angle brackets, as in the header: "<abc@example.com>".
    header_id = models.CharField(max_length=255, unique=True, help_text="Its Message-ID header.")
    direction = models.CharField(max_length=10, choices=Direction.choices)
    status = models.CharField(max_length=10, choices=Status.choices)
    address = models.EmailField(help_text="The customer's address: the sender in, the recipient out.")
    subject = models.CharField(max_length=300, blank=True)
    in_reply_to = models.CharField(max_length=255, blank=True)
    references = models.TextField(blank=True)
    # Inbound: the whole text as received, even when the conversation message had to be shortened.
    body = models.TextField(blank=True)
    truncated = models.BooleanField(default=False)
    sender_verified = models.BooleanField(default=False, help_text="SPF and DKIM passed, as the provider said.")
    attempts = models.PositiveIntegerField(default=0)
    # A claimed send holds the row this long, so a duplicate task does not send while the first still is.
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["conversation", "id"]
        indexes = [models.Index(fields=["direction", "status"])]

    def __str__(self) -> str:
        return f"{self.direction} {self.header_id}"
