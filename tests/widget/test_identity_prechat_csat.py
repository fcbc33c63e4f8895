"""Signed-in users, the pre-chat form, satisfaction ratings and emailed transcripts, through the widget's REST API."""

import pytest
from django.core import mail
from django.test import Client, override_settings

from cxhub.conversations.models import ConversationEvent, Customer, Message, SatisfactionRating
from cxhub.conversations.services import (
    conversation_close,
    identity_hash,
    message_record,
    transcript_email_send,
)
from tests import factories

pytestmark = pytest.mark.django_db(transaction=True)

ORIGIN = factories.SHOP_ORIGIN
LOCMEM = override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend", CELERY_TASK_ALWAYS_EAGER=True)


@pytest.fixture
def site():
    return factories.site_create()


def visitor(site, locale: str = "en"):
    customer, conversation, token = factories.visitor_create(site=site, locale=locale)
    return conversation, {"origin": ORIGIN, "authorization": f"Bearer {token}"}


def post(path: str, headers: dict, body: dict):
    return Client().post(f"/api/widget/{path}", body, content_type="application/json", headers=headers)


# ---------------------------------------------------------------- identify


def test_a_valid_hash_marks_the_customer_identified_once(site):
    conversation, headers = visitor(site)
    user_hash = identity_hash(secret=site.identity_secret, user_id="user-42")

    response = post("identify", headers, {"user_id": "user-42", "user_hash": user_hash})
    again = post("identify", headers, {"user_id": "user-42", "user_hash": user_hash.upper()})

    assert response.status_code == 200 and response.json() == {"identified": True, "user_id": "user-42"}
    assert again.status_code == 200
    customer = Customer.objects.get(pk=conversation.customer_id)
    assert customer.is_identified and customer.external_id == "user-42"
    events = conversation.events.filter(kind=ConversationEvent.Kind.CUSTOMER_IDENTIFIED)
    assert [e.data for e in events] == [{"external_id": "user-42"}]


@pytest.mark.parametrize(
    "body",
    [
        {"user_id": "user-42", "user_hash": "0" * 64},
        {"user_id": "user-43", "user_hash": "HASH-OF-42"},
        {"user_id": "", "user_hash": "HASH-OF-42"},
        {"user_id": "user-42"},
        {"user_id": 42, "user_hash": "HASH-OF-42"},
    ],
)
def test_a_wrong_hash_is_refused_and_changes_nothing(site, body):
    conversation, headers = visitor(site)
    good = identity_hash(secret=site.identity_secret, user_id="user-42")
    body = {k: (good if v == "HASH-OF-42" else v) for k, v in body.items()}

    response = post("identify", headers, body)

    assert response.status_code == 400 and response.json()["code"] == "identity_invalid"
    customer = Customer.objects.get(pk=conversation.customer_id)
    assert not customer.is_identified and customer.external_id == ""
    assert not conversation.events.filter(kind=ConversationEvent.Kind.CUSTOMER_IDENTIFIED).exists()


def test_another_sites_secret_is_refused(site):
    other = factories.site_create(name="Other shop")
    _, headers = visitor(site)
    assert other.identity_secret != site.identity_secret

    response = post(
        "identify", headers, {"user_id": "u1", "user_hash": identity_hash(secret=other.identity_secret, user_id="u1")}
    )

    assert response.json()["code"] == "identity_invalid"


# ---------------------------------------------------------------- pre-chat


def test_the_session_tells_the_widget_which_prechat_fields_to_ask(site):
    site.prechat_fields = ["topic", "name", "phone"]
    site.save()

    body = (
        Client()
        .post(
            "/api/widget/sessions", {"site_key": site.key}, content_type="application/json", headers={"origin": ORIGIN}
        )
        .json()
    )

    assert body["prechat_fields"] == ["name", "topic"]
    assert body["prechat_done"] is False and body["email_known"] is False


