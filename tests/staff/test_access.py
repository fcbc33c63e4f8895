"""Agents see their teams' conversations (and unrouted ones, and their own); supervisors see all.
Enforced on the server: the staff API and the staff websocket both refuse the rest as unknown."""

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from django.contrib.auth.models import Group
from django.test import Client

from cxhub.conversations.access import SUPERVISORS_GROUP
from cxhub.conversations.models import Conversation
from routing.models import Team
from routing.services import handoff_request
from tests import factories
from tests.channels_app.helpers import staff_connect

pytestmark = pytest.mark.django_db(transaction=True)


@sync_to_async
def two_teams():
    site = factories.site_create()
    billing = Team.objects.create(name="Billing", slug="billing")
    care = Team.objects.create(name="Care", slug="care")
    marie = factories.agent_create(username="marie")
    billing.members.add(marie)
    conversations = {}
    for name, team in (("billing", billing), ("care", care), ("unrouted", None)):
        _, conversation, _ = factories.visitor_create(site=site)
        conversation.team = team
        conversation.save()
        handoff_request(conversation_id=conversation.pk, reason="customer asked for a person")
        conversations[name] = conversation
    return marie, conversations


async def test_an_agent_sees_only_their_teams_conversations_on_the_socket():
    marie, conversations = await two_teams()
    agent = await staff_connect(marie)

    inbox = agent.frames[0]  # the inbox the socket sent on connect
    await agent.send(type="conversation.open", conversation_id=conversations["care"].pk)
    refused = await agent.receive_until(lambda f: f["type"] == "error")
    await agent.send(type="conversation.take_over", conversation_id=conversations["care"].pk)
    refused_take = await agent.receive_until(lambda f: f["type"] == "error")

    ids = {row["id"] for row in inbox["conversations"]}
    assert ids == {conversations["billing"].pk, conversations["unrouted"].pk}
    assert refused["code"] == refused_take["code"] == "conversation_unknown"
    care = conversations["care"]
    await sync_to_async(care.refresh_from_db)()
    assert care.owner == "queue"  # the refused take-over changed nothing
    await agent.close()


def test_the_staff_api_answers_another_teams_conversation_as_not_found():
    marie, conversations = async_to_sync(two_teams)()
    client = Client()
    client.force_login(marie)

    assert client.get(f"/api/staff/conversations/{conversations['care'].pk}/handoff").status_code == 404
    assert client.get(f"/api/staff/conversations/{conversations['care'].pk}/copilot").status_code == 404
    assert client.get(f"/api/staff/conversations/{conversations['billing'].pk}/handoff").status_code == 200
    listed = {row["id"] for row in client.get("/api/staff/conversations/").json()["conversations"]}
    assert conversations["care"].pk not in listed


def test_a_supervisor_sees_every_team():
    marie, conversations = async_to_sync(two_teams)()
    marie.groups.add(Group.objects.get_or_create(name=SUPERVISORS_GROUP)[0])
    client = Client()
    client.force_login(marie)

    listed = {row["id"] for row in client.get("/api/staff/conversations/").json()["conversations"]}

    assert listed == {c.pk for c in conversations.values()}
    assert client.get(f"/api/staff/conversations/{conversations['care'].pk}/handoff").status_code == 200


async def test_a_conversation_routed_to_another_team_leaves_the_agents_live_inbox():
    marie, conversations = await two_teams()
    agent = await staff_connect(marie)

    @sync_to_async
    def new_conversation() -> Conversation:
        _, conversation, _ = factories.visitor_create(site=conversations["billing"].site)
        return conversation

    @sync_to_async
    def route_and_queue(conversation: Conversation, team_slug: str) -> None:
        conversation.team = Team.objects.get(slug=team_slug)
        conversation.save()
        handoff_request(conversation_id=conversation.pk, reason="customer asked for a person")

    unrouted = await new_conversation()  # no team yet: every agent may see it
    await agent.receive_until(lambda f: f["type"] == "inbox.conversation" and f["conversation"]["id"] == unrouted.pk)
    await route_and_queue(unrouted, "care")
    removed = await agent.receive_until(lambda f: f["type"] == "inbox.removed")

    assert removed["conversation_id"] == unrouted.pk
    after_removal = len(agent.frames)
    await agent.messages_within()  # drain whatever else arrives
    later = [f for f in agent.frames[after_removal:] if f.get("conversation", {}).get("id") == unrouted.pk]
    assert later == []  # nothing more about it, not even its queue updates
    await agent.close()
