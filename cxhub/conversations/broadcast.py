"""The one door from the domain to websockets: group names and after-commit sends."""

import asyncio
import contextlib
import logging
import os
import threading
import weakref

from asgiref.sync import SyncToAsync, async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

logger = logging.getLogger(__name__)

STAFF_INBOX_GROUP = "staff.inbox"
STAFF_SUPERVISORS_GROUP = "staff.supervisors"


def widget_group(conversation_id: int) -> str:
    return f"widget.conversation.{conversation_id}"


def staff_conversation_group(conversation_id: int) -> str:
    return f"staff.conversation.{conversation_id}"


def staff_agent_group(agent_id: int) -> str:
    return f"staff.agent.{agent_id}"


def inbox_activity_groups(inbox_row: dict) -> list[str]:
    """Who hears of a new message through their inbox. In a conversation a person holds, only that person and
    the supervisors: sending every message's row to every console made the staff side cost grow with the
    square of the number of agents (docs/deploy.md). Queue and AI conversations, which anyone may pick up or
    barge into, still go to every console; changes of owner or status always do (conversation_changed)."""
    if inbox_row.get("owner") == "agent" and inbox_row.get("agent_id"):
        return [staff_agent_group(inbox_row["agent_id"]), STAFF_SUPERVISORS_GROUP]
    return [STAFF_INBOX_GROUP]


def _consumer_event_loop() -> asyncio.AbstractEventLoop | None:
    """The event loop of the daphne process this thread serves a consumer for, if it does (asgiref records it
    on the threads that run sync code for async callers). None in Celery workers and plain sync code."""
    if getattr(SyncToAsync.threadlocal, "main_event_loop_pid", None) != os.getpid():
        return None
    loop = getattr(SyncToAsync.threadlocal, "main_event_loop", None)
    return loop if loop is not None and loop.is_running() else None


# Per event loop, the sends waiting to go out in the order they were made, and the task sending them.
_outboxes: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, tuple[asyncio.Queue, asyncio.Task]]" = (
    weakref.WeakKeyDictionary()
)
OUTBOX_BATCH = 200


def _outbox_put(layer, sends: list[tuple[str, dict]]) -> None:
    """Runs on the loop: queue the sends, and start the task that drains the queue unless it is running."""
    loop = asyncio.get_running_loop()
    outbox, drain = _outboxes.get(loop, (None, None))
    if outbox is None:
        outbox = asyncio.Queue()
    if drain is None or drain.done():
        drain = loop.create_task(_outbox_drain(outbox))
        _outboxes[loop] = (outbox, drain)
    for group, event in sends:
        outbox.put_nowait((layer, group, event))


async def _outbox_drain(outbox: asyncio.Queue) -> None:
    # One sender at a time keeps each group's events in the order they were committed; what queued up while it
    # sent goes out together in the next batch. It stops when the queue is empty (the next send starts another),
    # so no idle task outlives the loop's work.
    while not outbox.empty():
        batch = []
        while not outbox.empty() and len(batch) < OUTBOX_BATCH:
            batch.append(outbox.get_nowait())
        try:
            await _layer_send(batch[0][0], [(group, event) for _, group, event in batch])
        except Exception:
            # The change is committed: clients that miss the event catch up by seq when they resume.
            logger.exception("broadcast of %s events failed", len(batch))


async def _layer_send(layer, sends: list[tuple[str, dict]]) -> None:
    send_many = getattr(layer, "group_send_many", None)  # cxhub.channel_layer's; the pubsub layer has none
    if send_many is not None:
        await send_many(sends)
        return
    for group, event in sends:
        await layer.group_send(group, event)


_kept = threading.local()


@contextlib.contextmanager
def sends_kept():
    """Inside it, sends are kept in the yielded list instead of going out: a database helper process
    (channels_app/database_processes.py) hands them back to daphne, which sends them with sends_publish."""
    _kept.sends = kept = []
    try:
        yield kept
    finally:
        _kept.sends = None


def sends_publish(sends: list[tuple[str, dict]]) -> None:
    """On a consumer's event loop: what a helper kept, through the outbox like any other change."""
    if sends:
        _outbox_put(get_channel_layer(), sends)


