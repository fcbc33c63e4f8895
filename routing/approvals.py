"""A person reviews what the AI drafted at `ai_with_approval`: approve, edit or reject. A draft nobody reviewed
in time hands the conversation to a person; the customer never reads an unreviewed draft.

Who wrote what the customer reads:
- approved as is (or edited only in spacing): the AI's words, provenance `ai_approved`, author the AI, with
  the article as source;
- edited in any other way, even one word: the reviewer's words written with AI help, provenance
  `human_ai_assisted`, author the reviewer, and no source (the label would promise the article's words).
"""

import difflib
import re

from django.db import transaction
from django.utils import timezone

from cxhub.assistant.models import Draft
from cxhub.assistant.selectors import draft_for_staff, draft_get
from cxhub.assistant.services import ai_reply_client_id
from cxhub.conversations import broadcast
from cxhub.conversations.models import Conversation, ConversationEvent, Message
from cxhub.conversations.selectors import agent_display_name
from cxhub.conversations.services import (
    ConversationError,
    ai_may_draft,
    ai_may_speak,
    conversation_lock,
    conversation_publish,
    disclosure_ensure,
    event_record,
    message_record,
    message_text_clean,
)

from .services import handoff_request

REJECT_REASON_MAX_CHARS = 160  # "AI draft rejected: " + this fits the conversation's escalation reason


def _draft_lock(draft_id: object) -> tuple[Draft, Conversation]:
    """The conversation row lock first, then the draft as it is now: two reviewers queue up on the lock and
    the second one sees the first one's decision."""
    if not isinstance(draft_id, int) or isinstance(draft_id, bool):
        raise ConversationError("draft_invalid", "draft_id must be a number.")
    conversation_id = Draft.objects.filter(pk=draft_id).values_list("conversation_id", flat=True).first()
    if conversation_id is None:
        raise ConversationError("draft_unknown", "No such draft.")
    conversation = conversation_lock(conversation_id)
    draft = draft_get(draft_id=draft_id)
    draft.conversation = conversation
    return draft, conversation


def _already_reviewed(draft: Draft, *, agent, statuses: set[str]) -> bool:
    """True for the same reviewer's resend of the same decision (nothing to do again); a different decision
    on a draft that is no longer pending is refused."""
    if draft.status == Draft.Status.PENDING:
        return False
    if draft.status in statuses and draft.reviewed_by_id == agent.pk:
        return True
    who = f" by {agent_display_name(draft.reviewed_by)}" if draft.reviewed_by else ""
    raise ConversationError("draft_already_reviewed", f"This draft is no longer waiting: {draft.status}{who}.")


def _ensure_sendable(conversation: Conversation) -> None:
    # Checked under the lock: a draft never reaches a customer who is now waiting for, or with, a person.
    if not (ai_may_speak(conversation) or ai_may_draft(conversation)):
        raise ConversationError(
            "draft_outdated", "The conversation moved on (a person has it, or it is closed): this draft can't be sent."
        )


def _same_words(a: str, b: str) -> bool:
    return re.sub(r"\s+", " ", a).strip() == re.sub(r"\s+", " ", b).strip()


def _reviewed(draft: Draft, *, status: str, agent, sent_message: Message | None = None, reason: str = "") -> None:
    draft.status = status
    draft.reviewed_by = agent
    draft.reject_reason = reason
    draft.sent_message = sent_message
    draft.save(update_fields=["status", "reviewed_by", "reject_reason", "sent_message", "updated_at"])
    broadcast.draft_changed(conversation_id=draft.conversation_id, draft=draft_for_staff(draft))


def _send_approved(draft: Draft, conversation: Conversation, *, agent) -> Draft:
    disclosure_ensure(conversation=conversation)
    article = draft.article
    message, _ = message_record(
        conversation=conversation,
        author_kind=Message.AuthorKind.AI,
        provenance=Message.Provenance.AI_APPROVED,
        text=draft.text,
        client_id=ai_reply_client_id(draft.for_message_id),  # one reply per customer message, drafted or not
        sources=[{"slug": article.slug, "title": article.title}] if article else [],
    )
    _reviewed(draft, status=Draft.Status.APPROVED, agent=agent, sent_message=message)
    event_record(
        conversation=conversation,
        kind=ConversationEvent.Kind.DRAFT_APPROVED,
        actor_kind=ConversationEvent.ActorKind.HUMAN,
        agent=agent,
        data={
            "draft_id": draft.pk,
            "message_id": draft.for_message_id,
            "reply_seq": message.seq,
            "article_slug": article.slug if article else None,
            "confidence": draft.confidence,
        },
    )
    conversation_publish(conversation)
    return draft


