"""Celery entry points for webhooks (queue `integrations`); they take ids and are safe to run twice."""

import time

from celery import shared_task

from .services import webhook_delivery_attempt


# The bound on attempts is WEBHOOK_MAX_ATTEMPTS, counted on the delivery row: unlike Celery's own retry
# count, it survives a redelivered message and starts afresh on a replay.
@shared_task(bind=True, acks_late=True, reject_on_worker_lost=True, max_retries=None)
def webhook_deliver(self, delivery_id: int) -> None:
    while (retry_in := webhook_delivery_attempt(delivery_id=delivery_id)) is not None:
        if not self.request.is_eager:
            raise self.retry(countdown=retry_in)
        # Eager runs (tests, CELERY_TASK_ALWAYS_EAGER) can't reschedule, and with eager propagation Celery
        # raises Retry instead of running again: wait here for the backoff and try again in place.
        time.sleep(retry_in)