def _send(*sends: tuple[str, dict]) -> None:
    """Each (group, event), in order."""
    kept = getattr(_kept, "sends", None)
    if kept is not None:
        kept.extend(sends)
        return
    layer = get_channel_layer()
    if layer is None:
        return
    loop = _consumer_event_loop()
    if loop is None:
        async_to_sync(_layer_send)(layer, list(sends))
        return
    # Inside a consumer's database call, waiting for Redis here would hold the one thread every consumer of
    # the process shares for its database work: the load bench's acks then fell to ~25 messages/s at 1,000
    # conversations. The loop sends it, in order, once this call returns.
    loop.call_soon_threadsafe(_outbox_put, layer, list(sends))


def _after_commit(send) -> None:
    # Nobody hears of a change that was rolled back.
    transaction.on_commit(send)


def message_published(*, conversation_id: int, message: dict, staff_message: dict, inbox_row: dict) -> None:
    def send() -> None:
        event = {"type": "conversation.message", "conversation_id": conversation_id}
        _send(
            (widget_group(conversation_id), {**event, "message": message}),
            (staff_conversation_group(conversation_id), {**event, "message": staff_message}),
            *[
                # `activity`: every console's hub may gather it with others (channels_app/inbox_hub.py).
                (
                    group,
                    {"type": "inbox.conversation", "conversation": inbox_row, "activity": group == STAFF_INBOX_GROUP},
                )
                for group in inbox_activity_groups(inbox_row)
            ],
        )

    _after_commit(send)


def conversation_changed(
    *, conversation_id: int, visitor_state: dict, staff_state: dict, inbox_row: dict, activity: bool = False
) -> None:
    def send() -> None:
        event = {"type": "conversation.state", "conversation_id": conversation_id}
        _send(
            (widget_group(conversation_id), {**event, "state": visitor_state}),
            (staff_conversation_group(conversation_id), {**event, "state": staff_state}),
            (STAFF_INBOX_GROUP, {"type": "inbox.conversation", "conversation": inbox_row, "activity": activity}),
        )

    _after_commit(send)


def presence_changed(*, agent_row: dict) -> None:
    """An agent went online, away or offline, or changed capacity: every console's agent list follows."""

    def send() -> None:
        _send((STAFF_INBOX_GROUP, {"type": "agent.presence", "agent": agent_row}))

    _after_commit(send)


async def typing_send(*, conversation_id: int, author_kind: str, name: str, active: bool) -> None:
    """Typing is ephemeral: sent at once from the consumer, never stored."""
    layer = get_channel_layer()
    event = {
        "type": "conversation.typing",
        "conversation_id": conversation_id,
        "author_kind": author_kind,
        "name": name,
        "active": bool(active),
    }
    group = staff_conversation_group(conversation_id) if author_kind == "customer" else widget_group(conversation_id)
    await layer.group_send(group, event)


def ai_typing(*, conversation_id: int) -> None:
    """The visitor sees "AI assistant is typing…" as soon as their message is stored, while the AI task is
    queued; the reply (or any notice) clears it."""

    def send() -> None:
        event = {"type": "conversation.typing", "conversation_id": conversation_id, "author_kind": "ai"}
        _send((widget_group(conversation_id), {**event, "name": "", "active": True}))

    _after_commit(send)


def draft_changed(*, conversation_id: int, draft: dict) -> None:
    """An AI draft waits for review, or was reviewed or expired. Every staff socket is in the inbox group, so
    it goes there once (sending it to the conversation's group too would deliver it twice to whoever has the
    conversation open)."""

    def send() -> None:
        _send((STAFF_INBOX_GROUP, {"type": "conversation.draft", "conversation_id": conversation_id, "draft": draft}))

    _after_commit(send)


def note_added(*, conversation_id: int, note: dict) -> None:
    """A private note goes to the staff with the conversation open, never to the visitor's group."""

    def send() -> None:
        _send(
            (
                staff_conversation_group(conversation_id),
                {"type": "conversation.note", "conversation_id": conversation_id, "note": note},
            )
        )

    _after_commit(send)
