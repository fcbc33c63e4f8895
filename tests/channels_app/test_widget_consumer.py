"""The visitor's websocket, through cxhub.asgi.application and the Redis channel layer."""

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.test import override_settings

from cxhub.asgi import application
from cxhub.conversations.models import ConversationEvent, Message
from cxhub.conversations.visitor_tokens import visitor_token_issue
from tests import factories
from tests.channels_app.helpers import visitor_connect, visitor_say

pytestmark = pytest.mark.django_db(transaction=True)


@sync_to_async
def shop_with_visitor(locale: str = "en"):
    site = factories.site_create()
    factories.knowledge_base_create()
    customer, conversation, token = factories.visitor_create(site=site, locale=locale)
    return site, conversation, token


async def test_visitor_is_told_about_the_ai_before_it_answers_from_the_knowledge_base():
    _, conversation, token = await shop_with_visitor()
    visitor = await visitor_connect(token)

    disclosure = await visitor.message_with(seq=1)
    ack = await visitor_say(visitor, "How long does shipping take?")
    answer = await visitor.message_with(author_kind="ai")

    assert disclosure["author_kind"] == "system" and "AI assistant" in disclosure["text"]
    assert ack["seq"] == 2 and ack["duplicate"] is False
    assert answer["seq"] == 3
    assert answer["provenance"] == "ai"
    assert answer["text"] == "Delivery takes 2–4 business days."
    assert answer["sources"] == [{"slug": "shipping-times", "title": "How long does delivery take?"}]
    event = await sync_to_async(conversation.events.get)(kind=ConversationEvent.Kind.AI_ANSWERED)
    assert event.data["article_slug"] == "shipping-times"
    assert event.data["confidence"] >= event.data["threshold"]
    await visitor.close()


async def test_french_visitor_gets_french_disclosure_and_answer():
    _, _, token = await shop_with_visitor(locale="fr")
    visitor = await visitor_connect(token)

    disclosure = await visitor.message_with(seq=1)
    await visitor_say(visitor, "Combien de temps prend la livraison ?")
    answer = await visitor.message_with(author_kind="ai")

    assert "assistant IA" in disclosure["text"]
    assert answer["sources"][0]["slug"] == "delais-livraison"
    await visitor.close()


async def test_ai_says_it_is_not_sure_instead_of_guessing():
    _, conversation, token = await shop_with_visitor()
    visitor = await visitor_connect(token)

    await visitor_say(visitor, "Can you sell me a spaceship with a warp drive?")
    answer = await visitor.message_with(author_kind="ai")

    assert "not sure" in answer["text"] and "person" in answer["text"]
    assert answer["sources"] == []
    assert await sync_to_async(conversation.events.filter(kind=ConversationEvent.Kind.AI_ABSTAINED).count)() == 1
    await visitor.close()


async def test_resending_a_client_id_stores_the_message_once_and_answers_once():
    _, conversation, token = await shop_with_visitor()
    visitor = await visitor_connect(token)

    first = await visitor_say(visitor, "Can I return an item?", client_id="c-1")
    await visitor.message_with(author_kind="ai")
    again = await visitor_say(visitor, "Can I return an item?", client_id="c-1")

    assert again["seq"] == first["seq"] and again["duplicate"] is True
    assert await visitor.messages_within() == []
    counts = await sync_to_async(
        lambda: (
            Message.objects.filter(conversation=conversation, author_kind="customer").count(),
            Message.objects.filter(conversation=conversation, author_kind="ai").count(),
        )
    )()
    assert counts == (1, 1)
    await visitor.close()


