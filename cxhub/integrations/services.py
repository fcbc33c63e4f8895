"""Writes for webhooks: recording a delivery per subscriber when something happens, sending it, replaying it."""

import json
import logging
import time
from dataclasses import dataclass
from datetime import timedelta

import httpx
from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from cxhub.conversations.models import Conversation

from . import selectors
from .models import EVENTS, WebhookDelivery
from .signing import signature_header

logger = logging.getLogger(__name__)

HISTORY_LIMIT = 50
# A claimed attempt holds the delivery this long; longer than a task may run (CELERY_TASK_TIME_LIMIT), so a
# duplicate task never sends while the first is still sending, and a crashed attempt is retried afterwards.
ATTEMPT_LEASE_SECONDS = 120
RETRYABLE_STATUS_CODES = {408, 429}
USER_AGENT = "cxhub-webhooks/1"


def webhook_event_emit(
    *, event: str, conversation_id: int, source_id: int | str, data: dict | None = None
) -> list[WebhookDelivery]:
    """Record one delivery of `event` per active subscription that wants it, and send each once the caller's
    transaction commits (nobody hears of a change that was rolled back). Call it inside that transaction.

    The payload is frozen now, so every attempt and replay sends the same words. `source_id` is what makes the
    event unique within the conversation (the event row or message id): emitting the same thing twice records
    one delivery per subscription."""
    if event not in EVENTS:
        raise ValueError(f"Unknown webhook event {event!r}.")
    subscriptions = selectors.webhook_subscriptions_for(event=event)
    if not subscriptions:
        return []
    conversation = Conversation.objects.select_related("site", "customer", "agent").get(pk=conversation_id)
    payload = {"conversation": selectors.conversation_reference(conversation), **(data or {})}
    if event == "handoff.requested":
        # The receiver gets the handoff without asking: transcript, reason, signals, summary (none for human_only).
        from cxhub.assistant.copilot import handoff_package

        payload["handoff"] = handoff_package(conversation)
    key = f"{event}:{conversation_id}:{source_id}"
    from .tasks import webhook_deliver

    created = []
    for subscription in subscriptions:
        delivery, is_new = WebhookDelivery.objects.get_or_create(
            subscription=subscription, idempotency_key=key, defaults={"event": event, "payload": payload}
        )
        if is_new:
            created.append(delivery)
            # robust: a broker outage must not fail the customer's chat; the row stays pending and can be replayed.
            transaction.on_commit(lambda pk=delivery.pk: webhook_deliver.delay(pk), robust=True)
    return created


def webhook_request(delivery: WebhookDelivery, *, timestamp: int) -> tuple[bytes, dict[str, str]]:
    """The exact bytes and headers of one attempt; the signature covers `f"{timestamp}.{body}"`."""
    body = json.dumps(
        {
            "id": delivery.idempotency_key,
            "event": delivery.event,
            "created_at": delivery.created_at.isoformat(),
            "data": delivery.payload,
        },
        ensure_ascii=False,
        separators=(",", ":"),
    ).encode("utf-8")
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "X-Cxhub-Event": delivery.event,
        "X-Cxhub-Delivery": delivery.idempotency_key,
        "X-Cxhub-Timestamp": str(timestamp),
        "X-Cxhub-Signature": signature_header(delivery.subscription.secret, timestamp, body),
    }
    return body, headers


