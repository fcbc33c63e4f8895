"""Celery entry points for the assistant; they take ids and are safe to run twice."""

from celery import shared_task

from .services import assistant_reply


@shared_task(acks_late=True, reject_on_worker_lost=True)
def assistant_answer(message_id: int) -> None:
    assistant_reply(message_id=message_id)
