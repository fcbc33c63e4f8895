"""DRF throttles for the widget API, on the same Redis token buckets as the websocket (cxhub/ratelimits.py)."""

from rest_framework.throttling import BaseThrottle

from cxhub.conversations.visitor_tokens import InvalidVisitorToken, visitor_token_read
from cxhub.ratelimits import rate_take


def visitor_subject(token: str) -> str | None:
    """Whose bucket a token draws from; None for a bad token (the view refuses it with 401 anyway)."""
    try:
        identity = visitor_token_read(token)
    except InvalidVisitorToken:
        return None
    return f"{identity.site_id}:{identity.customer_public_id}"


def bearer_token(request) -> str:
    header = request.headers.get("Authorization", "")
    return header[7:] if header.startswith("Bearer ") else ""


class _BucketThrottle(BaseThrottle):
    limit_name = ""
    scope = ""
    methods: tuple[str, ...] = ("GET", "POST")

    def subject(self, request) -> str | None:
        raise NotImplementedError

    def allow_request(self, request, view) -> bool:
        self.retry_after = None
        if request.method not in self.methods:
            return True  # preflights carry nothing
        subject = self.subject(request)
        if subject is None:
            return True
        self.retry_after = rate_take((self.limit_name, self.scope, subject))
        return self.retry_after is None

    def wait(self):
        return self.retry_after


class IpThrottle(_BucketThrottle):
    limit_name, scope = "RATE_LIMIT_IP", "ip"

    def subject(self, request):
        return self.get_ident(request)


class IpSessionsThrottle(IpThrottle):
    limit_name, scope = "RATE_LIMIT_IP_SESSIONS", "ip-sessions"
    methods = ("POST",)


class VisitorThrottle(_BucketThrottle):
    limit_name, scope = "RATE_LIMIT_VISITOR_FRAMES", "visitor"

    def subject(self, request):
        return visitor_subject(bearer_token(request))


class VisitorMessagesThrottle(VisitorThrottle):
    limit_name, scope = "RATE_LIMIT_VISITOR_MESSAGES", "visitor-messages"
    methods = ("POST",)
