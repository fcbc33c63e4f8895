"""Admins try a message in the rule simulator and see which rules fire, on which signals, and what happens."""

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from cxhub.conversations.models import ConversationEvent, Message
from routing.models import RoutingRule, Team
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client():
    client = Client()
    client.force_login(get_user_model().objects.create_superuser("ada", password="pw"))
    return client


def simulate(client, **data):
    fields = {"text": "", "channel": "widget", "locale": "en", "queue_length": 0, **data}
    return client.post("/admin/routing/routingrule/simulate/", fields).content.decode()


def test_the_simulator_shows_signals_rules_and_the_outcome_without_writing_anything(admin_client):
    factories.knowledge_base_create()
    RoutingRule.objects.create(name="Shipping questions", order=1, keywords=["shipping"], priority=2)
    RoutingRule.objects.create(
        name="Legal threats to the legal team",
        order=2,
        signals=["legal_threat"],
        escalation="hand",
        team=Team.objects.create(name="Legal", slug="legal"),
        agent_reminder="Do not admit liability.",
    )

    page = simulate(admin_client, text="I will sue you if my lamp is not delivered tomorrow")

    assert "Hand to a person now" in page
    assert "legal_threat" in page and "sue you" in page  # the signal and the customer's words
    assert "Legal threats to the legal team" in page and "Team: Legal" in page
    assert "Do not admit liability." in page
    assert "✗ keywords [&#x27;shipping&#x27;] (found none)" in page  # why the first rule did not apply
    assert not Message.objects.exists() and not ConversationEvent.objects.exists()


def test_a_calm_question_lets_the_ai_answer(admin_client):
    page = simulate(admin_client, text="How long does shipping take?")

    assert "The AI answers" in page and "None detected." in page


def test_the_rule_list_links_to_the_simulator_and_non_staff_cannot_use_it(admin_client):
    assert "Try a message in the simulator" in admin_client.get("/admin/routing/routingrule/").content.decode()

    response = Client().post("/admin/routing/routingrule/simulate/", {"text": "hi"})

    assert response.status_code == 302 and "/admin/login/" in response["Location"]
