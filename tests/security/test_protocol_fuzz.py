"""Property-based fuzz of both websocket protocols through the real ASGI app: arbitrary frames, types and
field types never cause a server error or a crash; the socket stays usable or closes with a clear code."""

import asyncio
import json

import pytest
from channels.layers import channel_layers
from channels.testing import WebsocketCommunicator
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cxhub.asgi import application
from tests import factories

pytestmark = pytest.mark.django_db(transaction=True)

WIDGET_TYPES = [
    "resume", "message.send", "autonomy.set", "handoff.request", "typing", "kb.search", "contact.leave_email",
    "identify", "prechat", "csat", "transcript.email", "read", "conversation.end", "token.refresh",
]  # fmt: skip
STAFF_TYPES = [
    "conversation.open", "conversation.take_over", "conversation.hand_back", "conversation.close", "message.send",
    "read", "typing", "draft.approve", "draft.edit", "draft.reject", "presence.set", "conversation.transfer",
    "note.add", "handoff.rate", "answer.flag",
]  # fmt: skip
FIELDS = [
    "text", "client_id", "after_seq", "seq", "level", "active", "query", "email", "user_id", "user_hash", "name",
    "topic", "score", "comment", "conversation_id", "draft_id", "reason", "note", "follow_up", "outcome", "status",
    "capacity", "agent_id", "team_id", "suggestion_id", "rating", "message_id",
]  # fmt: skip

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.integers(min_value=-3, max_value=5),
    st.floats(allow_nan=False),
    st.text(max_size=40),
    st.sampled_from(["", " ", "ai_only", "human_only", "online", "a@b.example", "<script>alert(1)</script>"]),
)
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=6,
)


def frames(types: list[str]):
    typed = st.fixed_dictionaries(
        {"type": st.sampled_from(types) | st.text(max_size=12) | values},
        optional={field: values for field in FIELDS},
    ).map(json.dumps)
    junk = st.one_of(
        st.text(max_size=60),
        st.just("[" * 5000 + "]" * 5000),
        st.just('{"type": "message.send", "text": "' + "x" * 17000 + '"}'),
        values.map(json.dumps),
    )
    return st.lists(st.one_of(typed, typed, junk), min_size=1, max_size=4)


PROBE = json.dumps({"type": "fuzz.probe"})


async def exchange(communicator: WebsocketCommunicator, batch: list[str]) -> list[dict]:
    """Sends the batch then a probe; returns what came back before the probe's answer, or the close."""
    for raw in batch:
        await communicator.send_input({"type": "websocket.receive", "text": raw})  # "" too
    await communicator.send_to(text_data=PROBE)
    received = []
    while True:
        output = await communicator.receive_output(timeout=10)
        if output["type"] == "websocket.close":
            received.append({"closed": output.get("code")})
            return received
        frame = json.loads(output["text"])
        if frame.get("type") == "error" and frame.get("code") == "type_unknown" and "fuzz.probe" in frame["message"]:
            return received
        received.append(frame)


def check(received: list[dict]) -> None:
    for frame in received:
        if "closed" in frame:
            assert frame["closed"] is not None and 4000 <= frame["closed"] < 5000, frame
            continue
        assert frame.get("type"), frame
        if frame["type"] == "error":
            assert frame.get("code") not in ("server_error", None) and frame.get("message"), frame


def run(coroutine) -> None:
    channel_layers.backends.clear()  # a layer is bound to its event loop; each example has its own
    asyncio.run(coroutine)


FUZZ = settings(max_examples=100, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)


@pytest.fixture
def visitor_token():
    site = factories.site_create()
    return factories.visitor_create(site=site)[2]


@pytest.fixture
def staff_cookie():
    factories.site_create()
    client = Client()
    client.force_login(factories.agent_create())
    return client.cookies["sessionid"].value


def test_the_widget_protocol_survives_arbitrary_frames(visitor_token):
    @FUZZ
    @given(batch=frames(WIDGET_TYPES))
    def fuzz(batch):
        async def go():
            communicator = WebsocketCommunicator(
                application, f"/ws/widget/?token={visitor_token}", headers=[(b"origin", factories.SHOP_ORIGIN.encode())]
            )
            connected, _ = await communicator.connect()
            assert connected
            assert json.loads((await communicator.receive_output())["text"])["type"] == "state"
            received = await exchange(communicator, batch)
            check(received)
            if not any("closed" in f for f in received):
                # Still usable: a resume is answered with the conversation's messages.
                await communicator.send_to(text_data=json.dumps({"type": "resume", "after_seq": 0}))
                assert (await communicator.receive_json_from(timeout=10))["type"] in ("message", "state", "typing")
            await communicator.disconnect()

        run(go())

    fuzz()


def test_the_staff_protocol_survives_arbitrary_frames(staff_cookie):
    @FUZZ
    @given(batch=frames(STAFF_TYPES))
    def fuzz(batch):
        async def go():
            communicator = WebsocketCommunicator(
                application,
                "/ws/staff/",
                headers=[
                    (b"origin", b"http://localhost"),
                    (b"host", b"localhost"),
                    (b"cookie", f"sessionid={staff_cookie}".encode()),
                ],
            )
            connected, _ = await communicator.connect()
            assert connected
            assert json.loads((await communicator.receive_output())["text"])["type"] == "inbox"
            check(await exchange(communicator, batch))
            await communicator.disconnect()

        run(go())

    fuzz()
