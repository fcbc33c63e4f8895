"""Signed outbound webhooks, delivered to a real HTTP receiver: what is sent, when, how often, and when it stops."""

import itertools
import time
from datetime import datetime, timedelta
from types import SimpleNamespace

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from cxhub import stack
from cxhub.conversations.models import AutonomyLevel
from cxhub.conversations.services import conversation_close
from cxhub.integrations import tasks
from cxhub.integrations.models import WebhookDelivery, WebhookSubscription
from cxhub.integrations.services import webhook_deliveries_replay, webhook_delivery_attempt, webhook_event_emit
from cxhub.integrations.signing import signature_header, verify_signature
from cxhub.integrations.tasks import webhook_deliver
from routing import services as routing
from tests import factories

from .conftest import Reply, subscription_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def conversation():
    factories.knowledge_base_create()
    _, conversation, _ = factories.visitor_create(site=factories.site_create())
    return conversation


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """Run a service and what it queues on commit: the deliveries run eagerly, against the receiver."""

    def run(service, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return service(**kwargs)

    return run


@pytest.fixture
def close(conversation, committed):
    def run():
        committed(conversation_close, conversation_id=conversation.pk, actor_kind="human", outcome="resolved")
        return WebhookDelivery.objects.get(event="conversation.closed")

    return run


def history_codes(delivery: WebhookDelivery) -> list[int | None]:
    return [entry["status_code"] for entry in delivery.history if "attempt" in entry]


# --- What is sent -------------------------------------------------------------------------------------------------


def test_a_customer_asking_for_a_person_sends_one_signed_handoff_with_the_whole_package(
    conversation, receiver, committed
):
    subscription_create(receiver, events=["handoff.requested"])
    committed(
        routing.customer_message_handle, conversation_id=conversation.pk, text="Can I return an item?", client_id="c1"
    )

    committed(
        routing.customer_message_handle,
        conversation_id=conversation.pk,
        text="I want to talk to a human",
        client_id="c2",
    )

    delivery = WebhookDelivery.objects.get()
    assert delivery.event == "handoff.requested" and delivery.status == WebhookDelivery.Status.DELIVERED
    assert len(receiver.requests) == 1
    request = receiver.requests[0]
    assert request.verified
    assert request.headers["X-Cxhub-Event"] == "handoff.requested"
    assert request.headers["X-Cxhub-Delivery"] == delivery.idempotency_key
    assert delivery.idempotency_key.startswith(f"handoff.requested:{conversation.pk}:")
    body = request.json
    assert body["id"] == delivery.idempotency_key and body["event"] == "handoff.requested"
    data = body["data"]
    assert data["conversation"]["id"] == conversation.pk and data["conversation"]["owner"] == "queue"
    assert data["actor"]["kind"] == "customer"
    assert data["reason"] == "customer asked for a person" and data["signals"] == ["explicit_request"]
    package = data["handoff"]
    assert package["reason"] == "customer asked for a person"
    assert package["signals"] == ["explicit_request"]
    transcript = [(m["author_kind"], m["text"]) for m in package["transcript"]]
    assert ("customer", "Can I return an item?") in transcript
    assert ("customer", "I want to talk to a human") in transcript
    assert ("ai", "You can return unused items within 30 days.") in transcript
    assert "Can I return an item?" in package["summary"]
    assert package["summary_detail"]["articles_used"]  # the copilot's summary, not the bare quote
    assert "returns-policy" in {t["article"] for t in package["tried"]}


def test_a_customer_who_chose_only_a_person_gets_no_ai_summary_in_the_handoff(conversation, receiver, committed):
    subscription_create(receiver, events=["handoff.requested", "autonomy.changed"])

    committed(routing.autonomy_set, conversation_id=conversation.pk, level=AutonomyLevel.HUMAN_ONLY)

    assert [d.event for d in WebhookDelivery.objects.order_by("id")] == ["autonomy.changed", "handoff.requested"]
    autonomy, handoff = (r.json["data"] for r in receiver.requests)
    assert (autonomy["from"], autonomy["to"], autonomy["reason"]) == ("ai_only", "human_only", "customer choice")
    assert handoff["handoff"]["autonomy_level"] == "human_only"
    assert "summary_detail" not in handoff["handoff"]
    assert handoff["reason"] == "customer chose a person"


def test_messages_are_sent_for_customer_ai_and_agent_but_not_system_notices(conversation, receiver, committed):
    subscription_create(receiver, events=["message.created", "handoff.accepted", "handoff.returned"])
    agent = factories.agent_create()

    committed(
        routing.customer_message_handle, conversation_id=conversation.pk, text="Can I return an item?", client_id="c1"
    )
    committed(routing.handoff_accept, conversation_id=conversation.pk, agent=agent)
    committed(routing.agent_message_send, conversation_id=conversation.pk, agent=agent, text="Hello!", client_id="a1")
    committed(routing.handoff_return, conversation_id=conversation.pk, agent=agent, note="sorted")

    bodies = [r.json for r in receiver.requests]
    assert all(r.verified for r in receiver.requests)
    assert [(b["event"], b["data"].get("message", {}).get("author_kind")) for b in bodies] == [
        ("message.created", "customer"),
        ("message.created", "ai"),
        ("handoff.accepted", None),
        ("message.created", "human"),
        ("handoff.returned", None),
    ]
    accepted, returned = bodies[2]["data"], bodies[4]["data"]
    assert accepted["actor"] == {"kind": "human", "agent_id": agent.pk, "agent_name": "Marie Dupont"}
    assert accepted["conversation"]["agent"] == {"id": agent.pk, "name": "Marie Dupont"}
    assert returned["note"] == "sorted" and returned["conversation"]["owner"] == "ai"
    assert bodies[1]["data"]["message"]["sources"][0]["slug"] == "returns-policy"


# --- Retries, dead letters, replay --------------------------------------------------------------------------------


def test_a_receiver_failing_twice_then_answering_keeps_one_record_and_the_delivery_is_delivered(receiver, close):
    subscription_create(receiver, events=["conversation.closed"])
    receiver.script = [Reply(503), Reply(503)]

    delivery = close()

    assert [r.answered for r in receiver.requests] == [503, 503, 200]
    assert all(r.verified for r in receiver.requests)
    assert {r.headers["X-Cxhub-Delivery"] for r in receiver.requests} == {delivery.idempotency_key}
    # each attempt is signed afresh: same body, its own timestamp and signature
    assert len({r.body for r in receiver.requests}) == 1
    assert list(receiver.records) == [delivery.idempotency_key]
    assert delivery.status == WebhookDelivery.Status.DELIVERED and delivery.attempts == 3
    assert delivery.last_status_code == 200 and delivery.delivered_at is not None
    assert history_codes(delivery) == [503, 503, 200]
    assert "HTTP 503" in delivery.history[0]["error"]


def test_a_receiver_that_always_fails_makes_the_delivery_dead_and_a_replay_delivers_it_once(
    receiver, close, settings, committed
):
    subscription_create(receiver, events=["conversation.closed"])
    receiver.default = Reply(500)

    delivery = close()

    assert delivery.status == WebhookDelivery.Status.DEAD
    assert delivery.attempts == settings.WEBHOOK_MAX_ATTEMPTS == len(receiver.requests)
    assert delivery.last_status_code == 500 and delivery.next_attempt_at is None
    assert receiver.records == {}

    receiver.default = Reply(200)
    assert committed(webhook_deliveries_replay, delivery_ids=[delivery.pk]) == 1

    delivery.refresh_from_db()
    assert delivery.status == WebhookDelivery.Status.DELIVERED and delivery.attempts == 1
    assert len(receiver.requests) == settings.WEBHOOK_MAX_ATTEMPTS + 1
    assert receiver.requests[-1].headers["X-Cxhub-Delivery"] == delivery.idempotency_key
    assert list(receiver.records) == [delivery.idempotency_key]
    assert any("replayed_at" in entry for entry in delivery.history)
    # A delivered delivery is not replayed, and a task that runs again sends nothing.
    assert committed(webhook_deliveries_replay, delivery_ids=[delivery.pk]) == 0
    webhook_deliver.delay(delivery.pk)
    assert len(receiver.requests) == settings.WEBHOOK_MAX_ATTEMPTS + 1


def test_admins_replay_dead_deliveries_from_the_delivery_list(receiver, close, client, committed):
    subscription_create(receiver, events=["conversation.closed"])
    receiver.default = Reply(503)
    delivery = close()
    assert delivery.status == WebhookDelivery.Status.DEAD
    admin = factories.agent_create(username="admin")
    admin.is_superuser = True
    admin.save()
    client.force_login(admin)
    changelist = reverse("admin:integrations_webhookdelivery_changelist")
    listed = client.get(changelist, {"status__exact": "dead", "event": "conversation.closed"})
    assert listed.status_code == 200 and "Dead (gave up)" in listed.content.decode()
    detail = client.get(reverse("admin:integrations_webhookdelivery_change", args=[delivery.pk]))
    assert detail.status_code == 200 and "HTTP 503" in detail.content.decode()
    receiver.default = Reply(204)

    response = committed(client.post, path=changelist, data={"action": "replay", "_selected_action": [delivery.pk]})

    assert response.status_code == 302
    delivery.refresh_from_db()
    assert delivery.status == WebhookDelivery.Status.DELIVERED and delivery.last_status_code == 204
    assert list(receiver.records) == [delivery.idempotency_key]


def test_a_400_is_terminal_after_one_attempt(receiver, close):
    subscription_create(receiver, events=["conversation.closed"])
    receiver.default = Reply(400)

    delivery = close()

    assert len(receiver.requests) == 1
    assert delivery.status == WebhookDelivery.Status.DEAD and delivery.attempts == 1
    assert delivery.last_status_code == 400 and delivery.last_error.startswith("HTTP 400")


def test_429_and_408_are_retried(receiver, close):
    subscription_create(receiver, events=["conversation.closed"])
    receiver.script = [Reply(429, headers={"Retry-After": "0"}), Reply(408)]

    delivery = close()

    assert history_codes(delivery) == [429, 408, 200]
    assert delivery.status == WebhookDelivery.Status.DELIVERED


def test_a_receiver_too_slow_to_answer_is_retried_and_keeps_one_record(receiver, close, settings):
    settings.WEBHOOK_TIMEOUT_SECONDS = 0.3
    subscription_create(receiver, events=["conversation.closed"])
    receiver.script = [Reply(200, delay=1.0)]  # stores the event, but answers too late

    delivery = close()

    assert delivery.status == WebhookDelivery.Status.DELIVERED and delivery.attempts == 2
    assert history_codes(delivery) == [None, 200]
    assert "Timeout" in delivery.history[0]["error"]
    assert len(receiver.requests) == 2 and len(receiver.records) == 1


def test_a_receiver_that_is_not_listening_is_retried_then_dead(receiver, settings, conversation, committed):
    subscription = subscription_create(receiver, events=["conversation.closed"])
    subscription.url = f"http://127.0.0.1:{stack.free_port()}/hooks"  # nothing listens there
    subscription.save()

    committed(conversation_close, conversation_id=conversation.pk, actor_kind="system")

    delivery = WebhookDelivery.objects.get()
    assert delivery.status == WebhookDelivery.Status.DEAD and delivery.attempts == settings.WEBHOOK_MAX_ATTEMPTS
    assert delivery.last_status_code is None and "ConnectError" in delivery.last_error


def test_retries_back_off_exponentially(receiver, close, settings, monkeypatch):
    settings.WEBHOOK_RETRY_BASE_SECONDS = 0.05
    settings.WEBHOOK_RETRY_MAX_SECONDS = 0.15
    waits = []

    def sleep(seconds: float) -> None:
        waits.append(seconds)
        time.sleep(seconds)

    monkeypatch.setattr(tasks, "time", SimpleNamespace(sleep=sleep))  # eager runs wait inside the task
    subscription_create(receiver, events=["conversation.closed"])
    receiver.default = Reply(503)

    delivery = close()

    assert delivery.status == WebhookDelivery.Status.DEAD
    assert waits == [0.05, 0.1, 0.15]  # base, 2 × base, then capped (4 × base would be 0.2)
    sent_at = [datetime.fromisoformat(entry["at"]) for entry in delivery.history]
    gaps = [(later - earlier).total_seconds() for earlier, later in itertools.pairwise(sent_at)]
    assert all(gap >= wait for gap, wait in zip(gaps, waits, strict=True))


def test_an_attempt_another_task_holds_is_not_sent_twice(receiver, conversation, django_capture_on_commit_callbacks):
    subscription_create(receiver, events=["conversation.closed"])
    with django_capture_on_commit_callbacks(execute=False):  # recorded; its task not run yet
        conversation_close(conversation_id=conversation.pk, actor_kind="system")
    delivery = WebhookDelivery.objects.get()
    # As if a first copy of the task had claimed attempt 1 and were still sending it.
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        attempts=1, next_attempt_at=timezone.now() + timedelta(seconds=120)
    )

    retry_in = webhook_delivery_attempt(delivery_id=delivery.pk)

    assert 100 < retry_in <= 120  # this copy comes back after the first one's lease, and sends nothing now
    assert receiver.requests == []


