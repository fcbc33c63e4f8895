"""Writes to conversations. Every change of owner, level or transcript locks the conversation row."""

import hmac
from datetime import timedelta
from hashlib import sha256

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.core.validators import EmailValidator
from django.db import transaction
from django.utils import timezone

from cxhub.database.prepared import PreparedQuery

from . import broadcast, selectors, texts
from .models import AutonomyLevel, Conversation, ConversationEvent, Customer, Message, Note, SatisfactionRating, Site


class ConversationError(Exception):
    """A refused request, with a stable code for clients and a sentence for people."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message

    def __reduce__(self):  # raised in a database helper process, re-raised in daphne (channels_app/database_processes)
        return type(self), (self.code, self.message)


AI_SPEAKING_LEVELS = {AutonomyLevel.AI_ONLY}


def ai_may_speak(conversation: Conversation) -> bool:
    """The AI speaks only in an open conversation it owns, at a level where it answers on its own."""
    return (
        conversation.status == Conversation.Status.OPEN
        and conversation.owner == Conversation.Owner.AI
        and conversation.autonomy_level in AI_SPEAKING_LEVELS
    )


def ai_may_draft(conversation: Conversation) -> bool:
    """At `ai_with_approval` the AI only drafts: a person approves, edits or rejects before the customer sees it."""
    return (
        conversation.status == Conversation.Status.OPEN
        and conversation.owner == Conversation.Owner.AI
        and conversation.autonomy_level == AutonomyLevel.AI_WITH_APPROVAL
    )


# of=self: PostgreSQL refuses FOR UPDATE on the nullable side of the outer join to `agent`. Not the site: this
# runs for every message, and only rarer paths read it (one query then). Prepared: its SQL is built once.
_conversation_locked = PreparedQuery(
    lambda pk: Conversation.objects.select_for_update(of=("self",)).select_related("customer", "agent").filter(pk=pk),
    pk=int,
)


def conversation_lock(conversation_id: int) -> Conversation:
    """Caller must be inside transaction.atomic(); the row stays locked until it commits."""
    found = _conversation_locked(pk=conversation_id)
    if not found:
        raise Conversation.DoesNotExist("Conversation matching query does not exist.")
    return found[0]


# Conversation events outside systems can subscribe to, by the names they know them by (docs/webhooks.md).
WEBHOOK_EVENT_FOR_KIND = {
    ConversationEvent.Kind.CONVERSATION_STARTED: "conversation.created",
    ConversationEvent.Kind.HANDOFF_REQUESTED: "handoff.requested",
    ConversationEvent.Kind.HANDOFF_ACCEPTED: "handoff.accepted",
    ConversationEvent.Kind.HANDOFF_RETURNED: "handoff.returned",
    ConversationEvent.Kind.AUTONOMY_CHANGED: "autonomy.changed",
    ConversationEvent.Kind.CONVERSATION_CLOSED: "conversation.closed",
    ConversationEvent.Kind.SATISFACTION_RATED: "csat.received",
}


def event_record(
    *,
    conversation: Conversation,
    kind: str,
    actor_kind: str,
    agent=None,
    data: dict | None = None,
) -> ConversationEvent:
    event = ConversationEvent.objects.create(
        conversation=conversation, kind=kind, actor_kind=actor_kind, actor_agent=agent, data=data or {}
    )
    if kind in WEBHOOK_EVENT_FOR_KIND:
        _webhook_emit(
            WEBHOOK_EVENT_FOR_KIND[kind], conversation, event.pk, {"actor": _actor(event, agent), **event.data}
        )
    return event


def _actor(event: ConversationEvent, agent) -> dict:
    return {
        "kind": event.actor_kind,
        "agent_id": event.actor_agent_id,
        "agent_name": selectors.agent_display_name(agent),
    }


def _webhook_emit(event: str, conversation: Conversation, source_id: int, data: dict) -> None:
    # Integrations build on conversations, so they are imported when used, not at load.
    from cxhub.integrations.services import webhook_event_emit

    webhook_event_emit(event=event, conversation_id=conversation.pk, source_id=source_id, data=data)


def queue_publish_positions(*, after: Conversation) -> None:
    """Someone left the queue: everyone who waited behind them moves up, and is told so."""
    waiting = (
        Conversation.objects.filter(
            site_id=after.site_id, status=Conversation.Status.OPEN, owner=Conversation.Owner.QUEUE
        )
        .exclude(pk=after.pk)
        .select_related("customer", "agent")
    )
    for conversation in waiting:
        conversation_publish(conversation, activity=True)


def conversation_publish(conversation: Conversation, *, activity: bool = False) -> None:
    """`activity`: nothing an agent acts on changed (owner, status, team…), only what the row shows (a queue
    position, the AI's latest reply): every console's copy may then be gathered with others (inbox_hub.py)."""
    broadcast.conversation_changed(
        conversation_id=conversation.pk,
        visitor_state=selectors.conversation_state_for_visitor(conversation),
        staff_state=selectors.conversation_state_for_staff(conversation),
        inbox_row=selectors.inbox_row(conversation),
        activity=activity,
    )


# Replies on these channels are sent by their apps (email by SMTP, texts by the provider's API), after commit.
REPLY_AUTHORS = {Message.AuthorKind.AI, Message.AuthorKind.HUMAN}
CHANNELS_WE_SEND_ON = {Conversation.Channel.EMAIL, Conversation.Channel.SMS, Conversation.Channel.WHATSAPP}


_message_with_client_id = PreparedQuery(
    lambda conversation_id, client_id: Message.objects.filter(conversation_id=conversation_id, client_id=client_id)[:1],
    conversation_id=int,
    client_id=str,
)


def message_record(
    *,
    conversation: Conversation,
    author_kind: str,
    provenance: str,
    text: str,
    client_id: str | None = None,
    agent=None,
    sources: list | None = None,
) -> tuple[Message, bool]:
    """Store a message with the next seq. Caller holds the conversation row lock.

    The same client_id is stored once: a resend returns the first copy and created=False.
    """
    if client_id is not None:
        existing = _message_with_client_id(conversation_id=conversation.pk, client_id=client_id)
        if existing:
            return existing[0], False
    conversation.last_seq += 1
    message = Message.objects.create(
        conversation=conversation,
        seq=conversation.last_seq,
        client_id=client_id,
        author_kind=author_kind,
        author_agent=agent,
        provenance=provenance,
        text=text,
        sources=sources or [],
    )
    conversation.save(update_fields=["last_seq", "updated_at"])
    if author_kind != Message.AuthorKind.SYSTEM:
        _webhook_emit("message.created", conversation, message.pk, {"message": selectors.message_for_staff(message)})
    if author_kind in REPLY_AUTHORS and conversation.channel in CHANNELS_WE_SEND_ON:
        # Channel apps build on conversations: imported when used. Widget conversations never get here.
        from cxhub.api_channel.continuation import message_outbound_queue

        message_outbound_queue(conversation=conversation, message=message)
    broadcast.message_published(
        conversation_id=conversation.pk,
        message=selectors.message_for_visitor(message),
        staff_message=selectors.message_for_staff(message),
        inbox_row=selectors.inbox_row(conversation, last_text=message.text),
    )
    return message, True


def system_message_record(*, conversation: Conversation, key: str, **values: object) -> Message:
    message, _ = message_record(
        conversation=conversation,
        author_kind=Message.AuthorKind.SYSTEM,
        provenance=Message.Provenance.SYSTEM,
        text=texts.text(key, conversation.locale, **values),
    )
    return message


def disclosure_ensure(*, conversation: Conversation) -> None:
    """Tell the visitor they talk to an AI before the AI's first word. Caller holds the row lock."""
    if conversation.events.filter(kind=ConversationEvent.Kind.DISCLOSURE_SHOWN).exists():
        return
    site = conversation.site
    custom = site.disclosure_fr if texts.pick_locale(conversation.locale) == "fr" else site.disclosure_en
    text = custom.strip() or texts.text("disclosure", conversation.locale)
    message, _ = message_record(
        conversation=conversation,
        author_kind=Message.AuthorKind.SYSTEM,
        provenance=Message.Provenance.SYSTEM,
        text=text,
    )
    event_record(
        conversation=conversation,
        kind=ConversationEvent.Kind.DISCLOSURE_SHOWN,
        actor_kind=ConversationEvent.ActorKind.SYSTEM,
        data={"seq": message.seq, "custom": bool(custom.strip())},
    )


@transaction.atomic
def customer_get_or_create(*, site: Site, public_id: str | None, locale: str) -> Customer:
    if public_id:
        customer = Customer.objects.filter(site=site, public_id=public_id).first()
        if customer is not None:
            from .merging import customer_root  # a merged visitor continues as the customer kept

            return customer_root(customer)
    return Customer.objects.create(site=site, locale=texts.pick_locale(locale))


@transaction.atomic
def conversation_get_or_start(*, customer: Customer, channel: str = Conversation.Channel.WIDGET) -> Conversation:
    """The customer's open conversation, or a new one that opens with the AI disclosure."""
    existing = customer.conversations.filter(status=Conversation.Status.OPEN).order_by("-created_at").first()
    if existing is not None:
        return existing
    conversation = Conversation.objects.create(
        site=customer.site, customer=customer, channel=channel, locale=customer.locale
    )
    conversation = conversation_lock(conversation.pk)
    event_record(
        conversation=conversation,
        kind=ConversationEvent.Kind.CONVERSATION_STARTED,
        actor_kind=ConversationEvent.ActorKind.CUSTOMER,
        data={"channel": channel, "autonomy_level": conversation.autonomy_level},
    )
    if ai_may_speak(conversation):
        disclosure_ensure(conversation=conversation)
    conversation_publish(conversation)
    return conversation


def message_text_clean(text: object) -> str:
    if not isinstance(text, str):
        raise ConversationError("message_invalid", "A message must be text.")
    text = text.strip()
    if not text:
        raise ConversationError("message_empty", "The message is empty.")
    if len(text) > settings.MESSAGE_MAX_CHARS:
        raise ConversationError("message_too_long", f"Messages are limited to {settings.MESSAGE_MAX_CHARS} characters.")
    return text


def client_id_clean(client_id: object) -> str:
    if not isinstance(client_id, str) or not (1 <= len(client_id) <= 64) or client_id.startswith("ai-"):
        raise ConversationError("client_id_invalid", "Each message needs a client_id of 1 to 64 characters.")
    return client_id


@transaction.atomic
def customer_message_record(*, conversation_id: int, text: object, client_id: object) -> tuple[Message, bool]:
    return customer_message_store(conversation=conversation_lock(conversation_id), text=text, client_id=client_id)


def customer_message_store(*, conversation: Conversation, text: object, client_id: object) -> tuple[Message, bool]:
    """customer_message_record for a caller that already holds the conversation's row lock."""
    text = message_text_clean(text)
    client_id = client_id_clean(client_id)
    if conversation.status == Conversation.Status.CLOSED:
        raise ConversationError("conversation_closed", "This conversation is closed. Start a new one.")
    return message_record(
        conversation=conversation,
        author_kind=Message.AuthorKind.CUSTOMER,
        provenance=Message.Provenance.CUSTOMER,
        text=text,
        client_id=client_id,
    )


@transaction.atomic
def conversation_close(*, conversation_id: int, actor_kind: str, agent=None, outcome: str = "") -> Conversation:
    conversation = conversation_lock(conversation_id)
    if conversation.status == Conversation.Status.CLOSED:
        return conversation
    # Checked under the lock: an agent never closes a conversation a colleague holds.
    if agent is not None and conversation.owner == Conversation.Owner.AGENT and conversation.agent_id != agent.pk:
        raise ConversationError("not_owner", "Another agent has this conversation.")
    system_message_record(conversation=conversation, key="closed")
    was_queued = conversation.owner == Conversation.Owner.QUEUE
    conversation.status = Conversation.Status.CLOSED
    conversation.closed_at = timezone.now()
    conversation.queued_at = None
    conversation.outcome = outcome
    conversation.save(update_fields=["status", "closed_at", "queued_at", "outcome", "updated_at"])
    event_record(
        conversation=conversation,
        kind=ConversationEvent.Kind.CONVERSATION_CLOSED,
        actor_kind=actor_kind,
        agent=agent,
        data={"outcome": outcome},
    )
    # The summary, CRM update, follow-up and confirmation email run on the worker once this commits.
    from cxhub.crm.services import post_work_schedule

    post_work_schedule(conversation_id=conversation.pk, trigger="closed")
    conversation_publish(conversation)
    if was_queued:
        queue_publish_positions(after=conversation)
    return conversation


class OriginRefused(Exception):
    pass


def site_origin_allowed(*, site: Site, origin: str | None) -> bool:
    return bool(origin) and origin.rstrip("/") in {o.rstrip("/") for o in site.allowed_origins}


@transaction.atomic
def visitor_session_start(
    *, site_key: str, origin: str | None, customer_public_id: str | None = None, locale: str = "en"
) -> tuple[Customer, Conversation]:
    """A widget opening on an allowed origin gets its customer (new or returning) and open conversation."""
    site = Site.objects.filter(key=site_key).first()
    if site is None:
        raise ConversationError("site_unknown", "Unknown site key.")
    if not site_origin_allowed(site=site, origin=origin):
        raise OriginRefused(origin)
    customer = customer_get_or_create(site=site, public_id=customer_public_id, locale=locale or site.default_locale)
    return customer, conversation_get_or_start(customer=customer)


def email_clean(email: object) -> str:
    if not isinstance(email, str) or len(email.strip()) > 254:
        raise ConversationError("email_invalid", "Please enter a valid email address.")
    email = email.strip()
    try:
        EmailValidator()(email)
    except ValidationError:
        raise ConversationError("email_invalid", "Please enter a valid email address.") from None
    return email


@transaction.atomic
def customer_contact_leave(*, conversation_id: int, email: object) -> Customer:
    """No one can chat now: the customer leaves an email for a person to reply to, and is told where.

    Sending the same address again (a resend after a reconnect) records and says nothing twice."""
    email = email_clean(email)
    conversation = conversation_lock(conversation_id)
    if conversation.status == Conversation.Status.CLOSED:
        raise ConversationError("conversation_closed", "This conversation is closed. Start a new one.")
    customer = conversation.customer
    already = conversation.events.filter(kind=ConversationEvent.Kind.CONTACT_LEFT, data__email=email).exists()
    if customer.email == email and already:
        return customer
    customer.email = email
    customer.save(update_fields=["email"])
    event_record(
        conversation=conversation,
        kind=ConversationEvent.Kind.CONTACT_LEFT,
        actor_kind=ConversationEvent.ActorKind.CUSTOMER,
        data={"email": email, "owner": conversation.owner},
    )
    system_message_record(conversation=conversation, key="reply_by_email", email=email)
    # Replies written while they are away are emailed; their email reply threads back here.
    from cxhub.mail.services import conversation_continue_by_email

    conversation_continue_by_email(conversation=conversation, email=email)
    return customer


def _open_conversation_lock(conversation_id: int) -> Conversation:
    conversation = conversation_lock(conversation_id)
    if conversation.status == Conversation.Status.CLOSED:
        raise ConversationError("conversation_closed", "This conversation is closed. Start a new one.")
    return conversation


def identity_hash(*, secret: str, user_id: str, email: str = "") -> str:
    """What the company's server computes for a signed-in user: hex HMAC-SHA256(site secret, user id), or
    with a verified email HMAC-SHA256(site secret, user id + "\n" + email)."""
    signed = f"{user_id}\n{email}" if email else user_id
    return hmac.new(secret.encode(), signed.encode(), sha256).hexdigest()


@transaction.atomic
def customer_identify(*, conversation_id: int, user_id: object, user_hash: object, email: object = None) -> Customer:
    """A signed-in user, vouched for by the site's server: the customer gets their external id.

    The hash is compared in constant time; a wrong one changes nothing. Customers are not merged by external
    id; when the server also signs the user's email, that email is verified and the customer becomes one with
    any customer already known by it on this site (an email conversation, say)."""
    if not isinstance(user_id, str) or not (1 <= len(user_id) <= 200) or not isinstance(user_hash, str):
        raise ConversationError("identity_invalid", "The identity could not be verified.")
    email = email_clean(email) if email not in (None, "") else ""
    conversation = conversation_lock(conversation_id)
    expected = identity_hash(secret=conversation.site.identity_secret, user_id=user_id, email=email)
    if not hmac.compare_digest(expected, user_hash.strip().lower()):
        raise ConversationError("identity_invalid", "The identity could not be verified.")
    customer = conversation.customer
    if email:
        from .merging import customer_contact_verify

        customer = customer_contact_verify(customer=customer, email=email)
    if customer.is_identified and customer.external_id == user_id:
        return customer
    customer.external_id = user_id
    customer.is_identified = True
    customer.save(update_fields=["external_id", "is_identified"])
    event_record(
        conversation=conversation,
        kind=ConversationEvent.Kind.CUSTOMER_IDENTIFIED,
        actor_kind=ConversationEvent.ActorKind.CUSTOMER,
        data={"external_id": user_id},
    )
    return customer


PRECHAT_MAX_CHARS = {"name": 200, "topic": 200}


def prechat_clean(*, fields: list[str], values: object) -> dict[str, str]:
    """Every field the site asks for is required; others are ignored."""
    if not isinstance(values, dict):
        raise ConversationError("prechat_invalid", "Please fill in the form.")
    cleaned = {}
    for field in fields:
        value = values.get(field)
        if field == "email":
            cleaned["email"] = email_clean(value)
            continue
        if not isinstance(value, str) or not value.strip():
            raise ConversationError(f"{field}_invalid", f"Please enter your {field}.")
        if len(value.strip()) > PRECHAT_MAX_CHARS[field]:
            raise ConversationError(
                f"{field}_too_long", f"The {field} is limited to {PRECHAT_MAX_CHARS[field]} characters."
            )
        cleaned[field] = value.strip()
    return cleaned


def prechat_fields_for(site: Site) -> list[str]:
    from .models import PRECHAT_FIELDS

    asked = site.prechat_fields if isinstance(site.prechat_fields, list) else []
    return [field for field in PRECHAT_FIELDS if field in asked]


@transaction.atomic
def customer_prechat_submit(*, conversation_id: int, values: object) -> Customer:
    """The site's pre-chat form: name and email go on the customer, the topic into the record."""
    conversation = _open_conversation_lock(conversation_id)
    fields = prechat_fields_for(conversation.site)
    if not fields:
        raise ConversationError("prechat_disabled", "This site has no pre-chat form.")
    cleaned = prechat_clean(fields=fields, values=values)
    customer = conversation.customer
    if "name" in cleaned:
        customer.display_name = cleaned["name"]
    if "email" in cleaned:
        customer.email = cleaned["email"]
    customer.save(update_fields=["display_name", "email"])
    event_record(
        conversation=conversation,
        kind=ConversationEvent.Kind.PRECHAT_SUBMITTED,
        actor_kind=ConversationEvent.ActorKind.CUSTOMER,
        data={"fields": sorted(cleaned), "topic": cleaned.get("topic", "")},
    )
    return customer


COMMENT_MAX_CHARS = 1000


@transaction.atomic
def satisfaction_rate(*, conversation_id: int, score: object, comment: object = "") -> SatisfactionRating:
    """One rating per conversation: rating again replaces the score and comment."""
    if not isinstance(score, int) or isinstance(score, bool) or not 1 <= score <= 5:
        raise ConversationError("score_invalid", "Please choose a score from 1 to 5.")
    comment = comment if comment is not None else ""
    if not isinstance(comment, str):
        raise ConversationError("comment_invalid", "The comment must be text.")
    comment = comment.strip()
    if len(comment) > COMMENT_MAX_CHARS:
        raise ConversationError("comment_too_long", f"Comments are limited to {COMMENT_MAX_CHARS} characters.")
    conversation = conversation_lock(conversation_id)
    handled_by = selectors.conversation_handled_by(conversation)
    rating, created = SatisfactionRating.objects.update_or_create(
        conversation=conversation, defaults={"score": score, "comment": comment, "handled_by": handled_by}
    )
    event_record(
        conversation=conversation,
        kind=ConversationEvent.Kind.SATISFACTION_RATED,
        actor_kind=ConversationEvent.ActorKind.CUSTOMER,
        data={"score": score, "handled_by": handled_by, "updated": not created},
    )
    return rating


@transaction.atomic
def transcript_email_request(*, conversation_id: int, email: object = None) -> str:
    """Queue the transcript for the given address, or the one on file; sent after commit by a task."""
    conversation = conversation_lock(conversation_id)
    if email in (None, "") and conversation.customer.email:
        email = conversation.customer.email
    email = email_clean(email)
    event = event_record(
        conversation=conversation,
        kind=ConversationEvent.Kind.TRANSCRIPT_REQUESTED,
        actor_kind=ConversationEvent.ActorKind.CUSTOMER,
        data={"email": email},
    )
    from .tasks import transcript_email_send as task

    task.delay_on_commit(event.pk)
    return email


def transcript_email_send(*, request_event_id: int) -> bool:
    """Send one requested transcript. A redelivered task sends nothing more once it is recorded as sent."""
    request = ConversationEvent.objects.select_related("conversation__site").filter(pk=request_event_id).first()
    if request is None or request.kind != ConversationEvent.Kind.TRANSCRIPT_REQUESTED:
        return False
    conversation = request.conversation
    sent = conversation.events.filter(kind=ConversationEvent.Kind.TRANSCRIPT_SENT, data__request_id=request.pk)
    if sent.exists():
        return False
    send_mail(
        subject=texts.text("transcript_subject", conversation.locale),
        message=selectors.transcript_text(conversation),
        from_email=None,
        recipient_list=[request.data["email"]],
    )
    event_record(
        conversation=conversation,
        kind=ConversationEvent.Kind.TRANSCRIPT_SENT,
        actor_kind=ConversationEvent.ActorKind.SYSTEM,
        data={"request_id": request.pk, "email": request.data["email"]},
    )
    return True


READ_SIDES = {"visitor": "visitor_read_seq", "agent": "agent_read_seq"}


def read_seq_clean(seq: object) -> int:
    if not isinstance(seq, int) or isinstance(seq, bool) or seq < 0:
        raise ConversationError("seq_invalid", "seq must be a whole number of 0 or more.")
    return seq


@transaction.atomic
def read_mark(*, conversation_id: int, side: str, seq: object, agent=None) -> bool:
    """One side has seen the conversation up to `seq`. Read marks only move forward and never past the last
    message; the new state is published only when a mark moved. For the agent side, only the person who holds
    the conversation counts (a colleague or supervisor looking at it reads nothing to the customer)."""
    field = READ_SIDES[side]
    seq = read_seq_clean(seq)
    conversation = conversation_lock(conversation_id)
    if side == "agent" and (
        conversation.owner != Conversation.Owner.AGENT or agent is None or conversation.agent_id != agent.pk
    ):
        return False
    seq = min(seq, conversation.last_seq)
    if seq <= getattr(conversation, field):
        return False
    setattr(conversation, field, seq)
    # No updated_at: reading is not activity, and the inbox keeps its order.
    Conversation.objects.filter(pk=conversation.pk).update(**{field: seq})
    conversation_publish(conversation)
    return True


NOTE_MAX_CHARS = 4000
NOTE_RESEND_WINDOW = timedelta(minutes=2)


@transaction.atomic
def note_add(*, conversation_id: int, author, text: object) -> Note:
    """A private note for staff. Told only to staff consoles; the event keeps the id, never the words."""
    if not isinstance(text, str) or not text.strip() or len(text.strip()) > NOTE_MAX_CHARS:
        raise ConversationError("note_invalid", f"A note must be text of 1 to {NOTE_MAX_CHARS} characters.")
    conversation = conversation_lock(conversation_id)
    # A console resending after a reconnect: the same words from the same person just now are one note.
    resent = (
        conversation.notes.filter(author=author, created_at__gte=timezone.now() - NOTE_RESEND_WINDOW)
        .order_by("-id")
        .first()
    )
    if resent is not None and resent.text == text.strip():
        return resent
    note = Note.objects.create(conversation=conversation, author=author, text=text.strip())
    event_record(
        conversation=conversation,
        kind=ConversationEvent.Kind.NOTE_ADDED,
        actor_kind=ConversationEvent.ActorKind.HUMAN,
        agent=author,
        data={"note_id": note.pk},
    )
    broadcast.note_added(conversation_id=conversation.pk, note=selectors.note_for_staff(note))
    return note


HANDOFF_COMMENT_MAX_CHARS = 1000


@transaction.atomic
def handoff_rate(*, conversation_id: int, agent, score: object, comment: object = "") -> ConversationEvent:
    """An agent rates the handoff card they were given, 1 to 5. Rating again appends: the latest counts."""
    if not isinstance(score, int) or isinstance(score, bool) or not 1 <= score <= 5:
        raise ConversationError("score_invalid", "Please choose a score from 1 to 5.")
    comment = "" if comment is None else comment
    if not isinstance(comment, str) or len(comment.strip()) > HANDOFF_COMMENT_MAX_CHARS:
        raise ConversationError(
            "comment_invalid", f"The comment must be text of at most {HANDOFF_COMMENT_MAX_CHARS} characters."
        )
    conversation = conversation_lock(conversation_id)
    if not conversation.events.filter(kind=ConversationEvent.Kind.HANDOFF_REQUESTED).exists():
        raise ConversationError("nothing_to_rate", "This conversation was never handed to a person.")
    return event_record(
        conversation=conversation,
        kind=ConversationEvent.Kind.HANDOFF_RATED,
        actor_kind=ConversationEvent.ActorKind.HUMAN,
        agent=agent,
        data={"score": score, "comment": comment.strip()},
    )
