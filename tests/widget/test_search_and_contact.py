"""Self-service search and leaving an email, through the widget's REST API and the services behind it."""

import pytest
from django.test import Client

from cxhub.assistant.models import Article
from cxhub.assistant.search import SEARCH_MAX_CHARS, visitor_articles_search
from cxhub.assistant.services import knowledge_base_changed, knowledge_base_default
from cxhub.conversations.models import Conversation, ConversationEvent, Customer, Message
from cxhub.conversations.services import ConversationError, conversation_close, customer_contact_leave
from tests import factories

pytestmark = pytest.mark.django_db(transaction=True)

ORIGIN = factories.SHOP_ORIGIN


@pytest.fixture
def site():
    # The demo shop's knowledge base: big enough to calibrate, so confidences mean something.
    factories.demo_knowledge_base_create()
    return factories.site_create()


def visitor(site, locale: str = "en"):
    customer, conversation, token = factories.visitor_create(site=site, locale=locale)
    return conversation, {"origin": ORIGIN, "authorization": f"Bearer {token}"}


def search(headers: dict, query: str | None):
    return Client().get("/api/widget/articles", {} if query is None else {"q": query}, headers=headers)


def leave_email(headers: dict, email):
    return Client().post("/api/widget/contact", {"email": email}, content_type="application/json", headers=headers)


# ---------------------------------------------------------------- search


def test_a_paraphrase_finds_the_article_it_means_best_first(site):
    _, headers = visitor(site)

    response = search(headers, "Can I send back a lamp I bought")

    assert response.status_code == 200
    body = response.json()
    assert body["query"] == "Can I send back a lamp I bought"
    assert body["articles"][0]["slug"] == "returns-policy"
    assert set(body["articles"][0]) == {"slug", "title", "answer", "locale"}
    assert "30 days" in body["articles"][0]["answer"]
    assert len(body["articles"]) <= 5
    assert response["Access-Control-Allow-Origin"] == ORIGIN


def test_a_french_visitor_finds_the_french_article(site):
    _, headers = visitor(site, locale="fr")

    articles = search(headers, "combien de jours pour recevoir ma lampe").json()["articles"]

    assert articles[0]["slug"] == "delais-livraison" and articles[0]["locale"] == "fr"


@pytest.mark.parametrize("junk", ["asdkjh qwe zzz", "spaceship warp drive", "hello"])
def test_junk_finds_nothing_rather_than_random_articles(site, junk):
    _, headers = visitor(site)

    response = search(headers, junk)

    assert response.status_code == 200 and response.json()["articles"] == []


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("", "query_empty"),
        ("   ", "query_empty"),
        (None, "query_empty"),
        ("x" * (SEARCH_MAX_CHARS + 1), "query_too_long"),
    ],
)
def test_empty_or_oversized_searches_get_a_clear_error(site, query, code):
    _, headers = visitor(site)

    response = search(headers, query)

    assert response.status_code == 400
    assert response.json()["code"] == code and response.json()["message"]


def test_searching_posts_nothing_to_the_conversation(site):
    conversation, headers = visitor(site)
    before = conversation.messages.count()

    search(headers, "How do I track my order?")

    assert conversation.messages.count() == before


def test_draft_articles_are_never_found():
    knowledge_base = knowledge_base_default()
    factories.knowledge_base_create(published=False, knowledge_base=knowledge_base)
    Article.objects.create(
        knowledge_base=knowledge_base,
        slug="gift-cards",
        title="Do you sell gift cards?",
        answer="Gift cards are on sale from 20 euros.",
        questions=["Can I buy a gift card?", "Do you have gift vouchers?"],
        locale="en",
        status=Article.Status.PUBLISHED,
    )
    knowledge_base_changed(knowledge_base_id=knowledge_base.pk)
    _, conversation, _ = factories.visitor_create(site=factories.site_create())

    found = visitor_articles_search(conversation_id=conversation.pk, query="How long does delivery take?")

    assert "shipping-times" not in [a["slug"] for a in found]


