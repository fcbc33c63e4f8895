"""Where CRM updates go: the built-in CRM in our database, or any outside CRM through signed JSON POSTs.

Every operation takes an idempotency key: the same key sent twice must leave one record. An adapter raises
CrmError, saying whether trying again could help."""

import json
import time
from typing import Protocol

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from cxhub.integrations.services import webhook_post
from cxhub.integrations.signing import signature_header

USER_AGENT = "cxhub-crm/1"


class CrmError(Exception):
    def __init__(self, message: str, *, retryable: bool, retry_after: float | None = None):
        super().__init__(message)
        self.message = message
        self.retryable = retryable
        self.retry_after = retry_after


class CrmAdapter(Protocol):
    """`customer` is `{"id", "name", "email", "phone", "external_id", "site_id"}`; `conversation` is
    `{"id", "public_id", "channel", "outcome"}`. Each returns what the CRM answered, kept on the step."""

    name: str

    def contact_upsert(self, *, idempotency_key: str, customer: dict) -> dict: ...

    def activity_log(
        self, *, idempotency_key: str, customer: dict, conversation: dict, kind: str, subject: str, body: str
    ) -> dict: ...

    def task_create(
        self, *, idempotency_key: str, customer: dict, conversation: dict, title: str, notes: str, due_at: str | None
    ) -> dict: ...


class BuiltinCRM:
    """Contacts, companies, activities and tasks in our own tables (admin, and the console's customer panel)."""

    name = "builtin"

    @transaction.atomic
    def _contact(self, customer: dict):
        from .models import Company, Contact

        domain = customer.get("email", "").rpartition("@")[2].lower()
        company = Company.objects.filter(domain__iexact=domain).first() if domain else None
        values = {
            key: customer.get(key) or ""
            for key in ("name", "email", "phone", "external_id")
            if customer.get(key)  # an update never blanks what the CRM already knows
        }
        if company is not None:
            values["company"] = company
        contact, _ = Contact.objects.update_or_create(customer_id=customer["id"], defaults=values)
        return contact

    def contact_upsert(self, *, idempotency_key: str, customer: dict) -> dict:
        return {"contact_id": self._contact(customer).pk}

    @transaction.atomic
    def activity_log(
        self, *, idempotency_key: str, customer: dict, conversation: dict, kind: str, subject: str, body: str
    ) -> dict:
        from .models import Activity

        activity, created = Activity.objects.get_or_create(
            idempotency_key=idempotency_key,
            defaults={
                "contact": self._contact(customer),
                "conversation_id": conversation["id"],
                "kind": kind,
                "subject": subject[:300],
                "body": body,
            },
        )
        return {"activity_id": activity.pk, "created": created}

    @transaction.atomic
    def task_create(
        self, *, idempotency_key: str, customer: dict, conversation: dict, title: str, notes: str, due_at: str | None
    ) -> dict:
        from .models import Task

        task, created = Task.objects.get_or_create(
            idempotency_key=idempotency_key,
            defaults={
                "contact": self._contact(customer),
                "conversation_id": conversation["id"],
                "title": title[:300],
                "notes": notes,
                "due_at": parse_datetime(due_at) if due_at else None,
            },
        )
        return {"task_id": task.pk, "created": created}


class WebhookCRM:
    """POSTs each operation as signed JSON to CRM_WEBHOOK_URL: the same signature scheme as outbound webhooks
    (X-Cxhub-Timestamp, X-Cxhub-Signature over `f"{timestamp}.{body}"`) and an Idempotency-Key header that is
    the same on every retry and replay. 2xx is done; 408, 429, 5xx and network errors are worth retrying; any
    other answer is final."""

    name = "webhook"

    def __init__(self, url: str | None = None, secret: str | None = None):
        self.url = url if url is not None else settings.CRM_WEBHOOK_URL
        self.secret = secret if secret is not None else settings.CRM_WEBHOOK_SECRET

    def request(self, *, operation: str, idempotency_key: str, data: dict, timestamp: int) -> tuple[bytes, dict]:
        body = json.dumps(
            {"id": idempotency_key, "type": operation, "sent_at": timezone.now().isoformat(), "data": data},
            ensure_ascii=False,
            separators=(",", ":"),
        ).encode("utf-8")
        headers = {
            "Content-Type": "application/json",
            "User-Agent": USER_AGENT,
            "Idempotency-Key": idempotency_key,
            "X-Cxhub-Delivery": idempotency_key,
            "X-Cxhub-Event": operation,
            "X-Cxhub-Timestamp": str(timestamp),
            "X-Cxhub-Signature": signature_header(self.secret, timestamp, body),
        }
        return body, headers

    def _send(self, operation: str, idempotency_key: str, data: dict) -> dict:
        if not self.url or not self.secret:
            raise CrmError("CRM_WEBHOOK_URL and CRM_WEBHOOK_SECRET must both be set.", retryable=False)
        body, headers = self.request(
            operation=operation, idempotency_key=idempotency_key, data=data, timestamp=int(time.time())
        )
        result = webhook_post(self.url, body, headers)
        if result.delivered:
            return {"status_code": result.status_code}
        raise CrmError(result.error or "no answer", retryable=result.retryable, retry_after=result.retry_after)

    def contact_upsert(self, *, idempotency_key: str, customer: dict) -> dict:
        return self._send("contact.upsert", idempotency_key, {"customer": customer})

    def activity_log(
        self, *, idempotency_key: str, customer: dict, conversation: dict, kind: str, subject: str, body: str
    ) -> dict:
        data = {"customer": customer, "conversation": conversation, "kind": kind, "subject": subject, "body": body}
        return self._send("activity.log", idempotency_key, data)

    def task_create(
        self, *, idempotency_key: str, customer: dict, conversation: dict, title: str, notes: str, due_at: str | None
    ) -> dict:
        data = {"customer": customer, "conversation": conversation, "title": title, "notes": notes, "due_at": due_at}
        return self._send("task.create", idempotency_key, data)


ADAPTERS = {"builtin": BuiltinCRM, "webhook": WebhookCRM}


def crm_adapter() -> CrmAdapter:
    """The adapter CRM_ADAPTER names; an unknown name is a configuration error, said plainly."""
    name = settings.CRM_ADAPTER
    if name not in ADAPTERS:
        raise CrmError(f"CRM_ADAPTER must be one of {', '.join(ADAPTERS)}, not {name!r}.", retryable=False)
    return ADAPTERS[name]()