async def test_resume_after_reconnect_returns_exactly_the_missed_messages():
    _, conversation, token = await shop_with_visitor()
    visitor = await visitor_connect(token)
    await visitor_say(visitor, "How long does shipping take?")
    seen = (await visitor.message_with(author_kind="ai"))["seq"]
    await visitor.close()

    # While the visitor is away, the conversation goes on (as from another tab).
    other_tab = await visitor_connect(token, resume_from=None)
    await visitor_say(other_tab, "Can I return an item?")
    await visitor_say(other_tab, "When will my order arrive?")
    await other_tab.close()
    ai_replies = await sync_to_async(Message.objects.filter(conversation=conversation, author_kind="ai").count)()
    assert ai_replies == 3  # tasks run in-process here, so every reply is stored before the ack

    back = await visitor_connect(token, resume_from=seen)
    missed = [(await back.receive_until(lambda f: f["type"] == "message"))["message"] for _ in range(4)]

    assert [m["seq"] for m in missed] == [seen + 1, seen + 2, seen + 3, seen + 4]
    assert [m["author_kind"] for m in missed] == ["customer", "ai", "customer", "ai"]
    assert await back.messages_within() == []
    await back.close()


async def assert_origin_refused(communicator: WebsocketCommunicator) -> None:
    """Refused with a readable reason, then closed with 4403; the conversation is never joined."""
    await communicator.connect()
    frames = [await communicator.receive_output() for _ in range(2)]
    assert frames[0]["type"] == "websocket.send" and '"origin_refused"' in frames[0]["text"]
    assert frames[1] == {"type": "websocket.close", "code": 4403}


async def test_foreign_origin_is_refused():
    _, _, token = await shop_with_visitor()
    await assert_origin_refused(
        WebsocketCommunicator(application, f"/ws/widget/?token={token}", headers=[(b"origin", b"https://evil.example")])
    )


async def test_missing_origin_is_refused():
    _, _, token = await shop_with_visitor()
    await assert_origin_refused(WebsocketCommunicator(application, f"/ws/widget/?token={token}"))


@pytest.mark.parametrize("mangle", [lambda t: t[:-2] + "xx", lambda t: "", lambda t: "made-up-by-the-client"])
async def test_bad_token_gets_a_clear_error_and_is_closed(mangle):
    _, _, token = await shop_with_visitor()
    communicator = WebsocketCommunicator(
        application, f"/ws/widget/?token={mangle(token)}", headers=[(b"origin", factories.SHOP_ORIGIN.encode())]
    )
    connected, _ = await communicator.connect()
    assert connected
    error = await communicator.receive_json_from()
    closed = await communicator.receive_output()
    assert error["type"] == "error" and error["code"] == "token_invalid"
    assert closed == {"type": "websocket.close", "code": 4401}


async def test_expired_token_is_refused():
    _, _, token = await shop_with_visitor()
    with override_settings(VISITOR_TOKEN_MAX_AGE_SECONDS=-1):
        communicator = WebsocketCommunicator(
            application, f"/ws/widget/?token={token}", headers=[(b"origin", factories.SHOP_ORIGIN.encode())]
        )
        await communicator.connect()
        error = await communicator.receive_json_from()
    assert error["code"] == "token_expired"


async def test_a_visitor_never_sees_another_visitors_conversation():
    site, _, token_a = await shop_with_visitor()
    _, _, token_b = await sync_to_async(factories.visitor_create)(site=site)
    alice = await visitor_connect(token_a)
    bob = await visitor_connect(token_b)
    await alice.message_with(seq=1)
    await bob.message_with(seq=1)

    await visitor_say(bob, "My secret order number is 4242")
    await bob.message_with(author_kind="ai")

    assert await alice.messages_within() == []
    assert not any("4242" in str(frame) for frame in alice.frames)
    await alice.close()
    await bob.close()


async def test_token_of_one_site_is_refused_from_another_sites_origin():
    _, _, token = await shop_with_visitor()
    await sync_to_async(factories.site_create)(origins=("https://other.example",), name="Other")
    await assert_origin_refused(
        WebsocketCommunicator(
            application, f"/ws/widget/?token={token}", headers=[(b"origin", b"https://other.example")]
        )
    )


