"""Chat messages stored in a helper process beside daphne (DATABASE_PROCESSES): the loop works as on the
database thread, refusals and ended sessions come back the same, and a helper that dies loses nothing the
client was told was stored, nor stores anything twice."""

import os
import signal

import pytest
from asgiref.sync import sync_to_async
from django.contrib.sessions.models import Session

from channels_app import database_processes
from channels_app.consumers import visitor_message_store
from cxhub.conversations.models import Message
from routing import services as routing
from tests import factories
from tests.channels_app.helpers import staff_connect, visitor_connect, visitor_say

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def helper(settings):
    settings.DATABASE_PROCESSES = 1
    yield
    database_processes.stop()


@sync_to_async
def conversation_held_by_an_agent():
    _, conversation, token = factories.visitor_create(site=factories.site_create())
    agent = factories.agent_create()
    routing.handoff_accept(conversation_id=conversation.pk, agent=agent)
    return conversation, token, agent


@sync_to_async
def stored(conversation, client_id: str) -> int:
    return Message.objects.filter(conversation=conversation, client_id=client_id).count()


def helper_pid() -> int:
    return database_processes._pool(0).submit(os.getpid).result()


async def closing(socket) -> dict:
    while (output := await socket.communicator.receive_output(timeout=5))["type"] != "websocket.close":
        pass
    return output


def store_then_die(conversation_id: int, text: str, client_id: str):
    visitor_message_store(conversation_id, text, client_id)
    os.kill(os.getpid(), signal.SIGKILL)


async def test_messages_go_both_ways_through_a_helper_process(helper):
    conversation, token, agent = await conversation_held_by_an_agent()
    visitor = await visitor_connect(token)
    console = await staff_connect(agent)
    await console.send(type="conversation.open", conversation_id=conversation.pk)
    await console.receive_until(lambda f: f["type"] == "conversation")

    ack = await visitor_say(visitor, "Where is my parcel?", client_id="v-1")
    assert ack["duplicate"] is False
    assert (await console.message_with(text="Where is my parcel?"))["seq"] == ack["seq"]
    assert helper_pid() != os.getpid()  # stored by the helper, not this process

    await console.send(type="message.send", conversation_id=conversation.pk, client_id="a-1", text="On its way.")
    reply = await visitor.message_with(text="On its way.")
    assert reply["author_kind"] == "human" and reply["provenance"] == "human"

    again = await visitor_say(visitor, "Where is my parcel?", client_id="v-1")
    assert again["duplicate"] is True and again["seq"] == ack["seq"]
    assert await stored(conversation, "v-1") == 1

    # A refusal comes back as the same error frame as on the database thread.
    await visitor.send(type="message.send", client_id="v-2", text="   ")
    error = await visitor.receive_until(lambda f: f["type"] == "error")
    assert error["client_id"] == "v-2" and error["code"] != "server_error"

    # So does an ended session: signed out elsewhere, the next message is refused and the socket closes.
    await sync_to_async(Session.objects.all().delete)()
    await console.send(type="message.send", conversation_id=conversation.pk, client_id="a-2", text="Still here?")
    ended = await console.receive_until(lambda f: f["type"] == "error")
    assert ended["code"] == "session_ended"
    assert await stored(conversation, "a-2") == 0
    await visitor.close()


async def test_a_helper_killed_between_messages_closes_the_socket_and_the_resent_message_is_stored_once(helper):
    conversation, token, _ = await conversation_held_by_an_agent()
    visitor = await visitor_connect(token)
    await visitor_say(visitor, "First question", client_id="v-1")

    os.kill(helper_pid(), signal.SIGKILL)
    await visitor.send(type="message.send", client_id="v-2", text="Second question")
    closed = await closing(visitor)
    assert closed["code"] == 1011  # as if the server restarted: the widget reconnects

    visitor = await visitor_connect(token, resume_from=1)
    ack = await visitor_say(visitor, "Second question", client_id="v-2")
    assert ack["duplicate"] is False
    assert await stored(conversation, "v-2") == 1
    await visitor.close()


async def test_a_helper_dying_after_it_stored_a_message_makes_the_resend_a_duplicate_not_a_second_copy(helper):
    conversation, token, _ = await conversation_held_by_an_agent()

    with pytest.raises(database_processes.HelperLost):
        await database_processes.call(conversation.pk, store_then_die, conversation.pk, "Hello?", "v-1")

    visitor = await visitor_connect(token)
    ack = await visitor_say(visitor, "Hello?", client_id="v-1")
    assert ack["duplicate"] is True
    assert await stored(conversation, "v-1") == 1
    await visitor.close()
