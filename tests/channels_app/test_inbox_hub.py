"""The hub's pace: a process with many consoles sends each of them gathered activity less often, so the frames
it writes for other people's conversations stay within a budget whatever the number of consoles."""

import asyncio

import pytest
from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer

from channels_app.inbox_hub import InboxHub
from cxhub.asgi import application  # noqa: F401  (builds Django before the helpers import models)
from cxhub.conversations.broadcast import STAFF_INBOX_GROUP
from routing import services as routing
from tests import factories
from tests.channels_app.helpers import staff_connect


def test_gathered_activity_slows_down_only_when_a_process_has_many_consoles(settings):
    settings.INBOX_ACTIVITY_SECONDS = 1.0
    settings.INBOX_ACTIVITY_FRAMES_PER_SECOND = 200
    hub = InboxHub(layer=None)

    hub.consoles = {object() for _ in range(100)}
    assert hub.interval() == 1.0
    hub.consoles = {object() for _ in range(1000)}
    assert hub.interval() == 5.0  # 1,000 consoles × one frame every 5 s = 200 frames a second


@pytest.mark.django_db(transaction=True)
async def test_consoles_connecting_at_the_same_moment_share_one_hub_and_hear_each_change_once():
    _, conversation, _ = await sync_to_async(factories.visitor_create)(
        site=await sync_to_async(factories.site_create)()
    )
    users = [await sync_to_async(factories.agent_create)(username=f"agent{i}", first_name=f"A{i}") for i in range(4)]
    layer = get_channel_layer()
    before = set(await layer.connection(0).zrange(layer._group_key(STAFF_INBOX_GROUP), 0, -1))
    consoles = await asyncio.gather(*(staff_connect(user) for user in users))

    # One new member of everyone's inbox group for this process, whatever the number of consoles (earlier
    # tests' event loops left theirs).
    members = set(await layer.connection(0).zrange(layer._group_key(STAFF_INBOX_GROUP), 0, -1))
    assert len(members - before) == 1

    await sync_to_async(routing.handoff_request)(conversation_id=conversation.pk, reason="test", signal_names=[])

    for console in consoles:
        await console.receive_until(
            lambda f: f["type"] == "inbox.conversation" and f["conversation"]["owner"] == "queue"
        )
        await console.communicator.receive_nothing(timeout=0.5)
        queued = [
            f for f in console.frames if f["type"] == "inbox.conversation" and f["conversation"]["owner"] == "queue"
        ]
        assert len(queued) == 1
    for console in consoles:
        await console.close()
