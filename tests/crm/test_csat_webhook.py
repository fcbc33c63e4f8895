"""The issue's webhook list is complete: a customer's rating goes out as `csat.received`, signed like the rest."""

import pytest
from django.test import Client

from cxhub.conversations.services import satisfaction_rate
from cxhub.integrations.models import WebhookDelivery
from tests import factories
from tests.integrations.conftest import Receiver, subscription_create

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def receiver():
    running = Receiver().start()
    yield running
    running.stop()


def test_a_rating_is_sent_as_csat_received(receiver, settings):
    settings.WEBHOOK_RETRY_BASE_SECONDS = 0
    _, conversation, token = factories.visitor_create(site=factories.site_create())
    subscription_create(receiver, events=["csat.received"])

    response = Client().post(
        "/api/widget/csat",
        {"score": 4, "comment": "Quick answer"},
        content_type="application/json",
        headers={"origin": factories.SHOP_ORIGIN, "authorization": f"Bearer {token}"},
    )
    satisfaction_rate(conversation_id=conversation.pk, score=5)  # rating again is a new event

    assert response.status_code == 200
    assert [r.json["event"] for r in receiver.requests] == ["csat.received", "csat.received"]
    assert all(r.verified for r in receiver.requests)
    first, second = (r.json["data"] for r in receiver.requests)
    assert (first["score"], first["updated"], first["conversation"]["id"]) == (4, False, conversation.pk)
    assert (second["score"], second["updated"]) == (5, True)
    assert WebhookDelivery.objects.filter(status="delivered").count() == 2
