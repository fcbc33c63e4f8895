"""Read receipts: each side's read mark only moves forward, never past the last message, and is published
only when it moves; invalid values are refused and nobody marks someone else's conversation read."""

import pytest
from asgiref.sync import sync_to_async

from cxhub.conversations.models import Conversation
from cxhub.conversations.services import ConversationError, read_mark
from routing import services as routing
from tests import factories
from tests.channels_app.helpers import staff_connect, visitor_connect, visitor_say

pytestmark = pytest.mark.django_db(transaction=True)


@sync_to_async
def shop():
    site = factories.site_create()
    factories.knowledge_base_create()
    _, conversation, token = factories.visitor_create(site=site)
    return site, conversation, token


@sync_to_async
def reload(conversation: Conversation) -> Conversation:
    return Conversation.objects.get(pk=conversation.pk)


def is_state(frame: dict) -> bool:
    return frame["type"] == "state"


async def test_visitor_read_is_monotonic_capped_and_published_only_when_it_moves():
    _, conversation, token = await shop()
    visitor = await visitor_connect(token)
    await visitor.message_with(seq=1)
    await visitor_say(visitor, "How long does shipping take?")
    await visitor.message_with(author_kind="ai")
    last = (await reload(conversation)).last_seq
    assert last == 3
    await drain(visitor)

    await visitor.send(type="read", seq=2)
    await visitor.receive_until(is_state)
    assert (await reload(conversation)).visitor_read_seq == 2

    # Backwards or equal: nothing changes and no state is published.
    await visitor.send(type="read", seq=1)
    await visitor.send(type="read", seq=2)
    assert [f for f in await drain(visitor) if f["type"] in ("state", "error")] == []
    assert (await reload(conversation)).visitor_read_seq == 2

    # Past the last message: capped at last_seq.
    await visitor.send(type="read", seq=10_000)
    await visitor.receive_until(is_state)
    assert (await reload(conversation)).visitor_read_seq == last
    await visitor.close()


async def drain(socket, timeout: float = 0.5) -> list[dict]:
    frames = []
    while not await socket.communicator.receive_nothing(timeout=timeout):
        frames.append(await socket.receive())
    return frames


@pytest.mark.parametrize("seq", ["3", -1, 1.5, True, None, [1]])
async def test_invalid_seq_is_refused_with_seq_invalid(seq):
    _, conversation, token = await shop()
    visitor = await visitor_connect(token)
    await visitor.message_with(seq=1)
    await visitor.send(type="read", seq=seq)
    error = await visitor.receive_until(lambda f: f["type"] == "error")
    assert error["code"] == "seq_invalid"
    assert (await reload(conversation)).visitor_read_seq == 0
    await visitor.close()


async def test_another_visitor_cannot_mark_a_conversation_read():
    site, conversation, token = await shop()
    _, other_conversation, other_token = await sync_to_async(factories.visitor_create)(site=site)
    other = await visitor_connect(other_token)
    await other.message_with(seq=1)
    await drain(other)
    # The frame names someone else's conversation: the token decides, so only the sender's own one moves.
    await other.send(type="read", seq=1, conversation_id=conversation.public_id)
    await other.receive_until(is_state)
    assert (await reload(conversation)).visitor_read_seq == 0
    assert (await reload(other_conversation)).visitor_read_seq == 1
    await other.close()


async def test_agent_read_reaches_the_visitor_and_visitor_read_reaches_the_agent():
    _, conversation, token = await shop()
    marie = await sync_to_async(factories.agent_create)()
    paul = await sync_to_async(factories.agent_create)(username="paul", first_name="Paul", last_name="Martin")
    visitor = await visitor_connect(token)
    await visitor.message_with(seq=1)
    await visitor.send(type="handoff.request")
    await visitor.receive_until(lambda f: is_state(f) and f["state"]["owner"] == "queue")
    agent = await staff_connect(marie)
    await agent.send(type="conversation.open", conversation_id=conversation.pk)
    card = (await agent.receive_until(lambda f: f["type"] == "conversation"))["card"]
    assert card["state"]["visitor_read_seq"] == 0

    # Before anyone holds it, an agent's read counts for nothing.
    await agent.send(type="read", conversation_id=conversation.pk, seq=2)
    await agent.send(type="conversation.take_over", conversation_id=conversation.pk)
    state = await visitor.receive_until(lambda f: is_state(f) and f["state"]["owner"] == "agent")
    assert state["state"]["agent_read_seq"] == 0
    await visitor_say(visitor, "Hello?")
    last = (await reload(conversation)).last_seq

    await agent.send(type="read", conversation_id=conversation.pk, seq=last)
    state = await visitor.receive_until(lambda f: is_state(f) and f["state"]["agent_read_seq"] == last)
    assert state["state"]["agent_name"] == "Marie Dupont"

    # Another staff member reading it does not read it to the customer.
    assert not await sync_to_async(read_mark)(conversation_id=conversation.pk, side="agent", seq=last, agent=paul)

    # The visitor reads the agent's reply: the agent's console hears it.
    await agent.send(type="message.send", conversation_id=conversation.pk, client_id="a-1", text="Hi, Marie here!")
    reply = await visitor.message_with(author_kind="human")
    await visitor.send(type="read", seq=reply["seq"])
    staff_state = await agent.receive_until(
        lambda f: is_state(f) and f["state"].get("visitor_read_seq") == reply["seq"]
    )
    assert staff_state["conversation_id"] == conversation.pk

    # A staff frame with a bad seq is refused the same way.
    await agent.send(type="read", conversation_id=conversation.pk, seq="x")
    error = await agent.receive_until(lambda f: f["type"] == "error")
    assert error["code"] == "seq_invalid"
    await visitor.close()
    await agent.close()


def test_read_mark_service_rules():
    site = factories.site_create()
    _, conversation, _ = factories.visitor_create(site=site)
    marie = factories.agent_create()
    routing.handoff_request(conversation_id=conversation.pk, reason="test", signal_names=["explicit_request"])
    routing.handoff_accept(conversation_id=conversation.pk, agent=marie)
    last = Conversation.objects.get(pk=conversation.pk).last_seq
    assert read_mark(conversation_id=conversation.pk, side="agent", seq=1, agent=marie)
    assert not read_mark(conversation_id=conversation.pk, side="agent", seq=1, agent=marie)
    assert not read_mark(conversation_id=conversation.pk, side="agent", seq=0, agent=marie)
    assert read_mark(conversation_id=conversation.pk, side="agent", seq=last + 50, agent=marie)
    assert Conversation.objects.get(pk=conversation.pk).agent_read_seq == last
    with pytest.raises(ConversationError) as refused:
        read_mark(conversation_id=conversation.pk, side="agent", seq=-3, agent=marie)
    assert refused.value.code == "seq_invalid"
