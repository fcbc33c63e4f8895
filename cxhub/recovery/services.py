"""Finds background work whose Celery task was lost and queues it again.

A task can vanish when the broker was down as it was queued, or when Redis lost it in a restart. Every task
here is idempotent (a reply per message, a compare-and-set claim per delivery), so queueing one that is only
late does nothing twice: it costs a lookup, never a second reply or a second email.
"""

from datetime import timedelta

from django.conf import settings
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from cxhub.assistant.models import Draft
from cxhub.assistant.services import ai_reply_client_id
from cxhub.conversations.models import Conversation, ConversationEvent, Message
from cxhub.conversations.services import ai_may_draft, ai_may_speak
from cxhub.crm.models import PostWorkStep
from cxhub.integrations.models import WebhookDelivery
from cxhub.mail.models import Email
from cxhub.sms.models import TextMessage

# Older than this, a customer message with no reply at all is not coming back on its own.
AI_REPLY_LOOKBACK = timedelta(hours=1)


def _stalled(*, cutoff, done: list[str]) -> Q:
    """Not finished, and either due since before the cutoff or never tried and created before it."""
    return ~Q(status__in=done) & (
        Q(next_attempt_at__lt=cutoff) | Q(next_attempt_at__isnull=True, created_at__lt=cutoff)
    )


def customer_messages_unanswered(*, cutoff) -> list[Message]:
    """Customer messages the AI should have answered (it still holds the conversation) and has not: no reply,
    no draft, no recorded suppression."""
    candidates = (
        Message.objects.filter(
            author_kind=Message.AuthorKind.CUSTOMER,
            created_at__lt=cutoff,
            created_at__gte=cutoff - AI_REPLY_LOOKBACK,
            conversation__status=Conversation.Status.OPEN,
            conversation__owner=Conversation.Owner.AI,
        )
        .exclude(Exists(Draft.objects.filter(for_message_id=OuterRef("pk"))))
        .select_related("conversation")
        .order_by("id")
    )
    unanswered = []
    for message in candidates[:500]:
        conversation = message.conversation
        if not (ai_may_speak(conversation) or ai_may_draft(conversation)):
            continue
        if Message.objects.filter(conversation=conversation, client_id=ai_reply_client_id(message.pk)).exists():
            continue
        if ConversationEvent.objects.filter(
            conversation=conversation, kind=ConversationEvent.Kind.AI_SUPPRESSED, data__message_id=message.pk
        ).exists():
            continue
        # Answered since by the AI or a person, or a person held the conversation since: not the AI's to answer.
        if conversation.messages.filter(
            seq__gt=message.seq, author_kind__in=[Message.AuthorKind.AI, Message.AuthorKind.HUMAN]
        ).exists():
            continue
        if conversation.events.filter(
            kind=ConversationEvent.Kind.HANDOFF_ACCEPTED, created_at__gte=message.created_at
        ).exists():
            continue
        unanswered.append(message)
    return unanswered


def work_recover(*, grace_seconds: float | None = None) -> dict[str, int]:
    """Queue again every piece of work that should have run by now. Returns how many of each were queued."""
    from cxhub.assistant.tasks import assistant_answer
    from cxhub.crm.tasks import post_work_prepare, post_work_step_run
    from cxhub.integrations.tasks import webhook_deliver
    from cxhub.mail.tasks import email_send
    from cxhub.sms.tasks import text_send
    from routing.tasks import draft_expire

    grace = settings.RECOVERY_GRACE_SECONDS if grace_seconds is None else grace_seconds
    now = timezone.now()
    cutoff = now - timedelta(seconds=grace)
    queued = {"ai_replies": 0, "draft_expiries": 0, "webhooks": 0, "post_work": 0, "emails": 0, "texts": 0}

    for message in customer_messages_unanswered(cutoff=cutoff):
        assistant_answer.delay(message.pk)
        queued["ai_replies"] += 1
    for draft_id in Draft.objects.filter(status=Draft.Status.PENDING, review_by__lt=cutoff).values_list(
        "pk", flat=True
    ):
        draft_expire.delay(draft_id)
        queued["draft_expiries"] += 1

    done = [WebhookDelivery.Status.DELIVERED, WebhookDelivery.Status.DEAD]
    for delivery_id in WebhookDelivery.objects.filter(_stalled(cutoff=cutoff, done=done)).values_list("pk", flat=True):
        webhook_deliver.delay(delivery_id)
        queued["webhooks"] += 1

    steps = PostWorkStep.objects.filter(
        _stalled(
            cutoff=cutoff,
            done=[
                PostWorkStep.Status.DONE,
                PostWorkStep.Status.SKIPPED,
                PostWorkStep.Status.FAILED,
                PostWorkStep.Status.AWAITING_APPROVAL,
            ],
        )
    )
    for step in steps.only("pk", "status", "post_work_id"):
        if step.status == PostWorkStep.Status.PREPARING:
            post_work_prepare.delay(step.post_work_id)
        else:
            post_work_step_run.delay(step.pk)
        queued["post_work"] += 1

    outbound_done = ["sent", "dead", "received"]
    emails = Email.objects.filter(_stalled(cutoff=cutoff, done=outbound_done), direction=Email.Direction.OUTBOUND)
    for email_id in emails.values_list("pk", flat=True):
        email_send.delay(email_id)
        queued["emails"] += 1
    texts = TextMessage.objects.filter(
        _stalled(cutoff=cutoff, done=outbound_done), direction=TextMessage.Direction.OUTBOUND
    )
    for text_id in texts.values_list("pk", flat=True):
        text_send.delay(text_id)
        queued["texts"] += 1
    return queued
