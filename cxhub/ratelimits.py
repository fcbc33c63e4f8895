"""Token buckets in Redis, shared by every daphne and web process: floods get `rate_limited` with a wait.

A limit is written "N/S": a bucket of N tokens, refilled at N every S seconds, so a burst of N passes
and a sustained rate of N per S. Redis being down lets traffic through (the chat is down anyway then;
failing closed would add an outage on top of an outage).
"""

import asyncio
import logging
import math
import time
import weakref
from dataclasses import dataclass

import redis
import redis.asyncio as aioredis
from django.conf import settings

logger = logging.getLogger(__name__)

# Atomic over every bucket a request draws from: refill each by elapsed time; if all hold a token, take one
# from each, else take none and say how long until all do (a refused frame does not drain the others).
_TAKE = """
local now = tonumber(ARGV[1])
local wait = 0
local levels = {}
for i, key in ipairs(KEYS) do
  local burst, per_second = tonumber(ARGV[2 * i]), tonumber(ARGV[2 * i + 1])
  local state = redis.call('HMGET', key, 'tokens', 'at')
  local tokens = tonumber(state[1]) or burst
  local at = tonumber(state[2]) or now
  tokens = math.min(burst, tokens + math.max(0, now - at) * per_second)
  levels[i] = tokens
  if tokens < 1 then wait = math.max(wait, (1 - tokens) / per_second) end
end
for i, key in ipairs(KEYS) do
  local burst, per_second = tonumber(ARGV[2 * i]), tonumber(ARGV[2 * i + 1])
  local tokens = levels[i]
  if wait == 0 then tokens = tokens - 1 end
  redis.call('HSET', key, 'tokens', tostring(tokens), 'at', tostring(now))
  redis.call('EXPIRE', key, math.ceil(burst / per_second) + 1)
end
return tostring(wait)
"""


@dataclass(frozen=True)
class Limit:
    burst: int
    per_seconds: float

    @classmethod
    def parse(cls, value: str) -> "Limit":
        count, _, seconds = value.partition("/")
        return cls(burst=max(int(count), 1), per_seconds=max(float(seconds or "1"), 0.001))

    @property
    def per_second(self) -> float:
        return self.burst / self.per_seconds


# (setting name of the limit, scope, subject), e.g. ("RATE_LIMIT_IP", "ip", "203.0.113.9")
Bucket = tuple[str, str, str]


def _script_args(buckets: list[Bucket]) -> list:
    keys = [f"{settings.RATE_LIMIT_KEY_PREFIX}:{scope}:{subject}" for _, scope, subject in buckets]
    args: list = [time.time()]
    for limit_name, _, _ in buckets:
        limit = Limit.parse(getattr(settings, limit_name))
        args += [limit.burst, limit.per_second]
    return [len(keys), *keys, *args]


def _retry_after(wait: str | bytes | None) -> int | None:
    seconds = float(wait or 0)
    return max(1, math.ceil(seconds)) if seconds > 0 else None


_sync_clients: dict[str, redis.Redis] = {}


def rate_take(*buckets: Bucket) -> int | None:
    """Takes a token from each bucket; None if allowed, else the whole seconds to wait before trying again."""
    if not settings.RATE_LIMIT_ENABLED:
        return None
    url = settings.REDIS_URL
    client = _sync_clients.get(url)
    if client is None:
        client = _sync_clients[url] = redis.Redis.from_url(url, socket_timeout=1, socket_connect_timeout=1)
    try:
        return _retry_after(client.eval(_TAKE, *_script_args(list(buckets))))
    except redis.RedisError as error:
        logger.warning("rate limit not checked: %s", type(error).__name__)
        return None


# An async pool belongs to the event loop that made it: one per loop (daphne has one).
_async_clients: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[str, aioredis.Redis]]" = (
    weakref.WeakKeyDictionary()
)


def _async_client(url: str) -> aioredis.Redis:
    clients = _async_clients.setdefault(asyncio.get_running_loop(), {})
    if url not in clients:
        # Blocking pool: a burst waits a moment for a connection instead of failing past a fixed maximum.
        pool = aioredis.BlockingConnectionPool.from_url(
            url, max_connections=64, timeout=1, socket_timeout=1, socket_connect_timeout=1
        )
        clients[url] = aioredis.Redis(connection_pool=pool)
    return clients[url]


async def rate_take_async(*buckets: Bucket) -> int | None:
    """The same, for consumers."""
    if not settings.RATE_LIMIT_ENABLED:
        return None
    try:
        client = _async_client(settings.REDIS_URL)
        return _retry_after(await client.eval(_TAKE, *_script_args(list(buckets))))
    except redis.RedisError as error:
        logger.warning("rate limit not checked: %s", type(error).__name__)
        return None
