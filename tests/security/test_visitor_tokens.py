"""Visitor tokens: unguessable, expiring, refreshable; chosen, forged or foreign ones get nothing.

Already covered elsewhere (not repeated here): tampered, empty and made-up tokens and an expired token on
the websocket, a token from another site's origin, a signed token for an unknown customer
(tests/channels_app/test_widget_consumer.py); bad tokens on REST (tests/widget/test_apis.py).
"""

import base64
import math

import pytest
from asgiref.sync import sync_to_async
from django.core import signing
from django.test import Client, override_settings

from cxhub.conversations.models import Customer
from cxhub.conversations.visitor_tokens import SALT, visitor_token_issue, visitor_token_read
from tests import factories
from tests.channels_app.helpers import visitor_connect, visitor_say

pytestmark = pytest.mark.django_db(transaction=True)
ORIGIN = factories.SHOP_ORIGIN


def start(client: Client, site, token: str = "", origin: str = ORIGIN):
    return client.post(
        "/api/widget/sessions",
        {"site_key": site.key, "token": token},
        content_type="application/json",
        headers={"origin": origin},
    )


def refresh(token: str, origin: str = ORIGIN):
    return Client().post(
        "/api/widget/token",
        {},
        content_type="application/json",
        headers={"origin": origin, "authorization": f"Bearer {token}"},
    )


def test_a_token_carries_at_least_128_random_bits_and_a_full_signature():
    site = factories.site_create()
    customer, _, token = factories.visitor_create(site=site)

    value, signature = token.rsplit(":", 1)
    # The customer id in it: 16 random bytes, url-safe base64.
    assert len(base64.urlsafe_b64decode(customer.public_id + "==")) * 8 >= 128
    # HMAC-SHA256 over the payload, untruncated.
    assert len(base64.urlsafe_b64decode(signature + "=" * (-len(signature) % 4))) * 8 == 256
    ids = {factories.visitor_create(site=site)[0].public_id for _ in range(20)}
    assert len(ids) == 20 and math.log2(64) * min(len(i) for i in ids) >= 128


def test_a_token_signed_with_another_key_or_salt_is_refused():
    site = factories.site_create()
    customer, _, _ = factories.visitor_create(site=site)
    payload = {"s": site.pk, "c": customer.public_id}
    other_key = signing.dumps(payload, key="not-our-secret-key-0123456789abcdef", salt=SALT)
    other_salt = signing.dumps(payload, salt="cxhub.something-else")

    for forged in (other_key, other_salt):
        response = Client().get("/api/widget/messages", headers={"origin": ORIGIN, "authorization": f"Bearer {forged}"})
        assert response.status_code == 401 and response.json()["code"] == "token_invalid"


def test_a_client_chosen_token_starts_a_new_visitor_and_never_adopts_the_id():
    site = factories.site_create()
    victim, _, _ = factories.visitor_create(site=site)

    for chosen in (victim.public_id, f"{site.pk}:{victim.public_id}", "x" * 600):
        response = start(Client(), site, token=chosen[:512])
        assert response.status_code == 201
        issued = visitor_token_read(response.json()["token"])
        assert issued.customer_public_id != victim.public_id
    assert Customer.objects.filter(public_id=victim.public_id).count() == 1


def test_the_widget_refreshes_its_token_over_rest_and_keeps_its_conversation():
    site = factories.site_create()
    client = Client()
    first = start(client, site).json()

    renewed = refresh(first["token"])

    assert renewed.status_code == 200
    body = renewed.json()
    assert body["expires_in"] > 0 and body["token"] != ""
    assert visitor_token_read(body["token"]) == visitor_token_read(first["token"])
    messages = client.get(
        "/api/widget/messages", headers={"origin": ORIGIN, "authorization": f"Bearer {body['token']}"}
    )
    assert messages.json()["state"]["conversation_id"] == first["state"]["conversation_id"]


def test_an_expired_token_cannot_be_refreshed_and_a_foreign_origin_cannot_refresh():
    site = factories.site_create()
    _, _, token = factories.visitor_create(site=site)

    with override_settings(VISITOR_TOKEN_MAX_AGE_SECONDS=-1):
        expired = refresh(token)
    foreign = refresh(token, origin="https://evil.example")

    assert expired.status_code == 401 and expired.json()["code"] == "token_expired"
    assert foreign.status_code == 403 and "token" not in foreign.json()


async def test_the_widget_refreshes_its_token_over_the_socket():
    site = await sync_to_async(factories.site_create)()
    _, conversation, token = await sync_to_async(factories.visitor_create)(site=site)
    visitor = await visitor_connect(token)

    await visitor.send(type="token.refresh")
    renewed = await visitor.receive_until(lambda f: f["type"] == "token")

    assert renewed["expires_in"] > 0
    assert visitor_token_read(renewed["token"]) == visitor_token_read(token)
    await visitor.close()
    again = await visitor_connect(renewed["token"])
    ack = await visitor_say(again, "Still me")
    assert ack["seq"] >= 2
    await again.close()


def test_a_token_for_one_site_cannot_read_another_sites_conversation_over_rest():
    shop = factories.site_create()
    other = factories.site_create(origins=("https://other.example",), name="Other")
    _, _, shop_token = factories.visitor_create(site=shop)

    response = Client().get(
        "/api/widget/messages", headers={"origin": "https://other.example", "authorization": f"Bearer {shop_token}"}
    )
    # Signed for the shop: the other site's origin is refused, and the other site's id cannot be swapped in.
    forged = visitor_token_issue(site_id=other.pk, customer_public_id=Customer.objects.get(site=shop).public_id)
    swapped = Client().get(
        "/api/widget/messages", headers={"origin": "https://other.example", "authorization": f"Bearer {forged}"}
    )

    assert response.status_code == 403 and "messages" not in response.json()
    assert swapped.status_code == 401
