"""The API channel: a company's server opens conversations, posts its customers' messages, reads the replies
after a seq and asks for a person, with a per-site key; other keys and other sites' conversations get nothing."""

import pytest
from django.test import Client

from cxhub.api_channel.models import ApiKey
from cxhub.api_channel.services import api_key_create
from cxhub.conversations.models import Conversation, Customer, Message
from tests import factories

pytestmark = pytest.mark.django_db(transaction=True)
BASE = "/api/channel/v1"


@pytest.fixture
def site():
    factories.knowledge_base_create()
    return factories.site_create()


@pytest.fixture
def key(site):
    return api_key_create(site=site, name="Call-centre bridge")[1]


def call(method: str, path: str, key: str, body: dict | None = None, **query):
    client = Client(headers={"Authorization": f"Bearer {key}"})
    if method == "get":
        return client.get(BASE + path, query)
    return client.post(BASE + path, body or {}, content_type="application/json")


def test_a_company_opens_a_conversation_posts_a_message_and_reads_the_ai_reply_after_a_seq(site, key):
    opened = call("post", "/conversations", key, {"customer": {"external_id": "crm-42", "name": "Ana", "locale": "fr"}})

    assert opened.status_code == 201
    conversation_id = opened.json()["id"]
    conversation = Conversation.objects.get(public_id=conversation_id)
    assert conversation.channel == Conversation.Channel.API
    assert (conversation.customer.external_id, conversation.customer.is_identified) == ("crm-42", True)
    seen = opened.json()["last_seq"]  # the disclosure is already there

    posted = call(
        "post",
        f"/conversations/{conversation_id}/messages",
        key,
        {"client_id": "m1", "text": "Quels sont les délais de livraison ?"},
    )
    again = call(
        "post",
        f"/conversations/{conversation_id}/messages",
        key,
        {"client_id": "m1", "text": "Quels sont les délais de livraison ?"},
    )

    assert posted.status_code == 201 and again.status_code == 200 and again.json()["duplicate"] is True
    read = call("get", f"/conversations/{conversation_id}/messages", key, after_seq=seen).json()
    assert [m["author_kind"] for m in read["messages"]] == ["customer", "ai"]
    assert read["messages"][0]["seq"] == posted.json()["seq"]
    assert "2 à 4 jours" in read["messages"][1]["text"]
    assert (
        call("get", f"/conversations/{conversation_id}/messages", key, after_seq=read["last_seq"]).json()["messages"]
        == []
    )


def test_the_same_external_id_continues_the_customers_open_conversation(site, key):
    first = call("post", "/conversations", key, {"customer": {"external_id": "crm-42"}}).json()
    second = call("post", "/conversations", key, {"customer": {"external_id": "crm-42"}})

    assert second.status_code == 200 and second.json()["id"] == first["id"]
    assert Customer.objects.count() == 1


def test_asking_for_a_person_queues_the_conversation(site, key):
    conversation_id = call("post", "/conversations", key).json()["id"]

    response = call("post", f"/conversations/{conversation_id}/handoff", key, {"reason": "pressed 0 on the phone"})

    assert response.status_code == 200
    assert Conversation.objects.get(public_id=conversation_id).owner == Conversation.Owner.QUEUE


@pytest.mark.parametrize("wrong", ["", "cxk_nope_nope", "not-a-key"])
def test_a_wrong_or_missing_key_gets_401_and_creates_nothing(site, key, wrong):
    response = call("post", "/conversations", wrong)

    assert response.status_code == 401 and response.json()["code"] == "api_key_invalid"
    assert not Conversation.objects.exists()


def test_a_revoked_key_or_one_with_a_changed_secret_gets_401(site, key):
    prefix = key.split("_")[1]
    assert call("post", "/conversations", key[:-2] + "xx").status_code == 401
    ApiKey.objects.filter(prefix=prefix).update(revoked=True)
    assert call("post", "/conversations", key).status_code == 401


def test_another_sites_conversation_answers_404_as_if_it_did_not_exist(site, key):
    other_site = factories.site_create(name="Other shop")
    other_key = api_key_create(site=other_site, name="Theirs")[1]
    theirs = call("post", "/conversations", other_key).json()["id"]

    for method, path in [("get", ""), ("get", "/messages"), ("post", "/messages"), ("post", "/handoff")]:
        response = call(method, f"/conversations/{theirs}{path}", key, {"client_id": "x", "text": "hello"})
        assert response.status_code == 404, (method, path)
    assert not Message.objects.filter(conversation__public_id=theirs, author_kind="customer").exists()


def test_the_key_is_stored_only_as_a_hash(site, key):
    stored = ApiKey.objects.get()
    assert key not in (stored.key_hash, stored.prefix) and len(stored.key_hash) == 64


def test_an_admin_creates_a_key_in_admin_and_sees_it_once(site):
    from django.contrib.auth import get_user_model

    admin = get_user_model().objects.create_superuser("root", "root@example.org", "pw")
    client = Client()
    client.force_login(admin)

    response = client.post("/admin/api_channel/apikey/add/", {"site": site.pk, "name": "Phone bot"}, follow=True)

    shown = next(str(m) for m in response.context["messages"] if "cxk_" in str(m))
    raw = shown.split(": ", 1)[1].split(" ")[0]
    assert call("post", "/conversations", raw).status_code == 201
    assert ApiKey.objects.get().name == "Phone bot"
