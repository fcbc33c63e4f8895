"""The email channel: inbound emails become customer messages on the conversation they thread into, and
replies on email conversations go out by SMTP (Django's email backend) with threading headers."""

import hashlib
import hmac
import logging
import re
import time
from datetime import timedelta
from email.utils import make_msgid

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import IntegrityError, transaction
from django.utils import timezone

from cxhub.api_channel.continuation import channel_retry_delay, conversation_channel_continue, on_commit_robust
from cxhub.conversations import selectors
from cxhub.conversations.models import Conversation, ConversationEvent, Customer, Message, Site
from cxhub.conversations.services import (
    ConversationError,
    conversation_get_or_start,
    conversation_lock,
    event_record,
)

from . import texts
from .models import Email, MailInbox
from .parsing import InboundEmail, InboundEmailInvalid, reply_text

logger = logging.getLogger(__name__)

# Longer than a task may run (CELERY_TASK_TIME_LIMIT): a duplicate task never sends while the first still is.
ATTEMPT_LEASE_SECONDS = 120
HISTORY_REFERENCES = 20


def inbound_secret_valid(candidate: str) -> bool:
    """The inbound webhook's secret, compared in constant time; no secret configured means no endpoint."""
    secret = settings.MAIL_INBOUND_SECRET
    return bool(secret) and hmac.compare_digest(secret.encode(), (candidate or "").encode())


def _thread_email(inbound: InboundEmail) -> Email | None:
    """The email this one answers: In-Reply-To first, then References from the newest."""
    candidates = [ref for ref in [inbound.in_reply_to, *reversed(inbound.references)] if ref]
    if not candidates:
        return None
    found = {email.header_id: email for email in Email.objects.filter(header_id__in=candidates)}
    return next((found[ref] for ref in candidates if ref in found), None)


def _site_for(inbound: InboundEmail) -> Site:
    inbox = MailInbox.objects.select_related("site").filter(address__in=inbound.recipients).first()
    if inbox is None:
        raise InboundEmailInvalid("recipient_unknown", "No site receives email at this address.")
    return inbox.site


def _customer_for(*, site: Site, inbound: InboundEmail, current: Customer | None) -> Customer:
    """Verified senders are one customer across channels (merged with the thread's customer when it is the
    same address); an unverified sender is the thread's customer, or a new customer for a new thread."""
    same_address = current is not None and current.email.lower() in ("", inbound.sender)
    if not inbound.sender_verified:
        if current is not None:
            return current
        return Customer.objects.create(
            site=site, email=inbound.sender, display_name=inbound.sender_name[:200], locale=site.default_locale
        )
    from cxhub.conversations.merging import customer_contact_verify, customer_for_verified_contact

    if current is None:
        return customer_for_verified_contact(
            site=site,
            email=inbound.sender,
            defaults={"display_name": inbound.sender_name[:200], "locale": site.default_locale},
        )
    if not same_address:
        return current  # someone else on the thread (a colleague in copy): linked by the thread, not merged
    # The thread's customer proved this address: verified now, and one with whoever was already known by it.
    return customer_contact_verify(customer=current, email=inbound.sender)


def _message_text(*, inbound: InboundEmail, threaded: bool, locale: str) -> tuple[str, bool]:
    """The words for the conversation: the new part of a reply, the subject and body of a new thread; over
    MESSAGE_MAX_CHARS they are shortened with a notice (the whole email stays on the Email row)."""
    body = reply_text(inbound.text) if threaded else inbound.text.strip()
    if not threaded and inbound.subject:
        body = f"{inbound.subject}\n\n{body}".strip()
    body = body or inbound.subject or "…"
    limit = settings.MESSAGE_MAX_CHARS
    if len(body) <= limit:
        return body, False
    notice = texts.text("truncated", locale)
    return body[: limit - len(notice) - 2].rstrip() + "\n\n" + notice, True


def email_client_id(message_id: str) -> str:
    return "email:" + hashlib.sha256(message_id.encode()).hexdigest()[:40]


def email_receive(*, inbound: InboundEmail) -> tuple[Email, bool]:
    """Store an inbound email as the customer's message on the conversation it threads into (or a new email
    conversation), through the same routing as the widget. The same Message-ID twice is stored once."""
    if inbound.message_id:
        existing = Email.objects.filter(header_id=inbound.message_id).first()
        if existing is not None:
            return existing, False
    message_id = inbound.message_id or make_msgid(idstring="inbound", domain=settings.MAIL_MESSAGE_ID_DOMAIN)
    try:
        email = _email_store(inbound=inbound, message_id=message_id)
    except IntegrityError:
        # The same email delivered twice at the same moment: the other delivery stored it.
        existing = Email.objects.filter(header_id=message_id).first()
        if existing is None:
            raise
        return existing, False
    logger.info(
        "email received conversation=%s email=%s verified=%s truncated=%s",
        email.conversation_id,
        email.pk,
        email.sender_verified,
        email.truncated,
    )
    return email, True


