"""Celery entry points for email (queue `integrations`); they take ids and are safe to run twice."""

import time

from celery import shared_task
from django.conf import settings

from .services import email_send_attempt


# The bound on attempts is CHANNEL_SEND_MAX_ATTEMPTS, counted on the Email row, so it survives a redelivery.
@shared_task(bind=True, acks_late=True, reject_on_worker_lost=True, max_retries=None)
def email_send(self, email_id: int) -> None:
    while (retry_in := email_send_attempt(email_id=email_id)) is not None:
        if not self.request.is_eager:
            raise self.retry(countdown=retry_in)
        time.sleep(retry_in)  # eager runs (tests) cannot reschedule: wait for the backoff in place


@shared_task(acks_late=True, reject_on_worker_lost=True)
def mail_imap_poll() -> int:
    """Scheduled by Celery beat only when MAIL_IMAP_HOST is set."""
    if not settings.MAIL_IMAP_HOST:
        return 0
    from .imap import imap_poll

    return imap_poll()
