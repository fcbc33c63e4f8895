"""The hub's pace: a process with many consoles sends each of them gathered activity less often, so the frames
it writes for other people's conversations stay within a budget whatever the number of consoles."""

import asyncio

import pytest
from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer

from channels_app.inbox_hub import InboxHub
from cxhub.asgi import application  # noqa: F401  (builds Django before the helpers import models)
from cxhub.conversations.broadcast import STAFF_INBOX_GROUP
from cxhub.conversations.services import conversation_publish
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


@sync_to_async
def consoles_and_an_ai_conversation(count: int):
    _, conversation, _ = factories.visitor_create(site=factories.site_create())
    users = [factories.agent_create(username=f"agent{i}", first_name=f"A{i}") for i in range(count)]
    return conversation, users


async def drain(console, quiet: float) -> None:
    """Keeps every frame that arrives until none has for `quiet` seconds."""
    while not await console.communicator.receive_nothing(timeout=quiet):
        await console.receive()


def rows_of(frame: dict, conversation_id: int) -> list[dict]:
    if frame["type"] == "inbox.conversations":
        return [row for row in frame["conversations"] if row["id"] == conversation_id]
    if frame["type"] == "inbox.conversation" and frame["conversation"]["id"] == conversation_id:
        return [frame["conversation"]]
    return []


@pytest.mark.django_db(transaction=True)
async def test_gathered_activity_reaches_the_consoles_one_after_another_across_the_round(settings):
    """Sent to 1,000 consoles at once, gathered activity held back every chat message for up to 0.15 s: each
    console's turn now comes in order, spread over the round, and each hears of the change once."""
    settings.INBOX_ACTIVITY_SECONDS = 1.0
    conversation, users = await consoles_and_an_ai_conversation(5)
    consoles = [await staff_connect(user) for user in users]
    loop = asyncio.get_running_loop()

    async def arrival(console) -> float:
        await console.receive_until(lambda f: f["type"] == "inbox.conversations")
        return loop.time()

    waiting = [asyncio.ensure_future(arrival(console)) for console in consoles]
    await sync_to_async(conversation_publish)(conversation, activity=True)  # as a new message's preview does
    arrivals = await asyncio.gather(*waiting)

    assert arrivals == sorted(arrivals)  # in the order the consoles joined
    assert arrivals[-1] - arrivals[0] > 0.5  # 5 consoles, a round of 1 s: one every 0.2 s, not all at once
    for console in consoles:
        await drain(console, quiet=0.5)
        gathered = [f for f in console.frames if f["type"] == "inbox.conversations"]
        assert len(gathered) == 1 and rows_of(gathered[0], conversation.pk)
        await console.close()


@sync_to_async
def priority_raise(conversation, priority: int) -> None:
    """A change agents act on (as a routing rule's priority): published at once, not gathered."""
    conversation.priority = priority
    conversation.save(update_fields=["priority"])
    conversation_publish(conversation)


@pytest.mark.django_db(transaction=True)
async def test_a_console_never_hears_gathered_activity_older_than_a_change_it_already_has(settings):
    settings.INBOX_ACTIVITY_SECONDS = 1.0
    conversation, users = await consoles_and_an_ai_conversation(4)
    consoles = [await staff_connect(user) for user in users]

    await sync_to_async(conversation_publish)(conversation, activity=True)  # gathered, priority 0
    await priority_raise(conversation, 5)

    for console in consoles:
        await console.receive_until(lambda f: f["type"] == "inbox.conversation" and rows_of(f, conversation.pk))
        await drain(console, quiet=1.2)  # a round and more
        priorities = [row["priority"] for frame in console.frames for row in rows_of(frame, conversation.pk)]
        assert priorities[-1] == 5, priorities  # the older gathered row did not come after and undo it
        await console.close()
