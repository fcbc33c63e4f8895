"""Celery entry points for the assistant; they take ids and are safe to run twice."""

from celery import shared_task

from .calibration import knowledge_base_calibrate as knowledge_base_calibrate_service
from .services import assistant_reply


@shared_task(acks_late=True, reject_on_worker_lost=True)
def assistant_answer(message_id: int) -> None:
    assistant_reply(message_id=message_id)


@shared_task(acks_late=True, reject_on_worker_lost=True)
def knowledge_base_calibrate(knowledge_base_id: int, version: int | None = None) -> None:
    knowledge_base_calibrate_service(knowledge_base_id=knowledge_base_id, version=version)


@shared_task(acks_late=True, reject_on_worker_lost=True)
def copilot_prepare(conversation_id: int) -> None:
    from .copilot import copilot_prepare as copilot_prepare_service

    copilot_prepare_service(conversation_id=conversation_id)
