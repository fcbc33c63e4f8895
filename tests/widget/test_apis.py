"""The widget's HTTP API: session start with origin checks and CORS, and the REST fallback."""

import pytest
from django.test import Client

from cxhub.conversations.models import Message
from tests import factories

pytestmark = pytest.mark.django_db(transaction=True)

ORIGIN = factories.SHOP_ORIGIN


@pytest.fixture
def site():
    factories.knowledge_base_create()
    return factories.site_create()


def start(client: Client, site, origin: str = ORIGIN, **extra):
    return client.post(
        "/api/widget/sessions",
        {"site_key": site.key, "locale": "fr", **extra},
        content_type="application/json",
        headers={"origin": origin},
    )


def test_session_start_from_an_allowed_origin_returns_a_token_and_cors_headers(site):
    response = start(Client(), site)

    assert response.status_code == 201
    body = response.json()
    assert len(body["token"]) > 40
    assert body["state"]["owner"] == "ai" and body["locale"] == "fr"
    assert response["Access-Control-Allow-Origin"] == ORIGIN


def test_session_start_from_a_foreign_origin_is_refused_with_a_readable_error_and_no_token(site):
    response = start(Client(), site, origin="https://evil.example")

    assert response.status_code == 403
    assert response.json() == {"code": "origin_refused", "message": "This site is not allowed to use the chat."}
    assert response["Access-Control-Allow-Origin"] == "https://evil.example"  # the refusal, never data


def test_same_origin_poll_without_origin_header_is_served(site):
    """Browsers drop Origin on same-origin GETs; Sec-Fetch-Site tells the server it is the page itself."""
    site.allowed_origins = ["http://testserver"]
    site.save()
    client = Client()
    token = start(client, site, origin="http://testserver").json()["token"]

    polled = client.get(
        "/api/widget/messages", headers={"sec-fetch-site": "same-origin", "authorization": f"Bearer {token}"}
    )
    cross_site = client.get(
        "/api/widget/messages", headers={"sec-fetch-site": "cross-site", "authorization": f"Bearer {token}"}
    )

    assert polled.status_code == 200 and polled.json()["messages"][0]["author_kind"] == "system"
    assert cross_site.status_code == 403


def test_returning_visitor_keeps_their_conversation(site):
    client = Client()
    first = start(client, site).json()
    again = start(client, site, token=first["token"]).json()

    assert again["state"]["conversation_id"] == first["state"]["conversation_id"]


def test_rest_fallback_posts_and_reads_the_same_messages(site):
    client = Client()
    token = start(client, site).json()["token"]
    auth = {"origin": ORIGIN, "authorization": f"Bearer {token}"}

    sent = client.post(
        "/api/widget/messages",
        {"client_id": "r-1", "text": "Puis-je retourner un article ?"},
        content_type="application/json",
        headers=auth,
    )
    resent = client.post(
        "/api/widget/messages",
        {"client_id": "r-1", "text": "Puis-je retourner un article ?"},
        content_type="application/json",
        headers=auth,
    )
    listed = client.get("/api/widget/messages?after_seq=1", headers=auth).json()

    assert sent.status_code == 201 and resent.status_code == 200 and resent.json()["duplicate"] is True
    assert [m["author_kind"] for m in listed["messages"]] == ["customer", "ai"]
    assert listed["messages"][1]["sources"][0]["slug"] == "politique-retours"
    assert Message.objects.filter(client_id="r-1").count() == 1


def test_rest_fallback_refuses_bad_tokens_and_foreign_origins(site):
    client = Client()
    token = start(client, site).json()["token"]

    forged = client.get("/api/widget/messages", headers={"origin": ORIGIN, "authorization": "Bearer forged"})
    foreign = client.get(
        "/api/widget/messages", headers={"origin": "https://evil.example", "authorization": f"Bearer {token}"}
    )

    assert forged.status_code == 401 and forged.json()["code"] == "token_invalid"
    assert foreign.status_code == 403


def test_rest_fallback_rejects_oversized_messages_with_a_clear_error(site):
    client = Client()
    token = start(client, site).json()["token"]
    response = client.post(
        "/api/widget/messages",
        {"client_id": "r-2", "text": "x" * 2001},
        content_type="application/json",
        headers={"origin": ORIGIN, "authorization": f"Bearer {token}"},
    )

    assert response.status_code == 400
    assert "2000" in str(response.json())
    assert not Message.objects.filter(client_id="r-2").exists()


def test_staff_api_is_for_staff_only(site):
    factories.visitor_create(site=site)
    anonymous = Client().get("/api/staff/conversations/")
    agent = Client()
    agent.force_login(factories.agent_create())
    listed = agent.get("/api/staff/conversations/")

    assert anonymous.status_code == 403
    assert listed.status_code == 200 and len(listed.json()["conversations"]) == 1
