"""The AI's turn in a conversation: answer outside the lock, speak only if still allowed under it."""

import logging
import time
from datetime import timedelta

from celery import current_app
from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from kombu.exceptions import OperationalError

from cxhub.conversations import broadcast
from cxhub.conversations.models import ConversationEvent, Message
from cxhub.conversations.services import (
    ai_may_draft,
    ai_may_speak,
    conversation_lock,
    conversation_publish,
    disclosure_ensure,
    event_record,
    message_record,
)

from .answerer import Answer, answer_question
from .models import DEFAULT_KNOWLEDGE_BASE, AssistantDecision, Draft, KnowledgeBase
from .selectors import draft_for_staff

logger = logging.getLogger(__name__)


def knowledge_base_default() -> KnowledgeBase:
    kb, _ = KnowledgeBase.objects.get_or_create(
        slug=DEFAULT_KNOWLEDGE_BASE, defaults={"name": "Default knowledge base"}
    )
    return kb


def knowledge_base_for_site(site) -> KnowledgeBase:
    if site is not None and site.knowledge_base_id:
        return site.knowledge_base
    return knowledge_base_default()


def knowledge_base_changed(*, knowledge_base_id: int) -> None:
    """Call after any article write: every process sees the new version and rebuilds its index,
    and the threshold is recalibrated in the background for the new content."""
    KnowledgeBase.objects.filter(pk=knowledge_base_id).update(version=F("version") + 1)

    def enqueue():
        from .tasks import knowledge_base_calibrate

        version = KnowledgeBase.objects.values_list("version", flat=True).get(pk=knowledge_base_id)
        try:
            knowledge_base_calibrate.delay(knowledge_base_id, version)
        except OperationalError:
            # No broker (a command run before the stack is up): the edit stands; answers use the last
            # calibration, flagged stale, until `import_kb`, admin or the next edit recalibrates.
            logger.warning("could not queue recalibration of knowledge base %s: broker unavailable", knowledge_base_id)

    transaction.on_commit(enqueue)


def ai_reply_client_id(message_id: int) -> str:
    # One reply per inbound message: a redelivered task finds this id taken and posts nothing.
    return f"ai-reply:{message_id}"


def assistant_decision_record(
    *,
    answer: Answer,
    kind: str,
    question: str,
    knowledge_base: KnowledgeBase,
    conversation=None,
    message=None,
    policy: str,
    outcome: str | None = None,
) -> AssistantDecision:
    return AssistantDecision.objects.create(
        kind=kind,
        outcome=outcome or answer.outcome,
        conversation=conversation,
        message=message,
        knowledge_base=knowledge_base,
        question=question[:2000],
        articles=[answer.article_slug] if answer.article_slug else [],
        confidence=round(answer.confidence, 4),
        threshold=answer.threshold,
        target_precision=answer.target_precision,
        model=answer.model,
        latency_ms=round(answer.latency_ms, 2),
        policy=policy[:300],
        detail={"candidates": answer.candidates, "calibrated": answer.calibrated, "grounding": answer.grounding},
    )


