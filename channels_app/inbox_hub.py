"""Everyone's inbox, once per process.

Every staff console hears of conversations waiting for a person or held by the AI, so each event for the staff
inbox group used to be delivered to every console: with 1,000 consoles and the AI answering a few questions a
second, the load bench counted 160,000 inbox frames a minute and daphne did little else. Instead one hub per
process (per event loop) is the group's only member here: it receives each event once and hands it to the
consoles of this process. Activity in those conversations (a new message, the AI's reply, a queue position:
the row's preview, time and position) is not sent at once: the hub walks its consoles in turn, one round every
INBOX_ACTIVITY_SECONDS (longer when the process has more consoles than INBOX_ACTIVITY_FRAMES_PER_SECOND allows),
and gives each one frame with what changed since its last turn. The frames are spread evenly over the round:
sent all at once to 1,000 consoles they held back every chat message for up to 0.15 s, every 5 s. Changes of
owner, status or presence, and drafts, still go out at once, as before.
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
        # Console → the activity version it has been sent up to; in joining order, the order of each round.
        self.consoles: dict = {}
        self.version = 0
        self.rows: dict[int, tuple[int, dict]] = {}  # conversation id → (version, its newest activity row)
        self.pacer: asyncio.Task | None = None
        self.channel: str | None = None
        self.task: asyncio.Task | None = None
        self.ready: asyncio.Future | None = None

    async def join(self, console) -> None:
        """Returns once the hub is in the group, so the console's first inbox misses nothing after it."""
        self.consoles[console] = self.version  # its first inbox, read after this, has all activity until now
        if self.task is None or self.task.done():
            # Set before any await: consoles connecting at the same moment share one hub, never two.
            loop = asyncio.get_running_loop()
            self.ready = loop.create_future()
            self.task = loop.create_task(self.run(self.ready))
        await asyncio.shield(self.ready)

    def leave(self, console) -> None:
        self.consoles.pop(console, None)

    async def run(self, ready: asyncio.Future) -> None:
        try:
            self.channel = await self.layer.new_channel()
            await self.layer.group_add(STAFF_INBOX_GROUP, self.channel)
            ready.set_result(None)
            while True:
                event = await self.layer.receive(self.channel)
                if event.get("type") == "inbox.conversation":
                    if event.get("activity"):
                        self.activity_add(event["conversation"])
                        continue
                    # The whole row goes out now: activity gathered for the same conversation is older.
                    self.rows.pop(event["conversation"]["id"], None)
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
        """Seconds per round: INBOX_ACTIVITY_SECONDS, or longer when this process has so many consoles that they
        would get more than INBOX_ACTIVITY_FRAMES_PER_SECOND frames between them."""
        return max(settings.INBOX_ACTIVITY_SECONDS, len(self.consoles) / settings.INBOX_ACTIVITY_FRAMES_PER_SECOND)

    async def hand(self, console, event: dict) -> None:
        try:
            await console.dispatch(event)  # as if the console had received it from the group itself
        except Exception:
            logger.exception("staff inbox event failed type=%s", str(event.get("type"))[:40])

    def activity_add(self, row: dict) -> None:
        self.version += 1
        self.rows[row["id"]] = (self.version, row)
        if self.pacer is None or self.pacer.done():
            self.pacer = asyncio.get_running_loop().create_task(self.pace())

    async def pace(self) -> None:
        """Rounds over the consoles until every one has every row; each console's turn comes interval() / number
        of consoles after the previous one's."""
        loop = asyncio.get_running_loop()
        while self.rows:
            consoles = list(self.consoles)
            if not consoles:
                self.rows.clear()
                return
            step, started = self.interval() / len(consoles), loop.time()
            frames: dict[tuple, str] = {}  # most consoles see the same rows: each distinct frame is encoded once
            for index, console in enumerate(consoles):
                wait = started + index * step - loop.time()
                if wait > 0:
                    await asyncio.sleep(wait)
                elif index % CONSOLES_PER_SLICE == 0:
                    await asyncio.sleep(0)
                await self.turn(console, frames)
            if self.consoles:  # rows every console has been sent are done with
                oldest = min(self.consoles.values())
                self.rows = {key: value for key, value in self.rows.items() if value[0] > oldest}

    async def turn(self, console, frames: dict[tuple, str]) -> None:
        seen = self.consoles.get(console)
        if seen is None or seen >= self.version:
            return  # gone, or up to date
        self.consoles[console] = self.version
        versions = {row["id"]: version for version, row in self.rows.values() if version > seen}
        if not versions:
            return
        try:
            allowed = console.inbox_activity_allowed([self.rows[key][1] for key in versions])
            if not allowed:
                return
            key = tuple((row["id"], versions[row["id"]]) for row in allowed)
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
