"""Reads for the assistant's output that people review: AI drafts awaiting approval."""

from cxhub.conversations.models import Conversation
from cxhub.conversations.selectors import agent_display_name

from .models import AssistantDecision, Draft


def draft_for_staff(draft: Draft) -> dict:
    """What a reviewer needs to decide: the customer's question, the draft, where it comes from, the deadline."""
    article = draft.article
    abstained = draft.decision.outcome == AssistantDecision.Outcome.ABSTAINED if draft.decision else article is None
    return {
        "id": draft.pk,
        "conversation_id": draft.conversation_id,
        "customer": str(draft.conversation.customer),
        "locale": draft.conversation.locale,
        "status": draft.status,
        "question": draft.for_message.text,
        "text": draft.text,
        "article": {"slug": article.slug, "title": article.title} if article else None,
        "confidence": round(draft.confidence, 4) if draft.confidence is not None else None,
        "abstained": abstained,
        "review_by": draft.review_by.isoformat(),
        "created_at": draft.created_at.isoformat(),
        "reviewed_by": agent_display_name(draft.reviewed_by),
        "reject_reason": draft.reject_reason,
        "sent_message_id": draft.sent_message_id,
    }


def draft_get(*, draft_id: int) -> Draft:
    return Draft.objects.select_related(
        "conversation__customer", "for_message", "article", "decision", "reviewed_by"
    ).get(pk=draft_id)


def drafts_pending(*, limit: int = 200, conversations=None) -> list[dict]:
    """Drafts still waiting for a person, oldest first, in `conversations` when given. A draft whose
    conversation went to a person or closed can no longer be sent, so it is not listed (it expires quietly)."""
    drafts = Draft.objects.all() if conversations is None else Draft.objects.filter(conversation__in=conversations)
    drafts = (
        drafts.filter(
            status=Draft.Status.PENDING,
            conversation__status=Conversation.Status.OPEN,
            conversation__owner=Conversation.Owner.AI,
        )
        .select_related("conversation__customer", "for_message", "article", "decision", "reviewed_by")
        .order_by("created_at", "id")[:limit]
    )
    return [draft_for_staff(draft) for draft in drafts]
