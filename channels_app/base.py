"""What both consumers share: frame limits, JSON parsing and error frames."""

import json
import logging
from concurrent.futures import ThreadPoolExecutor

from channels.consumer import get_handler_name
from channels.db import DatabaseSyncToAsync
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.conf import settings

from cxhub.conversations.services import ConversationError

from .database_processes import HelperLost

logger = logging.getLogger(__name__)

# Channels runs every consumer's database call in a process on one shared thread (thread-sensitive mode), so
# a burst of handshakes or messages queues single file. Each call here is one service with its own
# transaction, sharing nothing with the next, so they may run side by side on a small pool.
_database_threads = (
    ThreadPoolExecutor(max_workers=settings.CONSUMER_DATABASE_THREADS, thread_name_prefix="consumer-db")
    if settings.CONSUMER_DATABASE_THREADS > 0
    else None
)


def database_sync_to_async(func):
    """channels.db.database_sync_to_async, on the consumers' own pool of threads when one is configured."""
    if _database_threads is None:
        return DatabaseSyncToAsync(func)
    return DatabaseSyncToAsync(func, thread_sensitive=False, executor=_database_threads)


class SessionEnded(Exception):
    """The session a socket opened with no longer signs anyone in: it refuses the frame and closes."""


class JsonProtocolConsumer(AsyncJsonWebsocketConsumer):
    """Dispatches {"type": "a.b"} frames to handle_a_b methods; bad frames get an error, never a crash."""

    async def dispatch(self, message):
        # Channels closes stale database connections before every handler, on the database thread: one more trip
        # there, queued behind everyone's database work, for every event a socket receives (three or four per chat
        # message). Every database call here goes through DatabaseSyncToAsync, which does that check itself.
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        await handler(message)

    async def receive(self, text_data=None, bytes_data=None):
        if bytes_data is not None:
            return await self.send_error("frame_invalid", "Send JSON text frames.")
        if len(text_data or "") > settings.WEBSOCKET_MAX_FRAME_BYTES:
            return await self.send_error("frame_too_large", "That message is too large.")
        try:
            content = json.loads(text_data or "")
        except (ValueError, RecursionError):  # RecursionError: "[[[[…" nested deeper than the parser goes
            content = None
        if await self.frame_refused(content if isinstance(content, dict) else {}):
            return
        if content is None:
            return await self.send_error("frame_invalid", "Frames must be JSON objects.")
        if not isinstance(content, dict) or not isinstance(content.get("type"), str):
            return await self.send_error("frame_invalid", "Frames must be JSON objects with a type.")
        handler = getattr(self, "handle_" + content["type"].replace(".", "_"), None)
        if handler is None:
            return await self.send_error("type_unknown", f"Unknown frame type: {content['type'][:40]}")
        try:
            await handler(content)
        except SessionEnded:
            await self.session_end()
        except HelperLost:
            # As if the server restarted: the client reconnects, resumes by seq and sends what was not acked.
            await self.close(code=1011)
        except ConversationError as error:
            await self.send_error(error.code, error.message, client_id=content.get("client_id"))
        except Exception:
            # A bug must not take the socket down with it; the fuzz tests look for this code.
            logger.exception("websocket frame failed type=%s consumer=%s", content["type"][:40], type(self).__name__)
            await self.send_error("server_error", "Something went wrong. Please try again.")

    async def frame_refused(self, content: dict) -> bool:
        """Consumers refuse a frame here (a rate limit) by answering it themselves and returning True."""
        return False

    async def session_end(self) -> None:
        await self.send_error("session_ended", "Your session has ended. Please sign in again.")
        await self.close(code=4401)

    async def send_error(self, code: str, message: str, **extra) -> None:
        # Logged without message contents: they may hold personal data.
        logger.info("websocket error code=%s consumer=%s", code, type(self).__name__)
        payload = {"type": "error", "code": code, "message": message}
        payload.update({k: v for k, v in extra.items() if isinstance(v, str | int)})
        await self.send_json(payload)
