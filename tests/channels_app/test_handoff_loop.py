"""Visitor asks for a person, an agent takes over, replies and hands back; both sides see it live."""

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator

from cxhub.asgi import application
from cxhub.assistant.copilot import copilot_for_conversation
from cxhub.assistant.models import Suggestion
from cxhub.assistant.services import assistant_reply
from cxhub.conversations.models import Conversation, ConversationEvent, Message
from routing import services as routing
from tests import factories
from tests.channels_app.helpers import staff_communicator, staff_connect, visitor_connect, visitor_say

pytestmark = pytest.mark.django_db(transaction=True)


@sync_to_async
def shop_with_visitor_and_agent(level: str | None = None):
    site = factories.site_create()
    factories.knowledge_base_create()
    _, conversation, token = factories.visitor_create(site=site)
    agent = factories.agent_create()
    return conversation, token, agent


async def test_person_request_take_over_reply_hand_back_and_close():
    conversation, token, marie = await shop_with_visitor_and_agent()
    visitor = await visitor_connect(token)
    agent = await staff_connect(marie)
    await visitor.message_with(seq=1)

    # The visitor asks for a person: queued, told their position, and the agent's inbox shows it live.
    await visitor_say(visitor, "How long does shipping take?")
    await visitor.message_with(author_kind="ai")
    await visitor.send(type="handoff.request")
    notice = await visitor.message_with(author_kind="system")
    queued = await visitor.receive_until(lambda f: f["type"] == "state" and f["state"]["owner"] == "queue")
    row = await agent.receive_until(
        lambda f: f["type"] == "inbox.conversation" and f["conversation"]["owner"] == "queue"
    )
    assert queued["state"]["queue_position"] == 1
    assert "Connecting you with a person" in notice["text"]
    assert row["conversation"]["id"] == conversation.pk
    assert "Talk to a person" in row["conversation"]["escalation_reason"]

    # The agent opens it and gets the handoff card: transcript, customer, reason, what the AI tried.
    await agent.send(type="conversation.open", conversation_id=conversation.pk)
    card = (await agent.receive_until(lambda f: f["type"] == "conversation"))["card"]
    assert [m["author_kind"] for m in card["transcript"]] == ["system", "customer", "ai", "system"]
    assert card["tried"][0]["article"] == "shipping-times"
    assert card["signals"] == ["explicit_request"]
    assert "How long does shipping take?" in card["summary"]

    # Take-over: the visitor sees who joined.
    await agent.send(type="conversation.take_over", conversation_id=conversation.pk)
    joined = await visitor.message_with(author_kind="system", text="Marie Dupont joined the conversation.")
    state = await visitor.receive_until(lambda f: f["type"] == "state" and f["state"]["owner"] == "agent")
    assert joined and state["state"]["agent_name"] == "Marie Dupont"

    # The agent replies; the visitor sees a person's message with their name.
    await agent.send(type="message.send", conversation_id=conversation.pk, client_id="a-1", text="Hi, Marie here!")
    reply = await visitor.message_with(author_kind="human")
    assert reply["author_name"] == "Marie Dupont" and reply["provenance"] == "human"

    # While a person owns the conversation the AI stays silent, even on a question it knows.
    await visitor_say(visitor, "Can I return an item?")
    seen_by_agent = await agent.receive_until(
        lambda f: f["type"] == "message" and f["message"]["author_kind"] == "customer"
    )
    assert seen_by_agent["message"]["text"] == "Can I return an item?"
    assert [m["author_kind"] for m in await visitor.messages_within()] == ["customer"]

    # Hand back: the AI resumes and answers again.
    await agent.send(type="conversation.hand_back", conversation_id=conversation.pk, note="Explained returns.")
    back = await visitor.message_with(
        author_kind="system",
        text=("Marie Dupont handed the conversation back to the AI assistant. A person is still one click away."),
    )
    assert back
    await visitor_say(visitor, "Is return shipping free?")
    answer = await visitor.message_with(author_kind="ai")
    assert answer["sources"][0]["slug"] == "returns-policy"

    # Close.
    await agent.send(type="conversation.close", conversation_id=conversation.pk, outcome="resolved")
    closed = await visitor.receive_until(lambda f: f["type"] == "state" and f["state"]["status"] == "closed")
    assert closed

    # Post-conversation work (summary, CRM…) runs beside the loop and has its own tests.
    kinds = await sync_to_async(
        lambda: list(conversation.events.exclude(kind__startswith="post_work").values_list("kind", flat=True))
    )()
    assert kinds == [
        "conversation_started",
        "disclosure_shown",
        "ai_answered",
        "autonomy_changed",
        "handoff_requested",
        "handoff_accepted",
        "handoff_returned",
        "ai_answered",
        "conversation_closed",
    ]
    returned = await sync_to_async(conversation.events.get)(kind=ConversationEvent.Kind.HANDOFF_RETURNED)
    assert returned.data["note"] == "Explained returns."
    await visitor.close()
    await agent.close()


