"""A visitor starts in the widget, leaves their email when no one is available, and the conversation goes on by
email: the agent's reply reaches a real SMTP server, the customer's reply threads back, and staff see one
customer with one history."""

import json

import pytest
from django.test import Client

from cxhub.conversations.models import Conversation, ConversationEvent, Customer, Message
from cxhub.mail.models import Email
from routing import services as routing
from tests import factories
from tests.conftest import wait_until

from .conftest import INBOUND_SECRET, SUPPORT

pytestmark = pytest.mark.django_db(transaction=True)

ORIGIN = factories.SHOP_ORIGIN


def widget_visitor(site):
    customer, conversation, token = factories.visitor_create(site=site)
    return conversation, {"origin": ORIGIN, "authorization": f"Bearer {token}"}


def widget_post(path: str, body: dict, headers: dict):
    return Client().post(f"/api/widget/{path}", body, content_type="application/json", headers=headers)


def reply_by_email(*, in_reply_to: str, text: str, verified: bool = True, message_id: str = "<reply@example.org>"):
    payload = {
        "from": "Ana Lopez <ana@example.org>",
        "to": SUPPORT,
        "subject": "Re: Your conversation with Shop",
        "text": f"{text}\n\nOn Tuesday, Shop wrote:\n> earlier words",
        "headers": {"Message-Id": message_id, "In-Reply-To": in_reply_to},
        "spf": "pass" if verified else "softfail",
        "dkim": "pass" if verified else "none",
    }
    return Client().post(f"/api/mail/inbound/{INBOUND_SECRET}/", json.dumps(payload), content_type="application/json")


def left_email_and_agent_replied(site, smtp_server):
    conversation, headers = widget_visitor(site)
    widget_post("messages", {"client_id": "w1", "text": "My lamp arrived broken, I want a refund"}, headers)
    widget_post("handoff", {}, headers)
    assert widget_post("contact", {"email": "ana@example.org"}, headers).status_code == 200
    agent = factories.agent_create()
    routing.handoff_accept(conversation_id=conversation.pk, agent=agent)
    routing.agent_message_send(
        conversation_id=conversation.pk, agent=agent, text="Sorry about that! Could you send a photo?", client_id="a1"
    )
    wait_until(lambda: smtp_server.messages, timeout=10)
    return conversation, agent, smtp_server.messages[0]


def test_a_widget_visitor_who_left_their_email_continues_by_email_as_one_customer_with_one_history(site, smtp_server):
    conversation, agent, sent = left_email_and_agent_replied(site, smtp_server)

    conversation.refresh_from_db()
    assert conversation.channel == Conversation.Channel.EMAIL
    continued = conversation.events.get(kind=ConversationEvent.Kind.CHANNEL_CONTINUED)
    assert continued.data == {"from": "widget", "to": "email", "address": "ana@example.org"}
    assert smtp_server.recipients[0] == ["ana@example.org"]
    assert sent["Subject"] == "Your conversation with Shop"
    body = sent.get_content()
    assert body.startswith("Sorry about that! Could you send a photo?")
    assert "Marie Dupont, Shop" in body and "AI assistant" not in body

    response = reply_by_email(in_reply_to=sent["Message-ID"], text="Here it is, the glass is cracked.")

    assert response.status_code == 201
    assert response.json()["conversation_id"] == conversation.public_id
    assert Customer.objects.filter(site=site, email__iexact="ana@example.org", merged_into__isnull=True).count() == 1
    customer = Customer.objects.get(pk=Conversation.objects.get(pk=conversation.pk).customer_id)
    assert customer.email_verified is True  # proven by the email's SPF and DKIM

    staff = Client()
    staff.force_login(agent)
    card = staff.get(f"/api/staff/conversations/{conversation.pk}/handoff").json()
    assert card["customer"]["email"] == "ana@example.org"
    assert card["customer"]["previous_conversations"] == []
    texts = [line["text"] for line in card["transcript"] if line["author_kind"] != Message.AuthorKind.SYSTEM]
    assert texts == [
        "My lamp arrived broken, I want a refund",
        "I’m not sure about that, and I’d rather not guess. Would you like to talk to a person?",  # in the widget
        "Sorry about that! Could you send a photo?",
        "Here it is, the glass is cracked.",
    ]

    routing.agent_message_send(conversation_id=conversation.pk, agent=agent, text="Refund on its way.", client_id="a2")
    wait_until(lambda: len(smtp_server.messages) == 2, timeout=10)
    second = smtp_server.messages[1]
    assert second["Subject"] == "Re: Your conversation with Shop"
    assert second["In-Reply-To"] == "<reply@example.org>"
    assert sent["Message-ID"] in second["References"]


def test_an_unverified_reply_still_threads_into_the_conversation_of_the_same_customer(site, smtp_server):
    conversation, _, sent = left_email_and_agent_replied(site, smtp_server)

    response = reply_by_email(in_reply_to=sent["Message-ID"], text="Photo attached.", verified=False)

    assert response.json()["conversation_id"] == conversation.public_id
    assert Conversation.objects.get(pk=conversation.pk).customer_id == conversation.customer_id
    assert Customer.objects.get(pk=conversation.customer_id).email_verified is False
    assert Email.objects.get(direction=Email.Direction.INBOUND).sender_verified is False
