"""The email channel with a real Celery worker process: the AI answers on its queue and the reply is sent from the
`integrations` queue to a real SMTP server, with nothing running in the test's process."""

import json

import pytest
from django.test import Client

from cxhub.mail.models import Email
from tests.conftest import wait_until

from .conftest import INBOUND_SECRET, SUPPORT

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_worker_answers_an_email_and_sends_the_reply_by_smtp(site, smtp_server, celery_worker_process):
    celery_worker_process.start(
        EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
        EMAIL_HOST="127.0.0.1",
        EMAIL_PORT=str(smtp_server.port),
    )
    payload = {
        "from": "ana@example.org",
        "to": SUPPORT,
        "subject": "Returns",
        "text": "What is your returns policy?",
        "headers": {"Message-Id": "<worker@example.org>"},
    }

    response = Client().post(
        f"/api/mail/inbound/{INBOUND_SECRET}/", json.dumps(payload), content_type="application/json"
    )

    assert response.status_code == 201
    wait_until(lambda: smtp_server.messages, timeout=60)
    sent = smtp_server.messages[0]
    assert sent["In-Reply-To"] == "<worker@example.org>" and sent["Subject"] == "Re: Returns"
    assert "This reply was written by an AI assistant" in sent.get_content()
    assert Email.objects.get(direction=Email.Direction.OUTBOUND).status == Email.Status.SENT