async def test_token_signed_for_an_unknown_customer_is_refused():
    site, _, _ = await shop_with_visitor()
    forged = visitor_token_issue(site_id=site.pk, customer_public_id="guessed-id")
    communicator = WebsocketCommunicator(
        application, f"/ws/widget/?token={forged}", headers=[(b"origin", factories.SHOP_ORIGIN.encode())]
    )
    await communicator.connect()
    assert (await communicator.receive_json_from())["code"] == "token_invalid"


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("not json", "frame_invalid"),
        ("[1, 2]", "frame_invalid"),
        ('{"type": "launch.missiles"}', "type_unknown"),
        ('{"type": "message.send", "client_id": "x", "text": "' + "a" * 17000 + '"}', "frame_too_large"),
        ('{"type": "message.send", "client_id": "x", "text": "' + "a" * 2001 + '"}', "message_too_long"),
        ('{"type": "message.send", "client_id": "x", "text": "   "}', "message_empty"),
        ('{"type": "message.send", "text": "hello"}', "client_id_invalid"),
        ('{"type": "autonomy.set", "level": "robot_overlord"}', "level_invalid"),
    ],
)
async def test_bad_frames_get_an_error_and_the_connection_survives(raw, code):
    _, conversation, token = await shop_with_visitor()
    visitor = await visitor_connect(token)
    await visitor.message_with(seq=1)

    await visitor.communicator.send_to(text_data=raw)
    error = await visitor.receive_until(lambda f: f["type"] == "error")
    ack = await visitor_say(visitor, "Can I return an item?")

    assert error["code"] == code and error["message"]
    assert ack["seq"] == 2  # nothing bad was stored, and the socket still works
    await visitor.close()


@sync_to_async
def demo_shop_with_visitor(locale: str = "en"):
    """The demo shop's knowledge base, big enough to calibrate: search confidences mean something."""
    factories.demo_knowledge_base_create()
    site = factories.site_create()
    customer, conversation, token = factories.visitor_create(site=site, locale=locale)
    return conversation, token


async def test_self_service_search_answers_with_articles_and_posts_nothing():
    conversation, token = await demo_shop_with_visitor()
    visitor = await visitor_connect(token)
    await visitor.message_with(seq=1)
    await visitor.send(type="autonomy.set", level="self_service")
    await visitor.message_with(author_kind="system", seq=2)  # "You chose: Find it myself."

    await visitor.send(type="kb.search", query="Can I send back a lamp I bought")
    found = await visitor.receive_until(lambda f: f["type"] == "kb.results")
    await visitor.send(type="kb.search", query="spaceship warp drive")
    junk = await visitor.receive_until(lambda f: f["type"] == "kb.results")

    assert found["query"] == "Can I send back a lamp I bought"
    assert found["articles"][0]["slug"] == "returns-policy" and "30 days" in found["articles"][0]["answer"]
    assert set(found["articles"][0]) == {"slug", "title", "answer", "locale"} and len(found["articles"]) <= 5
    assert junk["articles"] == []
    assert await visitor.messages_within() == []
    assert await sync_to_async(conversation.messages.count)() == 2
    await visitor.close()


@pytest.mark.parametrize(
    ("frame", "code"),
    [
        ({"type": "kb.search", "query": "   "}, "query_empty"),
        ({"type": "kb.search"}, "query_invalid"),
        ({"type": "kb.search", "query": "x" * 301}, "query_too_long"),
        ({"type": "contact.leave_email", "email": "not an email"}, "email_invalid"),
        ({"type": "contact.leave_email"}, "email_invalid"),
    ],
)
async def test_bad_searches_and_emails_get_a_clear_error_and_the_connection_survives(frame, code):
    _, token = await demo_shop_with_visitor()
    visitor = await visitor_connect(token)
    await visitor.message_with(seq=1)

    await visitor.send(**frame)
    error = await visitor.receive_until(lambda f: f["type"] == "error")
    await visitor.send(type="kb.search", query="How do I track my order?")
    results = await visitor.receive_until(lambda f: f["type"] == "kb.results")

    assert error["code"] == code and error["message"]
    assert results["articles"][0]["slug"] == "order-tracking"
    await visitor.close()


