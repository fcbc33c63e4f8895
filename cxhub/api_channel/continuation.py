"""What every channel shares: a conversation moving to another channel, and replies going out on it.

The conversation's `channel` is where replies go now; where it started stays in `conversation_started`,
and every move is a `channel_continued` event."""

from django.conf import settings
from django.db import transaction

from cxhub.conversations.models import Conversation, ConversationEvent, Message
from cxhub.conversations.services import event_record


def channel_retry_delay(attempt: int) -> float:
    """Backoff after the n-th failed send of an email or a text: base x 2^(n-1), capped."""
    base = settings.CHANNEL_RETRY_BASE_SECONDS
    return min(settings.CHANNEL_RETRY_MAX_SECONDS, base * 2 ** (attempt - 1))


def conversation_channel_continue(
    *, conversation: Conversation, channel: str, actor_kind: str, address: str = ""
) -> bool:
    """The conversation goes on over `channel` (replies are sent there from now on). Caller holds the
    conversation row lock. Returns False when it already was on that channel."""
    if conversation.channel == channel:
        return False
    previous = conversation.channel
    conversation.channel = channel
    conversation.save(update_fields=["channel", "updated_at"])
    event_record(
        conversation=conversation,
        kind=ConversationEvent.Kind.CHANNEL_CONTINUED,
        actor_kind=actor_kind,
        data={"from": previous, "to": channel, "address": address},
    )
    return True


def message_outbound_queue(*, conversation: Conversation, message: Message) -> None:
    """Called by `message_record` for a reply on a channel we send on; caller holds the row lock. The outbound
    row is written in the same transaction as the message (nothing is lost if the process dies at commit), and
    its task is enqueued once that commits."""
    if conversation.channel == Conversation.Channel.EMAIL:
        from cxhub.mail.services import email_reply_queue

        email_reply_queue(conversation=conversation, message=message)
    elif conversation.channel in (Conversation.Channel.SMS, Conversation.Channel.WHATSAPP):
        from cxhub.sms.services import text_reply_queue

        text_reply_queue(conversation=conversation, message=message)


def on_commit_robust(callback) -> None:
    # A broker outage must not fail the message that was just stored; the row stays pending and can be resent.
    transaction.on_commit(callback, robust=True)
