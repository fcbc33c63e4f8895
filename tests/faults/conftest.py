"""Real daphne, worker and Redis processes that fault tests kill, pause and restart; and a resuming visitor."""

import json
import os
import signal
import time
import uuid

import pytest
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidStatus
from websockets.sync.client import ClientConnection, connect

from cxhub import stack
from cxhub.celery import app as celery_app
from tests import factories
from tests.conftest import process_env


class Process:
    """One daphne or worker process that can be killed -9, paused and started again (daphne on its port)."""

    def __init__(self, kind: str, env: dict, port: int | None = None):
        self.kind, self.env, self.port, self.process = kind, env, port, None

    def start(self) -> "Process":
        if self.kind == "daphne":
            self.process = stack.start_daphne(port=self.port, env=self.env)
        else:
            self.process = stack.start_worker(env=self.env, concurrency=1, name=f"faults-{uuid.uuid4().hex[:6]}")
        return self

    def signal(self, signum: int) -> None:
        os.killpg(self.process.pid, signum)

    def kill(self) -> None:
        """kill -9 the whole process group, as a crash or the OOM killer would."""
        self.signal(signal.SIGKILL)
        self.process.wait()

    def stop(self) -> None:
        if self.process is None:
            return
        if self.process.poll() is None:
            self.signal(signal.SIGCONT)  # a paused process cannot handle SIGTERM
        stack.stop(self.process)


@pytest.fixture
def processes(transactional_db, redis_server):
    """Starts processes on the session's Redis (or another one) sharing the test database; stops them all."""
    started: list[Process] = []
    celery_app.conf.task_always_eager = False

    def start(kind: str, redis_url: str | None = None, port: int | None = None, **extra_env: str) -> Process:
        env = process_env(redis_url or redis_server["url"], DJANGO_ALLOWED_HOSTS="127.0.0.1,localhost", **extra_env)
        process = Process(kind, env, port=port or (stack.free_port() if kind == "daphne" else None)).start()
        started.append(process)
        return process

    yield start
    for process in reversed(started):
        process.stop()
    celery_app.conf.task_always_eager = True


class Visitor:
    """A widget as a Python client: keeps the last seq it saw, resumes from it, resends what was not acked.

    Records every message frame, so a test can tell a gap or a duplicate from a clean catch-up.
    """

    def __init__(self, port: int, token: str):
        self.port, self.token = port, token
        self.ws: ClientConnection | None = None
        self.last_seq = 0
        self.seqs: list[int] = []  # every message seq received, in arrival order, duplicates included
        self.messages: dict[int, dict] = {}
        self.frames: list[dict] = []
        self.acks: dict[str, dict] = {}
        self.pending: dict[str, str] = {}  # client_id → text, sent but not acknowledged

    def connect(self, timeout: float = 40) -> None:
        deadline = time.monotonic() + timeout
        while True:
            try:
                self.ws = connect(
                    f"ws://127.0.0.1:{self.port}/ws/widget/?token={self.token}",
                    origin=factories.SHOP_ORIGIN,
                    open_timeout=3,
                    ping_interval=None,
                    legacy=True,  # used directly, not as a context manager
                )
                first = json.loads(self.ws.recv(timeout=5))
                if first.get("type") != "state":
                    raise ConnectionError(f"refused: {first}")
                break
            except (OSError, TimeoutError, InvalidHandshake, InvalidStatus, ConnectionClosed, ConnectionError):
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.3)  # the widget backs off too; the server is restarting
        self.send({"type": "resume", "after_seq": self.last_seq})
        for client_id, text in self.pending.items():  # same client_id: stored at most once
            self.send({"type": "message.send", "client_id": client_id, "text": text})

    def send(self, frame: dict) -> None:
        self.ws.send(json.dumps(frame))

    def say(self, text: str, wait_ack: bool = True) -> str:
        client_id = str(uuid.uuid4())
        self.pending[client_id] = text
        self.send({"type": "message.send", "client_id": client_id, "text": text})
        if wait_ack:
            self.read_until(lambda f: f["type"] == "ack" and f["client_id"] == client_id)
        return client_id

    def read_until(self, predicate, timeout: float = 30) -> dict:
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"no matching frame within {timeout}s; last frames: {self.frames[-5:]}")
            try:
                frame = json.loads(self.ws.recv(timeout=remaining))
            except TimeoutError:
                continue
            self.frames.append(frame)
            if frame["type"] == "message":
                seq = frame["message"]["seq"]
                self.seqs.append(seq)
                self.messages.setdefault(seq, frame["message"])
                self.last_seq = max(self.last_seq, seq)
            elif frame["type"] == "ack":
                self.acks[frame["client_id"]] = frame
                self.pending.pop(frame["client_id"], None)
            if predicate(frame):
                return frame

    def read_for(self, seconds: float) -> None:
        try:
            self.read_until(lambda f: False, timeout=seconds)
        except AssertionError:
            pass

    def until_seq(self, seq: int, timeout: float = 40) -> None:
        if self.last_seq < seq:
            self.read_until(lambda f: self.last_seq >= seq, timeout=timeout)

    def close(self) -> None:
        if self.ws is not None:
            try:
                self.ws.close()
            except OSError:
                pass

    def assert_clean(self) -> None:
        """Each seq exactly once, in order, from 1: no gap, no duplicate."""
        assert self.seqs == list(range(1, len(self.seqs) + 1)), self.seqs