def assistant_reply(*, message_id: int) -> Message | None:
    inbound = Message.objects.select_related("conversation__site").get(pk=message_id)
    conversation = inbound.conversation
    client_id = ai_reply_client_id(message_id)
    if Message.objects.filter(conversation=conversation, client_id=client_id).exists():
        return None
    if Draft.objects.filter(for_message_id=message_id).exists():
        return None  # drafted already: a person decides what the customer reads
    if not (ai_may_speak(conversation) or ai_may_draft(conversation)):
        return None
    if settings.ASSISTANT_FAULT_DELAY_SECONDS:
        time.sleep(settings.ASSISTANT_FAULT_DELAY_SECONDS)
    knowledge_base = knowledge_base_for_site(conversation.site)
    answer = answer_question(inbound.text, locale=conversation.locale, knowledge_base=knowledge_base)

    with transaction.atomic():
        conversation = conversation_lock(conversation.pk)
        policy = f"autonomy={conversation.autonomy_level}, owner={conversation.owner}; {answer.policy}"
        if ai_may_draft(conversation):
            draft_create(
                conversation=conversation, inbound=inbound, answer=answer, knowledge_base=knowledge_base, policy=policy
            )
            return None
        if not ai_may_speak(conversation):
            # A person took over (or the customer moved up the scale) while the AI was thinking.
            decision = assistant_decision_record(
                answer=answer,
                kind=AssistantDecision.Kind.REPLY,
                question=inbound.text,
                knowledge_base=knowledge_base,
                conversation=conversation,
                policy=policy,
                outcome=AssistantDecision.Outcome.SUPPRESSED,
            )
            event_record(
                conversation=conversation,
                kind=ConversationEvent.Kind.AI_SUPPRESSED,
                actor_kind=ConversationEvent.ActorKind.AI,
                data={
                    "message_id": message_id,
                    "owner": conversation.owner,
                    "level": conversation.autonomy_level,
                    "decision_id": decision.pk,
                },
            )
            return None
        disclosure_ensure(conversation=conversation)
        sources = [] if answer.abstained else [{"slug": answer.article_slug, "title": answer.article_title}]
        reply, created = message_record(
            conversation=conversation,
            author_kind=Message.AuthorKind.AI,
            provenance=Message.Provenance.AI,
            text=answer.text,
            client_id=client_id,
            sources=sources,
        )
        if created:
            decision = assistant_decision_record(
                answer=answer,
                kind=AssistantDecision.Kind.REPLY,
                question=inbound.text,
                knowledge_base=knowledge_base,
                conversation=conversation,
                message=reply,
                policy=policy,
            )
            event_record(
                conversation=conversation,
                kind=ConversationEvent.Kind.AI_ABSTAINED if answer.abstained else ConversationEvent.Kind.AI_ANSWERED,
                actor_kind=ConversationEvent.ActorKind.AI,
                data={
                    "message_id": message_id,
                    "reply_seq": reply.seq,
                    "decision_id": decision.pk,
                    "article_slug": answer.article_slug,
                    "article_title": answer.article_title,
                    "confidence": round(answer.confidence, 4),
                    "threshold": answer.threshold,
                    "target_precision": answer.target_precision,
                    "calibrated": answer.calibrated,
                    "candidates": answer.candidates,
                    "model": answer.model,
                    "outcome": answer.outcome,
                    "latency_ms": round(answer.latency_ms, 2),
                    "policy": policy,
                },
            )
            conversation_publish(conversation, activity=True)  # the AI still holds it: only the row's preview moved
    logger.info("assistant replied conversation=%s seq=%s abstained=%s", conversation.pk, reply.seq, answer.abstained)
    return reply


# Routing owns the human queue an unreviewed draft falls back to; the domain names its task rather than
# importing routing (the API and routing layers import the domain, never the reverse).
DRAFT_EXPIRE_TASK = "routing.tasks.draft_expire"


def draft_create(
    *, conversation, inbound: Message, answer: Answer, knowledge_base: KnowledgeBase, policy: str
) -> Draft:
    """At `ai_with_approval` the AI's reply waits for a person; the customer sees nothing yet. When the AI is
    not sure, its "not sure" is the draft too: the reviewer sends it, writes a real answer, or rejects it
    and the conversation goes to a person. One draft per customer message. Caller holds the row lock."""
    existing = Draft.objects.filter(for_message=inbound).first()
    if existing is not None:
        return existing
    decision = assistant_decision_record(
        answer=answer,
        kind=AssistantDecision.Kind.DRAFT,
        question=inbound.text,
        knowledge_base=knowledge_base,
        conversation=conversation,
        policy=policy,
    )
    draft = Draft.objects.create(
        conversation=conversation,
        for_message=inbound,
        text=answer.text,
        article=answer.article,
        confidence=round(answer.confidence, 4),
        decision=decision,
        review_by=timezone.now() + timedelta(seconds=settings.APPROVAL_TIMEOUT_SECONDS),
    )
    event_record(
        conversation=conversation,
        kind=ConversationEvent.Kind.DRAFT_CREATED,
        actor_kind=ConversationEvent.ActorKind.AI,
        data={
            "message_id": inbound.pk,
            "draft_id": draft.pk,
            "decision_id": decision.pk,
            "article_slug": answer.article_slug,
            "article_title": answer.article_title,
            "confidence": round(answer.confidence, 4),
            "threshold": answer.threshold,
            "abstained": answer.abstained,
            "review_by": draft.review_by.isoformat(),
            "policy": policy,
        },
    )
    broadcast.draft_changed(conversation_id=conversation.pk, draft=draft_for_staff(draft))
    transaction.on_commit(lambda: _draft_expiry_schedule(draft_id=draft.pk))
    logger.info("assistant drafted conversation=%s draft=%s abstained=%s", conversation.pk, draft.pk, answer.abstained)
    return draft


def _draft_expiry_schedule(*, draft_id: int) -> None:
    try:
        current_app.signature(DRAFT_EXPIRE_TASK, args=(draft_id,)).apply_async(
            countdown=settings.APPROVAL_TIMEOUT_SECONDS
        )
    except OperationalError:
        # No broker: the draft stays listed for review, but nothing will hand it to a person on time.
        logger.error("could not schedule expiry of draft %s: broker unavailable", draft_id)
