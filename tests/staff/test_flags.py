"""Agents flag wrong AI answers; the flags are work items in admin for the "AI trainers"."""

import pytest
from django.contrib.auth.models import Group

from cxhub.assistant.feedback import AI_TRAINERS_GROUP
from cxhub.assistant.models import AnswerFlag, AssistantDecision
from cxhub.conversations.models import ConversationEvent
from tests import factories
from tests.staff.console_world import client_for, world

pytestmark = pytest.mark.django_db


def flag(client, conversation_id: int, **body):
    return client.post(f"/api/staff/conversations/{conversation_id}/flags", body, content_type="application/json")


def test_an_agent_flags_an_ai_answer_with_the_right_article_and_a_note():
    given = world()
    client = client_for(given.marie)

    response = flag(
        client, given.billing.pk, message_seq=given.ai_seq, article_slug="returns-policy", note="asked about returns"
    )
    card = client.get(f"/api/staff/conversations/{given.billing.pk}/handoff").json()

    assert response.status_code == 201
    created = AnswerFlag.objects.get(pk=response.json()["flag_id"])
    reply_decision = AssistantDecision.objects.get(message=created.message)
    assert created.message.seq == given.ai_seq and created.decision == reply_decision
    assert created.flagged_by == given.marie and created.status == "open"
    assert created.suggested_article.slug == "returns-policy" and created.note == "asked about returns"
    event = given.billing.events.get(kind=ConversationEvent.Kind.ANSWER_FLAGGED)
    assert event.data == {
        "flag_id": created.pk,
        "message_seq": given.ai_seq,
        "decision_id": reply_decision.pk,
        "article_slug": "returns-policy",
    }
    assert card["flags"] == [
        {
            "id": created.pk,
            "message_seq": given.ai_seq,
            "status": "open",
            "note": "asked about returns",
            "article_slug": "returns-policy",
        }
    ]


def test_only_ai_answers_can_be_flagged():
    given = world()

    response = flag(client_for(given.marie), given.billing.pk, message_seq=given.customer_seq, note="wrong")

    assert response.status_code == 400 and response.json()["code"] == "not_an_ai_answer"
    assert not AnswerFlag.objects.exists()


def test_an_unknown_article_is_refused_rather_than_dropped():
    given = world()

    response = flag(client_for(given.marie), given.billing.pk, message_seq=given.ai_seq, article_slug="no-such")

    assert response.status_code == 400 and response.json()["code"] == "article_unknown"
    assert not AnswerFlag.objects.exists()


def test_another_teams_answers_cannot_be_flagged():
    given = world()
    care_ai_seq = given.care.messages.filter(author_kind="ai").values_list("seq", flat=True).first()

    response = flag(client_for(given.marie), given.care.pk, message_seq=care_ai_seq)

    assert response.status_code == 404 and not AnswerFlag.objects.exists()


def ai_trainer():
    trainer = factories.agent_create(username="tara", first_name="Tara", last_name="Trainer")
    trainer.groups.add(Group.objects.get(name=AI_TRAINERS_GROUP))
    return trainer


def test_ai_trainers_may_change_the_knowledge_base_and_flags_only():
    group = Group.objects.get(name=AI_TRAINERS_GROUP)

    models = set(group.permissions.values_list("content_type__model", flat=True))
    codenames = set(group.permissions.values_list("codename", flat=True))

    assert models == {"article", "knowledgebase", "answerflag"}
    assert {"change_article", "add_article", "change_knowledgebase", "change_answerflag"} <= codenames


def test_a_flag_is_an_open_work_item_in_admin_until_marked_fixed():
    given = world()
    flag_id = flag(
        client_for(given.marie), given.billing.pk, message_seq=given.ai_seq, article_slug="returns-policy", note="nope"
    ).json()["flag_id"]
    trainer = client_for(ai_trainer())

    listed = trainer.get("/admin/assistant/answerflag/")
    fixed = trainer.post(
        "/admin/assistant/answerflag/", {"action": "mark_fixed", "_selected_action": [flag_id]}, follow=True
    )
    after = trainer.get("/admin/assistant/answerflag/")

    assert listed.status_code == 200
    page = listed.content.decode()
    for shown in ("How long does shipping take?", "Delivery takes 2–4 business days.", "shipping-times", "nope"):
        assert shown in page
    assert "returns-policy" in page or "What is your returns policy?" in page
    assert fixed.status_code == 200
    closed = AnswerFlag.objects.get(pk=flag_id)
    assert closed.status == "fixed" and closed.resolved_by.username == "tara" and closed.resolved_at is not None
    assert "Delivery takes 2–4 business days." not in after.content.decode()  # no longer an open item
    assert "Delivery takes" in trainer.get("/admin/assistant/answerflag/?status=fixed").content.decode()


def test_a_flag_can_be_dismissed_from_admin():
    given = world()
    flag_id = flag(client_for(given.marie), given.billing.pk, message_seq=given.ai_seq).json()["flag_id"]

    client_for(ai_trainer()).post("/admin/assistant/answerflag/", {"action": "dismiss", "_selected_action": [flag_id]})

    assert AnswerFlag.objects.get(pk=flag_id).status == "dismissed"
