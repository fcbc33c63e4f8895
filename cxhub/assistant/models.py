"""The company's approved knowledge base (the only thing the AI may answer from) and the record of AI output."""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

DEFAULT_KNOWLEDGE_BASE = "default"


class KnowledgeBase(models.Model):
    """A set of articles with its answer policy: the precision admins want and the threshold derived from it."""

    slug = models.SlugField(max_length=60, unique=True)
    name = models.CharField(max_length=200)
    target_precision = models.FloatField(
        default=0.95,
        validators=[MinValueValidator(0.5), MaxValueValidator(0.999)],
        help_text="Share of the AI's answers that must pick the right article. The confidence threshold is "
        "derived from this on held-out example questions.",
    )
    # Bumped by every article change; each process compares it to rebuild its index without a restart.
    version = models.PositiveIntegerField(default=1)

    # What the last calibration found; the answerer records these with each answer.
    threshold = models.FloatField(null=True, blank=True)
    expected_coverage = models.FloatField(null=True, blank=True)
    expected_precision = models.FloatField(null=True, blank=True)
    calibrated_version = models.PositiveIntegerField(null=True, blank=True)
    calibrated_at = models.DateTimeField(null=True, blank=True)
    calibration = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["slug"]

    def __str__(self) -> str:
        return self.name

    @property
    def calibration_is_current(self) -> bool:
        return self.calibrated_version == self.version


class Article(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        PUBLISHED = "published", "Published"

    knowledge_base = models.ForeignKey(KnowledgeBase, on_delete=models.CASCADE, related_name="articles")
    slug = models.SlugField(max_length=120)
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
        constraints = [models.UniqueConstraint(fields=["knowledge_base", "slug"], name="article_slug_unique_per_kb")]

    def __str__(self) -> str:
        return f"{self.title} ({self.locale})"


class AssistantDecision(models.Model):
    """Every AI output, with what it used and why it was allowed: the queryable audit of the assistant."""

    class Kind(models.TextChoices):
        REPLY = "reply", "Reply to a customer"
        DRAFT = "draft", "Draft for approval"
        SUGGESTION = "suggestion", "Suggestion to an agent"
        SUMMARY = "summary", "Conversation summary"
        TRANSLATION = "translation", "Translation for an agent"

    class Outcome(models.TextChoices):
        ANSWERED = "answered", "Answered from an article"
        PHRASED = "phrased", "Phrased by the LLM from articles"
        GROUNDING_REJECTED = "grounding_rejected", "LLM reply rejected, article's own answer used"
        ABSTAINED = "abstained", "Not sure: offered a person"
        SUPPRESSED = "suppressed", "Not sent: a person owns the conversation"
        TRANSLATED = "translated", "Translated by the LLM"
        FAILED = "failed", "The LLM failed"

    kind = models.CharField(max_length=12, choices=Kind.choices)
    outcome = models.CharField(max_length=20, choices=Outcome.choices)
    conversation = models.ForeignKey(
        "conversations.Conversation", null=True, blank=True, on_delete=models.CASCADE, related_name="ai_decisions"
    )
    message = models.ForeignKey(
        "conversations.Message", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    knowledge_base = models.ForeignKey(KnowledgeBase, null=True, blank=True, on_delete=models.SET_NULL)
    question = models.TextField(blank=True)
    articles = models.JSONField(default=list, blank=True, help_text="Slugs of the articles used, best first.")
    confidence = models.FloatField(null=True, blank=True)
    threshold = models.FloatField(null=True, blank=True)
    target_precision = models.FloatField(null=True, blank=True)
    model = models.CharField(max_length=200)
    latency_ms = models.FloatField(default=0.0)
    policy = models.CharField(max_length=300, help_text="Why the AI was allowed to produce this.")
    detail = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["kind", "outcome", "created_at"])]

    def __str__(self) -> str:
        return f"{self.kind}: {self.outcome}"


