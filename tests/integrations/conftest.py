"""A real webhook receiver for the tests: an HTTP server on 127.0.0.1 that checks signatures the way
docs/webhooks.md tells receivers to, answers as scripted, and keeps each delivery once."""

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from cxhub.integrations.models import WebhookSubscription
from cxhub.integrations.signing import verify_signature


@dataclass
class ReceivedRequest:
    headers: dict[str, str]
    body: bytes
    verified: bool
    answered: int

    @property
    def json(self) -> dict:
        return json.loads(self.body)


@dataclass
class Reply:
    status: int = 200
    delay: float = 0.0
    headers: dict[str, str] = field(default_factory=dict)


class Receiver:
    """`script` is answered in order, then `default`; `records` keeps one body per X-Cxhub-Delivery, as a
    receiver that dedupes would."""

    def __init__(self) -> None:
        self.secrets: list[str] = []
        self.script: list[Reply] = []
        self.default = Reply()
        self.requests: list[ReceivedRequest] = []
        self.records: dict[str, dict] = {}
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                receiver.handle(self, body)

            def log_message(self, format, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}/hooks/cxhub"

    def handle(self, handler: BaseHTTPRequestHandler, body: bytes) -> None:
        headers = dict(handler.headers.items())
        timestamp, signature = headers.get("X-Cxhub-Timestamp", ""), headers.get("X-Cxhub-Signature", "")
        verified = any(verify_signature(secret, timestamp, body, signature) for secret in self.secrets)
        with self.lock:
            reply = self.script.pop(0) if self.script else self.default
            status = reply.status if verified else 401
            self.requests.append(ReceivedRequest(headers, body, verified, status))
            if 200 <= status < 300:
                # Stored before answering: a reply that arrives too late still leaves the record, and the
                # sender's retry must then be recognised by its delivery id.
                self.records.setdefault(headers["X-Cxhub-Delivery"], json.loads(body))
        time.sleep(reply.delay)
        try:
            handler.send_response(status)
            for name, value in reply.headers.items():
                handler.send_header(name, value)
            handler.send_header("Content-Length", "2")
            handler.end_headers()
            handler.wfile.write(b"ok")
        except OSError:
            pass  # the sender gave up waiting

    def start(self) -> "Receiver":
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    running = Receiver().start()
    yield running
    running.stop()


@pytest.fixture(autouse=True)
def webhook_settings(settings):
    """Retries at once and few of them: the tests stay fast and deterministic."""
    settings.WEBHOOK_RETRY_BASE_SECONDS = 0
    settings.WEBHOOK_MAX_ATTEMPTS = 4
    settings.WEBHOOK_TIMEOUT_SECONDS = 2
    return settings


def subscription_create(receiver: Receiver, *, events: list[str] | None = None, active: bool = True, name="CRM"):
    subscription = WebhookSubscription.objects.create(name=name, url=receiver.url, events=events or [], active=active)
    receiver.secrets.append(subscription.secret)
    return subscription
