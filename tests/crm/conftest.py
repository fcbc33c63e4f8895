"""Real servers for the CRM and post-conversation tests: an SMTP server (aiosmtpd) and a CRM that receives
signed JSON (the webhook receiver of tests/integrations, which checks signatures and dedupes by key)."""

import email
import threading
from email.message import Message as MailMessage

import pytest
from aiosmtpd.controller import Controller

from cxhub import stack
from cxhub.conversations.models import Conversation
from cxhub.conversations.services import conversation_lock
from tests import factories
from tests.browser import conftest as browser_fixtures
from tests.integrations.conftest import Receiver

CRM_SECRET = "crm-test-secret"
# Real Chromium (Debian's) and the JavaScript error collector, for the console panel's test.
browser = browser_fixtures.browser
console_errors = browser_fixtures.console_errors


class MailHandler:
    def __init__(self) -> None:
        self.messages: list[MailMessage] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.messages.append(email.message_from_bytes(envelope.content))
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp_server():
    handler = MailHandler()
    controller = Controller(handler, hostname="127.0.0.1", port=stack.free_port())
    controller.start()
    yield {"host": "127.0.0.1", "port": controller.port, "messages": handler.messages}
    controller.stop()


@pytest.fixture
def smtp_settings(settings, smtp_server):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = smtp_server["host"]
    settings.EMAIL_PORT = smtp_server["port"]
    settings.EMAIL_TIMEOUT = 5
    return smtp_server


@pytest.fixture
def crm_receiver(settings):
    receiver = Receiver().start()
    receiver.secrets.append(CRM_SECRET)
    settings.CRM_ADAPTER = "webhook"
    settings.CRM_WEBHOOK_URL = receiver.url
    settings.CRM_WEBHOOK_SECRET = CRM_SECRET
    yield receiver
    receiver.stop()


@pytest.fixture(autouse=True)
def fast_retries(settings):
    """Retries at once and few of them, and mail kept in memory unless a test starts a real SMTP server."""
    settings.WEBHOOK_RETRY_BASE_SECONDS = 0
    settings.WEBHOOK_MAX_ATTEMPTS = 3
    settings.WEBHOOK_TIMEOUT_SECONDS = 2
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    return settings


def conversation_with_customer(*, email: str = "ada@example.com", policy: str = "always", locale: str = "en", **site):
    """A widget conversation where the customer asked something and the AI answered, with an email on file."""
    site_row = factories.site_create()
    site_row.post_conversation_email = policy
    for field, value in site.items():
        setattr(site_row, field, value)
    site_row.save()
    customer, conversation, token = factories.visitor_create(site=site_row, locale=locale)
    customer.email = email
    customer.display_name = "Ada Lovelace"
    customer.save()
    from django.db import transaction

    from cxhub.conversations.services import message_record

    with transaction.atomic():
        locked = conversation_lock(conversation.pk)
        message_record(conversation=locked, author_kind="customer", provenance="customer", text="Where is my lamp?")
        message_record(conversation=locked, author_kind="ai", provenance="ai", text="It ships tomorrow.")
    return Conversation.objects.get(pk=conversation.pk), token
