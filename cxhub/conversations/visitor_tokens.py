"""Signed, expiring visitor tokens: the only credential a widget holds."""

from dataclasses import dataclass

from django.conf import settings
from django.core import signing

SALT = "cxhub.visitor-token.v1"


@dataclass(frozen=True)
class VisitorIdentity:
    site_id: int
    customer_public_id: str


class InvalidVisitorToken(Exception):
    def __init__(self, code: str):
        super().__init__(code)
        self.code = code


def visitor_token_issue(*, site_id: int, customer_public_id: str) -> str:
    # HMAC-SHA256 signature over a 128-bit random customer id; the client cannot choose either.
    return signing.dumps({"s": site_id, "c": customer_public_id}, salt=SALT, compress=False)


def visitor_token_read(token: str) -> VisitorIdentity:
    if not token or len(token) > 512:
        raise InvalidVisitorToken("token_invalid")
    try:
        payload = signing.loads(token, salt=SALT, max_age=settings.VISITOR_TOKEN_MAX_AGE_SECONDS)
    except signing.SignatureExpired:
        raise InvalidVisitorToken("token_expired") from None
    except signing.BadSignature:
        raise InvalidVisitorToken("token_invalid") from None
    try:
        return VisitorIdentity(site_id=int(payload["s"]), customer_public_id=str(payload["c"]))
    except (KeyError, TypeError, ValueError):
        raise InvalidVisitorToken("token_invalid") from None
