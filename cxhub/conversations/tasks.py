"""Celery entry points for conversations; they take ids and are safe to run twice."""

from celery import shared_task

from .services import transcript_email_send as transcript_email_send_service


@shared_task(acks_late=True, reject_on_worker_lost=True)  # routed to "default" in settings
def transcript_email_send(request_event_id: int) -> None:
    transcript_email_send_service(request_event_id=request_event_id)
