"""SMS and WhatsApp through a Twilio-compatible webhook: signatures checked, texts routed like widget messages,
commands choosing a person or the AI, and replies posted to a local server acting as Twilio's REST API."""

import pytest

from cxhub.conversations.models import AutonomyLevel, Conversation, ConversationEvent, Customer, Message
from cxhub.sms.models import TextMessage
from cxhub.sms.tasks import text_send
from tests.conftest import wait_until

from .conftest import ACCOUNT_SID, AUTH_TOKEN, SHOP_NUMBER, WHATSAPP_NUMBER, text_in

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_signed_text_is_answered_by_the_ai_through_the_rest_api_with_the_disclosure(site, twilio):
    response = text_in("How long does delivery take?")

    assert response.status_code == 200 and response["Content-Type"] == "text/xml"
    conversation = Conversation.objects.get()
    assert conversation.channel == Conversation.Channel.SMS
    assert (conversation.customer.phone, conversation.customer.phone_verified) == ("+33612345678", True)
    sent = wait_until(lambda: twilio.requests, timeout=10)[0]
    assert sent.path == f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json"
    assert (sent.username, sent.password) == (ACCOUNT_SID, AUTH_TOKEN)
    ai = conversation.messages.get(author_kind=Message.AuthorKind.AI)
    assert sent.params["To"] == "+33612345678" and sent.params["From"] == SHOP_NUMBER
    assert sent.params["Body"] == f"{ai.text}\n— AI assistant. Reply HUMAN for a person."
    outbound = TextMessage.objects.get(direction=TextMessage.Direction.OUTBOUND)
    assert outbound.status == TextMessage.Status.SENT and outbound.provider_sid.startswith("SM")


@pytest.mark.parametrize("signature", ["", "bm90IHRoZSBzaWduYXR1cmU="])
def test_a_missing_or_wrong_signature_is_refused_and_stores_nothing(site, twilio, signature):
    response = text_in("How long does delivery take?", signature=signature)

    assert response.status_code == 403
    assert response.json()["code"] == "signature_invalid"
    assert not Customer.objects.exists() and not Message.objects.exists() and not TextMessage.objects.exists()
    assert twilio.requests == []


def test_a_text_signed_for_another_body_is_refused(site, twilio):
    from cxhub.sms.signing import twilio_signature

    forged = twilio_signature(
        auth_token=AUTH_TOKEN,
        url="http://testserver/api/sms/inbound/",
        params={"Body": ["hello"], "From": ["+33612345678"], "To": [SHOP_NUMBER], "MessageSid": ["SMx"]},
    )

    assert text_in("Refund me now", signature=forged).status_code == 403
    assert not Message.objects.exists()


@pytest.mark.parametrize(("word", "locale"), [("HUMAN", "en"), ("Conseiller", "fr")])
def test_texting_human_or_conseiller_hands_the_conversation_to_a_person_and_says_so(site, twilio, word, locale):
    site.default_locale = locale
    site.save()
    text_in("How long does delivery take?")
    wait_until(lambda: twilio.requests, timeout=10)

    text_in(word)

    conversation = Conversation.objects.get()
    assert conversation.owner == Conversation.Owner.QUEUE
    command = conversation.events.get(kind=ConversationEvent.Kind.CHANNEL_COMMAND)
    assert command.data["action"] == "person" and command.data["channel"] == "sms"
    queued_text = wait_until(lambda: twilio.requests[1:], timeout=10)[0].params["Body"]
    assert ("number 1 in the queue" if locale == "en" else "numéro 1 dans la file") in queued_text
    assert conversation.messages.filter(author_kind=Message.AuthorKind.AI).count() == 1  # nothing after HUMAN


def test_texting_bot_brings_the_ai_back(site, twilio):
    text_in("human")
    text_in("BOT")

    conversation = Conversation.objects.get()
    assert (conversation.owner, conversation.autonomy_level) == (Conversation.Owner.AI, AutonomyLevel.AI_ONLY)
    actions = list(
        conversation.events.filter(kind=ConversationEvent.Kind.CHANNEL_COMMAND).values_list("data__action", flat=True)
    )
    assert actions == ["person", "ai"]


def test_a_whatsapp_sender_gets_a_whatsapp_conversation_and_replies_on_whatsapp(site, twilio):
    text_in("How long does delivery take?", sender="whatsapp:+33698765432", to=WHATSAPP_NUMBER)

    conversation = Conversation.objects.get()
    assert conversation.channel == Conversation.Channel.WHATSAPP
    assert conversation.customer.phone == "+33698765432"
    sent = wait_until(lambda: twilio.requests, timeout=10)[0]
    assert (sent.params["To"], sent.params["From"]) == ("whatsapp:+33698765432", WHATSAPP_NUMBER)


def test_the_same_text_delivered_twice_is_stored_and_answered_once(site, twilio):
    text_in("How long does delivery take?", sid="SM" + "7" * 32)
    text_in("How long does delivery take?", sid="SM" + "7" * 32)

    assert Message.objects.filter(author_kind=Message.AuthorKind.CUSTOMER).count() == 1
    wait_until(lambda: twilio.requests, timeout=10)
    text_send.delay(TextMessage.objects.get(direction=TextMessage.Direction.OUTBOUND).pk)  # a redelivered task
    assert len(twilio.requests) == 1


def test_the_same_phone_on_sms_and_whatsapp_is_one_customer(site, twilio):
    text_in("How long does delivery take?")
    text_in("And returns?", sender="whatsapp:+33612345678", to=WHATSAPP_NUMBER)

    assert Customer.objects.count() == 1
    conversation = Conversation.objects.get()
    assert conversation.channel == Conversation.Channel.WHATSAPP
    assert conversation.events.filter(kind=ConversationEvent.Kind.CHANNEL_CONTINUED).count() == 1


def test_a_failing_provider_is_retried_and_a_refusal_is_given_up_and_shown(site, twilio):
    twilio.script = [503, 201]
    text_in("How long does delivery take?")
    first = TextMessage.objects.get(direction=TextMessage.Direction.OUTBOUND)
    assert (first.status, first.attempts) == (TextMessage.Status.SENT, 2)

    twilio.script = [400]
    text_in("What is your returns policy?")

    refused = TextMessage.objects.filter(direction=TextMessage.Direction.OUTBOUND).exclude(pk=first.pk).get()
    assert (refused.status, refused.attempts) == (TextMessage.Status.DEAD, 1)
    failed = ConversationEvent.objects.get(kind=ConversationEvent.Kind.POST_WORK_FAILED)
    assert failed.data["work"] == "text_send" and failed.data["text_id"] == refused.pk
