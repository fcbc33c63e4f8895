"""channels_redis's core layer, with three changes measured by bench/chat_load.py (figures: docs/deploy.md).

1. A bounded connection pool that waits for a free connection instead of failing. redis-py 8's asyncio pool
   raises MaxConnectionsError past its cap (100 by default), and channels_redis builds that pool itself: a burst
   of handshakes then fails with HTTP 500. Raising the cap alone opens one Redis connection per concurrent
   operation, and a thousand simultaneous connects overflow Redis's accept backlog. A blocking pool keeps a few
   hundred connections and queues the rest for a few milliseconds.
2. Receiving in batches. Every consumer of a daphne process shares one Redis key; stock channels_redis takes
   one event off it at a time, four round trips each, under a process-wide lock the consumers pass between
   them (django/channels_redis#163, PR #165 proposes a receive loop too). With 2,000 sockets that is a few
   hundred events a second at most. Here one task per process pops up to RECEIVE_BATCH events per round trip
   and hands each to its consumer's buffer.
3. Sending a batch of group events in two round trips (group_send_many) instead of four per group: a customer
   message goes to three or four groups. Members that are consumers of the sending process get the event
   straight into their buffer, without the trip through Redis and back.
The keys, the message format, capacities and expiry are channels_redis's own, so processes running the stock
layer and this one (a worker, a test) talk to each other.
"""

import asyncio
import logging
import time
import weakref

from channels_redis.core import RedisChannelLayer
from redis import asyncio as aioredis

logger = logging.getLogger(__name__)

RECEIVE_BATCH = 200

# channels_redis's group send script, for many keys at once (a key may repeat: several events for one process).
# Scores grow by a microsecond per event so a process receives them in the order they were sent.
SEND_MANY = """
local n = #KEYS
local now = tonumber(ARGV[2 * n + 1])
local expiry = ARGV[2 * n + 2]
local over_capacity = 0
for i = 1, n do
    if redis.call('ZCOUNT', KEYS[i], '-inf', '+inf') < tonumber(ARGV[n + i]) then
        redis.call('ZADD', KEYS[i], now + (i - 1) / 1000000, ARGV[i])
        redis.call('EXPIRE', KEYS[i], expiry)
    else
        over_capacity = over_capacity + 1
    end
end
return over_capacity
"""


class _ReceiveFailed:
    """Put in a waiting consumer's buffer when the receive loop lost Redis: that consumer's receive() raises,
    the socket closes and the client reconnects, joining its groups again (a restarted Redis forgot them)."""

    def __init__(self, error: BaseException):
        self.error = error


