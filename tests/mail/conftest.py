"""A real SMTP server for the email tests (aiosmtpd on 127.0.0.1), and the site's inbound address."""

import email
import threading
from email import policy

import pytest
from aiosmtpd.controller import Controller

from cxhub import stack
from cxhub.mail.models import MailInbox
from tests import factories

INBOUND_SECRET = "inbound-secret-for-tests"
SUPPORT = "support@shop.example"


class SmtpInbox:
    """Every message the server accepted, parsed, with who it was addressed to."""

    def __init__(self) -> None:
        self.messages: list[email.message.EmailMessage] = []
        self.recipients: list[list[str]] = []
        self.lock = threading.Lock()
        self.port = 0

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.messages.append(email.message_from_bytes(envelope.content, policy=policy.default))
            self.recipients.append(list(envelope.rcpt_tos))
        return "250 Message accepted"


@pytest.fixture
def smtp_server():
    inbox = SmtpInbox()
    inbox.port = stack.free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=inbox.port)
    controller.start()
    yield inbox
    controller.stop()


@pytest.fixture(autouse=True)
def mail_settings(settings, smtp_server):
    """Django's SMTP backend pointed at the test server; retries at once."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = smtp_server.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_TIMEOUT = 2
    settings.MAIL_INBOUND_SECRET = INBOUND_SECRET
    settings.CHANNEL_RETRY_BASE_SECONDS = 0
    settings.CHANNEL_SEND_MAX_ATTEMPTS = 3
    return settings


@pytest.fixture
def site():
    factories.knowledge_base_create()
    site = factories.site_create()
    MailInbox.objects.create(site=site, address=SUPPORT)
    return site
