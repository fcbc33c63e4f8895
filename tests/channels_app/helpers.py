"""Drive the real ASGI application like a widget and a staff console would."""

import asyncio
import uuid

from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.test import Client

from cxhub.asgi import application
from tests.factories import SHOP_ORIGIN


class Socket:
    def __init__(self, communicator: WebsocketCommunicator):
        self.communicator = communicator
        self.frames: list[dict] = []

    async def send(self, **frame) -> None:
        await self.communicator.send_json_to(frame)

    async def receive(self, timeout: float = 5) -> dict:
        frame = await self.communicator.receive_json_from(timeout=timeout)
        self.frames.append(frame)
        return frame

    async def receive_until(self, predicate, timeout: float = 10) -> dict:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise AssertionError(f"no matching frame; got {self.frames[-5:]}")
            if await self.communicator.receive_nothing(timeout=remaining):
                raise AssertionError(f"no matching frame within {timeout}s; last frames: {self.frames[-6:]}")
            frame = await self.receive()
            if predicate(frame):
                return frame

    async def message_with(self, **fields) -> dict:
        frame = await self.receive_until(
            lambda f: f["type"] == "message" and all(f["message"].get(k) == v for k, v in fields.items())
        )
        return frame["message"]

    async def messages_within(self, timeout: float = 0.7) -> list[dict]:
        """Every chat message that arrives within the timeout (state and typing frames are skipped)."""
        messages = []
        # receive_nothing, not a receive timeout: asgiref cancels the application when a receive times out.
        while not await self.communicator.receive_nothing(timeout=timeout):
            frame = await self.receive()
            if frame["type"] == "message":
                messages.append(frame["message"])
        return messages

    async def close(self) -> None:
        await self.communicator.disconnect()


async def visitor_connect(token: str, origin: str = SHOP_ORIGIN, resume_from: int | None = 0) -> Socket:
    communicator = WebsocketCommunicator(
        application, f"/ws/widget/?token={token}", headers=[(b"origin", origin.encode())]
    )
    connected, code = await communicator.connect()
    assert connected, f"refused with {code}"
    socket = Socket(communicator)
    state = await socket.receive()
    assert state["type"] == "state"
    if resume_from is not None:
        await socket.send(type="resume", after_seq=resume_from)
    return socket


async def visitor_say(socket: Socket, text: str, client_id: str | None = None) -> dict:
    client_id = client_id or str(uuid.uuid4())
    await socket.send(type="message.send", client_id=client_id, text=text)
    return await socket.receive_until(lambda f: f["type"] == "ack" and f["client_id"] == client_id)


@sync_to_async
def staff_cookie(user) -> str:
    client = Client()
    client.force_login(user)
    return client.cookies["sessionid"].value


async def staff_communicator(user, origin: bytes = b"http://localhost") -> WebsocketCommunicator:
    """A staff socket carrying the user's logged-in session cookie, not yet connected."""
    cookie = await staff_cookie(user)
    return WebsocketCommunicator(
        application,
        "/ws/staff/",
        headers=[(b"origin", origin), (b"host", b"localhost"), (b"cookie", f"sessionid={cookie}".encode())],
    )


async def staff_connect(user) -> Socket:
    communicator = await staff_communicator(user)
    connected, code = await communicator.connect()
    assert connected, f"refused with {code}"
    socket = Socket(communicator)
    inbox = await socket.receive()
    assert inbox["type"] == "inbox"
    return socket
