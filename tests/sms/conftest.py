"""A local HTTP server standing in for Twilio's REST API, and a signed inbound webhook as Twilio sends it."""

import base64
import json
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode

import pytest
from django.test import Client

from cxhub.sms.models import SmsNumber
from cxhub.sms.signing import twilio_signature
from tests import factories

ACCOUNT_SID = "AC0123456789abcdef0123456789abcdef"
AUTH_TOKEN = "twilio-auth-token-for-tests"
SHOP_NUMBER = "+33180000000"
WHATSAPP_NUMBER = "whatsapp:+33180000001"
WEBHOOK = "/api/sms/inbound/"


@dataclass
class SentText:
    path: str
    username: str
    password: str
    params: dict[str, str]


class FakeTwilio:
    """Answers 201 with a sid (or the scripted statuses first) and keeps every request."""

    def __init__(self) -> None:
        self.requests: list[SentText] = []
        self.script: list[int] = []
        self.lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0"))).decode()
                user, _, password = (
                    base64.b64decode(self.headers.get("Authorization", "Basic ")[6:]).decode().partition(":")
                )
                params = {name: values[0] for name, values in parse_qs(body).items()}
                with fake.lock:
                    fake.requests.append(SentText(self.path, user, password, params))
                    status = fake.script.pop(0) if fake.script else 201
                reply = json.dumps({"sid": f"SMout{len(fake.requests):027d}"} if status == 201 else {"code": status})
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply.encode())

            def log_message(self, format, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def twilio(settings):
    fake = FakeTwilio()
    settings.TWILIO_API_BASE = fake.url
    settings.TWILIO_ACCOUNT_SID = ACCOUNT_SID
    settings.TWILIO_AUTH_TOKEN = AUTH_TOKEN
    settings.TWILIO_WEBHOOK_BASE_URL = ""
    settings.CHANNEL_RETRY_BASE_SECONDS = 0
    settings.CHANNEL_SEND_MAX_ATTEMPTS = 3
    yield fake
    fake.stop()


@pytest.fixture
def site():
    factories.knowledge_base_create()
    site = factories.site_create()
    SmsNumber.objects.create(site=site, number=SHOP_NUMBER)
    SmsNumber.objects.create(site=site, number=WHATSAPP_NUMBER)
    return site


_sids = iter(range(1, 10_000))


def text_in(body: str, *, sender: str = "+33612345678", to: str = SHOP_NUMBER, sid: str | None = None, signature=None):
    """POST the webhook as Twilio would, signed with the account's auth token unless told otherwise."""
    params = {"MessageSid": sid or f"SM{next(_sids):032d}", "From": sender, "To": to, "Body": body, "NumMedia": "0"}
    if signature is None:
        signature = twilio_signature(
            auth_token=AUTH_TOKEN, url=f"http://testserver{WEBHOOK}", params={k: [v] for k, v in params.items()}
        )
    headers = {"X-Twilio-Signature": signature} if signature else {}
    return Client().post(WEBHOOK, urlencode(params), content_type="application/x-www-form-urlencoded", headers=headers)
