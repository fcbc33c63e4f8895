"""Redis restarts, and a socket whose channel fills up: the system recovers by itself and nothing is lost."""

import signal
import time

import pytest

from cxhub import stack
from cxhub.conversations.models import Message
from tests import factories
from tests.conftest import wait_until
from tests.faults.conftest import Visitor

pytestmark = pytest.mark.faults


def shop_visitor():
    site = factories.site_create()
    factories.knowledge_base_create()
    _, conversation, token = factories.visitor_create(site=site)
    return conversation, token


def stored(conversation) -> list[tuple[int, str, str]]:
    return list(
        Message.objects.filter(conversation=conversation).order_by("seq").values_list("seq", "author_kind", "text")
    )


@pytest.fixture
def own_redis(tmp_path):
    """A Redis of this test's own (persistent, as in production), so restarting it disturbs no other test."""
    port = stack.free_port()
    state = {"port": port, "url": f"redis://127.0.0.1:{port}/0", "dir": tmp_path / "redis"}
    state["process"] = stack.start_redis(port=port, data_dir=state["dir"], persistent=True)
    yield state
    stack.stop(state["process"])


def test_redis_restart_recovers_without_manual_steps_and_loses_no_stored_message(processes, own_redis):
    conversation, token = shop_visitor()
    processes("worker", redis_url=own_redis["url"])
    daphne = processes("daphne", redis_url=own_redis["url"])
    visitor = Visitor(daphne.port, token)
    visitor.connect()
    visitor.say("How long does shipping take?")
    visitor.until_seq(3)
    before = stored(conversation)

    stack.stop(own_redis["process"])  # a restart: Redis shuts down, then comes back on the same port and data
    time.sleep(2)
    own_redis["process"] = stack.start_redis(port=own_redis["port"], data_dir=own_redis["dir"], persistent=True)

    # The widget notices its socket died (or keeps it, if it survived) and reconnects, resuming by seq.
    deadline = time.monotonic() + 60
    while True:
        try:
            visitor.close()
            visitor.connect()
            client_id = visitor.say("Can I return an item?")
            break
        except Exception:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)
    # The worker found the broker again by itself: the question is answered.
    wait_until(lambda: Message.objects.filter(conversation=conversation, author_kind="ai").count() == 2, timeout=60)
    visitor.until_seq(len(stored(conversation)))
    visitor.read_for(1)

    assert stored(conversation)[: len(before)] == before  # nothing stored before the restart is gone
    assert Message.objects.filter(conversation=conversation, client_id=client_id).count() == 1
    assert [(m["seq"], m["author_kind"], m["text"]) for m in visitor.messages.values()] == stored(conversation)
    assert sorted(set(visitor.seqs)) == list(range(1, len(stored(conversation)) + 1))
    visitor.close()


def test_a_socket_whose_channel_fills_up_is_resynced_and_the_others_are_not_disturbed(processes):
    """A stalled server process stands for a consumer that cannot keep up: daphne buffers writes to a slow
    network client itself, so it is the consumer, not the client, that lets its channel fill up."""
    conversation, token = shop_visitor()
    settings_module = "tests.faults.small_channels_settings"
    processes("worker", DJANGO_SETTINGS_MODULE=settings_module)
    slow_node = processes("daphne", DJANGO_SETTINGS_MODULE=settings_module)
    other_node = processes("daphne", DJANGO_SETTINGS_MODULE=settings_module)
    slow = Visitor(slow_node.port, token)  # the same visitor in two tabs, one on each node
    other = Visitor(other_node.port, token)
    slow.connect()
    other.connect()
    slow.until_seq(1)
    other.until_seq(1)

    slow_node.signal(signal.SIGSTOP)
    for question in ["How long does shipping take?", "Can I return an item?", "When will my order arrive?"]:
        other.say(question)
    wait_until(lambda: Message.objects.filter(conversation=conversation, author_kind="ai").count() == 3, timeout=40)
    other.until_seq(7)
    slow_node.signal(signal.SIGCONT)
    slow.read_for(2)  # what fitted in the channel (capacity 4) arrives; the rest was dropped by the layer
    other.say("Thanks!")  # a later event shows the slow socket its gap, if the queued ones did not
    wait_until(lambda: Message.objects.filter(conversation=conversation, author_kind="ai").count() == 4, timeout=40)
    other.until_seq(9)

    slow.until_seq(9)
    slow.read_for(1)
    assert any(f["type"] == "resync" for f in slow.frames)  # it was told, then caught up from the database
    expected = stored(conversation)
    slow.assert_clean()
    other.assert_clean()
    assert [(m["seq"], m["author_kind"], m["text"]) for m in slow.messages.values()] == expected
    assert [(m["seq"], m["author_kind"], m["text"]) for m in other.messages.values()][: len(expected)] == expected
    # The other socket got everything live while the slow one was stalled (until_seq(7) above, before SIGCONT).
    # It may see a resync too: the worker's reply can overtake the node's own echo of the question.
    slow.close()
    other.close()