async def test_leaving_an_email_is_saved_recorded_and_confirmed_in_french():
    conversation, token = await demo_shop_with_visitor(locale="fr")
    visitor = await visitor_connect(token)
    await visitor.message_with(seq=1)

    await visitor.send(type="contact.leave_email", email="lea@example.fr")
    saved = await visitor.receive_until(lambda f: f["type"] == "contact.saved")
    notice = await visitor.message_with(author_kind="system", seq=2)

    assert saved == {"type": "contact.saved", "email": "lea@example.fr"}
    assert notice["text"] == "Merci. Une personne vous répondra à l’adresse lea@example.fr."
    customer = await sync_to_async(lambda: type(conversation.customer).objects.get(pk=conversation.customer_id))()
    assert customer.email == "lea@example.fr"
    assert await sync_to_async(conversation.events.filter(kind=ConversationEvent.Kind.CONTACT_LEFT).count)() == 1
    await visitor.close()


# ---------------------------------------------------------------- identity, pre-chat, satisfaction, transcript


async def test_identify_prechat_csat_transcript_and_end_over_the_socket():
    from django.core import mail

    from cxhub.conversations.models import Customer, SatisfactionRating
    from cxhub.conversations.services import identity_hash

    site, conversation, token = await shop_with_visitor()
    site.prechat_fields = ["name", "email"]
    await sync_to_async(site.save)()
    visitor = await visitor_connect(token)

    await visitor.send(type="identify", user_id="u-7", user_hash="0" * 64)
    refused = await visitor.receive_until(lambda f: f["type"] == "error")
    await visitor.send(
        type="identify", user_id="u-7", user_hash=identity_hash(secret=site.identity_secret, user_id="u-7")
    )
    identified = await visitor.receive_until(lambda f: f["type"] == "identified")
    await visitor.send(type="prechat", name="Ada", email="nope")
    bad_email = await visitor.receive_until(lambda f: f["type"] == "error")
    await visitor.send(type="prechat", name="Ada", email="ada@example.com")
    saved = await visitor.receive_until(lambda f: f["type"] == "prechat.saved")
    await visitor.send(type="conversation.end")
    closed = await visitor.receive_until(lambda f: f["type"] == "state" and f["state"]["status"] == "closed")
    await visitor.send(type="csat", score=9)
    bad_score = await visitor.receive_until(lambda f: f["type"] == "error")
    await visitor.send(type="csat", score=4, comment="Quick")
    rated = await visitor.receive_until(lambda f: f["type"] == "csat.saved")
    with override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend"):
        await visitor.send(type="transcript.email")
        queued = await visitor.receive_until(lambda f: f["type"] == "transcript.queued")
        outbox = list(mail.outbox)
    await visitor.send(type="csat", score=3, conversation_id="someone-elses")
    unknown = await visitor.receive_until(lambda f: f["type"] == "error")

    assert refused["code"] == "identity_invalid" and identified["user_id"] == "u-7"
    assert bad_email["code"] == "email_invalid"
    assert saved == {"type": "prechat.saved", "name": "Ada", "email": "ada@example.com"}
    assert closed["state"]["conversation_id"] == conversation.public_id
    assert bad_score["code"] == "score_invalid"
    assert rated == {"type": "csat.saved", "score": 4, "comment": "Quick", "handled_by": "ai"}
    assert queued == {"type": "transcript.queued", "email": "ada@example.com"}
    assert [m.to for m in outbox] == [["ada@example.com"]]
    assert unknown["code"] == "conversation_unknown"
    customer = await sync_to_async(Customer.objects.get)(pk=conversation.customer_id)
    assert customer.is_identified and customer.external_id == "u-7" and customer.display_name == "Ada"
    rating = await sync_to_async(SatisfactionRating.objects.get)(conversation_id=conversation.pk)
    assert rating.score == 4
    await visitor.close()
