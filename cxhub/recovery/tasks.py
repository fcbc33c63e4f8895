"""Celery beat runs this every RECOVERY_INTERVAL_SECONDS (see CELERY_BEAT_SCHEDULE)."""

import logging

from celery import shared_task

from .services import work_recover as work_recover_service

logger = logging.getLogger(__name__)


@shared_task(acks_late=True, reject_on_worker_lost=True)
def work_recover() -> dict[str, int]:
    queued = work_recover_service()
    if any(queued.values()):
        logger.warning("queued again lost work: %s", queued)
    return queued
