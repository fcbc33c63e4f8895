"""channels_redis's core layer with a bounded connection pool that waits for a free connection instead of failing.

redis-py 8's asyncio pool raises MaxConnectionsError past its cap (100 by default), and channels_redis builds
that pool itself: a burst of handshakes then fails with HTTP 500. Raising the cap alone opens one Redis
connection per concurrent operation, and a thousand simultaneous connects overflow Redis's accept backlog
(handshakes then time out instead). A blocking pool keeps a few hundred connections and queues the rest for a
few milliseconds. Figures: docs/deploy.md.
"""

from channels_redis.core import RedisChannelLayer
from redis import asyncio as aioredis


class BoundedRedisChannelLayer(RedisChannelLayer):
    def __init__(self, *args, pool_timeout: float = 20.0, **kwargs):
        super().__init__(*args, **kwargs)
        self.pool_timeout = pool_timeout

    def create_pool(self, index):
        host = dict(self.hosts[index])
        if "address" not in host:
            return super().create_pool(index)
        address = host.pop("address")
        return aioredis.BlockingConnectionPool.from_url(address, timeout=self.pool_timeout, **host)
