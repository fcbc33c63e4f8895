"""The SMS and WhatsApp channel: a validated Twilio-compatible webhook turns texts into customer messages (or
commands choosing a person or the AI), and replies go out through the provider's REST API."""

import logging
import re
from dataclasses import dataclass
from datetime import timedelta

import httpx
from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from cxhub.api_channel.continuation import channel_retry_delay, conversation_channel_continue, on_commit_robust
from cxhub.conversations.models import AutonomyLevel, Conversation, ConversationEvent, Message
from cxhub.conversations.services import (
    conversation_get_or_start,
    conversation_lock,
    customer_message_record,
    event_record,
    message_text_clean,
)
from cxhub.folding import fold

from . import texts
from .models import SmsNumber, TextMessage

logger = logging.getLogger(__name__)

ATTEMPT_LEASE_SECONDS = 120
# Twilio refuses bodies over 1,600 characters.
BODY_MAX_CHARS = 1600
WHATSAPP_PREFIX = "whatsapp:"
PHONE = re.compile(r"^\+[1-9]\d{6,14}$")

# A text that is only one of these words chooses who answers (folded: case and accents do not matter).
PERSON_COMMANDS = {"human", "agent", "conseiller", "humain", "person", "personne"}
AI_COMMANDS = {"bot", "ai", "ia", "robot"}


class TextRefused(Exception):
    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass
class InboundText:
    sid: str
    sender: str
    recipient: str
    body: str

    @property
    def channel(self) -> str:
        whatsapp = self.sender.startswith(WHATSAPP_PREFIX)
        return Conversation.Channel.WHATSAPP if whatsapp else Conversation.Channel.SMS

    @property
    def phone(self) -> str:
        return self.sender.removeprefix(WHATSAPP_PREFIX)


def inbound_text_parse(params: dict[str, str]) -> InboundText:
    inbound = InboundText(
        sid=(params.get("MessageSid") or params.get("SmsSid") or "").strip(),
        sender=(params.get("From") or "").strip(),
        recipient=(params.get("To") or "").strip(),
        body=params.get("Body") or "",
    )
    if not inbound.sid or len(inbound.sid) > 59:  # it becomes the client_id text:<sid>, at most 64
        raise TextRefused("sid_missing", "MessageSid is missing.")
    if not PHONE.match(inbound.phone):
        raise TextRefused("sender_invalid", "From must be an E.164 number, or whatsapp: and one.")
    return inbound


def text_command(body: str) -> str | None:
    """ "person" or "ai" when the whole text is a command word ("HUMAN", "Conseiller !", "bot")."""
    word = re.sub(r"[^\w]", "", fold(body))
    if word in PERSON_COMMANDS:
        return "person"
    if word in AI_COMMANDS:
        return "ai"
    return None


def text_receive(*, inbound: InboundText) -> tuple[TextMessage, bool]:
    """Store a text whose signature was checked: its sender is a verified phone number, so they are the same
    customer on every channel. A command chooses a person or the AI; anything else is routed like a widget
    message. The same MessageSid twice is stored once."""
    existing = TextMessage.objects.filter(provider_sid=inbound.sid).first()
    if existing is not None:
        return existing, False
    number = SmsNumber.objects.select_related("site").filter(number=inbound.recipient).first()
    if number is None:
        raise TextRefused("recipient_unknown", "No site receives texts at this number.")
    command = text_command(inbound.body)
    try:
        record = _text_store(inbound=inbound, site=number.site, command=command)
    except IntegrityError:
        # The same text delivered twice at the same moment: the other delivery stored it.
        existing = TextMessage.objects.filter(provider_sid=inbound.sid).first()
        if existing is None:
            raise
        return existing, False
    logger.info("text received conversation=%s channel=%s command=%s", record.conversation_id, inbound.channel, command)
    return record, True


