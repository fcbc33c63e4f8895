"""The API channel: per-site keys (stored hashed, compared in constant time) and the conversations a company's
server opens for its customers on any channel it runs itself."""

import hashlib
import hmac
import secrets

from django.db import transaction
from django.utils import timezone

from cxhub.conversations.models import Conversation, ConversationEvent, Customer, Site
from cxhub.conversations.services import ConversationError, conversation_get_or_start, conversation_lock
from cxhub.conversations.texts import pick_locale

from .continuation import conversation_channel_continue
from .models import ApiKey

KEY_PREFIX = "cxk_"
_UNKNOWN_KEY_HASH = hashlib.sha256(b"no such key").hexdigest()


def _hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def api_key_create(*, site: Site, name: str) -> tuple[ApiKey, str]:
    """A new key; the raw key is returned once and never stored."""
    prefix = secrets.token_hex(6)
    raw = f"{KEY_PREFIX}{prefix}_{secrets.token_urlsafe(32)}"
    key = ApiKey.objects.create(site=site, name=name, prefix=prefix, key_hash=_hash(raw))
    return key, raw


def api_key_authenticate(raw: str) -> ApiKey | None:
    """The active key this raw key is, or None. The hash is compared in constant time, also for an unknown
    prefix, so timing says nothing about which prefixes exist."""
    prefix = raw[len(KEY_PREFIX) :].split("_", 1)[0] if raw.startswith(KEY_PREFIX) else ""
    key = ApiKey.objects.select_related("site").filter(prefix=prefix, revoked=False).first() if prefix else None
    expected = key.key_hash if key is not None else _UNKNOWN_KEY_HASH
    if not hmac.compare_digest(expected, _hash(raw)) or key is None:
        return None
    ApiKey.objects.filter(pk=key.pk).update(last_used_at=timezone.now())
    return key


def _customer_clean(data: object) -> dict:
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConversationError("customer_invalid", "customer must be an object.")
    cleaned = {}
    for field, limit in (("external_id", 200), ("name", 200), ("locale", 10)):
        value = data.get(field, "")
        if not isinstance(value, str) or len(value) > limit:
            raise ConversationError(f"{field}_invalid", f"customer.{field} must be text of at most {limit} characters.")
        cleaned[field] = value.strip()
    return cleaned


@transaction.atomic
def api_conversation_open(*, site: Site, customer: object = None) -> tuple[Conversation, bool]:
    """The customer's open conversation, continued on the API channel, or a new one. A customer is found by the
    company's own `external_id` (their server vouches for it with the key); without one, a new customer."""
    data = _customer_clean(customer)
    found = None
    if data.get("external_id"):
        found = (
            Customer.objects.filter(site=site, external_id=data["external_id"], merged_into__isnull=True)
            .order_by("created_at")
            .first()
        )
    if found is None:
        found = Customer.objects.create(
            site=site,
            external_id=data.get("external_id", ""),
            is_identified=bool(data.get("external_id")),
            display_name=data.get("name", ""),
            locale=pick_locale(data.get("locale") or site.default_locale),
        )
    open_before = found.conversations.filter(status=Conversation.Status.OPEN).exists()
    conversation = conversation_get_or_start(customer=found, channel=Conversation.Channel.API)
    conversation = conversation_lock(conversation.pk)
    conversation_channel_continue(
        conversation=conversation, channel=Conversation.Channel.API, actor_kind=ConversationEvent.ActorKind.CUSTOMER
    )
    return conversation, not open_before


def api_conversation_get(*, site: Site, public_id: str) -> Conversation | None:
    """Only the key's own site's conversations exist for it."""
    return (
        Conversation.objects.select_related("customer", "agent", "site").filter(site=site, public_id=public_id).first()
    )