@transaction.atomic
def draft_approve(*, draft_id: int, agent) -> Draft:
    """Send the AI's draft as it is: the customer reads it as AI-drafted, approved by a person."""
    draft, conversation = _draft_lock(draft_id)
    if _already_reviewed(draft, agent=agent, statuses={Draft.Status.APPROVED}):
        return draft
    _ensure_sendable(conversation)
    return _send_approved(draft, conversation, agent=agent)


@transaction.atomic
def draft_edit(*, draft_id: int, agent, text: object) -> Draft:
    """Send the reviewer's version. Changed words make it the reviewer's message, written with AI help."""
    text = message_text_clean(text)
    draft, conversation = _draft_lock(draft_id)
    if _already_reviewed(draft, agent=agent, statuses={Draft.Status.APPROVED, Draft.Status.EDITED}):
        return draft
    _ensure_sendable(conversation)
    if _same_words(text, draft.text):
        return _send_approved(draft, conversation, agent=agent)
    message, _ = message_record(
        conversation=conversation,
        author_kind=Message.AuthorKind.HUMAN,
        provenance=Message.Provenance.HUMAN_AI_ASSISTED,
        text=text,
        client_id=ai_reply_client_id(draft.for_message_id),
        agent=agent,
    )
    _reviewed(draft, status=Draft.Status.EDITED, agent=agent, sent_message=message)
    event_record(
        conversation=conversation,
        kind=ConversationEvent.Kind.DRAFT_EDITED,
        actor_kind=ConversationEvent.ActorKind.HUMAN,
        agent=agent,
        data={
            "draft_id": draft.pk,
            "message_id": draft.for_message_id,
            "reply_seq": message.seq,
            "article_slug": draft.article.slug if draft.article else None,
            # How much of the AI's draft survived: what tells us whether drafts are worth reviewing.
            "similarity": round(difflib.SequenceMatcher(None, draft.text, text).ratio(), 3),
        },
    )
    conversation_publish(conversation)
    return draft


def _needs_person(conversation: Conversation) -> bool:
    # Closed, or a person already has it or is about to: nothing to hand over.
    return conversation.status == Conversation.Status.OPEN and conversation.owner == Conversation.Owner.AI


@transaction.atomic
def draft_reject(*, draft_id: int, agent, reason: object = "") -> Draft:
    """Nothing reaches the customer; the conversation goes to the human queue with the reviewer's reason."""
    reason = reason.strip()[:REJECT_REASON_MAX_CHARS] if isinstance(reason, str) else ""
    draft, conversation = _draft_lock(draft_id)
    if _already_reviewed(draft, agent=agent, statuses={Draft.Status.REJECTED}):
        return draft
    _reviewed(draft, status=Draft.Status.REJECTED, agent=agent, reason=reason)
    handing = _needs_person(conversation)
    event_record(
        conversation=conversation,
        kind=ConversationEvent.Kind.DRAFT_REJECTED,
        actor_kind=ConversationEvent.ActorKind.HUMAN,
        agent=agent,
        data={"draft_id": draft.pk, "message_id": draft.for_message_id, "reason": reason, "handed_to_person": handing},
    )
    if handing:
        handoff_request(
            conversation_id=conversation.pk,
            reason=f"AI draft rejected: {reason}" if reason else "AI draft rejected",
            signal_names=["draft_rejected"],
            actor_kind=ConversationEvent.ActorKind.HUMAN,
        )
    return draft


@transaction.atomic
def draft_expire(*, draft_id: int) -> Draft | None:
    """Run when the review time is up (redelivery-safe): a draft still pending is never sent; the
    conversation goes to a person instead. Anything else — reviewed, not yet due, gone — is left alone."""
    try:
        draft, conversation = _draft_lock(draft_id)
    except ConversationError:
        return None
    if draft.status != Draft.Status.PENDING or timezone.now() < draft.review_by:
        return draft
    draft.status = Draft.Status.EXPIRED
    draft.save(update_fields=["status", "updated_at"])
    broadcast.draft_changed(conversation_id=conversation.pk, draft=draft_for_staff(draft))
    handing = _needs_person(conversation)
    event_record(
        conversation=conversation,
        kind=ConversationEvent.Kind.DRAFT_EXPIRED,
        actor_kind=ConversationEvent.ActorKind.SYSTEM,
        data={"draft_id": draft.pk, "message_id": draft.for_message_id, "handed_to_person": handing},
    )
    if handing:
        handoff_request(
            conversation_id=conversation.pk,
            reason="AI draft not reviewed in time",
            signal_names=["draft_expired"],
            actor_kind=ConversationEvent.ActorKind.SYSTEM,
        )
    return draft
