"""The database work of chat messages, in helper processes beside daphne.

One daphne process holds thousands of sockets, but Python runs one thread at a time in it: at 2,000 sockets and
100 messages a second the load bench found the database thread using two thirds of the process and every frame
queueing behind it (docs/deploy.md). With DATABASE_PROCESSES > 0 the two busiest frames, a visitor's and an
agent's message, are stored and routed in that many forked helper processes instead, on the machine's other
cores, through the standard library's process pool. A conversation always goes to the same helper, so its
messages are stored and announced in the order they came.

What a helper would have announced on the channel layer (broadcast) comes back with its answer and goes out
from daphne's loop, through the same outbox as every other change. A helper that dies takes no acknowledged
message with it: the socket closes as if the server restarted, the client reconnects and sends what was not
acknowledged again (the same client_id is stored once), and the pool starts afresh.
"""

import asyncio
import logging
import multiprocessing
import os
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from django.conf import settings
from django.db import close_old_connections, connections

from cxhub.conversations import broadcast

logger = logging.getLogger(__name__)

_pools: list[ProcessPoolExecutor | None] = []
_inherited: list = []


class HelperLost(Exception):
    """The helper process died during the call: whether it stored anything is unknown, so nothing was
    acknowledged and the client must send it again."""


def enabled() -> bool:
    return settings.DATABASE_PROCESSES > 0


def _helper_start() -> None:
    # A forked helper shares its parent's database connections' sockets: it must never use or close them
    # (closing a PostgreSQL connection here would end the parent's session), so they are only forgotten.
    for connection in connections.all(initialized_only=True):
        if connection.connection is not None:
            _inherited.append(connection.connection)
            connection.connection = None
    # Killed daphne (kill -9) leaves no one to ask for work: the helper follows it.
    parent = os.getppid()
    threading.Thread(target=_parent_watch, args=(parent,), daemon=True, name="parent-watch").start()


def _parent_watch(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(1)
    os._exit(0)


def _helper_run(func, args: tuple, kwargs: dict):
    """(result, error, sends): what was committed before an error is still announced, as on the thread."""
    close_old_connections()
    try:
        with broadcast.sends_kept() as sends:
            try:
                return func(*args, **kwargs), None, sends
            except Exception as error:
                return None, error, sends
    finally:
        close_old_connections()


def _pool(index: int) -> ProcessPoolExecutor:
    while len(_pools) < settings.DATABASE_PROCESSES:
        _pools.append(None)
    pool = _pools[index]
    if pool is None:
        pool = _pools[index] = ProcessPoolExecutor(
            max_workers=1, mp_context=multiprocessing.get_context("fork"), initializer=_helper_start
        )
    return pool


def start() -> None:
    """Fork the helpers now, while the process is small and has no other threads (daphne calls it on import)."""
    if not enabled():
        return
    for index in range(settings.DATABASE_PROCESSES):
        _pool(index).submit(os.getpid).result()


def stop() -> None:
    for index, pool in enumerate(_pools):
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)
            _pools[index] = None


async def call(key: int, func, *args, **kwargs):
    """func(*args, **kwargs) in the helper for `key` (a conversation id); func and its arguments must pickle.
    Raises HelperLost when the helper died."""
    index = key % settings.DATABASE_PROCESSES
    pool = _pool(index)
    try:
        result, error, sends = await asyncio.get_running_loop().run_in_executor(pool, _helper_run, func, args, kwargs)
    except BrokenProcessPool:
        if _pools[index] is pool:
            _pools[index] = None
        pool.shutdown(wait=False)
        logger.warning("database helper %s stopped; starting another", index)
        raise HelperLost from None
    broadcast.sends_publish(sends)
    if error is not None:
        raise error
    return result
