"""Who hears of what, live. A message in a conversation a person holds updates that person's inbox and the
supervisors', not every console's: the staff side's cost grows with the conversations, not with their square.
Changes of owner still reach everyone. The visitor sees the AI typing as soon as their message is stored."""

import pytest
from asgiref.sync import sync_to_async
from django.contrib.auth.models import Group

from cxhub.conversations.access import SUPERVISORS_GROUP
from routing import services as routing
from tests import factories
from tests.channels_app.helpers import staff_connect, visitor_connect, visitor_say

pytestmark = pytest.mark.django_db(transaction=True)


@sync_to_async
def conversation_held_by_marie():
    site = factories.site_create()
    factories.knowledge_base_create()
    _, conversation, token = factories.visitor_create(site=site)
    marie = factories.agent_create()
    sam = factories.agent_create(username="sam", first_name="Sam", last_name="Martin")
    lea = factories.agent_create(username="lea", first_name="Léa", last_name="Martin")
    Group.objects.get_or_create(name=SUPERVISORS_GROUP)[0].user_set.add(lea)
    routing.handoff_accept(conversation_id=conversation.pk, agent=marie)
    return conversation, token, marie, sam, lea


def is_row_of(conversation_id: int):
    return lambda f: f["type"] == "inbox.conversation" and f["conversation"]["id"] == conversation_id


async def test_only_the_holder_and_supervisors_hear_of_each_message_but_everyone_hears_of_a_hand_back():
    conversation, token, marie, sam, lea = await conversation_held_by_marie()
    visitor = await visitor_connect(token)
    consoles = {name: await staff_connect(user) for name, user in [("marie", marie), ("sam", sam), ("lea", lea)]}

    await visitor_say(visitor, "Is my order on its way?")

    for name in ("marie", "lea"):
        row = await consoles[name].receive_until(is_row_of(conversation.pk))
        assert row["conversation"]["agent_id"] == marie.pk
    assert await consoles["sam"].communicator.receive_nothing(timeout=0.5)

    await sync_to_async(routing.handoff_return)(conversation_id=conversation.pk, agent=marie)

    for socket in consoles.values():
        row = await socket.receive_until(is_row_of(conversation.pk))
        assert row["conversation"]["owner"] == "ai"
    for socket in [visitor, *consoles.values()]:
        await socket.close()


@sync_to_async
def conversation_with_the_ai():
    factories.knowledge_base_create()
    _, conversation, token = factories.visitor_create(site=factories.site_create())
    return conversation, token


async def test_the_visitor_sees_the_ai_typing_before_its_answer():
    _, token = await conversation_with_the_ai()
    visitor = await visitor_connect(token)
    await visitor.message_with(seq=1)

    await visitor_say(visitor, "How long does shipping take?")
    await visitor.message_with(author_kind="ai")

    kinds = [(f["type"], f.get("author_kind") or f.get("message", {}).get("author_kind")) for f in visitor.frames]
    assert kinds.index(("typing", "ai")) < kinds.index(("message", "ai"))
    await visitor.close()


async def test_messages_in_ai_conversations_reach_every_console_gathered_in_one_frame(settings):
    """Every console sees AI and waiting conversations move, but new messages there are gathered: one frame a
    console per INBOX_ACTIVITY_SECONDS, however many messages, from one hub per process."""
    settings.INBOX_ACTIVITY_SECONDS = 0.6
    conversation, token = await conversation_with_the_ai()
    marie = await sync_to_async(factories.agent_create)()
    sam = await sync_to_async(factories.agent_create)(username="sam", first_name="Sam", last_name="Martin")
    consoles = [await staff_connect(marie), await staff_connect(sam)]
    visitor = await visitor_connect(token)

    for text in ("How long does shipping take?", "And returns?", "Thanks"):
        await visitor_say(visitor, text)
    last_seq = await sync_to_async(lambda: type(conversation).objects.get(pk=conversation.pk).last_seq)()
    for console in consoles:
        await console.receive_until(
            lambda f: (
                f["type"] == "inbox.conversations"
                and any(r["id"] == conversation.pk and r["last_seq"] >= 4 for r in f["conversations"])
            )
        )
        await console.communicator.receive_nothing(timeout=1.5)  # whatever else is still on its way
        gathered = [f for f in console.frames if f["type"] == "inbox.conversations"]
        singles = [
            f for f in console.frames if f["type"] == "inbox.conversation" and f["conversation"]["owner"] == "ai"
        ]
        # One frame per message before; now changes of state (a person offered…) and the gathered activity.
        assert 1 <= len(gathered) and len(gathered) + len(singles) < last_seq, (last_seq, len(gathered), len(singles))
        assert all(len({r["id"] for r in f["conversations"]}) == len(f["conversations"]) for f in gathered)
    for socket in [visitor, *consoles]:
        await socket.close()
