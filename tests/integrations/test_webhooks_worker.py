"""Webhook deliveries travel through a real Celery worker process on the `integrations` queue."""

import json
import time

import pytest
import redis

from cxhub.conversations.services import conversation_close
from cxhub.integrations.models import WebhookDelivery
from tests import factories
from tests.conftest import wait_until

from .conftest import Reply, subscription_create

pytestmark = pytest.mark.worker


def test_the_worker_delivers_on_the_integrations_queue_and_retries_through_the_broker(
    celery_worker_process, redis_server, receiver
):
    _, conversation, _ = factories.visitor_create(site=factories.site_create())
    subscription_create(receiver, events=["conversation.closed"])
    receiver.script = [Reply(503)]
    broker = redis.Redis.from_url(redis_server["url"])
    broker.delete("integrations")

    conversation_close(conversation_id=conversation.pk, actor_kind="customer", outcome="resolved")

    # Committed and queued on `integrations` (beside the post-conversation work), and nothing here sent it.
    queued = [json.loads(m)["headers"]["task"] for m in broker.lrange("integrations", 0, -1)]
    assert queued.count("cxhub.integrations.tasks.webhook_deliver") == 1
    time.sleep(0.3)
    assert receiver.requests == []

    celery_worker_process.start(WEBHOOK_RETRY_BASE_SECONDS="0")

    delivery = wait_until(
        lambda: WebhookDelivery.objects.filter(status=WebhookDelivery.Status.DELIVERED).first(), timeout=30
    )
    assert delivery.attempts == 2 and [e["status_code"] for e in delivery.history] == [503, 200]
    assert [r.answered for r in receiver.requests] == [503, 200]
    assert all(r.verified for r in receiver.requests)
    assert list(receiver.records) == [delivery.idempotency_key]
    time.sleep(1)  # room for a duplicate to show up, if a redelivery produced one
    assert len(receiver.requests) == 2
