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
