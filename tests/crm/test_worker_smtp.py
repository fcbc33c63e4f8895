"""Through a real Celery worker process: the confirmation email reaches a real SMTP server, once."""

import time

import pytest
import redis

from cxhub.conversations.models import ConversationEvent
from cxhub.conversations.services import conversation_close
from cxhub.crm.models import Activity, PostWorkStep
from tests.conftest import wait_until

from .conftest import conversation_with_customer

pytestmark = pytest.mark.worker


def test_the_worker_emails_the_transcript_over_smtp_and_updates_the_crm(
    celery_worker_process, redis_server, smtp_server
):
    conversation, _ = conversation_with_customer(policy="always", email="ada@example.com")
    broker = redis.Redis.from_url(redis_server["url"])
    broker.delete("integrations")

    conversation_close(conversation_id=conversation.pk, actor_kind="customer", outcome="follow_up")

    # Queued on `integrations` after commit; nothing ran in this process.
    assert broker.llen("integrations") == 1
    assert PostWorkStep.objects.filter(post_work__conversation=conversation, status="preparing").count() == 4
    celery_worker_process.start(
        EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
        EMAIL_HOST=smtp_server["host"],
        EMAIL_PORT=str(smtp_server["port"]),
        DEFAULT_FROM_EMAIL="support@shop.example",
    )

    wait_until(lambda: smtp_server["messages"], timeout=60)
    wait_until(
        lambda: ConversationEvent.objects.filter(conversation=conversation, kind="post_work_done").exists(), timeout=30
    )
    message = smtp_server["messages"][0]
    assert message["To"] == "ada@example.com" and message["From"] == "support@shop.example"
    assert message["Subject"] == "Your conversation with Shop"
    assert message["X-Cxhub-Idempotency-Key"] == f"cxhub:{conversation.pk}:closed:confirmation_email"
    body = message.get_payload(decode=True).decode()
    assert "Where is my lamp?" in body and "It ships tomorrow." in body
    assert Activity.objects.filter(conversation=conversation).count() == 1
    time.sleep(1)  # room for a duplicate, if a redelivery produced one
    assert len(smtp_server["messages"]) == 1
