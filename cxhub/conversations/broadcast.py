"""The one door from the domain to websockets: group names and after-commit sends."""

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

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


def _send(group: str, event: dict) -> None:
    layer = get_channel_layer()
    if layer is not None:
        async_to_sync(layer.group_send)(group, event)


def _after_commit(send) -> None:
    # Nobody hears of a change that was rolled back.
    transaction.on_commit(send)


def message_published(*, conversation_id: int, message: dict, staff_message: dict, inbox_row: dict) -> None:
    def send() -> None:
        event = {"type": "conversation.message", "conversation_id": conversation_id}
        _send(widget_group(conversation_id), {**event, "message": message})
        _send(staff_conversation_group(conversation_id), {**event, "message": staff_message})
        for group in inbox_activity_groups(inbox_row):
            _send(group, {"type": "inbox.conversation", "conversation": inbox_row})

    _after_commit(send)


def conversation_changed(*, conversation_id: int, visitor_state: dict, staff_state: dict, inbox_row: dict) -> None:
    def send() -> None:
        event = {"type": "conversation.state", "conversation_id": conversation_id}
        _send(widget_group(conversation_id), {**event, "state": visitor_state})
        _send(staff_conversation_group(conversation_id), {**event, "state": staff_state})
        _send(STAFF_INBOX_GROUP, {"type": "inbox.conversation", "conversation": inbox_row})

    _after_commit(send)


def presence_changed(*, agent_row: dict) -> None:
    """An agent went online, away or offline, or changed capacity: every console's agent list follows."""

    def send() -> None:
        _send(STAFF_INBOX_GROUP, {"type": "agent.presence", "agent": agent_row})

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
        _send(widget_group(conversation_id), {**event, "name": "", "active": True})

    _after_commit(send)


def draft_changed(*, conversation_id: int, draft: dict) -> None:
    """An AI draft waits for review, or was reviewed or expired. Every staff socket is in the inbox group, so
    it goes there once (sending it to the conversation's group too would deliver it twice to whoever has the
    conversation open)."""

    def send() -> None:
        _send(STAFF_INBOX_GROUP, {"type": "conversation.draft", "conversation_id": conversation_id, "draft": draft})

    _after_commit(send)


def note_added(*, conversation_id: int, note: dict) -> None:
    """A private note goes to the staff with the conversation open, never to the visitor's group."""

    def send() -> None:
        _send(
            staff_conversation_group(conversation_id),
            {"type": "conversation.note", "conversation_id": conversation_id, "note": note},
        )

    _after_commit(send)