def test_prechat_values_are_saved_on_the_customer_and_the_topic_in_the_record(site):
    site.prechat_fields = ["name", "email", "topic"]
    site.save()
    conversation, headers = visitor(site)

    response = post("prechat", headers, {"name": " Ada ", "email": "ada@example.com", "topic": "Order 1234"})

    assert response.status_code == 200 and response.json() == {"name": "Ada", "email": "ada@example.com"}
    customer = Customer.objects.get(pk=conversation.customer_id)
    assert (customer.display_name, customer.email) == ("Ada", "ada@example.com")
    event = conversation.events.get(kind=ConversationEvent.Kind.PRECHAT_SUBMITTED)
    assert event.data == {"fields": ["email", "name", "topic"], "topic": "Order 1234"}


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"name": "Ada", "email": "not-an-email", "topic": "x"}, "email_invalid"),
        ({"name": "", "email": "ada@example.com", "topic": "x"}, "name_invalid"),
        ({"email": "ada@example.com", "topic": "x"}, "name_invalid"),
        ({"name": "A" * 201, "email": "ada@example.com", "topic": "x"}, "name_too_long"),
        ({"name": "Ada", "email": "ada@example.com", "topic": "t" * 201}, "topic_too_long"),
        ({"name": "Ada", "email": "ada@example.com", "topic": 5}, "topic_invalid"),
    ],
)
def test_prechat_is_validated_with_clear_errors(site, body, code):
    site.prechat_fields = ["name", "email", "topic"]
    site.save()
    conversation, headers = visitor(site)

    response = post("prechat", headers, body)

    assert response.status_code == 400 and response.json()["code"] == code and response.json()["message"]
    assert Customer.objects.get(pk=conversation.customer_id).display_name == ""


def test_prechat_is_refused_when_the_site_has_no_form(site):
    _, headers = visitor(site)

    assert post("prechat", headers, {"name": "Ada"}).json()["code"] == "prechat_disabled"


# ---------------------------------------------------------------- satisfaction


def say(conversation, author_kind: str, text: str, provenance: str | None = None, agent=None):
    message_record(
        conversation=conversation,
        author_kind=author_kind,
        provenance=provenance or author_kind,
        text=text,
        agent=agent,
    )


@pytest.mark.parametrize("score", [0, 6, "5", None, True, 2.5])
def test_a_score_outside_1_to_5_is_refused(site, score):
    conversation, headers = visitor(site)

    response = post("csat", headers, {"score": score})

    assert response.json()["code"] == "score_invalid"
    assert not SatisfactionRating.objects.exists()


def test_a_comment_over_1000_characters_is_refused(site):
    _, headers = visitor(site)

    assert post("csat", headers, {"score": 4, "comment": "x" * 1001}).json()["code"] == "comment_too_long"
    assert post("csat", headers, {"score": 4, "comment": "x" * 1000}).status_code == 200


@pytest.mark.parametrize(
    ("authors", "handled_by"),
    [(["ai"], "ai"), ([], "ai"), (["human"], "human"), (["ai", "human"], "both"), (["ai_approved"], "ai")],
)
def test_the_rating_says_who_handled_the_conversation(site, authors, handled_by):
    conversation, headers = visitor(site)
    agent = factories.agent_create()
    for author in authors:
        if author == "ai_approved":
            say(conversation, "ai", "Drafted", provenance="ai_approved")
        else:
            say(conversation, author, "Hello", agent=agent if author == "human" else None)

    body = post("csat", headers, {"score": 5}).json()

    assert body["handled_by"] == handled_by
    assert SatisfactionRating.objects.get(conversation=conversation).handled_by == handled_by


def test_rating_again_updates_the_single_rating_of_the_closed_conversation(site):
    conversation, headers = visitor(site)
    conversation_close(conversation_id=conversation.pk, actor_kind="customer")

    first = post("csat", headers, {"score": 2, "conversation_id": conversation.public_id})
    second = post("csat", headers, {"score": 5, "comment": "Better now", "conversation_id": conversation.public_id})

    assert first.status_code == second.status_code == 200
    rating = SatisfactionRating.objects.get()
    assert (rating.conversation_id, rating.score, rating.comment) == (conversation.pk, 5, "Better now")
    assert conversation.events.filter(kind=ConversationEvent.Kind.SATISFACTION_RATED).count() == 2


