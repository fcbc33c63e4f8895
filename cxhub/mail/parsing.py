"""Inbound email as the common inbound-parse services post it (SendGrid, Mailgun, a generic JSON shape),
normalised into one `InboundEmail`; and the new text of a reply, without the quoted thread below it."""

import json
import re
from dataclasses import dataclass, field
from email.message import Message as MimeMessage
from email.parser import HeaderParser
from email.utils import getaddresses, parseaddr

from django.utils.html import strip_tags


class InboundEmailInvalid(Exception):
    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass
class InboundEmail:
    sender: str
    sender_name: str
    recipients: list[str]
    subject: str
    text: str
    message_id: str
    in_reply_to: str
    references: list[str] = field(default_factory=list)
    spf_pass: bool = False
    dkim_pass: bool = False

    @property
    def sender_verified(self) -> bool:
        """Only an address the sending domain vouched for (SPF and DKIM both passed) merges customers."""
        return self.spf_pass and self.dkim_pass


MESSAGE_ID = re.compile(r"<[^<>\s]+>")


def message_ids(value: str) -> list[str]:
    """Message-IDs in a header, in order, with their angle brackets; a bare id gets them added."""
    value = (value or "").strip()
    found = MESSAGE_ID.findall(value)
    if not found and value and " " not in value:
        found = [f"<{value}>"]
    return found


def _headers(payload: dict) -> dict[str, str]:
    """Headers from any of the shapes providers use: a raw block (SendGrid `headers`), a JSON list of pairs
    (Mailgun `message-headers`) or a JSON object. Lower-cased names; the first value wins."""
    found: dict[str, str] = {}
    raw = payload.get("headers")
    if isinstance(raw, dict):
        for name, value in raw.items():
            found.setdefault(str(name).lower(), str(value))
    elif isinstance(raw, str) and raw.strip():
        parsed: MimeMessage = HeaderParser().parsestr(raw)
        for name, value in parsed.items():
            found.setdefault(name.lower(), str(value))
    pairs = payload.get("message-headers")
    if isinstance(pairs, str):
        try:
            pairs = json.loads(pairs)
        except ValueError:
            pairs = []
    if isinstance(pairs, list):
        for pair in pairs:
            if isinstance(pair, (list, tuple)) and len(pair) == 2:
                found.setdefault(str(pair[0]).lower(), str(pair[1]))
    return found


def _first(payload: dict, headers: dict[str, str], *names: str) -> str:
    for name in names:
        for candidate in (payload.get(name), payload.get(name.lower()), headers.get(name.lower())):
            if isinstance(candidate, str) and candidate.strip():
                return candidate.strip()
    return ""


def _passed(value: str) -> bool:
    return value.strip().lower().startswith("pass")


def _dkim_pass(value: str, sender_domain: str) -> bool:
    """`pass`, Mailgun's `Pass`, or SendGrid's `{@example.com : pass}`: the signature must be the sender's."""
    value = value.strip()
    if not value.startswith("{"):
        return _passed(value)
    for domain, result in re.findall(r"@?([\w.-]+)\s*:\s*(\w+)", value):
        if domain.lower() == sender_domain and result.lower() == "pass":
            return True
    return False


def _authentication_results(value: str) -> tuple[bool, bool]:
    lowered = value.lower()
    return "spf=pass" in lowered, "dkim=pass" in lowered


def inbound_email_parse(payload: dict) -> InboundEmail:
    """Any supported provider's fields into one shape; a payload without a sender or any text is refused."""
    headers = _headers(payload)
    name, sender = parseaddr(_first(payload, headers, "from", "sender"))
    sender = sender.strip().lower()
    if "@" not in sender:
        raise InboundEmailInvalid("sender_missing", "The email has no valid sender (from).")
    recipients = [
        address.lower()
        for _, address in getaddresses([_first(payload, headers, "to", "recipient"), _first(payload, headers, "cc")])
        if "@" in address
    ]
    text = _first(payload, headers, "text", "body-plain", "plain", "TextBody")
    if not text:
        html = _first(payload, headers, "html", "body-html", "HtmlBody")
        text = strip_tags(html).strip()
    subject = _first(payload, headers, "subject", "Subject")
    if not text and not subject:
        raise InboundEmailInvalid("body_missing", "The email has neither text nor a subject.")
    message_id = next(iter(message_ids(_first(payload, headers, "Message-Id", "message_id", "message-id"))), "")
    in_reply_to = next(iter(message_ids(_first(payload, headers, "In-Reply-To", "in_reply_to"))), "")
    references = message_ids(_first(payload, headers, "References", "references"))
    sender_domain = sender.rsplit("@", 1)[1]
    spf = _passed(_first(payload, headers, "SPF", "spf", "X-Mailgun-Spf"))
    dkim = _dkim_pass(_first(payload, headers, "dkim", "X-Mailgun-Dkim-Check-Result"), sender_domain)
    if not (spf and dkim) and headers.get("authentication-results"):
        spf_result, dkim_result = _authentication_results(headers["authentication-results"])
        spf, dkim = spf or spf_result, dkim or dkim_result
    return InboundEmail(
        sender=sender,
        sender_name=name.strip(),
        recipients=recipients,
        subject=subject[:300],
        text=text.replace("\r\n", "\n"),
        message_id=message_id[:255],
        in_reply_to=in_reply_to[:255],
        references=[ref[:255] for ref in references][-50:],
        spf_pass=spf,
        dkim_pass=dkim,
    )


QUOTE_HEADERS = (
    re.compile(r"^\s*On .{0,300}wrote:\s*$", re.IGNORECASE),
    re.compile(r"^\s*Le .{0,300}a écrit\s*:\s*$", re.IGNORECASE),
    re.compile(r"^-{2,}\s*(Original Message|Message d.origine)\s*-{2,}\s*$", re.IGNORECASE),
    re.compile(r"^_{5,}\s*$"),
)


def reply_text(text: str) -> str:
    """What the customer wrote in a reply: up to the quoted earlier email ("On … wrote:" / "> …").
    When nothing is left (a top-quoted or empty reply), the whole text is kept rather than lose words."""
    lines = text.split("\n")
    kept: list[str] = []
    for line in lines:
        if any(pattern.match(line) for pattern in QUOTE_HEADERS):
            break
        kept.append(line)
    while kept and (kept[-1].startswith(">") or not kept[-1].strip()):
        kept.pop()
    kept = [line for line in kept if not line.startswith(">")]
    new = "\n".join(kept).strip()
    return new or text.strip()
