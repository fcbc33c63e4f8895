"""The copilot reaches agents through the staff API and the handoff card; customers and non-staff never see it."""

import pytest
from django.test import Client

from cxhub.assistant.models import AssistantDecision, ComplianceRule, Suggestion
from cxhub.conversations.models import AutonomyLevel
from routing.services import autonomy_set, customer_message_handle
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def conversation():
    factories.knowledge_base_create()
    site = factories.site_create()
    _, conversation, _ = factories.visitor_create(site=site)
    customer_message_handle(conversation_id=conversation.pk, text="How long does shipping take?", client_id="c1")
    return conversation


def agent_client() -> Client:
    client = Client()
    client.force_login(factories.agent_create())
    return client


def test_an_agent_gets_suggestions_grounded_in_the_right_article(conversation):
    response = agent_client().get(f"/api/staff/conversations/{conversation.pk}/copilot")

    assert response.status_code == 200
    body = response.json()
    assert body["disabled"] is False
    assert body["suggestions"][0]["article_slug"] == "shipping-times"
    assert "2–4 business days" in body["suggestions"][0]["text"]
    assert AssistantDecision.objects.filter(conversation=conversation, kind="suggestion").exists()


def test_the_agent_reports_what_they_did_with_a_suggestion(conversation):
    client = agent_client()
    suggestion_id = client.get(f"/api/staff/conversations/{conversation.pk}/copilot").json()["suggestions"][0]["id"]

    response = client.post(
        f"/api/staff/suggestions/{suggestion_id}/outcome",
        {"sent_text": "Delivery takes 2–4 business days, and I'll keep an eye on it."},
        content_type="application/json",
    )

    assert response.json()["status"] == "edited"
    assert Suggestion.objects.get(pk=suggestion_id).status == Suggestion.Status.EDITED


def test_a_customer_who_chose_only_a_person_gets_no_ai_even_in_the_agents_panel(conversation):
    autonomy_set(conversation_id=conversation.pk, level=AutonomyLevel.HUMAN_ONLY)
    decisions_before = AssistantDecision.objects.count()

    body = agent_client().get(f"/api/staff/conversations/{conversation.pk}/copilot").json()

    assert body["disabled"] is True and "suggestions" not in body
    assert AssistantDecision.objects.count() == decisions_before


def test_the_handoff_card_carries_the_summary_and_compliance_reminders(conversation):
    ComplianceRule.objects.create(
        name="Delivery dates", keywords=["shipping"], reminder_en="Never promise a delivery date."
    )

    card = agent_client().get(f"/api/staff/conversations/{conversation.pk}/handoff").json()

    assert "How long does shipping take?" in card["summary"]
    assert [r["reminder"] for r in card["compliance_reminders"]] == ["Never promise a delivery date."]


def test_visitors_and_non_staff_cannot_read_the_copilot(conversation):
    outsider = Client()
    outsider.force_login(factories.agent_create(username="bob", staff=False))

    assert Client().get(f"/api/staff/conversations/{conversation.pk}/copilot").status_code in (401, 403)
    assert outsider.get(f"/api/staff/conversations/{conversation.pk}/copilot").status_code == 403


def test_a_handoff_prepares_the_copilot_before_an_agent_opens_it(conversation, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        customer_message_handle(conversation_id=conversation.pk, text="I want to talk to a human", client_id="c2")

    assert AssistantDecision.objects.filter(conversation=conversation, kind="summary").exists()
    assert AssistantDecision.objects.filter(conversation=conversation, kind="suggestion").exists()


def test_no_copilot_work_is_queued_for_a_customer_who_wants_only_a_person(
    conversation, django_capture_on_commit_callbacks
):
    autonomy_set(conversation_id=conversation.pk, level=AutonomyLevel.HUMAN_ONLY)

    with django_capture_on_commit_callbacks(execute=True):
        customer_message_handle(conversation_id=conversation.pk, text="Hello?", client_id="c3")

    assert not AssistantDecision.objects.filter(conversation=conversation, kind__in=["summary", "suggestion"]).exists()
