"""Canned responses: the agent's teams' and everyone's, the conversation's language first, variables filled."""

import pytest

from cxhub.canned.models import CannedResponse
from cxhub.canned.services import canned_demo_seed
from cxhub.conversations.models import Customer
from tests.staff.console_world import client_for, world

pytestmark = pytest.mark.django_db

EVERY_VARIABLE = (
    "{customer_name}|{customer_first_name}|{customer_email}|{agent_name}|{agent_first_name}|{site_name}|"
    "{conversation_ref}"
)


def canned(client, conversation_id) -> list[dict]:
    response = client.get("/api/staff/canned", {"conversation_id": conversation_id})
    assert response.status_code == 200
    return response.json()["canned"]


def test_every_variable_is_filled_from_the_conversation_and_the_agent():
    given = world()
    CannedResponse.objects.create(title="All", shortcut="all", text=EVERY_VARIABLE)

    [row] = canned(client_for(given.marie), given.billing.pk)

    ref = given.billing.public_id[:8].upper()
    assert row["rendered"] == f"Alice Martin|Alice|alice@example.com|Marie Dupont|Marie|Maison Lumière|{ref}"
    assert row["missing"] == [] and row["text"] == EVERY_VARIABLE and row["shortcut"] == "all"


def test_an_unknown_or_empty_variable_is_listed_and_never_left_as_a_brace():
    given = world()
    Customer.objects.filter(pk=given.billing.customer_id).update(display_name="", email="")
    CannedResponse.objects.create(title="Hi", shortcut="hi", text="Hi {customer_first_name}, your code is {coupon}.")

    [row] = canned(client_for(given.marie), given.billing.pk)

    assert row["rendered"] == "Hi, your code is."
    assert row["missing"] == ["customer_first_name", "coupon"]


def test_an_agent_sees_their_teams_and_everyones_responses_in_the_conversations_language_first():
    given = world(locale="fr")
    CannedResponse.objects.create(title="Refund", shortcut="refund", locale="en", text="Refund")
    CannedResponse.objects.create(title="Remboursement", shortcut="refund", locale="fr", text="Remboursement")
    CannedResponse.objects.create(title="Any", shortcut="any", locale="", text="Any language")
    CannedResponse.objects.create(title="Billing", shortcut="billing", locale="fr", team=given.billing.team, text="B")
    CannedResponse.objects.create(title="Care", shortcut="care", locale="fr", team=given.care.team, text="C")
    CannedResponse.objects.create(title="Old", shortcut="old", locale="fr", text="Old", is_active=False)

    rows = canned(client_for(given.marie), given.billing.pk)

    assert [(r["shortcut"], r["locale"]) for r in rows] == [
        ("billing", "fr"),
        ("refund", "fr"),
        ("any", ""),
        ("refund", "en"),
    ]


def test_canned_responses_for_another_teams_conversation_are_not_found():
    given = world()
    CannedResponse.objects.create(title="Hi", shortcut="hi", text="Hi {customer_name}")

    response = client_for(given.marie).get("/api/staff/canned", {"conversation_id": given.care.pk})

    assert response.status_code == 404


def test_the_demo_responses_are_seeded_once_in_english_and_french():
    canned_demo_seed()
    canned_demo_seed()

    assert CannedResponse.objects.filter(locale="en").count() == 4
    assert CannedResponse.objects.filter(locale="fr").count() == 4