def test_an_empty_knowledge_base_finds_nothing():
    _, conversation, _ = factories.visitor_create(site=factories.site_create())

    assert visitor_articles_search(conversation_id=conversation.pk, query="delivery") == []


def test_search_needs_a_valid_visitor_token(site):
    forged = search({"origin": ORIGIN, "authorization": "Bearer forged"}, "delivery")
    foreign = search({**visitor(site)[1], "origin": "https://evil.example"}, "delivery")

    assert forged.status_code == 401 and forged.json()["code"] == "token_invalid"
    assert foreign.status_code == 403


# ---------------------------------------------------------------- leaving an email


def test_leaving_an_email_saves_it_records_it_and_tells_the_customer(site):
    conversation, headers = visitor(site)

    response = leave_email(headers, "  ana@example.org ")

    assert response.status_code == 200 and response.json() == {"email": "ana@example.org"}
    assert Customer.objects.get(pk=conversation.customer_id).email == "ana@example.org"
    event = conversation.events.get(kind=ConversationEvent.Kind.CONTACT_LEFT)
    assert event.actor_kind == "customer" and event.data == {"email": "ana@example.org", "owner": "ai"}
    last = conversation.messages.order_by("-seq").first()
    assert last.author_kind == Message.AuthorKind.SYSTEM
    assert last.text == "Thank you. A person will reply to ana@example.org."


def test_a_french_customer_is_told_in_french(site):
    conversation, headers = visitor(site, locale="fr")

    leave_email(headers, "lea@example.fr")

    last = conversation.messages.order_by("-seq").first()
    assert last.text == "Merci. Une personne vous répondra à l’adresse lea@example.fr."


@pytest.mark.parametrize("email", ["not an email", "ana@", "", None, 42, "a" * 250 + "@example.org"])
def test_an_invalid_email_is_refused_and_nothing_is_stored(site, email):
    conversation, headers = visitor(site)
    before = conversation.messages.count()

    response = leave_email(headers, email)

    assert response.status_code == 400
    assert response.json()["code"] == "email_invalid" and response.json()["message"]
    assert Customer.objects.get(pk=conversation.customer_id).email == ""
    assert not conversation.events.filter(kind=ConversationEvent.Kind.CONTACT_LEFT).exists()
    assert conversation.messages.count() == before


def test_sending_the_same_email_again_says_it_once(site):
    conversation, headers = visitor(site)

    leave_email(headers, "ana@example.org")
    again = leave_email(headers, "ana@example.org")
    changed = leave_email(headers, "ana.b@example.org")

    assert again.status_code == 200 and changed.status_code == 200
    assert conversation.events.filter(kind=ConversationEvent.Kind.CONTACT_LEFT).count() == 2
    assert conversation.messages.filter(text__startswith="Thank you.").count() == 2
    assert Customer.objects.get(pk=conversation.customer_id).email == "ana.b@example.org"


def test_another_visitors_token_only_ever_writes_to_their_own_conversation(site):
    mine, _ = visitor(site)
    theirs, their_headers = visitor(site)
    before = mine.messages.count()

    leave_email(their_headers, "intruder@example.org")
    forged = leave_email({"origin": ORIGIN, "authorization": "Bearer forged"}, "intruder@example.org")

    assert forged.status_code == 401
    assert Customer.objects.get(pk=mine.customer_id).email == ""
    assert mine.messages.count() == before
    assert not mine.events.filter(kind=ConversationEvent.Kind.CONTACT_LEFT).exists()
    assert Customer.objects.get(pk=theirs.customer_id).email == "intruder@example.org"


def test_a_closed_conversation_takes_no_email(site):
    conversation, _ = visitor(site)
    conversation_close(conversation_id=conversation.pk, actor_kind="customer")

    with pytest.raises(ConversationError) as refused:
        customer_contact_leave(conversation_id=conversation.pk, email="ana@example.org")

    assert refused.value.code == "conversation_closed"
    assert Conversation.objects.get(pk=conversation.pk).customer.email == ""