def test_a_delivery_whose_task_was_lost_is_replayed_but_one_being_sent_is_not(
    receiver, conversation, committed, django_capture_on_commit_callbacks
):
    subscription_create(receiver, events=["conversation.closed", "conversation.created"])
    with django_capture_on_commit_callbacks(execute=False):  # recorded; the enqueue never happens (broker down)
        conversation_close(conversation_id=conversation.pk, actor_kind="system")
        webhook_event_emit(event="conversation.created", conversation_id=conversation.pk, source_id=1)
    lost, sending = WebhookDelivery.objects.order_by("id")
    WebhookDelivery.objects.filter(pk=sending.pk).update(
        attempts=1, next_attempt_at=timezone.now() + timedelta(seconds=120)
    )

    assert committed(webhook_deliveries_replay, delivery_ids=[lost.pk, sending.pk]) == 1

    lost.refresh_from_db()
    assert lost.status == WebhookDelivery.Status.DELIVERED
    assert [r.headers["X-Cxhub-Delivery"] for r in receiver.requests] == [lost.idempotency_key]


# --- Who gets what ------------------------------------------------------------------------------------------------


def test_subscriptions_get_the_events_they_asked_for_and_inactive_ones_nothing(conversation, receiver, committed):
    closed_only = subscription_create(receiver, events=["conversation.closed"], name="closed only")
    everything = subscription_create(receiver, name="everything")
    paused = subscription_create(receiver, active=False, name="paused")

    _, second, _ = committed(factories.visitor_create, site=conversation.site)  # a new visitor and conversation
    committed(routing.customer_message_handle, conversation_id=second.pk, text="Can I return an item?", client_id="c1")
    committed(conversation_close, conversation_id=second.pk, actor_kind="customer")

    assert list(closed_only.deliveries.values_list("event", flat=True)) == ["conversation.closed"]
    assert list(everything.deliveries.order_by("id").values_list("event", flat=True)) == [
        "conversation.created",
        "message.created",
        "message.created",
        "conversation.closed",
    ]
    assert not paused.deliveries.exists()
    assert len(receiver.requests) == 5 and all(r.verified for r in receiver.requests)
    assert WebhookDelivery.objects.exclude(status=WebhookDelivery.Status.DELIVERED).count() == 0


