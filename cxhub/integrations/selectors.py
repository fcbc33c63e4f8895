"""Reads for webhooks: which subscriptions want an event, and how a conversation is described to receivers."""

from cxhub.conversations.models import Conversation
from cxhub.conversations.selectors import agent_display_name
from cxhub.database.prepared import PreparedQuery

from .models import WebhookSubscription

# Every message asks (message.created): its SQL is built once (cxhub/database/prepared.py).
_active_subscriptions = PreparedQuery(lambda: WebhookSubscription.objects.filter(active=True).order_by("id"))


def webhook_subscriptions_for(*, event: str) -> list[WebhookSubscription]:
    """Active subscriptions that want `event`, in one query: with none, emitting costs only this."""
    # Filtered here rather than in SQL: JSON containment lookups are not available on SQLite.
    return [s for s in _active_subscriptions() if s.wants(event)]


def conversation_reference(conversation: Conversation) -> dict:
    """The conversation as every payload carries it: enough for a CRM to file the event without asking back."""
    customer = conversation.customer
    return {
        "id": conversation.pk,
        "site": {"id": conversation.site_id, "name": conversation.site.name},
        "customer": {
            "id": customer.pk,
            "name": str(customer),
            "email": customer.email,
            "external_id": customer.external_id,
            "identified": customer.is_identified,
            "vip": customer.is_vip,
            "segment": customer.segment,
            "locale": customer.locale,
        },
        "status": conversation.status,
        "owner": conversation.owner,
        "agent": (
            {"id": conversation.agent_id, "name": agent_display_name(conversation.agent)}
            if conversation.agent_id
            else None
        ),
        "autonomy_level": conversation.autonomy_level,
        "channel": conversation.channel,
        "locale": conversation.locale,
        "team_id": conversation.team_id,
        "priority": conversation.priority,
        "escalation_reason": conversation.escalation_reason,
        "created_at": conversation.created_at.isoformat(),
        "closed_at": conversation.closed_at.isoformat() if conversation.closed_at else None,
    }
