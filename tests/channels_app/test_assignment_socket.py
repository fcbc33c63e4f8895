"""Presence, automatic assignment and transfers through the real ASGI application, seen live on both sides."""

import pytest
from asgiref.sync import sync_to_async

from cxhub.conversations.models import Conversation
from routing.assignment import presence_set
from routing.models import Team
from routing.services import handoff_accept
from tests import factories
from tests.channels_app.helpers import staff_connect, visitor_connect

pytestmark = pytest.mark.django_db(transaction=True)


@sync_to_async
def shop_with_visitor_and_agents():
    site = factories.site_create()
    _, conversation, token = factories.visitor_create(site=site)
    marie = factories.agent_create()
    sam = factories.agent_create(username="sam", first_name="Sam", last_name="Taylor")
    return conversation, token, marie, sam


async def test_an_online_agent_is_assigned_a_visitor_who_asks_for_a_person_and_both_see_it_live():
    conversation, token, marie, _ = await shop_with_visitor_and_agents()
    agent = await staff_connect(marie)
    visitor = await visitor_connect(token)
    await visitor.message_with(seq=1)

    # Marie says she is there: every console hears it.
    await agent.send(type="presence.set", status="online", capacity=2)
    presence = await agent.receive_until(lambda f: f["type"] == "agent.presence")
    assert presence["agent"]["id"] == marie.pk
    assert {k: presence["agent"][k] for k in ("status", "capacity", "load")} == {
        "status": "online",
        "capacity": 2,
        "load": 0,
    }

    # The visitor asks for a person: queued, then Marie is assigned at once.
    await visitor.send(type="handoff.request")
    joined = await visitor.message_with(author_kind="system", text="Marie Dupont joined the conversation.")
    state = await visitor.receive_until(lambda f: f["type"] == "state" and f["state"]["owner"] == "agent")
    row = await agent.receive_until(
        lambda f: (
            f["type"] == "inbox.conversation"
            and f["conversation"]["id"] == conversation.pk
            and f["conversation"]["agent_id"] == marie.pk
        )
    )
    assert joined and state["state"]["agent_name"] == "Marie Dupont"
    assert row["conversation"]["owner"] == "agent"

    # She replies straight away, without taking over first.
    await agent.send(type="message.send", conversation_id=conversation.pk, client_id="a-1", text="Hi, Marie here!")
    assert (await visitor.message_with(author_kind="human"))["author_name"] == "Marie Dupont"
    await visitor.close()
    await agent.close()


async def test_an_agent_transfers_a_conversation_to_a_colleague_and_the_visitor_is_told():
    conversation, token, marie, sam = await shop_with_visitor_and_agents()
    await sync_to_async(presence_set)(agent=sam, status="online")
    await sync_to_async(handoff_accept)(conversation_id=conversation.pk, agent=marie)
    agent = await staff_connect(marie)
    visitor = await visitor_connect(token)
    await visitor.message_with(author_kind="system", text="Marie Dupont joined the conversation.")

    await agent.send(type="conversation.transfer", conversation_id=conversation.pk, agent_id=sam.pk, note="VIP")
    joined = await visitor.message_with(author_kind="system", text="Sam Taylor joined the conversation.")

    assert joined
    held = await sync_to_async(Conversation.objects.get)(pk=conversation.pk)
    assert held.agent_id == sam.pk
    await visitor.close()
    await agent.close()


async def test_transfer_and_presence_refusals_come_back_as_error_codes():
    conversation, _, marie, sam = await shop_with_visitor_and_agents()
    await sync_to_async(handoff_accept)(conversation_id=conversation.pk, agent=marie)
    pool = await sync_to_async(Team.objects.create)(name="Experts", slug="experts")
    agent = await staff_connect(marie)
    other = await staff_connect(sam)

    async def refusal(socket, **frame) -> str:
        await socket.send(**frame)
        return (await socket.receive_until(lambda f: f["type"] == "error"))["code"]

    transfer = {"type": "conversation.transfer", "conversation_id": conversation.pk}
    assert await refusal(agent, **transfer, agent_id=sam.pk) == "agent_unavailable"  # sam is offline
    assert await refusal(agent, **transfer, team_id=pool.pk + 100) == "team_unknown"
    assert await refusal(agent, **transfer, agent_id=sam.pk, team_id=pool.pk) == "transfer_invalid"
    assert await refusal(agent, **transfer, agent_id=99999) == "agent_unknown"
    assert await refusal(other, **transfer, team_id=pool.pk) == "not_owner"
    assert await refusal(agent, type="presence.set", status="busy") == "presence_invalid"
    assert await refusal(agent, type="presence.set", status="online", capacity="lots") == "capacity_invalid"
    held = await sync_to_async(Conversation.objects.get)(pk=conversation.pk)
    assert held.agent_id == marie.pk
    await agent.close()
    await other.close()


async def test_a_visitor_asking_for_a_person_when_no_one_is_online_is_told_so():
    _, token, marie, _ = await shop_with_visitor_and_agents()
    await sync_to_async(presence_set)(agent=marie, status="offline")
    visitor = await visitor_connect(token)
    await visitor.message_with(seq=1)

    await visitor.send(type="handoff.request")
    told = await visitor.message_with(
        author_kind="system", text="No one is available right now. Leave your email and a person will reply by email."
    )
    state = await visitor.receive_until(lambda f: f["type"] == "state" and f["state"]["nobody_available"])

    assert told and state["state"]["estimated_wait_seconds"] is None
    assert state["state"]["owner"] == "queue"

    # Marie comes online: the visitor is assigned to her and told.
    await sync_to_async(presence_set)(agent=marie, status="online")
    await visitor.message_with(author_kind="system", text="Marie Dupont joined the conversation.")
    await visitor.close()
