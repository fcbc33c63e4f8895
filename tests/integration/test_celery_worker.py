"""The AI reply travels through a real Celery worker process, and survives that worker being killed."""

import time

import pytest
import redis

from cxhub.conversations.models import Message
from routing import services as routing
from tests import factories
from tests.conftest import wait_until

pytestmark = pytest.mark.worker


def ai_replies(conversation) -> list[Message]:
    return list(Message.objects.filter(conversation=conversation, author_kind="ai"))


def shop_visitor():
    site = factories.site_create()
    factories.knowledge_base_create()
    _, conversation, _ = factories.visitor_create(site=site)
    return conversation


def test_ai_reply_arrives_through_the_worker(celery_worker_process):
    conversation = shop_visitor()
    celery_worker_process.start()

    routing.customer_message_handle(conversation_id=conversation.pk, text="Can I return an item?", client_id="c-1")

    replies = wait_until(lambda: ai_replies(conversation), timeout=30)
    assert [r.sources[0]["slug"] for r in replies] == ["returns-policy"]


def test_killing_the_worker_mid_task_still_yields_exactly_one_reply(celery_worker_process, redis_server):
    conversation = shop_visitor()
    broker = redis.Redis.from_url(redis_server["url"])
    celery_worker_process.start(ASSISTANT_FAULT_DELAY_SECONDS="4")

    routing.customer_message_handle(conversation_id=conversation.pk, text="Can I return an item?", client_id="c-1")
    # The worker has taken the task (it sits in kombu's unacked set) and is busy answering.
    wait_until(lambda: broker.hlen("unacked") > 0, timeout=30)
    time.sleep(0.5)
    celery_worker_process.kill()
    assert ai_replies(conversation) == []

    celery_worker_process.start()  # a new worker, no injected delay
    replies = wait_until(lambda: ai_replies(conversation), timeout=60)
    time.sleep(4)  # room for a duplicate to show up, if redelivery produced one

    assert len(ai_replies(conversation)) == 1
    assert replies[0].client_id.startswith("ai-reply:")


def test_a_task_delivered_twice_answers_once(celery_worker_process):
    conversation = shop_visitor()
    message, _ = routing.customer_message_handle(
        conversation_id=conversation.pk, text="How do I return something?", client_id="c-1"
    )
    from cxhub.assistant.tasks import assistant_answer

    assistant_answer.delay(message.pk)  # the broker redelivering the same task
    celery_worker_process.start()

    wait_until(lambda: ai_replies(conversation), timeout=30)
    time.sleep(2)
    assert len(ai_replies(conversation)) == 1