def test_without_subscriptions_nothing_is_recorded_and_emitting_costs_one_query(
    conversation, receiver, committed, django_assert_num_queries
):
    subscription_create(receiver, active=False)
    committed(routing.customer_message_handle, conversation_id=conversation.pk, text="I want a human", client_id="c1")
    committed(conversation_close, conversation_id=conversation.pk, actor_kind="customer")

    assert not WebhookDelivery.objects.exists()
    assert receiver.requests == []
    with django_assert_num_queries(1):
        assert webhook_event_emit(event="conversation.closed", conversation_id=conversation.pk, source_id=1) == []


def test_a_change_that_is_rolled_back_sends_nothing(conversation, receiver, django_capture_on_commit_callbacks):
    subscription_create(receiver)

    with django_capture_on_commit_callbacks(execute=True) as queued:
        with pytest.raises(RuntimeError), transaction.atomic():
            conversation_close(conversation_id=conversation.pk, actor_kind="customer")
            raise RuntimeError("something failed after the close")

    assert queued == []
    assert not WebhookDelivery.objects.exists()
    assert receiver.requests == []


def test_emitting_the_same_event_twice_records_and_sends_it_once(conversation, receiver, committed):
    subscription_create(receiver)

    first = committed(webhook_event_emit, event="autonomy.changed", conversation_id=conversation.pk, source_id=7)
    again = committed(webhook_event_emit, event="autonomy.changed", conversation_id=conversation.pk, source_id=7)

    assert len(first) == 1 and again == []
    assert len(receiver.requests) == 1