async def test_typing_a_request_for_a_person_hands_over_without_an_ai_reply():
    conversation, token, _ = await shop_with_visitor_and_agent()
    visitor = await visitor_connect(token)
    await visitor.message_with(seq=1)

    await visitor_say(visitor, "I want to talk to a human please")
    state = await visitor.receive_until(lambda f: f["type"] == "state" and f["state"]["owner"] == "queue")

    assert state["state"]["autonomy_level"] == "human_with_ai"
    assert [m["author_kind"] for m in await visitor.messages_within()] in ([], ["system"])
    assert await sync_to_async(Message.objects.filter(conversation=conversation, author_kind="ai").count)() == 0
    await visitor.close()


async def test_customer_switches_between_ai_only_and_human_only():
    conversation, token, marie = await shop_with_visitor_and_agent()
    visitor = await visitor_connect(token)
    await visitor.message_with(seq=1)

    await visitor.send(type="autonomy.set", level="human_only")
    queued = await visitor.receive_until(lambda f: f["type"] == "state" and f["state"]["owner"] == "queue")
    assert queued["state"]["autonomy_level"] == "human_only"
    await visitor_say(visitor, "How long does shipping take?")
    assert "ai" not in [m["author_kind"] for m in await visitor.messages_within()]

    # An agent cannot hand a human_only conversation to the AI.
    agent = await staff_connect(marie)
    await agent.send(type="conversation.take_over", conversation_id=conversation.pk)
    await visitor.receive_until(lambda f: f["type"] == "state" and f["state"]["owner"] == "agent")
    await agent.send(type="conversation.hand_back", conversation_id=conversation.pk)
    error = await agent.receive_until(lambda f: f["type"] == "error")
    assert error["code"] == "customer_chose_human_only"

    # The customer moves back to the AI whenever they like.
    await visitor.send(type="autonomy.set", level="ai_only")
    await visitor.receive_until(lambda f: f["type"] == "state" and f["state"]["owner"] == "ai")
    await visitor_say(visitor, "How long does shipping take?")
    assert (await visitor.message_with(author_kind="ai"))["sources"][0]["slug"] == "shipping-times"
    await visitor.close()
    await agent.close()


async def test_ai_reply_finishing_after_a_person_took_over_posts_nothing():
    conversation, token, marie = await shop_with_visitor_and_agent()
    inbound = await sync_to_async(
        lambda: Message.objects.create(
            conversation=conversation, seq=99, author_kind="customer", provenance="customer", text="Can I return?"
        )
    )()
    await sync_to_async(routing.handoff_accept)(conversation_id=conversation.pk, agent=marie)

    reply = await sync_to_async(assistant_reply)(message_id=inbound.pk)

    assert reply is None
    assert await sync_to_async(Message.objects.filter(conversation=conversation, author_kind="ai").count)() == 0


