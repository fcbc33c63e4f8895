"""Celery entry points for SMS / WhatsApp (queue `integrations`); they take ids and are safe to run twice."""

import time

from celery import shared_task

from .services import text_send_attempt


@shared_task(bind=True, acks_late=True, reject_on_worker_lost=True, max_retries=None)
def text_send(self, text_id: int) -> None:
    while (retry_in := text_send_attempt(text_id=text_id)) is not None:
        if not self.request.is_eager:
            raise self.retry(countdown=retry_in)
        time.sleep(retry_in)  # eager runs (tests) cannot reschedule: wait for the backoff in place