@transaction.atomic
def _text_store(*, inbound: InboundText, site, command: str | None) -> TextMessage:
    from cxhub.conversations.merging import customer_for_verified_contact
    from routing.services import autonomy_set, customer_message_handle, handoff_request

    customer = customer_for_verified_contact(site=site, phone=inbound.phone, defaults={"locale": site.default_locale})
    conversation = conversation_get_or_start(customer=customer, channel=inbound.channel)
    conversation = conversation_lock(conversation.pk)
    conversation_channel_continue(
        conversation=conversation,
        channel=inbound.channel,
        actor_kind=ConversationEvent.ActorKind.CUSTOMER,
        address=inbound.sender,
    )
    record = TextMessage.objects.create(
        conversation=conversation,
        direction=TextMessage.Direction.INBOUND,
        status=TextMessage.Status.RECEIVED,
        channel=inbound.channel,
        provider_sid=inbound.sid,
        customer_address=inbound.sender,
        our_address=inbound.recipient,
    )
    client_id = f"text:{inbound.sid}"
    if command is None:
        message, _ = customer_message_handle(conversation_id=conversation.pk, text=inbound.body, client_id=client_id)
    else:
        before = conversation.last_seq
        message, _ = customer_message_record(
            conversation_id=conversation.pk, text=message_text_clean(inbound.body), client_id=client_id
        )
        event_record(
            conversation=conversation,
            kind=ConversationEvent.Kind.CHANNEL_COMMAND,
            actor_kind=ConversationEvent.ActorKind.CUSTOMER,
            data={"command": fold(inbound.body).strip()[:20], "action": command, "channel": inbound.channel},
        )
        if command == "person":
            handoff_request(
                conversation_id=conversation.pk,
                reason=f"customer texted “{inbound.body.strip()[:20]}”",
                signal_names=["explicit_request"],
            )
        else:
            autonomy_set(conversation_id=conversation.pk, level=AutonomyLevel.AI_ONLY)
        _notices_queue(conversation_id=conversation.pk, after_seq=before)
    record.message = message
    record.save(update_fields=["message"])
    return record


def _notices_queue(*, conversation_id: int, after_seq: int) -> None:
    """What a command changed, told back by text ("You are number 1 in the queue"): the widget shows these
    notices on screen; a texting customer only sees what we send."""
    conversation = conversation_lock(conversation_id)
    notices = conversation.messages.filter(seq__gt=after_seq, author_kind=Message.AuthorKind.SYSTEM)
    for notice in notices:
        text_reply_queue(conversation=conversation, message=notice)


def _route(conversation: Conversation) -> tuple[str, str] | None:
    """(customer's address, our address) from the last text they sent, else their verified phone."""
    last = conversation.text_messages.filter(direction=TextMessage.Direction.INBOUND).order_by("-id").first()
    if last is not None and last.channel == conversation.channel:
        return last.customer_address, last.our_address
    phone = conversation.customer.phone
    prefix = WHATSAPP_PREFIX if conversation.channel == Conversation.Channel.WHATSAPP else ""
    ours = SmsNumber.objects.filter(site=conversation.site, number__startswith=prefix or "+").order_by("id").first()
    if not phone or ours is None:
        return None
    return prefix + phone, ours.number


def text_reply_queue(*, conversation: Conversation, message: Message) -> TextMessage | None:
    """Queue the text of a reply on an SMS / WhatsApp conversation. Caller holds the row lock; the task is
    enqueued after commit, and the row makes it one text per message."""
    route = _route(conversation)
    if route is None:
        event_record(
            conversation=conversation,
            kind=ConversationEvent.Kind.POST_WORK_FAILED,
            actor_kind=ConversationEvent.ActorKind.SYSTEM,
            data={"work": "text_send", "message_id": message.pk, "error": "no number to text the customer at"},
        )
        return None
    record, created = TextMessage.objects.get_or_create(
        message=message,
        defaults={
            "conversation": conversation,
            "direction": TextMessage.Direction.OUTBOUND,
            "status": TextMessage.Status.PENDING,
            "channel": conversation.channel,
            "customer_address": route[0],
            "our_address": route[1],
        },
    )
    if created:
        from .tasks import text_send

        on_commit_robust(lambda: text_send.delay(record.pk))
    return record


def text_body(message: Message) -> str:
    """The reply; an AI reply ends with the disclosure and how to reach a person."""
    suffix = {
        Message.Provenance.AI: "ai_suffix",
        Message.Provenance.AI_APPROVED: "ai_approved_suffix",
    }.get(message.provenance)
    body = message.text
    if suffix:
        body = f"{body}\n{texts.text(suffix, message.conversation.locale)}"
    return body if len(body) <= BODY_MAX_CHARS else body[: BODY_MAX_CHARS - 1] + "…"