class BotEvaluation(models.Model):
    """One run of evaluate_bot: the yardstick admins read before trusting the KB."""

    knowledge_base = models.ForeignKey(KnowledgeBase, on_delete=models.CASCADE, related_name="evaluations")
    cases_path = models.CharField(max_length=500)
    cases = models.PositiveIntegerField()
    metrics = models.JSONField(default=dict)
    confused_pairs = models.JSONField(default=list, blank=True)
    worst_articles = models.JSONField(default=list, blank=True)
    knowledge_base_version = models.PositiveIntegerField()
    model = models.CharField(max_length=200)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.knowledge_base} evaluation {self.created_at:%Y-%m-%d %H:%M}"


class ComplianceRule(models.Model):
    """A reminder shown to agents when a conversation touches a topic, e.g. "never promise a refund date"."""

    name = models.CharField(max_length=200)
    keywords = models.JSONField(
        default=list, blank=True, help_text="Words or phrases (any language) that trigger the reminder."
    )
    tags = models.JSONField(default=list, blank=True, help_text="Article tags that trigger the reminder.")
    reminder_en = models.TextField()
    reminder_fr = models.TextField(blank=True)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Suggestion(models.Model):
    """A reply the copilot offered an agent, and what the agent did with it."""

    class Status(models.TextChoices):
        OFFERED = "offered", "Offered"
        USED = "used", "Used as is"
        EDITED = "edited", "Used after editing"
        IGNORED = "ignored", "Ignored"

    conversation = models.ForeignKey("conversations.Conversation", on_delete=models.CASCADE, related_name="suggestions")
    for_message = models.ForeignKey(
        "conversations.Message", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    article = models.ForeignKey(Article, null=True, blank=True, on_delete=models.SET_NULL)
    text = models.TextField()
    confidence = models.FloatField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OFFERED)
    sent_message = models.ForeignKey(
        "conversations.Message", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decision = models.ForeignKey(AssistantDecision, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"Suggestion {self.pk} ({self.status})"


class Draft(models.Model):
    """An AI reply in `ai_with_approval`: the customer sees nothing until a person approves or edits it."""

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting for review"
        APPROVED = "approved", "Approved as is"
        EDITED = "edited", "Edited, then sent"
        REJECTED = "rejected", "Rejected"
        EXPIRED = "expired", "Not reviewed in time: sent to a person"

    conversation = models.ForeignKey("conversations.Conversation", on_delete=models.CASCADE, related_name="drafts")
    for_message = models.ForeignKey("conversations.Message", on_delete=models.CASCADE, related_name="+")
    text = models.TextField()
    article = models.ForeignKey(Article, null=True, blank=True, on_delete=models.SET_NULL)
    confidence = models.FloatField(null=True, blank=True)
    decision = models.ForeignKey(AssistantDecision, null=True, blank=True, on_delete=models.SET_NULL)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    review_by = models.DateTimeField(help_text="Not reviewed by then: the conversation goes to a person.")
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reject_reason = models.CharField(max_length=300, blank=True)
    sent_message = models.ForeignKey(
        "conversations.Message", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            # One draft per customer message: a redelivered AI task finds it and drafts nothing.
            models.UniqueConstraint(fields=["for_message"], name="one_draft_per_customer_message")
        ]

    def __str__(self) -> str:
        return f"Draft {self.pk} ({self.status})"


class AnswerFlag(models.Model):
    """An agent says an AI answer was wrong: a work item for whoever keeps the knowledge base right."""

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        FIXED = "fixed", "Fixed"
        DISMISSED = "dismissed", "Dismissed"

    conversation = models.ForeignKey("conversations.Conversation", on_delete=models.CASCADE, related_name="flags")
    message = models.ForeignKey("conversations.Message", on_delete=models.CASCADE, related_name="flags")
    decision = models.ForeignKey(AssistantDecision, null=True, blank=True, on_delete=models.SET_NULL)
    flagged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="answer_flags"
    )
    note = models.TextField(blank=True)
    suggested_article = models.ForeignKey(
        Article, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", help_text="The right article."
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    resolution_note = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["status", "created_at"])]

    def __str__(self) -> str:
        return f"Flag {self.pk} on conversation {self.conversation_id} ({self.status})"
