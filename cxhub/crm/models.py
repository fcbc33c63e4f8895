"""The built-in CRM (contacts, companies, activities, tasks) and the work done after a conversation closes or is
handed back: one PostWork per conversation and trigger, with its steps and their attempts."""

from django.conf import settings
from django.db import models

from cxhub.conversations.models import Conversation, Customer


class Company(models.Model):
    name = models.CharField(max_length=200)
    domain = models.CharField(max_length=200, blank=True, help_text="Contacts with an address there join it.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name_plural = "companies"

    def __str__(self) -> str:
        return self.name


class Contact(models.Model):
    """A customer as the CRM knows them; one per customer, kept up to date by every CRM update."""

    customer = models.OneToOneField(Customer, null=True, blank=True, on_delete=models.SET_NULL, related_name="crm")
    company = models.ForeignKey(Company, null=True, blank=True, on_delete=models.SET_NULL, related_name="contacts")
    name = models.CharField(max_length=200, blank=True)
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=32, blank=True)
    external_id = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return self.name or self.email or self.phone or f"Contact {self.pk}"


class Activity(models.Model):
    """Something that happened with a contact: a conversation closed or handed back, with its summary."""

    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="activities")
    conversation = models.ForeignKey(
        Conversation, null=True, blank=True, on_delete=models.SET_NULL, related_name="crm_activities"
    )
    kind = models.CharField(max_length=40)
    subject = models.CharField(max_length=300)
    body = models.TextField(blank=True)
    # The sender's idempotency key: the same update sent twice is stored once.
    idempotency_key = models.CharField(max_length=200, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name_plural = "activities"
        ordering = ["-id"]

    def __str__(self) -> str:
        return self.subject


class Task(models.Model):
    """A follow-up someone has to do for a contact."""

    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="tasks")
    conversation = models.ForeignKey(
        Conversation, null=True, blank=True, on_delete=models.SET_NULL, related_name="crm_tasks"
    )
    title = models.CharField(max_length=300)
    notes = models.TextField(blank=True)
    due_at = models.DateTimeField(null=True, blank=True)
    done = models.BooleanField(default=False)
    idempotency_key = models.CharField(max_length=200, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["done", "due_at", "id"]

    def __str__(self) -> str:
        return self.title


class PostWork(models.Model):
    """What is done after one conversation closed or was handed back. `trigger` is `closed` or
    `returned-<event id>` (a conversation can be handed back more than once)."""

    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="post_work")
    trigger = models.CharField(max_length=40)
    needs_approval = models.BooleanField(default=False)
    # The extractive summary, as approved or edited by an agent when approval is needed.
    summary = models.TextField(blank=True)
    prepared_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name_plural = "post-conversation work"
        constraints = [models.UniqueConstraint(fields=["conversation", "trigger"], name="post_work_unique_trigger")]

    def __str__(self) -> str:
        return f"{self.trigger} of conversation {self.conversation_id}"


class PostWorkStep(models.Model):
    class Name(models.TextChoices):
        SUMMARY = "summary", "Summary"
        CRM_UPDATE = "crm_update", "CRM update"
        FOLLOW_UP_TASK = "follow_up_task", "Follow-up task"
        CONFIRMATION_EMAIL = "confirmation_email", "Confirmation email"

    class Status(models.TextChoices):
        PREPARING = "preparing", "Being prepared"
        AWAITING_APPROVAL = "awaiting_approval", "Awaiting approval"
        PENDING = "pending", "Pending"
        RUNNING = "running", "Running"
        RETRYING = "retrying", "Failed, will retry"
        DONE = "done", "Done"
        SKIPPED = "skipped", "Not needed"
        FAILED = "failed", "Failed (dead letter)"

    post_work = models.ForeignKey(PostWork, on_delete=models.CASCADE, related_name="steps")
    name = models.CharField(max_length=20, choices=Name.choices)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PREPARING)
    # cxhub:<conversation>:<trigger>:<step>, sent to the CRM with every attempt so it stores the update once.
    idempotency_key = models.CharField(max_length=200, unique=True)
    # What the step will do, fixed when prepared and editable by the approving agent (email text).
    draft = models.JSONField(default=dict, blank=True)
    # What is already done, so a retry or a redelivered task never does a part twice.
    result = models.JSONField(default=dict, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.CharField(max_length=500, blank=True)
    # After a failure, when to try again; during an attempt, a lease so a duplicate task waits.
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    history = models.JSONField(default=list, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    done_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["post_work", "id"]
        constraints = [models.UniqueConstraint(fields=["post_work", "name"], name="post_work_step_unique_name")]

    def __str__(self) -> str:
        return f"{self.name} ({self.status}) for {self.post_work}"