@transaction.atomic
def _email_store(*, inbound: InboundEmail, message_id: str) -> Email:
    from routing.services import customer_message_handle  # routing builds on conversations, as this does

    parent = _thread_email(inbound)
    conversation = parent.conversation if parent is not None else None
    site = conversation.site if conversation is not None else _site_for(inbound)
    current = conversation.customer if conversation is not None else None
    customer = _customer_for(site=site, inbound=inbound, current=current)
    if conversation is None or conversation.status == Conversation.Status.CLOSED:
        conversation = conversation_get_or_start(customer=customer, channel=Conversation.Channel.EMAIL)
    conversation = conversation_lock(conversation.pk)
    conversation_channel_continue(
        conversation=conversation,
        channel=Conversation.Channel.EMAIL,
        actor_kind=ConversationEvent.ActorKind.CUSTOMER,
        address=inbound.sender,
    )
    text, truncated = _message_text(inbound=inbound, threaded=parent is not None, locale=conversation.locale)
    message, _ = customer_message_handle(
        conversation_id=conversation.pk, text=text, client_id=email_client_id(message_id)
    )
    return Email.objects.create(
        conversation=conversation,
        message=message,
        header_id=message_id,
        direction=Email.Direction.INBOUND,
        status=Email.Status.RECEIVED,
        address=inbound.sender,
        subject=inbound.subject,
        in_reply_to=inbound.in_reply_to,
        references=" ".join(inbound.references),
        body=inbound.text[: settings.MAIL_INBOUND_MAX_CHARS],
        truncated=truncated,
        sender_verified=inbound.sender_verified,
    )


RE_PREFIX = re.compile(r"^\s*((re|fwd?|tr)\s*:\s*)+", re.IGNORECASE)


def _thread_headers(conversation: Conversation) -> tuple[str, str, str]:
    """Subject, In-Reply-To and References for the next email we send on this conversation."""
    emails = list(conversation.emails.order_by("-id").values("header_id", "direction", "subject")[:HISTORY_REFERENCES])
    subject = next((e["subject"] for e in emails if e["subject"]), "")
    if subject:
        subject = "Re: " + RE_PREFIX.sub("", subject)
    else:
        subject = texts.text("subject_continued", conversation.locale, site=conversation.site.name)
    inbound = next((e["header_id"] for e in emails if e["direction"] == Email.Direction.INBOUND), "")
    in_reply_to = inbound or (emails[0]["header_id"] if emails else "")
    references = " ".join(e["header_id"] for e in reversed(emails))
    return subject[:300], in_reply_to, references


def email_reply_queue(*, conversation: Conversation, message: Message) -> Email | None:
    """Queue the email of a reply on an email conversation. Caller holds the row lock (inside message_record);
    the task is enqueued after commit, and the Email row makes it one email per message."""
    address = conversation.customer.email
    if not address:
        event_record(
            conversation=conversation,
            kind=ConversationEvent.Kind.POST_WORK_FAILED,
            actor_kind=ConversationEvent.ActorKind.SYSTEM,
            data={"work": "email_send", "message_id": message.pk, "error": "the customer has no email address"},
        )
        return None
    subject, in_reply_to, references = _thread_headers(conversation)
    email, created = Email.objects.get_or_create(
        message=message,
        defaults={
            "conversation": conversation,
            "header_id": make_msgid(idstring=f"cxhub.{conversation.pk}", domain=settings.MAIL_MESSAGE_ID_DOMAIN),
            "direction": Email.Direction.OUTBOUND,
            "status": Email.Status.PENDING,
            "address": address,
            "subject": subject,
            "in_reply_to": in_reply_to,
            "references": references,
        },
    )
    if created:
        from .tasks import email_send

        on_commit_robust(lambda: email_send.delay(email.pk))
    return email


def email_body(message: Message) -> str:
    """The reply, then a footer saying who wrote it: an AI reply always says so (the disclosure)."""
    conversation = message.conversation
    site = conversation.site.name
    name = selectors.agent_display_name(message.author_agent)
    footer_key = {
        Message.Provenance.AI: "footer_ai",
        Message.Provenance.AI_APPROVED: "footer_ai_approved",
        Message.Provenance.HUMAN_AI_ASSISTED: "footer_human_ai_assisted",
    }.get(message.provenance, "footer_human")
    footer = texts.text(footer_key, conversation.locale, name=name, site=site)
    return f"{message.text}\n\n-- \n{footer}\n"


def sender_address(site: Site) -> str:
    """The site's support inbox, so a customer's reply comes back through the inbound webhook."""
    inbox = MailInbox.objects.filter(site=site).order_by("id").first()
    return inbox.address if inbox is not None else settings.DEFAULT_FROM_EMAIL


