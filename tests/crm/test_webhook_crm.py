"""The generic CRM adapter: signed JSON to a local HTTP server, the same Idempotency-Key on every retry, and a
dead letter that staff replay once the CRM is back."""

import json

import pytest
from django.test import Client

from cxhub.conversations.models import ConversationEvent
from cxhub.conversations.services import conversation_close
from cxhub.crm.models import Activity, PostWorkStep
from cxhub.integrations.signing import verify_signature
from tests import factories
from tests.integrations.conftest import Reply

from .conftest import CRM_SECRET, conversation_with_customer

pytestmark = pytest.mark.django_db(transaction=True)


def crm_step(conversation) -> PostWorkStep:
    return PostWorkStep.objects.get(post_work__conversation=conversation, name="crm_update")


def activity_requests(receiver):
    return [r for r in receiver.requests if r.headers["X-Cxhub-Event"] == "activity.log"]


def test_a_crm_that_fails_twice_then_succeeds_gets_one_record_with_the_same_key_each_time(crm_receiver):
    conversation, _ = conversation_with_customer(policy="never")
    # contact.upsert is accepted, then activity.log fails twice.
    crm_receiver.script = [Reply(200), Reply(503), Reply(500)]

    conversation_close(conversation_id=conversation.pk, actor_kind="customer", outcome="resolved")

    key = f"cxhub:{conversation.pk}:closed:crm_update"
    sent = activity_requests(crm_receiver)
    assert [r.answered for r in sent] == [503, 500, 200]
    assert {r.headers["Idempotency-Key"] for r in sent} == {key}
    assert all(r.verified for r in crm_receiver.requests)
    for request in sent:  # as a receiver checks it, from the raw body
        headers = request.headers
        assert verify_signature(CRM_SECRET, headers["X-Cxhub-Timestamp"], request.body, headers["X-Cxhub-Signature"])
    assert sorted(crm_receiver.records) == sorted([key, f"{key}:contact"])
    body = crm_receiver.records[key]
    assert body["type"] == "activity.log" and body["data"]["customer"]["email"] == "ada@example.com"
    assert "Where is my lamp?" in body["data"]["body"]
    step = crm_step(conversation)
    assert (step.status, step.attempts) == ("done", 3)
    # The contact, accepted on the first attempt, was not sent again by the retries.
    assert len([r for r in crm_receiver.requests if r.headers["X-Cxhub-Event"] == "contact.upsert"]) == 1
    assert Activity.objects.count() == 0  # the built-in CRM is not used when the webhook one is chosen


def test_a_crm_that_always_fails_leaves_a_dead_letter_that_staff_replay_once_it_recovers(crm_receiver):
    conversation, _ = conversation_with_customer(policy="never")
    crm_receiver.default = Reply(503)

    conversation_close(conversation_id=conversation.pk, actor_kind="customer", outcome="resolved")

    step = crm_step(conversation)
    assert (step.status, step.attempts) == ("failed", 3) and step.last_error.startswith("HTTP 503")
    failed = ConversationEvent.objects.get(conversation=conversation, kind="post_work_failed")
    assert failed.data["step"] == "crm_update"
    assert not ConversationEvent.objects.filter(conversation=conversation, kind="post_work_done").exists()
    assert crm_receiver.records == {}
    client = Client()
    client.force_login(factories.agent_create())
    listed = client.get(f"/api/staff/conversations/{conversation.pk}/post-work").json()["post_work"][0]
    shown = next(s for s in listed["steps"] if s["name"] == "crm_update")
    assert shown["status"] == "failed" and shown["retryable"] and shown["attempts"] == 3

    crm_receiver.default = Reply(200)
    response = client.post(f"/api/staff/post-work/{step.pk}/retry")
    again = client.post(f"/api/staff/post-work/{step.pk}/retry")

    assert response.status_code == 202
    assert again.status_code == 400 and again.json()["code"] == "not_retryable"  # done steps are never redone
    step.refresh_from_db()
    assert step.status == "done"
    key = f"cxhub:{conversation.pk}:closed:crm_update"
    assert list(crm_receiver.records).count(key) == 1 and len(crm_receiver.records) == 2
    assert any("retried_at" in entry for entry in step.history)
    assert ConversationEvent.objects.filter(conversation=conversation, kind="post_work_done").count() == 1


def test_a_refusal_is_final_at_once(crm_receiver):
    conversation, _ = conversation_with_customer(policy="never")
    crm_receiver.default = Reply(422)

    conversation_close(conversation_id=conversation.pk, actor_kind="customer", outcome="resolved")

    step = crm_step(conversation)
    assert (step.status, step.attempts) == ("failed", 1) and "422" in step.last_error
    assert len(crm_receiver.requests) == 1


def test_a_wrong_secret_is_refused_by_the_receiver(crm_receiver, settings):
    settings.CRM_WEBHOOK_SECRET = "not-the-shared-secret"
    conversation, _ = conversation_with_customer(policy="never")

    conversation_close(conversation_id=conversation.pk, actor_kind="customer", outcome="resolved")

    assert [r.answered for r in crm_receiver.requests] == [401]
    assert crm_step(conversation).status == "failed" and crm_receiver.records == {}


def test_the_body_is_json_the_receiver_can_read(crm_receiver):
    conversation, _ = conversation_with_customer(policy="never")

    conversation_close(conversation_id=conversation.pk, actor_kind="customer", outcome="follow_up")

    events = sorted(r.headers["X-Cxhub-Event"] for r in crm_receiver.requests)
    assert events == ["activity.log", "contact.upsert", "task.create"]
    task = next(json.loads(r.body) for r in crm_receiver.requests if r.headers["X-Cxhub-Event"] == "task.create")
    assert task["id"] == f"cxhub:{conversation.pk}:closed:follow_up_task" and task["data"]["due_at"]
