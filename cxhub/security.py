"""Secure headers for our own pages, and the check that keeps a staff socket tied to a live session."""

import secrets
from importlib import import_module

from django.conf import settings
from django.contrib.auth import HASH_SESSION_KEY, SESSION_KEY, get_user_model
from django.utils.crypto import constant_time_compare

# Paths other sites use: the widget's API is read cross-origin and its scripts are loaded by any page,
# so those answers carry no page policy (they are not pages).
_NOT_PAGES = ("/api/widget/", "/static/")


class SecureHeadersMiddleware:
    """A Content-Security-Policy with a per-request nonce (no 'unsafe-inline' scripts) and the usual headers.

    Templates mark their few inline <script>/<style> blocks with nonce="{{ request.csp_nonce }}".
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.csp_nonce = secrets.token_urlsafe(16)
        response = self.get_response(request)
        response.setdefault("X-Content-Type-Options", "nosniff")
        response.setdefault("Referrer-Policy", "same-origin")
        if request.path.startswith(_NOT_PAGES):
            return response
        response.setdefault("Content-Security-Policy", page_policy(request))
        response.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        return response


def page_policy(request) -> str:
    nonce = f"'nonce-{request.csp_nonce}'"
    host = request.get_host()
    # Django's admin still writes a few style="" attributes; our own pages need none.
    styles = "'self' 'unsafe-inline'" if request.path.startswith("/admin/") else f"'self' {nonce}"
    return "; ".join(
        [
            "default-src 'self'",
            f"script-src 'self' {nonce}",
            f"style-src {styles}",
            "img-src 'self' data:",
            f"connect-src 'self' ws://{host} wss://{host}",
            "object-src 'none'",
            "base-uri 'self'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        ]
    )


def staff_session_valid(*, session_key: str | None, user_id: int) -> bool:
    """Whether the session a staff socket opened with still signs this user in.

    False once they logged out (the session is gone), changed their password (the session's hash no
    longer matches), or lost staff rights: their open socket then refuses the next frame.
    """
    if not session_key:
        return False
    store = import_module(settings.SESSION_ENGINE).SessionStore(session_key)
    data = store.load()  # an empty dict for a deleted or expired session
    if str(data.get(SESSION_KEY)) != str(user_id):
        return False
    user = get_user_model().objects.filter(pk=user_id, is_active=True, is_staff=True).first()
    if user is None:
        return False
    return constant_time_compare(data.get(HASH_SESSION_KEY, ""), user.get_session_auth_hash())
