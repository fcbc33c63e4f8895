"""A Celery task for bench/chat_load.py, loaded into the bench's workers with `--include bench.probe_tasks`.

It notes when it started (wall clock, same machine as the sender) in a Redis list, then sleeps: enqueue → start
latency, and whether short tasks wait behind slow ones on another queue.
"""

import json
import time

import redis
from celery import shared_task
from django.conf import settings

RESULTS_KEY = "bench:probe:started"


@shared_task(name="bench.probe", acks_late=True)
def probe(probe_id: str, seconds: float = 0.0) -> None:
    started = time.time()
    redis.Redis.from_url(settings.REDIS_URL).rpush(RESULTS_KEY, json.dumps({"id": probe_id, "started": started}))
    if seconds:
        time.sleep(seconds)
