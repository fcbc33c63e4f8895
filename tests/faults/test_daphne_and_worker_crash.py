"""kill -9 daphne or the worker mid-conversation: nothing acknowledged is lost, nothing is done twice."""

import time

import pytest
import redis

from cxhub.conversations.models import Message
from routing import services as routing
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


def test_daphne_killed_mid_conversation_comes_back_and_the_visitor_resumes_with_no_gap_or_duplicate(processes):
    conversation, token = shop_visitor()
    processes("worker")
    daphne = processes("daphne")
    visitor = Visitor(daphne.port, token)
    visitor.connect()
    visitor.say("How long does shipping take?")
    visitor.until_seq(3)  # disclosure, question, AI answer
    acknowledged = dict(visitor.acks)

    # A message in flight when the server dies: the widget does not know whether it was stored.
    in_flight = visitor.say("Can I return an item?", wait_ack=False)
    daphne.kill()
    visitor.close()
    # Meanwhile the conversation goes on through another node (another tab, the worker answering).
    routing.customer_message_handle(
        conversation_id=conversation.pk, text="When will my order arrive?", client_id="other-tab-1"
    )
    wait_until(lambda: Message.objects.filter(conversation=conversation, author_kind="ai").count() >= 2, timeout=30)

    daphne.start()  # same port, as a supervisor restarts it
    visitor.connect()
    wait_until(lambda: in_flight in visitor.acks or visitor.read_for(0.5), timeout=40)
    wait_until(lambda: len(stored(conversation)) >= 7 or time.sleep(0.3), timeout=40)
    expected = stored(conversation)
    visitor.until_seq(expected[-1][0])
    visitor.read_for(1.5)  # room for a duplicate to show up

    visitor.assert_clean()
    assert [(m["seq"], m["author_kind"], m["text"]) for m in visitor.messages.values()] == expected
    for client_id, ack in acknowledged.items():  # every message acknowledged before the kill is there
        assert Message.objects.filter(conversation=conversation, client_id=client_id, seq=ack["seq"]).exists()
    assert Message.objects.filter(conversation=conversation, client_id=in_flight).count() == 1
    assert Message.objects.filter(conversation=conversation, author_kind="ai").count() == 3  # one per question
    visitor.close()


def test_worker_killed_during_an_ai_reply_yields_exactly_one_reply_on_the_socket(processes, redis_server):
    """tests/integration/test_celery_worker.py checks the same at the database; this is what the visitor sees."""
    conversation, token = shop_visitor()
    broker = redis.Redis.from_url(redis_server["url"])
    worker = processes("worker", ASSISTANT_FAULT_DELAY_SECONDS="4")
    daphne = processes("daphne")
    visitor = Visitor(daphne.port, token)
    visitor.connect()
    visitor.until_seq(1)

    visitor.say("How long does shipping take?")
    wait_until(lambda: broker.hlen("unacked") > 0, timeout=30)  # the worker holds the task, unacknowledged
    time.sleep(0.5)
    worker.kill()
    assert not Message.objects.filter(conversation=conversation, author_kind="ai").exists()
    processes("worker")  # a fresh worker, no injected delay: the task comes back to it

    visitor.until_seq(3, timeout=60)
    visitor.read_for(5)  # a second reply would show up here

    visitor.assert_clean()
    ai = [m for m in visitor.messages.values() if m["author_kind"] == "ai"]
    assert len(ai) == 1 and "2–4" in ai[0]["text"]
    assert Message.objects.filter(conversation=conversation, author_kind="ai").count() == 1
    visitor.close()
