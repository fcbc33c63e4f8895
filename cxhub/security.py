"""Secure headers for our own pages, and the check that keeps a staff socket tied to a live session."""

import functools
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
    fingerprint = _session_fingerprint(session_key, user_id)
    if fingerprint is not None:
        if not fingerprint:
            return False  # no such live session, or no such user
        if _validated.get((session_key, user_id)) == fingerprint:
            return True  # nothing the answer depends on has changed since it was last worked out in full
    valid = _session_valid_in_full(session_key, user_id)
    if valid and fingerprint:
        if len(_validated) > 10_000:
            _validated.clear()
        _validated[(session_key, user_id)] = fingerprint
    return valid


# (session key, user id) → the fingerprint a full check found valid. Every staff frame is checked, and the full
# check (two ORM queries, decoding the signed session, hashing the password hash) was a tenth of daphne's time
# under the load bench.
_validated: dict[tuple[str, int], tuple] = {}


def _session_fingerprint(session_key: str, user_id: int) -> tuple | None:
    """Everything the full check reads, in one plain query: the live session's data and the user's password
    hash, active and staff flags. () when there is no such live session or user; None when sessions are not
    stored in the database (then the full check runs every time)."""
    if settings.SESSION_ENGINE != "django.contrib.sessions.backends.db":
        return None
    from django.db import connection
    from django.utils import timezone

    now = connection.ops.adapt_datetimefield_value(timezone.now())
    with connection.cursor() as cursor:
        cursor.execute(_fingerprint_sql(connection.vendor), [session_key, now, user_id])
        row = cursor.fetchone()
    return tuple(row) if row else ()


@functools.cache
def _fingerprint_sql(vendor: str) -> str:
    """Built once per database vendor (it quotes names): this runs for every staff frame."""
    from django.contrib.sessions.models import Session
    from django.db import connection

    user = get_user_model()._meta
    columns = [user.get_field(name).column for name in ("password", "is_active", "is_staff")]
    quote = connection.ops.quote_name
    return (
        f"SELECT s.{quote('session_data')}, {', '.join('u.' + quote(c) for c in columns)} "
        f"FROM {quote(Session._meta.db_table)} s, {quote(user.db_table)} u "
        f"WHERE s.{quote('session_key')} = %s AND s.{quote('expire_date')} > %s AND u.{quote(user.pk.column)} = %s"
    )


def _session_valid_in_full(session_key: str, user_id: int) -> bool:
    store = import_module(settings.SESSION_ENGINE).SessionStore(session_key)
    data = store.load()  # an empty dict for a deleted or expired session
    if str(data.get(SESSION_KEY)) != str(user_id):
        return False
    user = get_user_model().objects.filter(pk=user_id, is_active=True, is_staff=True).first()
    if user is None:
        return False
    return constant_time_compare(data.get(HASH_SESSION_KEY, ""), user.get_session_auth_hash())
