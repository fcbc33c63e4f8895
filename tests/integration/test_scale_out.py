"""Two daphne nodes sharing Redis and the database: the visitor on one, the agent on the other, and a real
Celery worker answering for the AI. Everything crosses processes through the channel layer, as in production."""

import json
import time

import pytest
from django.test import Client
from websockets.sync.client import connect

from cxhub import stack
from cxhub.celery import app as celery_app
from tests import factories
from tests.conftest import process_env

pytestmark = pytest.mark.worker


@pytest.fixture
def two_nodes(transactional_db, redis_server):
    celery_app.conf.task_always_eager = False
    env = process_env(redis_server["url"], DJANGO_ALLOWED_HOSTS="127.0.0.1,localhost")
    worker = stack.start_worker(env=env, concurrency=1)
    ports = [stack.free_port(), stack.free_port()]
    nodes = [stack.start_daphne(port=port, env=env) for port in ports]
    yield {"a": ports[0], "b": ports[1], "nodes": nodes}
    for process in [*nodes, worker]:
        stack.stop(process)
    celery_app.conf.task_always_eager = True


class Socket:
    def __init__(self, url: str, origin: str, headers: dict | None = None):
        self.ws = connect(url, origin=origin, additional_headers=headers or {}, open_timeout=20)
        self.frames: list[dict] = []

    def __enter__(self):
        self.ws.__enter__()
        return self

    def __exit__(self, *exc):
        self.ws.__exit__(*exc)

    def send(self, **frame) -> None:
        self.ws.send(json.dumps(frame))

    def until(self, predicate, timeout: float = 30) -> dict:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                frame = json.loads(self.ws.recv(timeout=max(deadline - time.monotonic(), 0.01)))
            except TimeoutError:
                break
            self.frames.append(frame)
            if predicate(frame):
                return frame
        raise AssertionError(f"no matching frame within {timeout}s; last frames: {self.frames[-6:]}")

    def message(self, timeout: float = 30, **fields) -> dict:
        frame = self.until(
            lambda f: f["type"] == "message" and all(f["message"].get(k) == v for k, v in fields.items()), timeout
        )
        return frame["message"]


def test_visitor_on_one_node_and_agent_on_another_complete_the_whole_loop(two_nodes):
    # Given a shop with articles, a visitor, and an agent logged in
    site = factories.site_create()
    factories.knowledge_base_create()
    _, conversation, token = factories.visitor_create(site=site)
    agent = factories.agent_create()
    browser = Client()
    browser.force_login(agent)
    node_a, node_b = f"127.0.0.1:{two_nodes['a']}", f"127.0.0.1:{two_nodes['b']}"
    visitor = Socket(f"ws://{node_a}/ws/widget/?token={token}&after_seq=0", origin=factories.SHOP_ORIGIN)
    staff = Socket(
        f"ws://{node_b}/ws/staff/",
        origin=f"http://{node_b}",
        headers={"Cookie": f"sessionid={browser.cookies['sessionid'].value}"},
    )
    with visitor, staff:
        the_whole_loop(visitor, staff, conversation.pk)


def the_whole_loop(visitor: Socket, staff: Socket, conversation_id: int) -> None:
    visitor.until(lambda f: f["type"] == "state")
    staff.until(lambda f: f["type"] == "inbox")

    # When the visitor asks a question on node A, the worker's AI answer reaches them there
    visitor.send(type="message.send", client_id="q-1", text="Can I return an item?")
    reply = visitor.message(author_kind="ai")
    assert "30 days" in reply["text"]

    # and asking for a person on node A puts the conversation in the inbox of the agent on node B
    visitor.send(type="handoff.request")
    staff.until(
        lambda f: (
            f["type"] == "inbox.conversation"
            and f["conversation"]["id"] == conversation_id
            and f["conversation"]["owner"] == "queue"
        )
    )

    # When the agent on node B takes over and replies
    staff.send(type="conversation.open", conversation_id=conversation_id)
    staff.until(lambda f: f["type"] == "conversation")
    staff.send(type="conversation.take_over", conversation_id=conversation_id)
    visitor.until(lambda f: f["type"] == "state" and f["state"]["owner"] == "agent")
    staff.send(type="message.send", conversation_id=conversation_id, client_id="a-1", text="Bonjour, Marie here.")

    # Then the visitor on node A reads it, and the visitor's answer reaches node B, each exactly once
    assert visitor.message(author_kind="human")["text"] == "Bonjour, Marie here."
    visitor.send(type="message.send", client_id="q-2", text="Thanks!")
    answer = staff.message(author_kind="customer", text="Thanks!")
    assert staff.frames[-1]["conversation_id"] == conversation_id
    visitor.message(text="Thanks!")
    seqs = [f["message"]["seq"] for f in visitor.frames if f["type"] == "message"]
    assert seqs == list(range(1, answer["seq"] + 1))
