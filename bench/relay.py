"""The baseline for bench/chat_load.py: the smallest relay built from cxhub's own parts.

daphne + a bare JSON consumer + the same channel layer settings, and nothing else: no database, no
authentication, no inbox. Both sides of a room join one group; a `message.send` gets a per-room seq (in
memory: one process), an `ack` to the sender and a `message` to the room, in the shapes cxhub uses, so the
load generator drives both servers with the same code. Run: daphne bench.relay:application.
"""

import gc
import os
import sys
from pathlib import Path
from urllib.parse import parse_qs

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cxhub.settings.test")

import django  # noqa: E402

django.setup()

from channels.generic.websocket import AsyncJsonWebsocketConsumer  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from django.conf import settings  # noqa: E402
from django.urls import path  # noqa: E402

_seqs: dict[str, int] = {}


class RelayConsumer(AsyncJsonWebsocketConsumer):
    async def connect(self):
        query = parse_qs(self.scope.get("query_string", b"").decode())
        self.room = (query.get("room") or ["0"])[0]
        self.group = f"relay.{self.room}"
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()
        await self.send_json({"type": "state", "state": {"last_seq": _seqs.get(self.room, 0)}})

    async def disconnect(self, code):
        await self.channel_layer.group_discard(self.group, self.channel_name)

    async def receive_json(self, content, **kwargs):
        if content.get("type") != "message.send":
            return
        seq = _seqs[self.room] = _seqs.get(self.room, 0) + 1
        message = {"seq": seq, "text": content.get("text", ""), "client_id": content.get("client_id")}
        await self.send_json({"type": "ack", "client_id": content.get("client_id"), "seq": seq})
        await self.channel_layer.group_send(
            self.group, {"type": "relay.message", "conversation_id": int(self.room), "message": message}
        )

    async def relay_message(self, event):
        await self.send_json(
            {"type": "message", "conversation_id": event["conversation_id"], "message": event["message"]}
        )


application = ProtocolTypeRouter({"websocket": URLRouter([path("ws/relay/", RelayConsumer.as_asgi())])})

if settings.SERVER_GC_TUNING:  # as cxhub/asgi.py does, so the baseline gets the same collector
    gc.freeze()
    gc.set_threshold(*settings.SERVER_GC_THRESHOLDS)
