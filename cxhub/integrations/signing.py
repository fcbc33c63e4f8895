"""HMAC-SHA256 signatures on webhook deliveries: how cxhub signs, and how a receiver checks (docs/webhooks.md)."""

import hashlib
import hmac
import time

SIGNATURE_PREFIX = "sha256="


def _as_bytes(value: str | bytes) -> bytes:
    return value.encode("utf-8") if isinstance(value, str) else value


def signature_header(secret: str, timestamp: int | str, body: str | bytes) -> str:
    """`sha256=<hex>` over `f"{timestamp}.{body}"`: the timestamp is signed too, so old deliveries can't be replayed."""
    signed = f"{timestamp}.".encode() + _as_bytes(body)
    return SIGNATURE_PREFIX + hmac.new(_as_bytes(secret), signed, hashlib.sha256).hexdigest()


def verify_signature(
    secret: str,
    timestamp: int | str,
    body: str | bytes,
    header: str,
    tolerance: int = 300,
    now: float | None = None,
) -> bool:
    """True when `header` (X-Cxhub-Signature) signs the raw `body` and `timestamp` (X-Cxhub-Timestamp) with
    `secret`, and the timestamp is within `tolerance` seconds of now. Give it the body exactly as received,
    before any JSON parsing."""
    try:
        sent_at = int(timestamp)
    except (TypeError, ValueError):
        return False
    if abs((time.time() if now is None else now) - sent_at) > tolerance:
        return False
    if not isinstance(header, str) or not header.startswith(SIGNATURE_PREFIX):
        return False
    return hmac.compare_digest(signature_header(secret, timestamp, body), header.strip())
