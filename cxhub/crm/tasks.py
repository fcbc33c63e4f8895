"""Celery entry points for post-conversation work (queue `integrations`); they take ids and are safe to run twice."""

import time

from celery import shared_task

from .services import post_work_prepare as post_work_prepare_service
from .services import post_work_step_attempt


@shared_task(acks_late=True, reject_on_worker_lost=True)
def post_work_prepare(post_work_id: int) -> None:
    for step_id in post_work_prepare_service(post_work_id=post_work_id):
        post_work_step_run.delay(step_id)


# The bound on attempts (WEBHOOK_MAX_ATTEMPTS) is counted on the step row, so it survives a redelivered message.
@shared_task(bind=True, acks_late=True, reject_on_worker_lost=True, max_retries=None)
def post_work_step_run(self, step_id: int) -> None:
    while (retry_in := post_work_step_attempt(step_id=step_id)) is not None:
        if not self.request.is_eager:
            raise self.retry(countdown=retry_in)
        # Eager runs (tests, CELERY_TASK_ALWAYS_EAGER) can't reschedule: wait for the backoff here.
        time.sleep(retry_in)
