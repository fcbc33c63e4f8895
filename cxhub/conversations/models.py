"""Sites, customers, conversations, their messages and the append-only log of what happened and why."""

import secrets

from django.conf import settings
from django.db import models


def new_site_key() -> str:
    return secrets.token_urlsafe(16)


def new_identity_secret() -> str:
    return secrets.token_hex(32)


PRECHAT_FIELDS = ("name", "email", "topic")


def new_public_id() -> str:
    # 128 bits of randomness: ids that reach a browser are never guessable.
    return secrets.token_urlsafe(16)


class AutonomyLevel(models.TextChoices):
    """From no chat partner to only a person; the customer moves along it, admins cap it."""

    SELF_SERVICE = "self_service", "Find it myself"
    AI_ONLY = "ai_only", "Chat with AI"
    AI_WITH_APPROVAL = "ai_with_approval", "AI, checked by a person"
    HUMAN_WITH_AI = "human_with_ai", "A person, helped by AI"
    HUMAN_ONLY = "human_only", "Only a person"


AUTONOMY_ORDER = [level.value for level in AutonomyLevel]


class Site(models.Model):
    """A company's website that embeds the widget with a public site key."""

    name = models.CharField(max_length=200)
    key = models.CharField(max_length=64, unique=True, default=new_site_key)
    allowed_origins = models.JSONField(
        default=list,
        blank=True,
        help_text='Origins allowed to embed the widget, e.g. ["https://shop.example"].',
    )
    default_locale = models.CharField(max_length=5, default="en")
    disclosure_en = models.TextField(blank=True, help_text="AI disclosure shown to visitors (English).")
    disclosure_fr = models.TextField(blank=True, help_text="AI disclosure shown to visitors (French).")
    knowledge_base = models.ForeignKey(
        "assistant.KnowledgeBase",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="sites",
        help_text="Articles the AI answers from; empty means the default knowledge base.",
    )
    # Signs signed-in users' ids on the company's server: user_hash = hex HMAC-SHA256(secret, user_id).
    identity_secret = models.CharField(
        max_length=64,
        default=new_identity_secret,
        help_text="Keep on your server only. The widget's identify(userId, userHash) needs "
        "userHash = hex HMAC-SHA256(this secret, userId).",
    )
    prechat_fields = models.JSONField(
        default=list,
        blank=True,
        help_text='Asked before the first message, any of ["name", "email", "topic"]; empty means no form.',
    )

    class PostConversationEmail(models.TextChoices):
        NEVER = "never", "Never"
        WHEN_ASKED = "when_asked", "When the customer asked for a transcript"
        ALWAYS = "always", "Always, when the address is known"

    post_conversation_email = models.CharField(
        max_length=12,
        choices=PostConversationEmail.choices,
        default=PostConversationEmail.WHEN_ASKED,
        help_text="Whether the customer gets a confirmation email with the summary and transcript after closing.",
    )
    post_conversation_approval = models.BooleanField(
        default=False,
        help_text="A person approves the summary, CRM update and confirmation email before they go out "
        "(always so for conversations at 'AI, checked by a person').",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.name


class Customer(models.Model):
    """A visitor: anonymous until they identify themselves."""

    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="customers")
    public_id = models.CharField(max_length=32, unique=True, default=new_public_id)
    display_name = models.CharField(max_length=200, blank=True)
    email = models.EmailField(blank=True)
    external_id = models.CharField(max_length=200, blank=True)
    is_identified = models.BooleanField(default=False)
    is_vip = models.BooleanField(default=False)
    segment = models.CharField(max_length=60, blank=True, help_text="A customer segment routing rules can target.")
    locale = models.CharField(max_length=5, default="en")
    phone = models.CharField(max_length=32, blank=True, help_text="E.164, e.g. +33612345678.")
    # Verified means proven by the channel (a signed identity, a validated SMS webhook), not typed in a form:
    # only verified addresses merge customers across channels.
    email_verified = models.BooleanField(default=False)
    phone_verified = models.BooleanField(default=False)
    merged_into = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="merged_from"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.display_name or self.email or self.phone or f"Visitor {self.public_id[:6]}"


class Conversation(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", "Open"
        CLOSED = "closed", "Closed"

    class Owner(models.TextChoices):
        AI = "ai", "AI assistant"
        QUEUE = "queue", "Waiting for a person"
        AGENT = "agent", "A person"

    class Channel(models.TextChoices):
        WIDGET = "widget", "Website widget"
        EMAIL = "email", "Email"
        SMS = "sms", "SMS"
        API = "api", "API"
        WHATSAPP = "whatsapp", "WhatsApp"

    class Outcome(models.TextChoices):
        """How the conversation ended, chosen by whoever closes it."""

        RESOLVED = "resolved", "Resolved"
        FOLLOW_UP = "follow_up", "Needs a follow-up"
        NO_RESPONSE = "no_response", "Customer stopped answering"
        NOT_RESOLVED = "not_resolved", "Not resolved"
        SPAM = "spam", "Spam or abuse"

    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="conversations")
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="conversations")
    public_id = models.CharField(max_length=32, unique=True, default=new_public_id)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    owner = models.CharField(max_length=10, choices=Owner.choices, default=Owner.AI)
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="conversations"
    )
    autonomy_level = models.CharField(max_length=20, choices=AutonomyLevel.choices, default=AutonomyLevel.AI_ONLY)
    channel = models.CharField(max_length=10, choices=Channel.choices, default=Channel.WIDGET)
    locale = models.CharField(max_length=5, default="en")
    last_seq = models.PositiveIntegerField(default=0)
    # Read receipts: the highest seq each side has seen; only ever moves forward, never past last_seq.
    visitor_read_seq = models.PositiveIntegerField(default=0)
    agent_read_seq = models.PositiveIntegerField(default=0)
    queued_at = models.DateTimeField(null=True, blank=True)
    escalation_reason = models.CharField(max_length=200, blank=True)
    team = models.ForeignKey(
        "routing.Team", null=True, blank=True, on_delete=models.SET_NULL, related_name="conversations"
    )
    priority = models.IntegerField(default=0)
    # Bounds set by routing rules on the customer's choice, and the words that tell them why.
    autonomy_min = models.CharField(max_length=20, choices=AutonomyLevel.choices, blank=True)
    autonomy_max = models.CharField(max_length=20, choices=AutonomyLevel.choices, blank=True)
    autonomy_cap_reason = models.CharField(max_length=300, blank=True)
    outcome = models.CharField(max_length=20, choices=Outcome.choices, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["status", "owner", "queued_at"])]

    def __str__(self) -> str:
        return f"Conversation {self.pk} with {self.customer}"


