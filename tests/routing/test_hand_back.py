"""Handing back to the AI: the AI can take the next step itself, and it never bounces straight back."""

import pytest

from cxhub.conversations.models import Conversation, Message
from cxhub.conversations.services import ConversationError
from routing.services import handoff_accept, handoff_request, handoff_return
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def held():
    factories.knowledge_base_create()
    _, conversation, _ = factories.visitor_create(site=factories.site_create(), locale="fr")
    handoff_request(conversation_id=conversation.pk, reason="customer asked for a person")
    agent = factories.agent_create()
    handoff_accept(conversation_id=conversation.pk, agent=agent)
    return conversation, agent


def last_message(conversation) -> Message:
    return conversation.messages.order_by("-seq").first()


def test_the_ai_checks_the_customer_has_all_they_need_after_a_hand_back(held):
    conversation, agent = held

    handoff_return(conversation_id=conversation.pk, agent=agent, note="Sorted the refund.", follow_up="confirm")

    message = last_message(conversation)
    assert (message.author_kind, message.provenance) == ("ai", "ai")
    assert message.text.startswith("C’est de nouveau l’assistant IA")  # told it is the AI again, in French


def test_the_ai_asks_how_the_person_did(held):
    conversation, agent = held

    handoff_return(conversation_id=conversation.pk, agent=agent, follow_up="csat")

    assert "Marie Dupont" in last_message(conversation).text and "1" in last_message(conversation).text


def test_without_a_follow_up_the_ai_waits_for_the_customer(held):
    conversation, agent = held

    handoff_return(conversation_id=conversation.pk, agent=agent)

    conversation.refresh_from_db()
    assert conversation.owner == Conversation.Owner.AI
    assert last_message(conversation).author_kind == "system"


def test_an_unknown_follow_up_is_refused_and_the_agent_keeps_the_conversation(held):
    conversation, agent = held

    with pytest.raises(ConversationError) as refused:
        handoff_return(conversation_id=conversation.pk, agent=agent, follow_up="upsell")

    assert refused.value.code == "follow_up_invalid"
    conversation.refresh_from_db()
    assert conversation.owner == Conversation.Owner.AGENT
