"""Floods past the per-visitor and per-IP limits get `rate_limited` with a wait; nothing acknowledged is lost."""

import time

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.test import Client

from cxhub.asgi import application
from cxhub.conversations.models import Message
from cxhub.ratelimits import rate_take
from tests import factories
from tests.channels_app.helpers import Socket, visitor_connect

pytestmark = pytest.mark.django_db(transaction=True)
ORIGIN = factories.SHOP_ORIGIN


@sync_to_async
def shop_visitor():
    site = factories.site_create()
    factories.knowledge_base_create()
    _, conversation, token = factories.visitor_create(site=site)
    return conversation, token


@sync_to_async
def customer_texts(conversation) -> list[str]:
    return list(
        Message.objects.filter(conversation=conversation, author_kind="customer")
        .order_by("seq")
        .values_list("text", flat=True)
    )


async def test_a_visitor_flooding_messages_is_slowed_down_and_keeps_every_acknowledged_one(rate_limits):
    conversation, token = await shop_visitor()
    visitor = await visitor_connect(token)

    for n in range(10):
        await visitor.send(type="message.send", client_id=f"flood-{n}", text=f"Question {n}?")
    answers = [
        await visitor.receive_until(lambda f, n=n: f["type"] in ("ack", "error") and f.get("client_id") == f"flood-{n}")
        for n in range(10)
    ]

    acked = [a["client_id"] for a in answers if a["type"] == "ack"]
    limited = [a for a in answers if a["type"] == "error"]
    assert acked == [f"flood-{n}" for n in range(5)]
    assert {a["code"] for a in limited} == {"rate_limited"}
    assert all(a["retry_after"] >= 1 and a["message"] for a in limited)
    # Every acknowledged message is stored, in order; the refused ones were not, so the widget resends them.
    assert await customer_texts(conversation) == [f"Question {n}?" for n in range(5)]
    # The socket is still usable for everything but more messages.
    await visitor.send(type="typing", active=True)
    await visitor.send(type="resume", after_seq=0)
    assert 1 in {m["seq"] for m in await visitor.messages_within()}
    await visitor.close()


async def test_the_same_visitor_on_rest_draws_from_the_same_bucket(rate_limits):
    conversation, token = await shop_visitor()
    visitor = await visitor_connect(token)
    for n in range(5):
        await visitor.send(type="message.send", client_id=f"ws-{n}", text=f"Hello {n}")
        await visitor.receive_until(lambda f, n=n: f["type"] == "ack" and f["client_id"] == f"ws-{n}")

    response = await sync_to_async(Client().post)(
        "/api/widget/messages",
        {"client_id": "rest-1", "text": "one more"},
        content_type="application/json",
        headers={"origin": ORIGIN, "authorization": f"Bearer {token}"},
    )

    assert response.status_code == 429
    body = response.json()
    assert body["code"] == "rate_limited" and body["retry_after"] >= 1
    assert response["Retry-After"] == str(body["retry_after"])
    assert response["Access-Control-Allow-Origin"] == ORIGIN  # the widget can read why
    assert "one more" not in await customer_texts(conversation)
    await visitor.close()


def test_rest_messages_past_the_visitor_limit_are_refused_then_accepted_after_the_wait(rate_limits):
    rate_limits.RATE_LIMIT_VISITOR_MESSAGES = "2/2"  # a burst of 2, then one a second
    site = factories.site_create()
    _, conversation, token = factories.visitor_create(site=site)
    client = Client()

    def post(client_id: str):
        return client.post(
            "/api/widget/messages",
            {"client_id": client_id, "text": "Where is my parcel?"},
            content_type="application/json",
            headers={"origin": ORIGIN, "authorization": f"Bearer {token}"},
        )

    statuses = [post(f"r-{n}").status_code for n in range(3)]
    refused = post("r-2")
    time.sleep(refused.json()["retry_after"] + 0.1)
    retried = post("r-2")  # the widget resends the refused message with its same client_id

    assert statuses == [201, 201, 429]
    assert retried.status_code == 201
    assert list(
        Message.objects.filter(conversation=conversation, author_kind="customer")
        .values_list("client_id", flat=True)
        .order_by("seq")
    ) == ["r-0", "r-1", "r-2"]


def test_one_ip_starting_session_after_session_is_stopped_and_others_are_not(rate_limits):
    rate_limits.RATE_LIMIT_IP_SESSIONS = "3/60"
    site = factories.site_create()

    def start(ip: str):
        return Client(REMOTE_ADDR=ip).post(
            "/api/widget/sessions", {"site_key": site.key}, content_type="application/json", headers={"origin": ORIGIN}
        )

    flood = [start("203.0.113.9").status_code for _ in range(5)]
    neighbour = start("198.51.100.7")

    assert flood == [201, 201, 201, 429, 429]
    assert neighbour.status_code == 201


async def test_websocket_handshakes_past_the_ip_limit_are_refused_with_a_reason(rate_limits):
    rate_limits.RATE_LIMIT_IP = "2/60"
    _, token = await shop_visitor()

    async def handshake(ip: str) -> list[dict]:
        communicator = WebsocketCommunicator(
            application, f"/ws/widget/?token={token}", headers=[(b"origin", ORIGIN.encode())]
        )
        communicator.scope["client"] = (ip, 50000)
        connected, _ = await communicator.connect()
        assert connected
        first = await communicator.receive_output()
        if first["type"] == "websocket.send" and '"rate_limited"' in first["text"]:
            closed = await communicator.receive_output()
            return ["rate_limited", closed]
        await communicator.disconnect()
        return ["connected"]

    results = [await handshake("203.0.113.9") for _ in range(3)]
    other = await handshake("198.51.100.7")

    assert results[:2] == [["connected"], ["connected"]]
    assert results[2] == ["rate_limited", {"type": "websocket.close", "code": 4429}]
    assert other == ["connected"]


async def test_frames_of_any_kind_count_against_the_visitor(rate_limits):
    rate_limits.RATE_LIMIT_VISITOR_FRAMES = "5/60"
    _, token = await shop_visitor()
    communicator = WebsocketCommunicator(
        application, f"/ws/widget/?token={token}", headers=[(b"origin", ORIGIN.encode())]
    )
    await communicator.connect()
    visitor = Socket(communicator)
    await visitor.receive()  # state

    for _ in range(6):
        await communicator.send_to(text_data="not json at all")
    codes = [(await visitor.receive_until(lambda f: f["type"] == "error"))["code"] for _ in range(6)]

    assert codes == ["frame_invalid"] * 5 + ["rate_limited"]
    await visitor.close()


def test_limits_off_means_never_limited(settings):
    settings.RATE_LIMIT_ENABLED = False
    assert all(rate_take(("RATE_LIMIT_IP", "ip", "203.0.113.1")) is None for _ in range(50))
