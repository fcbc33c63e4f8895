"""A small support floor for the console's backend tests: two teams, an AI answer, a handoff."""

from dataclasses import dataclass

from django.test import Client

from cxhub.assistant.services import assistant_reply
from cxhub.conversations.models import Conversation, Message
from routing.models import Team
from routing.services import customer_message_handle, handoff_request
from tests import factories


@dataclass
class World:
    marie: object  # agent in Billing
    sam: object  # agent in Care only
    billing: Conversation  # Billing's, with an AI answer, then handed to a person
    care: Conversation  # Care's: marie may not see it
    token: str  # the billing conversation's visitor token
    ai_seq: int  # seq of the AI's answer in the billing conversation
    customer_seq: int


def conversation_with_ai_answer(*, site, team, name: str, locale: str = "en"):
    customer, conversation, token = factories.visitor_create(site=site, locale=locale)
    customer.display_name, customer.email = name, "alice@example.com"
    customer.save()
    conversation.team = team
    conversation.save()
    question = "How long does shipping take?" if locale == "en" else "Combien de temps prend la livraison ?"
    message, _ = customer_message_handle(conversation_id=conversation.pk, text=question, client_id="c1")
    assistant_reply(message_id=message.pk)  # already done when on-commit callbacks ran: then a no-op
    return conversation, token, message.seq


def world(*, handed_off: bool = True, locale: str = "en") -> World:
    factories.knowledge_base_create()
    site = factories.site_create(name="Maison Lumière")
    billing_team = Team.objects.create(name="Billing", slug="billing")
    care_team = Team.objects.create(name="Care", slug="care")
    marie = factories.agent_create(username="marie")
    sam = factories.agent_create(username="sam", first_name="Sam", last_name="Taylor")
    billing_team.members.add(marie)
    care_team.members.add(sam)
    billing, token, customer_seq = conversation_with_ai_answer(
        site=site, team=billing_team, name="Alice Martin", locale=locale
    )
    care, _, _ = conversation_with_ai_answer(site=site, team=care_team, name="Bob Stone")
    if handed_off:
        for conversation in (billing, care):
            handoff_request(conversation_id=conversation.pk, reason="customer asked for a person")
    ai_seq = billing.messages.filter(author_kind=Message.AuthorKind.AI).values_list("seq", flat=True).first()
    for conversation in (billing, care):
        conversation.refresh_from_db()
    return World(marie, sam, billing, care, token, ai_seq, customer_seq)


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client
