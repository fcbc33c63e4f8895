"""IMAP polling, against a stand-in for the IMAP server (imaplib's client is replaced, not our code): unseen mail
becomes conversation messages through the same path as the webhook, and is then marked seen."""

import pytest

from cxhub.conversations.models import Conversation, Message
from cxhub.mail import imap

from .conftest import SUPPORT

pytestmark = pytest.mark.django_db(transaction=True)

RAW = (
    "From: Ana Lopez <ana@example.org>\r\n"
    f"To: {SUPPORT}\r\n"
    "Subject: Delivery question\r\n"
    "Message-ID: <imap-1@example.org>\r\n"
    "Authentication-Results: mx.shop.example; spf=pass smtp.mailfrom=example.org; dkim=pass header.d=example.org\r\n"
    "Content-Type: text/plain; charset=utf-8\r\n"
    "\r\n"
    "How long does delivery take?\r\n"
).encode()


class FakeImap:
    """Serves the messages it was given as UNSEEN and records which ones were flagged seen."""

    mailbox: dict[bytes, bytes] = {}
    seen: list[bytes] = []

    def __init__(self, host, port):
        self.host, self.port = host, port

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def login(self, user, password):
        return "OK", [b"logged in"]

    def select(self, folder):
        return "OK", [str(len(self.mailbox)).encode()]

    def uid(self, command, *args):
        if command == "search":
            return "OK", [b" ".join(uid for uid in self.mailbox if uid not in self.seen)]
        if command == "fetch":
            return "OK", [(b"1 (UID " + args[0] + b" BODY[] {n}", self.mailbox[args[0]]), b")"]
        if command == "store":
            self.seen.append(args[0])
            return "OK", []
        raise AssertionError(command)


def test_unseen_mail_becomes_a_conversation_once_and_is_marked_seen(site, smtp_server, settings, monkeypatch):
    settings.MAIL_IMAP_HOST, settings.MAIL_IMAP_SSL = "imap.shop.example", False
    FakeImap.mailbox, FakeImap.seen = {b"7": RAW, b"8": b"Subject: no sender\r\n\r\nhello\r\n"}, []
    monkeypatch.setattr(imap.imaplib, "IMAP4", FakeImap)

    stored = imap.imap_poll()

    assert stored == 1 and FakeImap.seen == [b"7", b"8"]  # the unusable one is marked seen too, and logged
    conversation = Conversation.objects.get()
    assert conversation.channel == Conversation.Channel.EMAIL
    assert conversation.customer.email_verified is True  # from our own server's Authentication-Results
    assert conversation.messages.get(author_kind=Message.AuthorKind.CUSTOMER).text == (
        "Delivery question\n\nHow long does delivery take?"
    )
    assert imap.imap_poll() == 0
