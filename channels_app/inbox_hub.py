"""Everyone's inbox, once per process.

Every staff console hears of conversations waiting for a person or held by the AI, so each event for the staff
inbox group used to be delivered to every console: with 1,000 consoles and the AI answering a few questions a
second, the load bench counted 160,000 inbox frames a minute and daphne did little else. Instead one hub per
process (per event loop) is the group's only member here: it receives each event once and hands it to the
consoles of this process. Activity in those conversations (a new message, the AI's reply, a queue position:
the row's preview, time and position) is gathered for INBOX_ACTIVITY_SECONDS (longer when the process has
more consoles than INBOX_ACTIVITY_FRAMES_PER_SECOND allows) and goes out as one `inbox.conversations` frame per
console; changes of owner, status or presence, and drafts, still go out at once, as before.
"""

import asyncio
import json
import logging
import weakref

from channels.layers import get_channel_layer
from django.conf import settings

from cxhub.conversations.broadcast import STAFF_INBOX_GROUP

logger = logging.getLogger(__name__)

# Writing a frame to 1,000 consoles at once held the event loop ~50 ms, and every chat message arriving
# meanwhile waited: the hub lets the loop run between slices of this many consoles.
CONSOLES_PER_SLICE = 25


class InboxHub:
    def __init__(self, layer):
        self.layer = layer
        self.consoles: set = set()
        self.pending: dict[int, dict] = {}  # conversation id → its newest activity row, until the next flush
        self.flush_handle: asyncio.TimerHandle | None = None
        self.channel: str | None = None
        self.task: asyncio.Task | None = None
        self.ready: asyncio.Future | None = None

    async def join(self, console) -> None:
        """Returns once the hub is in the group, so the console's first inbox misses nothing after it."""
        self.consoles.add(console)
        if self.task is None or self.task.done():
            # Set before any await: consoles connecting at the same moment share one hub, never two.
            loop = asyncio.get_running_loop()
            self.ready = loop.create_future()
            self.task = loop.create_task(self.run(self.ready))
        await asyncio.shield(self.ready)

    def leave(self, console) -> None:
        self.consoles.discard(console)

    async def run(self, ready: asyncio.Future) -> None:
        try:
            self.channel = await self.layer.new_channel()
            await self.layer.group_add(STAFF_INBOX_GROUP, self.channel)
            ready.set_result(None)
            while True:
                event = await self.layer.receive(self.channel)
                if event.get("type") == "inbox.conversation" and event.get("activity"):
                    self.pending[event["conversation"]["id"]] = event["conversation"]
                    if self.flush_handle is None:
                        loop = asyncio.get_running_loop()
                        self.flush_handle = loop.call_later(self.interval(), self.flush_start)
                    continue
                for index, console in enumerate(list(self.consoles), 1):
                    await self.hand(console, event)
                    if index % CONSOLES_PER_SLICE == 0:
                        await asyncio.sleep(0)
        except asyncio.CancelledError:
            raise
        except Exception as error:
            if not ready.done():
                ready.set_exception(error)  # the joining consoles fail to connect, as a failed group_add did
                return
            # Redis went away, and with it this process's place in the group: close the consoles so they
            # reconnect and join again, as each did on its own before.
            logger.warning("staff inbox hub stopped: %s", type(error).__name__)
            for console in list(self.consoles):
                await console.close(code=1011)

    def interval(self) -> float:
        """Seconds between gathered frames: INBOX_ACTIVITY_SECONDS, or longer when this process has so many
        consoles that they would get more than INBOX_ACTIVITY_FRAMES_PER_SECOND frames between them."""
        return max(settings.INBOX_ACTIVITY_SECONDS, len(self.consoles) / settings.INBOX_ACTIVITY_FRAMES_PER_SECOND)

    async def hand(self, console, event: dict) -> None:
        try:
            await console.dispatch(event)  # as if the console had received it from the group itself
        except Exception:
            logger.exception("staff inbox event failed type=%s", str(event.get("type"))[:40])

    def flush_start(self) -> None:
        self.flush_handle = None
        rows, self.pending = list(self.pending.values()), {}
        asyncio.get_running_loop().create_task(self.flush(rows))

    async def flush(self, rows: list[dict]) -> None:
        # Most consoles may see the same rows: each distinct frame is encoded once, not once per console.
        frames: dict[tuple, str] = {}
        for index, console in enumerate(list(self.consoles), 1):
            if index % CONSOLES_PER_SLICE == 0:
                await asyncio.sleep(0)
            try:
                allowed = console.inbox_activity_allowed(rows)
                if not allowed:
                    continue
                key = tuple(row["id"] for row in allowed)
                if key not in frames:
                    frames[key] = json.dumps({"type": "inbox.conversations", "conversations": allowed})
                await console.send(text_data=frames[key])
            except Exception:
                logger.exception("staff inbox activity failed")


_hubs: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, InboxHub]" = weakref.WeakKeyDictionary()


def inbox_hub() -> InboxHub:
    loop = asyncio.get_running_loop()
    hub = _hubs.get(loop)
    if hub is None:
        hub = _hubs[loop] = InboxHub(get_channel_layer())
    return hub