def test_a_delivery_of_a_paused_subscription_is_not_sent(conversation, receiver, django_capture_on_commit_callbacks):
    subscription = subscription_create(receiver, events=["conversation.closed"])
    with django_capture_on_commit_callbacks(execute=False) as queued:
        conversation_close(conversation_id=conversation.pk, actor_kind="customer")
    subscription.active = False
    subscription.save()

    for callback in queued:
        callback()

    delivery = WebhookDelivery.objects.get()
    assert delivery.status == WebhookDelivery.Status.DEAD and delivery.last_error == "subscription inactive"
    assert receiver.requests == []


# --- Signatures ---------------------------------------------------------------------------------------------------


def test_signatures_verify_only_the_exact_body_secret_and_a_recent_timestamp():
    body = b'{"id":"conversation.closed:1:2","event":"conversation.closed"}'
    now = int(time.time())
    header = signature_header("whsec_test", now, body)

    assert header.startswith("sha256=") and len(header) == len("sha256=") + 64
    assert verify_signature("whsec_test", str(now), body, header)
    assert verify_signature("whsec_test", now, body.decode(), header)
    assert not verify_signature("whsec_test", now, body + b" ", header)
    assert not verify_signature("whsec_other", now, body, header)
    assert not verify_signature("whsec_test", now + 1, body, header)
    assert not verify_signature("whsec_test", now, body, header.removeprefix("sha256="))
    assert not verify_signature("whsec_test", "yesterday", body, header)
    stale = signature_header("whsec_test", now - 301, body)
    assert not verify_signature("whsec_test", now - 301, body, stale)
    assert verify_signature("whsec_test", now - 301, body, stale, tolerance=600)


# --- Admin --------------------------------------------------------------------------------------------------------


def test_admins_subscribe_to_chosen_events_and_see_the_generated_secret(client):
    admin = factories.agent_create(username="admin")
    admin.is_superuser = True
    admin.save()
    client.force_login(admin)
    add = reverse("admin:integrations_webhooksubscription_add")
    assert "whsec_" not in client.get(add).content.decode()  # generated on save, not shown before

    response = client.post(
        add,
        {"name": "Helpdesk", "url": "https://helpdesk.example/hooks", "events": ["handoff.requested"], "active": "on"},
    )

    assert response.status_code == 302
    subscription = WebhookSubscription.objects.get()
    assert subscription.events == ["handoff.requested"] and subscription.secret.startswith("whsec_")
    page = client.get(reverse("admin:integrations_webhooksubscription_change", args=[subscription.pk]))
    assert subscription.secret in page.content.decode()
    with pytest.raises(ValidationError):
        WebhookSubscription(name="x", url="https://x.example", events=["ticket.opened"]).full_clean()