@dataclass
class AttemptResult:
    status_code: int | None
    error: str
    retryable: bool
    retry_after: float | None = None

    @property
    def delivered(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def _retry_after(value: str | None) -> float | None:
    try:
        return max(0.0, float(value)) if value else None
    except ValueError:
        return None  # an HTTP date: our own backoff will do


def webhook_post(url: str, body: bytes, headers: dict[str, str]) -> AttemptResult:
    """POST once and say whether trying again could help: 5xx, 408, 429, timeouts and network errors could;
    any other answer (4xx, a redirect) or a URL we can't use could not."""
    try:
        with httpx.stream(
            "POST", url, content=body, headers=headers, timeout=settings.WEBHOOK_TIMEOUT_SECONDS
        ) as response:
            code = response.status_code
            if 200 <= code < 300:
                return AttemptResult(code, "", retryable=False)
            snippet = next(response.iter_bytes(chunk_size=200), b"")[:200].decode("utf-8", "replace")
            return AttemptResult(
                code,
                f"HTTP {code}: {snippet}".strip(),
                retryable=code >= 500 or code in RETRYABLE_STATUS_CODES,
                retry_after=_retry_after(response.headers.get("Retry-After")),
            )
    except (httpx.TimeoutException, httpx.NetworkError, httpx.RemoteProtocolError, httpx.ProxyError) as error:
        return AttemptResult(None, f"{type(error).__name__}: {error}", retryable=True)
    except (httpx.HTTPError, httpx.InvalidURL) as error:
        return AttemptResult(None, f"{type(error).__name__}: {error}", retryable=False)


def webhook_retry_delay(attempt: int) -> float:
    """Exponential backoff after the `attempt`-th failure: base, 2×base, 4×base…, capped."""
    base = settings.WEBHOOK_RETRY_BASE_SECONDS
    return min(settings.WEBHOOK_RETRY_MAX_SECONDS, base * 2 ** (attempt - 1))


def webhook_delivery_attempt(*, delivery_id: int) -> float | None:
    """Send a delivery once if it is due. Returns the seconds after which the task should run again, or None
    when nothing is left to do: delivered, dead, gone, or another task claimed this attempt and owns it now.

    Safe to run twice at once: the attempt is claimed with a compare-and-set on the row, so only one task
    sends, and the POST happens outside any transaction (a slow receiver holds no database lock)."""
    delivery = WebhookDelivery.objects.select_related("subscription").filter(pk=delivery_id).first()
    if delivery is None or delivery.status in (WebhookDelivery.Status.DELIVERED, WebhookDelivery.Status.DEAD):
        return None
    now = timezone.now()
    if delivery.next_attempt_at is not None and delivery.next_attempt_at > now:
        # Backing off, or another task holds the attempt: come back then (that task may have died).
        return (delivery.next_attempt_at - now).total_seconds()
    attempt = delivery.attempts + 1
    claimed = WebhookDelivery.objects.filter(
        pk=delivery.pk, status=delivery.status, attempts=delivery.attempts, next_attempt_at=delivery.next_attempt_at
    ).update(attempts=attempt, next_attempt_at=now + timedelta(seconds=ATTEMPT_LEASE_SECONDS))
    if not claimed:
        return None

    subscription = delivery.subscription
    started = time.perf_counter()
    if not subscription.active:
        result = AttemptResult(None, "subscription inactive", retryable=False)
    else:
        body, headers = webhook_request(delivery, timestamp=int(time.time()))
        result = webhook_post(subscription.url, body, headers)
    finished = timezone.now()
    retry_in = None
    if result.delivered:
        status = WebhookDelivery.Status.DELIVERED
    elif result.retryable and attempt < settings.WEBHOOK_MAX_ATTEMPTS:
        status = WebhookDelivery.Status.FAILED
        retry_in = webhook_retry_delay(attempt)
        if result.retry_after is not None:
            retry_in = min(max(retry_in, result.retry_after), settings.WEBHOOK_RETRY_MAX_SECONDS)
    else:
        status = WebhookDelivery.Status.DEAD
    entry = {
        "attempt": attempt,
        "at": finished.isoformat(),
        "status_code": result.status_code,
        "error": result.error[:300],
        "ms": round((time.perf_counter() - started) * 1000, 1),
    }
    # Guarded by the attempt number: if an admin replayed the delivery meanwhile, the replay's task owns it.
    WebhookDelivery.objects.filter(pk=delivery.pk, attempts=attempt).update(
        status=status,
        last_status_code=result.status_code,
        last_error=result.error[:500],
        next_attempt_at=finished + timedelta(seconds=retry_in) if retry_in is not None else None,
        delivered_at=finished if result.delivered else None,
        history=[*delivery.history, entry][-HISTORY_LIMIT:],
    )
    if status != WebhookDelivery.Status.DELIVERED:
        logger.warning(
            "webhook %s to subscription %s attempt %s: %s -> %s",
            delivery.idempotency_key,
            subscription.pk,
            attempt,
            result.error,
            status,
        )
    return retry_in


def replayable() -> Q:
    """Dead or failed, or pending and never claimed (its task was lost, say queued while the broker was down).
    A pending delivery with an attempt under way is left to that attempt."""
    return Q(status__in=[WebhookDelivery.Status.DEAD, WebhookDelivery.Status.FAILED]) | Q(
        status=WebhookDelivery.Status.PENDING, next_attempt_at__isnull=True
    )


@transaction.atomic
def webhook_deliveries_replay(*, delivery_ids: list[int]) -> int:
    """Send deliveries again from a fresh count of attempts, with the same idempotency key so the receiver can
    tell a replay from a new event. Delivered ones are never sent again. Returns how many were queued."""
    from .tasks import webhook_deliver

    deliveries = list(WebhookDelivery.objects.select_for_update().filter(replayable(), pk__in=delivery_ids))
    replayed_at = timezone.now().isoformat()
    for delivery in deliveries:
        delivery.status = WebhookDelivery.Status.PENDING
        delivery.attempts = 0
        delivery.next_attempt_at = None
        delivery.history = [*delivery.history, {"replayed_at": replayed_at}][-HISTORY_LIMIT:]
        delivery.save(update_fields=["status", "attempts", "next_attempt_at", "history"])
        transaction.on_commit(lambda pk=delivery.pk: webhook_deliver.delay(pk), robust=True)
    return len(deliveries)