def email_sent_register(*, conversation: Conversation, header_id: str, address: str, subject: str, body: str) -> Email:
    """Remember an email sent outside the message flow (a confirmation) so a reply to it threads here."""
    email, _ = Email.objects.get_or_create(
        header_id=header_id,
        defaults={
            "conversation": conversation,
            "direction": Email.Direction.OUTBOUND,
            "status": Email.Status.SENT,
            "address": address,
            "subject": subject[:300],
            "body": body,
            "sent_at": timezone.now(),
        },
    )
    return email


def email_outbound_message(email: Email) -> EmailMessage:
    message = email.message
    site = email.conversation.site
    sender = sender_address(site)
    headers = {"Message-ID": email.header_id}
    if email.in_reply_to:
        headers["In-Reply-To"] = email.in_reply_to
    if email.references:
        headers["References"] = email.references
    return EmailMessage(
        subject=email.subject,
        body=email_body(message),
        from_email=f"{site.name} <{sender}>",
        to=[email.address],
        reply_to=[sender],
        headers=headers,
    )


def email_send_attempt(*, email_id: int) -> float | None:
    """Send one queued email if it is due. Returns seconds until the task should try again, or None when done:
    sent, given up, gone, or another task holds this attempt. The claim is a compare-and-set on the row, and
    the SMTP exchange happens outside any transaction."""
    email = Email.objects.select_related("conversation__site", "message__author_agent").filter(pk=email_id).first()
    if (
        email is None
        or email.direction != Email.Direction.OUTBOUND
        or email.status in (Email.Status.SENT, Email.Status.DEAD)
    ):
        return None
    now = timezone.now()
    if email.next_attempt_at is not None and email.next_attempt_at > now:
        return (email.next_attempt_at - now).total_seconds()
    attempt = email.attempts + 1
    claimed = Email.objects.filter(
        pk=email.pk, status=email.status, attempts=email.attempts, next_attempt_at=email.next_attempt_at
    ).update(
        status=Email.Status.SENDING, attempts=attempt, next_attempt_at=now + timedelta(seconds=ATTEMPT_LEASE_SECONDS)
    )
    if not claimed or email.message is None:
        return None
    started = time.perf_counter()
    try:
        with get_connection() as connection:
            connection.send_messages([email_outbound_message(email)])
    except Exception as error:  # noqa: BLE001 - any SMTP or network failure is retried, then given up on
        return _email_failed(email, attempt=attempt, error=f"{type(error).__name__}: {error}")
    Email.objects.filter(pk=email.pk, attempts=attempt).update(
        status=Email.Status.SENT, sent_at=timezone.now(), next_attempt_at=None, last_error=""
    )
    logger.info(
        "email sent conversation=%s email=%s ms=%.0f",
        email.conversation_id,
        email.pk,
        (time.perf_counter() - started) * 1000,
    )
    return None


def _email_failed(email: Email, *, attempt: int, error: str) -> float | None:
    # Logged without the message's words: only ids and the error.
    logger.warning("email %s attempt %s failed: %s", email.pk, attempt, error[:200])
    if attempt < settings.CHANNEL_SEND_MAX_ATTEMPTS:
        retry_in = channel_retry_delay(attempt)
        Email.objects.filter(pk=email.pk, attempts=attempt).update(
            status=Email.Status.FAILED,
            last_error=error[:500],
            next_attempt_at=timezone.now() + timedelta(seconds=retry_in),
        )
        return retry_in
    with transaction.atomic():
        Email.objects.filter(pk=email.pk, attempts=attempt).update(
            status=Email.Status.DEAD, last_error=error[:500], next_attempt_at=None
        )
        conversation = conversation_lock(email.conversation_id)
        event_record(
            conversation=conversation,
            kind=ConversationEvent.Kind.POST_WORK_FAILED,
            actor_kind=ConversationEvent.ActorKind.SYSTEM,
            data={
                "work": "email_send",
                "email_id": email.pk,
                "header_id": email.header_id,
                "attempts": attempt,
                "error": error[:300],
            },
        )
    return None


@transaction.atomic
def email_resend(*, email_id: int) -> bool:
    """An admin sends a given-up email again, from a fresh count of attempts, with the same Message-ID."""
    email = Email.objects.select_for_update().filter(pk=email_id, status=Email.Status.DEAD).first()
    if email is None:
        return False
    email.status, email.attempts, email.next_attempt_at = Email.Status.PENDING, 0, None
    email.save(update_fields=["status", "attempts", "next_attempt_at"])
    from .tasks import email_send

    on_commit_robust(lambda: email_send.delay(email.pk))
    return True


@transaction.atomic
def conversation_continue_by_email(*, conversation: Conversation, email: str) -> bool:
    """The widget's visitor left an email because no one could chat: replies written while they are away are
    emailed to them, and their email reply threads back here. Caller holds the conversation row lock."""
    if conversation.status == Conversation.Status.CLOSED:
        raise ConversationError("conversation_closed", "This conversation is closed. Start a new one.")
    return conversation_channel_continue(
        conversation=conversation,
        channel=Conversation.Channel.EMAIL,
        actor_kind=ConversationEvent.ActorKind.CUSTOMER,
        address=email,
    )
