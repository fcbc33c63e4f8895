"""The AI's turn in a conversation: answer outside the lock, speak only if still allowed under it."""

import logging
import time

from django.conf import settings
from django.db import transaction

from cxhub.conversations.models import ConversationEvent, Message
from cxhub.conversations.services import (
    ai_may_speak,
    conversation_lock,
    conversation_publish,
    disclosure_ensure,
    event_record,
    message_record,
)

from .answerer import answer_question

logger = logging.getLogger(__name__)


def ai_reply_client_id(message_id: int) -> str:
    # One reply per inbound message: a redelivered task finds this id taken and posts nothing.
    return f"ai-reply:{message_id}"


def assistant_reply(*, message_id: int) -> Message | None:
    inbound = Message.objects.select_related("conversation").get(pk=message_id)
    conversation = inbound.conversation
    client_id = ai_reply_client_id(message_id)
    if Message.objects.filter(conversation=conversation, client_id=client_id).exists():
        return None
    if not ai_may_speak(conversation):
        return None
    if settings.ASSISTANT_FAULT_DELAY_SECONDS:
        time.sleep(settings.ASSISTANT_FAULT_DELAY_SECONDS)
    answer = answer_question(inbound.text, locale=conversation.locale)

    with transaction.atomic():
        conversation = conversation_lock(conversation.pk)
        if not ai_may_speak(conversation):
            # A person took over (or the customer moved up the scale) while the AI was thinking.
            event_record(
                conversation=conversation,
                kind=ConversationEvent.Kind.AI_SUPPRESSED,
                actor_kind=ConversationEvent.ActorKind.AI,
                data={"message_id": message_id, "owner": conversation.owner, "level": conversation.autonomy_level},
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
            event_record(
                conversation=conversation,
                kind=ConversationEvent.Kind.AI_ABSTAINED if answer.abstained else ConversationEvent.Kind.AI_ANSWERED,
                actor_kind=ConversationEvent.ActorKind.AI,
                data={
                    "message_id": message_id,
                    "reply_seq": reply.seq,
                    "article_slug": answer.article_slug,
                    "article_title": answer.article_title,
                    "confidence": round(answer.confidence, 4),
                    "threshold": answer.threshold,
                    "candidates": answer.candidates,
                    "model": answer.model,
                    "latency_ms": round(answer.latency_ms, 2),
                    "policy": f"autonomy={conversation.autonomy_level}, owner=ai",
                },
            )
            conversation_publish(conversation)
    logger.info("assistant replied conversation=%s seq=%s abstained=%s", conversation.pk, reply.seq, answer.abstained)
    return reply
