"""Optional inbound email by IMAP polling (MAIL_IMAP_*): unseen messages become inbound emails, then are marked
seen. For providers without an inbound webhook; the webhook is preferred (no delay, no stored password)."""

import imaplib
import logging
from email import message_from_bytes
from email import policy as email_policy

from django.conf import settings

from .parsing import InboundEmailInvalid, inbound_email_parse
from .services import email_receive

logger = logging.getLogger(__name__)
MAX_PER_POLL = 50


def imap_payload(raw: bytes) -> dict:
    """A raw RFC 822 message in the shape the webhook accepts. Authentication-Results is the one our own
    mail server added on receipt; it decides whether the sender counts as verified."""
    parsed = message_from_bytes(raw, policy=email_policy.default)
    body = parsed.get_body(preferencelist=("plain", "html"))
    content = body.get_content() if body is not None else ""
    kind = "text" if body is None or body.get_content_type() == "text/plain" else "html"
    headers = {
        name: str(parsed.get(name, ""))
        for name in ("Message-ID", "In-Reply-To", "References", "Authentication-Results")
        if parsed.get(name)
    }
    return {
        "from": str(parsed.get("From", "")),
        "to": ", ".join(str(value) for value in (parsed.get_all("To") or [])),
        "subject": str(parsed.get("Subject", "")),
        kind: content,
        "headers": headers,
    }


def imap_poll() -> int:
    """Read up to MAX_PER_POLL unseen messages; returns how many were stored. A message that cannot be used is
    marked seen and logged (never retried forever); one that failed to store stays unseen for the next poll."""
    client_class = imaplib.IMAP4_SSL if settings.MAIL_IMAP_SSL else imaplib.IMAP4
    stored = 0
    with client_class(settings.MAIL_IMAP_HOST, settings.MAIL_IMAP_PORT) as client:
        client.login(settings.MAIL_IMAP_USER, settings.MAIL_IMAP_PASSWORD)
        client.select(settings.MAIL_IMAP_FOLDER)
        _, found = client.uid("search", None, "UNSEEN")
        for uid in (found[0] or b"").split()[:MAX_PER_POLL]:
            _, parts = client.uid("fetch", uid, "(BODY.PEEK[])")
            raw = next((part[1] for part in parts if isinstance(part, tuple)), b"")
            try:
                email_receive(inbound=inbound_email_parse(imap_payload(raw)))
                stored += 1
            except InboundEmailInvalid as error:
                logger.warning("imap message %s refused: %s", uid.decode(), error.code)
            client.uid("store", uid, "+FLAGS", "(\\Seen)")
    return stored