class BoundedRedisChannelLayer(RedisChannelLayer):
    def __init__(self, *args, pool_timeout: float = 20.0, **kwargs):
        super().__init__(*args, **kwargs)
        self.pool_timeout = pool_timeout
        # Per event loop and process key: the task receiving for every consumer, and who is waiting on it.
        self._receivers: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
        self._waiting: dict[str, set[str]] = {}

    def create_pool(self, index):
        host = dict(self.hosts[index])
        if "address" not in host:
            return super().create_pool(index)
        address = host.pop("address")
        return aioredis.BlockingConnectionPool.from_url(address, timeout=self.pool_timeout, **host)

    # ------------------------------------------------------------------ receiving

    async def receive(self, channel):
        if "!" not in channel:
            return await super().receive(channel)
        assert self.require_valid_channel_name(channel)
        real_channel = self.non_local_name(channel)
        waiting = self._waiting.setdefault(real_channel, set())
        waiting.add(channel)
        try:
            self._receiver_ensure(real_channel)
            buffer = self.receive_buffer[channel]
            message = await buffer.get()
        except asyncio.CancelledError:
            self.receive_buffer.pop(channel, None)  # the consumer is gone, and its undelivered events with it
            raise
        finally:
            waiting.discard(channel)
        if buffer.empty():
            self.receive_buffer.pop(channel, None)
        if isinstance(message, _ReceiveFailed):
            raise message.error
        return message

    def _receiver_ensure(self, real_channel: str) -> None:
        loop = asyncio.get_running_loop()
        tasks = self._receivers.setdefault(loop, {})
        task = tasks.get(real_channel)
        if task is None or task.done():
            tasks[real_channel] = loop.create_task(self._receive_loop(real_channel))

    async def _receive_loop(self, real_channel: str) -> None:
        """Pops this process's events, a batch per round trip, until nobody has waited for a whole block."""
        key = self.prefix + real_channel
        try:
            connection = self.connection(self.consistent_hash(real_channel))
            while True:
                popped = await connection.zpopmin(key, RECEIVE_BATCH)
                if not popped:
                    blocked = await connection.bzpopmin(key, timeout=self.brpop_timeout)
                    if blocked is None:
                        if not self._waiting.get(real_channel):
                            return
                        continue
                    popped = [(blocked[1], blocked[2])]
                for member, _score in popped:
                    self._deliver(member)
        except asyncio.CancelledError:
            raise
        except Exception as error:
            logger.warning("channel layer receive failed: %s", type(error).__name__)
            for channel in list(self._waiting.get(real_channel, ())):
                self.receive_buffer[channel].put_nowait(_ReceiveFailed(error))

    def _deliver(self, member: bytes) -> None:
        message = self.deserialize(member)
        channels = message.pop("__asgi_channel__", None)
        for channel in channels if isinstance(channels, list) else [channels]:
            if channel is not None:
                self.receive_buffer[channel].put_nowait(message)

    # ------------------------------------------------------------------ sending

    async def group_send(self, group, message):
        await self.group_send_many([(group, message)])

    async def group_send_many(self, sends: list[tuple[str, dict]]) -> None:
        """Each (group, event) as group_send would send it, in order, in two round trips for the lot, one when
        every member is a consumer of this process."""
        if self.ring_size != 1:
            for group, message in sends:
                await super().group_send(group, message)
            return
        for group, _ in sends:
            assert self.require_valid_group_name(group), "Group name not valid"
        connection = self.connection(0)
        group_keys = list(dict.fromkeys(self._group_key(group) for group, _ in sends))
        pipe = connection.pipeline(transaction=False)
        for key in group_keys:
            pipe.zremrangebyscore(key, min=0, max=int(time.time()) - self.group_expiry)
            pipe.zrange(key, 0, -1)
        replies = await pipe.execute()
        members = {key: [m.decode("utf8") for m in replies[2 * i + 1]] for i, key in enumerate(group_keys)}

        keys, bodies, capacities = [], [], []
        # Only from the loop this process receives on: the buffers are that loop's (a test or a worker thread
        # sending through async_to_sync runs its own loop, and goes through Redis like any other process).
        receiving_here = any(not task.done() for task in self._receivers.get(asyncio.get_running_loop(), {}).values())
        local_prefix = f"{self.client_prefix}!" if receiving_here else None
        for group, message in sends:
            remote = []
            for channel in members[self._group_key(group)]:
                if local_prefix and "!" in channel and self.non_local_name(channel).endswith(local_prefix):
                    # A consumer of this very process: straight into its buffer, as the receive loop would put
                    # it after a round trip through Redis (the buffer drops its oldest events when full).
                    self.receive_buffer[channel].put_nowait(message)
                else:
                    remote.append(channel)
            if not remote:
                continue
            _, to_body, to_capacity = self._map_channel_keys_to_connection(remote, message)
            for channel_key, body in to_body.items():
                keys.append(channel_key)
                bodies.append(body)
                capacities.append(to_capacity[channel_key])
        if not keys:
            return
        now = time.time()
        pipe = connection.pipeline(transaction=False)
        for key in dict.fromkeys(keys):
            pipe.zremrangebyscore(key, min=0, max=int(now) - int(self.expiry))
        pipe.eval(SEND_MANY, len(keys), *keys, *bodies, *capacities, repr(now), self.expiry)
        over_capacity = (await pipe.execute())[-1]
        if over_capacity:
            logger.info("%s of %s events dropped: channels over capacity", over_capacity, len(keys))
