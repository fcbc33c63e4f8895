"""Celery entry points for routing; they take ids and are safe to run twice."""

from celery import shared_task

from .approvals import draft_expire as draft_expire_service


@shared_task(acks_late=True, reject_on_worker_lost=True)
def draft_expire(draft_id: int) -> None:
    # Scheduled by the assistant with a countdown when it drafts; a no-op unless the draft is still pending
    # and past its review time, so an early, late or repeated delivery changes nothing.
    draft_expire_service(draft_id=draft_id)
