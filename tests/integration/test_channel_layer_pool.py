"""A burst of sockets joining groups at once: the stock pool fails past its cap, ours waits for a connection."""

import asyncio

import pytest
from channels_redis.core import RedisChannelLayer
from redis.exceptions import MaxConnectionsError

from cxhub.channel_layer import BoundedRedisChannelLayer
from cxhub.settings.base import channel_layers_config


async def burst(layer, sockets: int = 300) -> None:
    channels = [await layer.new_channel() for _ in range(sockets)]
    await asyncio.gather(*(layer.group_add(f"burst.{i % 7}", name) for i, name in enumerate(channels)))


def host(redis_server, cap: int) -> dict:
    return {"address": redis_server["url"], "max_connections": cap}


async def test_the_stock_pool_fails_a_burst_beyond_its_cap(redis_server):
    # Given channels_redis's own pool capped at 10 connections
    layer = RedisChannelLayer(hosts=[host(redis_server, 10)], prefix="pool-stock")

    # When 300 sockets join their groups at once, Then some fail (a handshake would answer 500)
    with pytest.raises(MaxConnectionsError):
        await burst(layer)
    await asyncio.sleep(0.5)  # the rest of the burst finishes with the connections it got
    await layer.flush()


async def test_our_layer_queues_a_burst_beyond_its_cap_and_delivers(redis_server):
    # Given our layer capped at 10 connections
    layer = BoundedRedisChannelLayer(hosts=[host(redis_server, 10)], prefix="pool-ours")

    # When 300 sockets join their groups at once
    await burst(layer)

    # Then all joined, and a group message reaches its members
    member = await layer.new_channel()
    await layer.group_add("burst.0", member)
    await layer.group_send("burst.0", {"type": "hello"})
    assert (await asyncio.wait_for(layer.receive(member), 5))["type"] == "hello"
    await layer.flush()


def test_settings_choose_the_layer_from_the_environment(monkeypatch):
    assert channel_layers_config("redis://x/0")["default"]["BACKEND"] == "cxhub.channel_layer.BoundedRedisChannelLayer"
    monkeypatch.setenv("CHANNEL_LAYER", "pubsub")
    assert channel_layers_config("redis://x/0")["default"]["BACKEND"].endswith("RedisPubSubChannelLayer")
    monkeypatch.setenv("CHANNEL_LAYER", "memcached")
    with pytest.raises(ValueError, match="core or pubsub"):
        channel_layers_config("redis://x/0")