def twilio_post(*, to: str, sender: str, body: str) -> tuple[str, str, bool]:
    """POST one message to the Twilio-compatible REST API: (sid, error, retryable)."""
    url = f"{settings.TWILIO_API_BASE.rstrip('/')}/2010-04-01/Accounts/{settings.TWILIO_ACCOUNT_SID}/Messages.json"
    try:
        response = httpx.post(
            url,
            data={"To": to, "From": sender, "Body": body},
            auth=(settings.TWILIO_ACCOUNT_SID, settings.TWILIO_AUTH_TOKEN),
            timeout=settings.TWILIO_TIMEOUT_SECONDS,
        )
    except httpx.HTTPError as error:
        return "", f"{type(error).__name__}: {error}", True
    if 200 <= response.status_code < 300:
        try:
            return str(response.json().get("sid", "")), "", False
        except ValueError:
            return "", "", False
    retryable = response.status_code >= 500 or response.status_code in (408, 429)
    return "", f"HTTP {response.status_code}: {response.text[:200]}", retryable


def text_send_attempt(*, text_id: int) -> float | None:
    """Send one queued text if it is due; seconds until the next try, or None when done. Claimed with a
    compare-and-set on the row; the HTTP call happens outside any transaction."""
    record = TextMessage.objects.select_related("message__conversation").filter(pk=text_id).first()
    done = (TextMessage.Status.SENT, TextMessage.Status.DEAD)
    if record is None or record.direction != TextMessage.Direction.OUTBOUND or record.status in done:
        return None
    now = timezone.now()
    if record.next_attempt_at is not None and record.next_attempt_at > now:
        return (record.next_attempt_at - now).total_seconds()
    attempt = record.attempts + 1
    claimed = TextMessage.objects.filter(
        pk=record.pk, status=record.status, attempts=record.attempts, next_attempt_at=record.next_attempt_at
    ).update(
        status=TextMessage.Status.SENDING,
        attempts=attempt,
        next_attempt_at=now + timedelta(seconds=ATTEMPT_LEASE_SECONDS),
    )
    if not claimed or record.message is None:
        return None
    sid, error, retryable = twilio_post(
        to=record.customer_address, sender=record.our_address, body=text_body(record.message)
    )
    if not error:
        TextMessage.objects.filter(pk=record.pk, attempts=attempt).update(
            status=TextMessage.Status.SENT, provider_sid=sid or None, sent_at=timezone.now(), next_attempt_at=None
        )
        return None
    logger.warning("text %s attempt %s failed: %s", record.pk, attempt, error[:200])
    if retryable and attempt < settings.CHANNEL_SEND_MAX_ATTEMPTS:
        retry_in = channel_retry_delay(attempt)
        TextMessage.objects.filter(pk=record.pk, attempts=attempt).update(
            status=TextMessage.Status.FAILED, last_error=error[:500], next_attempt_at=now + timedelta(seconds=retry_in)
        )
        return retry_in
    with transaction.atomic():
        TextMessage.objects.filter(pk=record.pk, attempts=attempt).update(
            status=TextMessage.Status.DEAD, last_error=error[:500], next_attempt_at=None
        )
        conversation = conversation_lock(record.conversation_id)
        event_record(
            conversation=conversation,
            kind=ConversationEvent.Kind.POST_WORK_FAILED,
            actor_kind=ConversationEvent.ActorKind.SYSTEM,
            data={"work": "text_send", "text_id": record.pk, "attempts": attempt, "error": error[:300]},
        )
    return None


@transaction.atomic
def text_resend(*, text_id: int) -> bool:
    record = TextMessage.objects.select_for_update().filter(pk=text_id, status=TextMessage.Status.DEAD).first()
    if record is None:
        return False
    record.status, record.attempts, record.next_attempt_at = TextMessage.Status.PENDING, 0, None
    record.save(update_fields=["status", "attempts", "next_attempt_at"])
    from .tasks import text_send

    on_commit_robust(lambda: text_send.delay(record.pk))
    return True
