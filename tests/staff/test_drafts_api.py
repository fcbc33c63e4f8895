"""Staff list the AI drafts waiting for approval over HTTP (the console loads them on every connect)."""

import pytest
from django.test import Client

from cxhub.conversations.models import AutonomyLevel
from routing.approvals import draft_approve
from routing.services import autonomy_set, customer_message_handle
from tests import factories

pytestmark = pytest.mark.django_db


def conversation_at_approval():
    _, conversation, _ = factories.visitor_create(site=factories.site_create())
    autonomy_set(conversation_id=conversation.pk, level=AutonomyLevel.AI_WITH_APPROVAL)
    return conversation


@pytest.fixture
def drafted(django_capture_on_commit_callbacks):
    """Two conversations at `ai_with_approval` whose customers asked, oldest first."""
    factories.knowledge_base_create()
    conversations = []
    for text in ["How long does shipping take?", "Do you sell cars?"]:
        conversation = conversation_at_approval()
        with django_capture_on_commit_callbacks(execute=True):
            customer_message_handle(conversation_id=conversation.pk, text=text, client_id="c1")
        conversations.append(conversation)
    return conversations


def staff_client(username: str = "marie", staff: bool = True) -> Client:
    client = Client()
    client.force_login(factories.agent_create(username=username, staff=staff))
    return client


def test_pending_drafts_oldest_first_with_what_a_reviewer_needs(drafted):
    response = staff_client().get("/api/staff/drafts")

    assert response.status_code == 200
    first, second = response.json()["drafts"]
    assert first["conversation_id"] == drafted[0].pk and second["conversation_id"] == drafted[1].pk
    assert first["question"] == "How long does shipping take?"
    assert first["text"] == "Delivery takes 2–4 business days."
    assert first["article"] == {"slug": "shipping-times", "title": "How long does delivery take?"}
    assert 0 < first["confidence"] <= 1 and first["review_by"] and first["status"] == "pending"
    assert second["article"] is None and second["abstained"] is True


def test_reviewed_drafts_leave_the_list(drafted):
    client = staff_client()
    first = client.get("/api/staff/drafts").json()["drafts"][0]

    draft_approve(draft_id=first["id"], agent=factories.agent_create(username="sam"))

    assert [d["conversation_id"] for d in client.get("/api/staff/drafts").json()["drafts"]] == [drafted[1].pk]


def test_only_staff_see_drafts(drafted):
    assert staff_client(username="visitor", staff=False).get("/api/staff/drafts").status_code == 403
    assert Client().get("/api/staff/drafts").status_code == 403