class Message(models.Model):
    class AuthorKind(models.TextChoices):
        CUSTOMER = "customer", "Customer"
        AI = "ai", "AI assistant"
        HUMAN = "human", "Agent"
        SYSTEM = "system", "System"

    class Provenance(models.TextChoices):
        """Who really wrote the words the customer reads."""

        CUSTOMER = "customer", "Written by the customer"
        AI = "ai", "Written by AI"
        AI_APPROVED = "ai_approved", "AI-drafted, approved by a person"
        HUMAN = "human", "Written by a person"
        HUMAN_AI_ASSISTED = "human_ai_assisted", "Written by a person with AI assistance"
        SYSTEM = "system", "System notice"

    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="messages")
    seq = models.PositiveIntegerField()
    client_id = models.CharField(max_length=64, null=True, blank=True)
    author_kind = models.CharField(max_length=10, choices=AuthorKind.choices)
    author_agent = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    provenance = models.CharField(max_length=20, choices=Provenance.choices)
    text = models.TextField()
    sources = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["conversation", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["conversation", "seq"], name="message_unique_seq"),
            models.UniqueConstraint(
                fields=["conversation", "client_id"],
                condition=models.Q(client_id__isnull=False),
                name="message_unique_client_id",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.seq} {self.author_kind}: {self.text[:40]}"


class ConversationEvent(models.Model):
    """Append-only record of a decision or change, with the reasons and values behind it."""

    class Kind(models.TextChoices):
        CONVERSATION_STARTED = "conversation_started"
        DISCLOSURE_SHOWN = "disclosure_shown"
        AI_ANSWERED = "ai_answered"
        AI_ABSTAINED = "ai_abstained"
        AI_SUPPRESSED = "ai_suppressed"
        AUTONOMY_CHANGED = "autonomy_changed"
        HANDOFF_REQUESTED = "handoff_requested"
        HANDOFF_ACCEPTED = "handoff_accepted"
        HANDOFF_RETURNED = "handoff_returned"
        HANDOFF_TRANSFERRED = "handoff_transferred"
        ROUTING_DECISION = "routing_decision"
        CONVERSATION_CLOSED = "conversation_closed"
        CONTACT_LEFT = "contact_left"
        DRAFT_CREATED = "draft_created"
        DRAFT_APPROVED = "draft_approved"
        DRAFT_EDITED = "draft_edited"
        DRAFT_REJECTED = "draft_rejected"
        DRAFT_EXPIRED = "draft_expired"
        CUSTOMER_IDENTIFIED = "customer_identified"
        PRECHAT_SUBMITTED = "prechat_submitted"
        SATISFACTION_RATED = "satisfaction_rated"
        TRANSCRIPT_REQUESTED = "transcript_requested"
        TRANSCRIPT_SENT = "transcript_sent"
        NOTE_ADDED = "note_added"
        HANDOFF_RATED = "handoff_rated"
        ANSWER_FLAGGED = "answer_flagged"
        CUSTOMERS_MERGED = "customers_merged"
        CHANNEL_CONTINUED = "channel_continued"
        CHANNEL_COMMAND = "channel_command"
        POST_WORK_QUEUED = "post_work_queued"
        POST_WORK_DONE = "post_work_done"
        POST_WORK_FAILED = "post_work_failed"

    class ActorKind(models.TextChoices):
        CUSTOMER = "customer"
        AI = "ai"
        HUMAN = "human"
        SYSTEM = "system"

    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=40, choices=Kind.choices)
    actor_kind = models.CharField(max_length=10, choices=ActorKind.choices)
    actor_agent = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["kind", "created_at"])]

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValueError("Conversation events are append-only.")
        super().save(*args, **kwargs)

    def __str__(self) -> str:
        return f"{self.kind} on {self.conversation_id}"


class Note(models.Model):
    """A private note between staff on a conversation. Never part of what the customer can read."""

    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="notes")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    text = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["conversation", "id"]

    def __str__(self) -> str:
        return f"Note on {self.conversation_id}: {self.text[:40]}"


class SatisfactionRating(models.Model):
    """The customer's rating of one conversation; rating again updates it."""

    class HandledBy(models.TextChoices):
        AI = "ai", "AI only"
        HUMAN = "human", "A person only"
        BOTH = "both", "AI and a person"

    conversation = models.OneToOneField(Conversation, on_delete=models.CASCADE, related_name="satisfaction")
    score = models.PositiveSmallIntegerField()
    comment = models.TextField(blank=True)
    # Who answered, from the messages' authors: CSAT is reported for AI, people and both.
    handled_by = models.CharField(max_length=10, choices=HandledBy.choices)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=models.Q(score__gte=1, score__lte=5), name="satisfaction_score_1_to_5")
        ]

    def __str__(self) -> str:
        return f"{self.score}/5 for {self.conversation_id} ({self.handled_by})"