def test_a_visitor_cannot_rate_or_email_another_visitors_conversation(site):
    theirs, _ = visitor(site)
    _, mine = visitor(site)

    rated = post("csat", mine, {"score": 1, "conversation_id": theirs.public_id})
    emailed = post("transcript", mine, {"email": "me@example.com", "conversation_id": theirs.public_id})

    assert rated.json()["code"] == emailed.json()["code"] == "conversation_unknown"
    assert not SatisfactionRating.objects.exists()
    assert not ConversationEvent.objects.filter(kind=ConversationEvent.Kind.TRANSCRIPT_REQUESTED).exists()


def test_the_customer_can_end_the_conversation(site):
    conversation, headers = visitor(site)

    response = post("end", headers, {})

    assert response.json()["state"]["status"] == "closed"
    event = conversation.events.get(kind=ConversationEvent.Kind.CONVERSATION_CLOSED)
    assert (event.actor_kind, event.data) == ("customer", {"outcome": "ended_by_customer"})


# ---------------------------------------------------------------- transcript by email


def conversation_with_everyone(site, locale: str):
    conversation, headers = visitor(site, locale=locale)
    agent = factories.agent_create()
    say(conversation, "customer", "Where is my lamp?")
    say(conversation, "ai", "It ships tomorrow.")
    say(conversation, "ai", "Approved answer.", provenance="ai_approved")
    say(conversation, "human", "Let me check.", agent=agent)
    say(conversation, "human", "Edited with help.", provenance="human_ai_assisted", agent=agent)
    return conversation, headers


@LOCMEM
def test_the_transcript_is_emailed_with_who_wrote_each_line(site):
    conversation, headers = conversation_with_everyone(site, "en")

    response = post("transcript", headers, {"email": "ada@example.com"})

    assert response.status_code == 202 and response.json() == {"email": "ada@example.com"}
    assert len(mail.outbox) == 1
    sent = mail.outbox[0]
    assert sent.to == ["ada@example.com"] and sent.subject == "Your conversation transcript"
    lines = sent.body.splitlines()
    assert any(line.endswith("] You: Where is my lamp?") for line in lines)
    assert any(line.endswith("] AI assistant: It ships tomorrow.") for line in lines)
    assert any(line.endswith("] AI-drafted, approved by a person: Approved answer.") for line in lines)
    assert any(line.endswith("] Marie Dupont: Let me check.") for line in lines)
    assert any(line.endswith("] Marie Dupont, with AI assistance: Edited with help.") for line in lines)
    assert any(line.startswith("[") and "] Notice: You are chatting with an AI" in line for line in lines)


@LOCMEM
def test_the_french_transcript_is_in_french_and_a_redelivery_sends_nothing_more(site):
    conversation, headers = conversation_with_everyone(site, "fr")

    post("transcript", headers, {"email": "ada@example.com"})
    request = conversation.events.get(kind=ConversationEvent.Kind.TRANSCRIPT_REQUESTED)
    resent = transcript_email_send(request_event_id=request.pk)

    assert resent is False and len(mail.outbox) == 1
    body = mail.outbox[0].body
    assert mail.outbox[0].subject == "Transcription de votre conversation"
    assert "] Vous: Where is my lamp?" in body
    assert "] Assistant IA: It ships tomorrow." in body
    assert "] Rédigé par l’IA, approuvé par une personne: Approved answer." in body
    assert "] Marie Dupont, avec l’aide de l’IA: Edited with help." in body


@LOCMEM
def test_the_transcript_goes_to_the_email_on_file_or_needs_one(site):
    conversation, headers = visitor(site)

    assert post("transcript", headers, {}).json()["code"] == "email_invalid"
    Customer.objects.filter(pk=conversation.customer_id).update(email="known@example.com")
    assert post("transcript", headers, {}).json() == {"email": "known@example.com"}
    assert mail.outbox[0].to == ["known@example.com"]
    assert Message.objects.filter(conversation=conversation).count() == 1
