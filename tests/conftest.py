"""Real parts for tests: a Redis server per session, and on demand a Celery worker and daphne processes."""

import os
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
from channels.layers import channel_layers
from django.conf import settings
from django.test import override_settings

from cxhub import stack
from cxhub.celery import app as celery_app

ARTIFACTS = Path(__file__).resolve().parent.parent / "var" / "test-artifacts"


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory):
    port = stack.free_port()
    process = stack.start_redis(port=port, data_dir=tmp_path_factory.mktemp("redis"), persistent=False)
    yield {"url": f"redis://127.0.0.1:{port}/0", "port": port, "process": process}
    stack.stop(process)


@pytest.fixture(scope="session", autouse=True)
def realtime_on_test_redis(redis_server):
    """Point the channel layer and Celery at the test Redis; tasks run in-process unless a test wants a worker."""
    url = redis_server["url"]
    layers = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [url], "prefix": "cxhub-test", "capacity": 500, "expiry": 30},
        }
    }
    override = override_settings(CHANNEL_LAYERS=layers, CELERY_BROKER_URL=url, REDIS_URL=url)
    override.enable()
    celery_app.conf.update(broker_url=url, task_always_eager=True, task_eager_propagates=True)
    yield
    override.disable()


@pytest.fixture(autouse=True)
def fresh_channel_layer():
    """Each test gets its own channel layer. A layer shared across tests keeps locks bound to an earlier
    test's event loop (held by a consumer that loop left behind), and the next test's sockets then hang."""
    channel_layers.backends.clear()
    yield
    channel_layers.backends.clear()


def processes_database_url() -> str:
    """The test database (not the one DATABASE_URL names) for processes started by tests: SQLite or PostgreSQL."""
    database = settings.DATABASES["default"]
    if database["ENGINE"] == "cxhub.database.sqlite":
        return "sqlite:///" + str(database["NAME"])
    return urlunsplit(urlsplit(os.environ["DATABASE_URL"])._replace(path="/" + database["NAME"]))


def process_env(redis_url: str, **extra: str) -> dict:
    """Environment for a server or worker process that shares the test database and Redis."""
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="cxhub.settings.test",
        REDIS_URL=redis_url,
        DATABASE_URL=processes_database_url(),
        CELERY_TASK_ALWAYS_EAGER="0",
        CELERY_VISIBILITY_TIMEOUT="3",
        PYTHONUNBUFFERED="1",
    )
    env.update(extra)
    return env


class WorkerControl:
    """Starts, kills and restarts a real Celery worker process."""

    def __init__(self, redis_url: str):
        self.redis_url = redis_url
        self.process = None

    def start(self, **extra_env: str):
        self.process = stack.start_worker(env=process_env(self.redis_url, **extra_env), concurrency=1)
        return self.process

    def kill(self):
        """kill -9 the whole worker, parent and children, as a crash would."""
        import signal

        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()

    def stop(self):
        if self.process is not None:
            stack.stop(self.process)


@pytest.fixture
def celery_worker_process(transactional_db, redis_server):
    """A real worker on the test Redis and database; in-process tasks are sent to it instead of run eagerly."""
    celery_app.conf.task_always_eager = False
    control = WorkerControl(redis_server["url"])
    yield control
    control.stop()
    celery_app.conf.task_always_eager = True


@pytest.fixture
def live_server_stack(transactional_db, redis_server):
    """daphne serving cxhub.asgi:application plus a Celery worker, both real processes."""
    celery_app.conf.task_always_eager = False
    port = stack.free_port()
    env = process_env(redis_server["url"], DJANGO_ALLOWED_HOSTS="127.0.0.1,localhost")
    worker = stack.start_worker(env=env, concurrency=1)
    daphne = stack.start_daphne(port=port, env=env)
    yield {"url": f"http://127.0.0.1:{port}", "port": port, "daphne": daphne, "worker": worker}
    stack.stop(daphne)
    stack.stop(worker)
    celery_app.conf.task_always_eager = True


def wait_until(predicate, timeout: float = 20.0, interval: float = 0.1):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"condition not met within {timeout}s")