async def test_second_agent_cannot_steal_or_reply_in_a_taken_conversation():
    conversation, _, marie = await shop_with_visitor_and_agent()
    sam = await sync_to_async(factories.agent_create)(username="sam", first_name="Sam", last_name="Taylor")
    await sync_to_async(routing.handoff_accept)(conversation_id=conversation.pk, agent=marie)
    other = await staff_connect(sam)

    await other.send(type="conversation.take_over", conversation_id=conversation.pk)
    taken = await other.receive_until(lambda f: f["type"] == "error")
    await other.send(type="message.send", conversation_id=conversation.pk, client_id="s-1", text="hello")
    not_owner = await other.receive_until(lambda f: f["type"] == "error")

    await other.send(type="conversation.close", conversation_id=conversation.pk)
    not_closed = await other.receive_until(lambda f: f["type"] == "error")

    assert taken["code"] == "already_taken" and not_owner["code"] == "not_owner"
    assert not_closed["code"] == "not_owner"
    refreshed = await sync_to_async(Conversation.objects.get)(pk=conversation.pk)
    assert refreshed.agent_id == marie.pk and refreshed.status == "open"
    await other.close()


async def test_staff_socket_refuses_anonymous_and_non_staff_users():
    anonymous = WebsocketCommunicator(application, "/ws/staff/", headers=[(b"origin", b"http://localhost")])
    connected, code = await anonymous.connect()
    assert connected is False and code == 4403

    customer_user = await sync_to_async(factories.agent_create)(username="bob", staff=False)
    not_staff = await staff_communicator(customer_user)
    connected, _ = await not_staff.connect()
    assert connected is False


async def test_staff_socket_refuses_a_foreign_origin_even_with_a_session():
    _, _, marie = await shop_with_visitor_and_agent()
    communicator = await staff_communicator(marie, origin=b"https://evil.example")
    connected, _ = await communicator.connect()
    assert connected is False


async def test_waiting_visitors_move_up_the_queue_when_someone_ahead_is_taken():
    conversation, _, marie = await shop_with_visitor_and_agent()
    site = await sync_to_async(lambda: conversation.site)()
    _, _, second_token = await sync_to_async(factories.visitor_create)(site=site)
    await sync_to_async(routing.handoff_request)(conversation_id=conversation.pk, reason="first")
    second = await visitor_connect(second_token)
    await second.send(type="handoff.request")
    await second.receive_until(lambda f: f["type"] == "state" and f["state"]["queue_position"] == 2)

    await sync_to_async(routing.handoff_accept)(conversation_id=conversation.pk, agent=marie)

    moved = await second.receive_until(lambda f: f["type"] == "state" and f["state"]["queue_position"] == 1)
    assert moved["state"]["owner"] == "queue"
    await second.close()


async def test_a_reply_sent_from_a_copilot_suggestion_tells_the_customer_ai_helped():
    conversation, token, marie = await shop_with_visitor_and_agent()
    visitor = await visitor_connect(token)
    agent = await staff_connect(marie)
    await visitor.message_with(seq=1)
    await visitor.send(type="handoff.request")
    await agent.send(type="conversation.open", conversation_id=conversation.pk)
    await agent.receive_until(lambda f: f["type"] == "conversation")
    await agent.send(type="conversation.take_over", conversation_id=conversation.pk)
    await visitor.receive_until(lambda f: f["type"] == "state" and f["state"]["owner"] == "agent")
    await visitor_say(visitor, "Can I return an item?")
    await agent.receive_until(lambda f: f["type"] == "message" and f["message"]["author_kind"] == "customer")
    panel = await sync_to_async(copilot_for_conversation)(conversation_id=conversation.pk)
    suggestion = panel["suggestions"][0]

    # An unknown suggestion is refused, nothing is sent.
    await agent.send(type="message.send", conversation_id=conversation.pk, client_id="a-0", text="x", suggestion_id=999)
    error = await agent.receive_until(lambda f: f["type"] == "error")
    assert error["code"] == "suggestion_unknown"

    await agent.send(
        type="message.send",
        conversation_id=conversation.pk,
        client_id="a-1",
        text=suggestion["text"],
        suggestion_id=suggestion["id"],
    )
    assisted = await visitor.message_with(author_kind="human")
    await agent.send(type="message.send", conversation_id=conversation.pk, client_id="a-2", text="Anything else?")
    plain = await visitor.message_with(author_kind="human", text="Anything else?")

    assert assisted["provenance"] == "human_ai_assisted" and assisted["author_name"] == "Marie Dupont"
    assert plain["provenance"] == "human"
    used = await sync_to_async(Suggestion.objects.get)(pk=suggestion["id"])
    assert used.status == Suggestion.Status.USED
    await visitor.close()
    await agent.close()
