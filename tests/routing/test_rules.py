"""Admin routing rules: ordered matching with reasons, caps the customer is told about, and the record."""

from datetime import UTC, datetime

import pytest

from cxhub.assistant.models import Article
from cxhub.conversations.models import AutonomyLevel, Conversation, ConversationEvent, Message
from routing.models import BusinessHours, RoutingRule, Team
from routing.rules import RoutingContext, hours_contain, level_clamp, rules_evaluate
from routing.services import autonomy_set, customer_message_handle
from routing.signals import Signal
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def conversation():
    factories.knowledge_base_create()
    _, conversation, _ = factories.visitor_create(site=factories.site_create())
    return conversation


def say(conversation, text: str, django_capture_on_commit_callbacks) -> list[Message]:
    with django_capture_on_commit_callbacks(execute=True):
        message, _ = customer_message_handle(
            conversation_id=conversation.pk, text=text, client_id=f"c{Message.objects.count()}"
        )
    return list(Message.objects.filter(conversation=conversation, seq__gt=message.seq).order_by("seq"))


def rule(**fields) -> RoutingRule:
    return RoutingRule.objects.create(**{"name": "rule", **fields})


def test_each_condition_is_explained_whether_it_held_or_not():
    dispute = rule(
        name="Disputes",
        keywords=["dispute", "litige"],
        signals=["complaint_dispute"],
        channels=["widget"],
        ai_confidence_below=0.5,
    )
    context = RoutingContext(
        text="I want to DISPUTE this charge",
        signals=[Signal("complaint_dispute", 0.7, "dispute this charge")],
        ai_confidence=0.8,
    )

    [check] = rules_evaluate(context, [dispute]).checks

    assert not check.matched
    assert check.conditions == [
        "✓ keywords ['dispute', 'litige'] (found ['dispute'])",
        "✓ signals ['complaint_dispute'] (detected ['complaint_dispute'])",
        "✗ AI confidence below 0.5 (was 0.80)",
        "✓ channel in ['widget'] (is widget)",
    ]


def test_the_first_match_applies_unless_it_lets_later_rules_apply_too():
    offer = rule(name="Offer on refunds", order=1, keywords=["refund"], escalation="offer", continue_after_match=True)
    vip = rule(name="VIP priority", order=2, customer_vip=True, priority=5)
    hand = rule(name="Hand refunds", order=3, keywords=["refund"], escalation="hand")
    never = rule(name="After a stop", order=4, priority=9)
    context = RoutingContext(text="refund please", customer_vip=True)

    outcome = rules_evaluate(context, [offer, vip, hand, never])

    assert [c.rule.name for c in outcome.fired] == ["Offer on refunds", "VIP priority"]
    assert outcome.escalation == "offer" and outcome.priority == 5
    assert [c.rule.name for c in outcome.checks] == ["Offer on refunds", "VIP priority"]  # stopped after VIP


def test_business_hours_are_read_in_the_sites_time_zone():
    hours = BusinessHours.objects.create(
        name="Paris office", timezone="Europe/Paris", schedule={"mon": ["09:00", "18:00"]}
    )

    assert hours_contain(hours, datetime(2026, 11, 23, 8, 30, tzinfo=UTC))  # 09:30 in Paris, a Monday
    assert not hours_contain(hours, datetime(2026, 11, 23, 17, 30, tzinfo=UTC))  # 18:30 in Paris
    assert not hours_contain(hours, datetime(2026, 11, 22, 10, 0, tzinfo=UTC))  # Sunday: closed


def test_a_minimum_wins_over_a_maximum_it_contradicts():
    assert level_clamp("ai_only", minimum="human_with_ai", maximum="") == "human_with_ai"
    assert level_clamp("human_only", minimum="", maximum="ai_with_approval") == "ai_with_approval"
    assert level_clamp("ai_only", minimum="human_with_ai", maximum="ai_only") == "human_with_ai"


def test_disputes_go_to_a_person_and_the_customer_is_told_why_in_plain_words(
    conversation, django_capture_on_commit_callbacks
):
    team = Team.objects.create(name="Billing", slug="billing")
    rule(
        name="Disputes: at least a person with AI",
        signals=["complaint_dispute"],
        autonomy_at_least=AutonomyLevel.HUMAN_WITH_AI,
        team=team,
        priority=3,
        agent_reminder="Never promise a refund date.",
        customer_reason_en="billing disputes are handled by a person.",
        customer_reason_fr="les litiges de facturation sont traités par une personne.",
    )

    after = say(conversation, "I want to dispute this charge on my card", django_capture_on_commit_callbacks)

    conversation.refresh_from_db()
    assert conversation.owner == Conversation.Owner.QUEUE
    assert (conversation.autonomy_level, conversation.autonomy_min) == ("human_with_ai", "human_with_ai")
    assert (conversation.team, conversation.priority) == (team, 3)
    assert "billing disputes are handled by a person" in after[0].text
    decision = conversation.events.filter(kind=ConversationEvent.Kind.ROUTING_DECISION).last().data
    assert decision["rules"][0]["name"] == "Disputes: at least a person with AI"
    assert decision["reminders"] == ["Never promise a refund date."]
    assert decision["values"]["signals"] == ["complaint_dispute"]


def test_the_customer_cannot_go_below_a_cap_and_is_told_why(conversation, django_capture_on_commit_callbacks):
    rule(
        name="Disputes",
        keywords=["dispute"],
        autonomy_at_least=AutonomyLevel.HUMAN_WITH_AI,
        customer_reason_en="billing disputes are handled by a person.",
    )
    say(conversation, "I want to dispute this charge", django_capture_on_commit_callbacks)

    autonomy_set(conversation_id=conversation.pk, level=AutonomyLevel.AI_ONLY)

    conversation.refresh_from_db()
    assert conversation.autonomy_level == AutonomyLevel.HUMAN_WITH_AI
    last = conversation.messages.order_by("-seq").first()
    assert "A person, helped by AI" in last.text and "billing disputes are handled by a person" in last.text


def test_an_explicit_request_for_a_person_wins_over_a_cap_on_people(conversation, django_capture_on_commit_callbacks):
    rule(name="Nights: AI only", autonomy_at_most=AutonomyLevel.AI_ONLY, customer_reason_en="no one is in tonight.")

    say(conversation, "I want to talk to a human", django_capture_on_commit_callbacks)

    conversation.refresh_from_db()
    assert conversation.owner == Conversation.Owner.QUEUE


def test_a_rule_on_the_topic_uses_the_article_the_question_is_about(conversation, django_capture_on_commit_callbacks):
    Article.objects.filter(slug="returns-policy").update(tags=["returns"])
    rule(name="Returns: hand over", tags=["returns"], escalation="hand")

    say(conversation, "Can I send back the lamp I bought?", django_capture_on_commit_callbacks)

    conversation.refresh_from_db()
    assert conversation.owner == Conversation.Owner.QUEUE
    assert conversation.escalation_reason == "rule: Returns: hand over"
    values = conversation.events.filter(kind=ConversationEvent.Kind.ROUTING_DECISION).last().data["values"]
    assert values["topic_article"] == "returns-policy" and values["ai_confidence"] > 0


def test_inactive_rules_and_other_sites_rules_do_not_apply(conversation, django_capture_on_commit_callbacks):
    rule(name="Off", keywords=["shipping"], escalation="hand", active=False)
    rule(name="Other site", keywords=["shipping"], escalation="hand", site=factories.site_create(name="Other"))

    after = say(conversation, "How long does shipping take?", django_capture_on_commit_callbacks)

    assert after[-1].author_kind == "ai"
