"""The dashboard's figures on a fixture whose answers were worked out by hand.

Period 2026-03-01..2026-03-07 (UTC). Conversations started in it: A, B, C, D, E, H; F starts one second
before it and G at the first second after it, and count nowhere.
"""

from datetime import UTC, date, datetime

import pytest

from cxhub.assistant.models import Draft, Suggestion
from cxhub.conversations.models import (
    Conversation,
    ConversationEvent,
    Customer,
    Message,
    SatisfactionRating,
    Site,
)
from cxhub.reporting.selectors import (
    MetricsError,
    Period,
    escalation_reason_key,
    metrics_for_period,
    nearest_rank,
    period_parse,
)
from routing.models import Team
from tests import factories

pytestmark = pytest.mark.django_db

K = ConversationEvent.Kind
WEEK = Period(date(2026, 3, 1), date(2026, 3, 7))


def at(day: int, hour: int = 0, minute: int = 0, second: int = 0, month: int = 3) -> datetime:
    return datetime(2026, month, day, hour, minute, second, tzinfo=UTC)


class Builder:
    def __init__(self):
        self.site = Site.objects.create(name="Shop", key="reporting-shop")
        self.customer = Customer.objects.create(site=self.site)
        self.agent1 = factories.agent_create(username="marie")
        self.agent2 = factories.agent_create(username="paul", first_name="Paul", last_name="Martin")

    def conversation(self, started, *, channel="widget", level="ai_only", outcome=None, team=None) -> Conversation:
        conversation = Conversation.objects.create(
            site=self.site,
            customer=self.customer,
            channel=channel,
            autonomy_level=level,
            status="closed" if outcome is not None else "open",
            outcome=outcome or "",
            team=team,
        )
        Conversation.objects.filter(pk=conversation.pk).update(created_at=started)
        conversation.seq = 0
        return conversation

    def event(self, conversation, kind, when, *, actor="system", agent=None, **data) -> ConversationEvent:
        event = ConversationEvent.objects.create(
            conversation=conversation, kind=kind, actor_kind=actor, actor_agent=agent, data=data
        )
        ConversationEvent.objects.filter(pk=event.pk).update(created_at=when)
        return event

    def message(self, conversation, author_kind, text="…") -> Message:
        conversation.seq += 1
        provenance = {"customer": "customer", "ai": "ai", "human": "human"}[author_kind]
        return Message.objects.create(
            conversation=conversation, seq=conversation.seq, author_kind=author_kind, provenance=provenance, text=text
        )

    def close(self, conversation, when, outcome):
        self.event(conversation, K.CONVERSATION_CLOSED, when, actor="human", outcome=outcome)


@pytest.fixture
def week():
    b = Builder()
    care = Team.objects.create(name="Care", slug="care")

    # A: the AI alone, closed; two AI answers, one of them flagged wrong by two agents (one wrong answer).
    a = b.conversation(at(1), outcome="")  # first second of the period
    b.message(a, "customer")
    b.message(a, "ai")
    b.event(a, K.AI_ANSWERED, at(1, 0, 1), actor="ai")
    b.message(a, "ai")
    b.event(a, K.AI_ANSWERED, at(1, 0, 2), actor="ai")
    b.event(a, K.ANSWER_FLAGGED, at(1, 1), actor="human", agent=b.agent1, flag_id=1, message_seq=3)
    b.event(a, K.ANSWER_FLAGGED, at(1, 2), actor="human", agent=b.agent2, flag_id=2, message_seq=3)
    b.close(a, at(1, 3), "")
    SatisfactionRating.objects.create(conversation=a, score=3, handled_by="ai")

    # B: the customer chose a person (up), waited 120 s, resolved by Marie; two handoff ratings by Marie (4 counts).
    bb = b.conversation(at(2, 10), level="human_with_ai", outcome="resolved")
    b.event(bb, K.AUTONOMY_CHANGED, at(2, 10, 1), actor="customer", **{"from": "ai_only", "to": "human_with_ai"})
    b.event(bb, K.HANDOFF_REQUESTED, at(2, 10, 1), actor="customer", reason="customer chose a person", signals=[])
    b.event(bb, K.HANDOFF_ACCEPTED, at(2, 10, 3), actor="human", agent=b.agent1, from_owner="queue")
    b.message(bb, "human")
    b.event(bb, K.HANDOFF_RATED, at(2, 10, 4), actor="human", agent=b.agent1, score=2, comment="")
    b.event(bb, K.HANDOFF_RATED, at(2, 10, 5), actor="human", agent=b.agent1, score=4, comment="better")
    b.event(bb, K.HANDOFF_RATED, at(2, 10, 6), actor="human", agent=b.agent2, score=5, comment="")
    for status in ("used", "edited", "ignored", "offered"):
        Suggestion.objects.create(conversation=bb, text="s", status=status)
    b.close(bb, at(2, 11), "resolved")
    SatisfactionRating.objects.create(conversation=bb, score=5, handled_by="human")

    # C: email, asked for a person (and was frustrated), waited 600 s, closed not resolved.
    c = b.conversation(at(3, 12), channel="email", level="human_only", outcome="not_resolved")
    b.event(c, K.AUTONOMY_CHANGED, at(3, 12), actor="customer", **{"from": "ai_only", "to": "human_only"})
    b.event(
        c,
        K.HANDOFF_REQUESTED,
        at(3, 12),
        actor="customer",
        reason="customer asked for a person",
        signals=["frustration", "explicit_request"],
    )
    b.event(c, K.HANDOFF_ACCEPTED, at(3, 12, 10), actor="human", agent=b.agent1, from_owner="queue")
    b.message(c, "human")
    b.event(c, K.HANDOFF_RATED, at(3, 12, 11), actor="human", agent=b.agent1, score=3, comment="")
    b.close(c, at(3, 13), "not_resolved")
    SatisfactionRating.objects.create(conversation=c, score=2, handled_by="both")

    # D: SMS, last second of the period; its escalation the next day still counts (1 h wait). Handed back, the
    # customer moved down; a system cap does not count as the customer's change. Escalated again, still waiting.
    d = b.conversation(at(7, 23, 59, 59), channel="sms", level="ai_only")
    b.message(d, "ai")
    b.event(d, K.AI_ANSWERED, at(7, 23, 59, 59), actor="ai")
    b.event(d, K.AUTONOMY_CHANGED, at(8, 0, 30), actor="system", **{"from": "ai_only", "to": "human_with_ai"})
    reason = "sensitive topic: bereavement"
    b.event(d, K.HANDOFF_REQUESTED, at(8, 0, 30), reason=reason, signals=["bereavement"])
    b.event(d, K.HANDOFF_ACCEPTED, at(8, 1, 30), actor="system", agent=b.agent2, from_owner="queue")
    b.event(d, K.HANDOFF_RETURNED, at(8, 2), actor="human", agent=b.agent2, by="agent")
    b.event(d, K.AUTONOMY_CHANGED, at(8, 2, 1), actor="customer", **{"from": "human_with_ai", "to": "ai_only"})
    b.event(d, K.HANDOFF_REQUESTED, at(8, 3), reason=reason, signals=["frustration", "bereavement"])
    Suggestion.objects.create(conversation=d, text="s", status="ignored")
    SatisfactionRating.objects.create(conversation=d, score=4, handled_by="ai")

    # E: an AI draft rejected sent it to the queue; nobody took it before it closed (no person ever joined).
    e = b.conversation(at(4, 9), outcome="follow_up")
    question = b.message(e, "customer")
    b.message(e, "ai")
    b.event(e, K.AI_ANSWERED, at(4, 9, 1), actor="ai")
    second = b.message(e, "customer")
    Draft.objects.create(conversation=e, for_message=question, text="d", status="approved", review_by=at(4, 10))
    Draft.objects.create(conversation=e, for_message=second, text="d", status="rejected", review_by=at(4, 10))
    b.event(
        e,
        K.HANDOFF_REQUESTED,
        at(4, 9, 5),
        actor="human",
        reason="AI draft rejected: wrong price",
        signals=["draft_rejected"],
    )
    b.close(e, at(4, 9, 30), "follow_up")

    # H: Marie barged in without anyone asking (no wait to measure), in the Care team; resolved.
    h = b.conversation(at(5, 8), level="human_with_ai", outcome="resolved", team=care)
    b.event(h, K.HANDOFF_ACCEPTED, at(5, 8, 1), actor="human", agent=b.agent1, from_owner="ai")
    b.message(h, "human")
    b.close(h, at(5, 9), "resolved")

    # F and G: just outside the period; everything about them must be left out.
    f = b.conversation(at(28, 23, 59, 59, month=2), outcome="resolved")
    b.event(f, K.HANDOFF_REQUESTED, at(1, 0, 0), reason="customer chose a person", signals=[])
    b.event(f, K.HANDOFF_ACCEPTED, at(1, 0, 5), actor="human", agent=b.agent1)
    b.event(f, K.HANDOFF_RATED, at(1, 0, 6), actor="human", agent=b.agent1, score=1, comment="")
    b.event(f, K.AI_ANSWERED, at(1, 0, 7), actor="ai")
    b.event(f, K.ANSWER_FLAGGED, at(1, 0, 8), actor="human", agent=b.agent1, message_seq=1)
    Suggestion.objects.create(conversation=f, text="s", status="used")
    SatisfactionRating.objects.create(conversation=f, score=1, handled_by="ai")
    b.close(f, at(1, 1), "resolved")
    g = b.conversation(at(8), channel="api", outcome="")
    b.close(g, at(8, 1), "")
    return {"site": b.site, "care": care}


def test_conversations_by_channel_and_level_count_only_those_started_in_the_period(week):
    conversations = metrics_for_period(period=WEEK)["conversations"]

    assert conversations["total"] == 6
    by_channel = {row["channel"]: (row["count"], row["levels"]) for row in conversations["by_channel"]}
    assert by_channel["widget"][0] == 4
    assert by_channel["widget"][1]["ai_only"] == 2 and by_channel["widget"][1]["human_with_ai"] == 2
    assert by_channel["email"] == (1, {**dict.fromkeys(by_channel["email"][1], 0), "human_only": 1})
    assert by_channel["sms"][0] == 1 and by_channel["sms"][1]["ai_only"] == 1
    assert by_channel["api"][0] == 0 and by_channel["whatsapp"][0] == 0  # G started after the period
    assert {row["level"]: row["count"] for row in conversations["by_level"]} == {
        "self_service": 0,
        "ai_only": 3,
        "ai_with_approval": 0,
        "human_with_ai": 2,
        "human_only": 1,
    }


def test_containment_escalation_and_resolution(week):
    metrics = metrics_for_period(period=WEEK)

    # Closed: A, B, C, E, H; no person ever wrote or joined in A and E.
    assert metrics["containment"] == {"numerator": 2, "denominator": 5, "rate": 0.4}
    # Escalated: B, C, D, E of 6; D twice.
    escalation = metrics["escalation"]
    assert (escalation["numerator"], escalation["denominator"], escalation["rate"]) == (4, 6, 0.6667)
    assert escalation["escalations"] == 5
    assert escalation["reasons"] == [
        {"code": "bereavement", "label": "sensitive topic: bereavement", "count": 2},
        {"code": "customer_choice", "label": "customer chose a person", "count": 1},
        {"code": "draft_rejected", "label": "AI draft rejected: wrong price", "count": 1},
        # The lead signal is the one its reason names, not the first listed.
        {"code": "explicit_request", "label": "customer asked for a person", "count": 1},
    ]
    assert escalation["signals"] == [
        {"code": "bereavement", "count": 2},
        {"code": "frustration", "count": 2},
        {"code": "draft_rejected", "count": 1},
        {"code": "explicit_request", "count": 1},
    ]
    # Escalated and closed: B resolved, C not resolved, E needs a follow-up; D is still open.
    assert metrics["escalation_resolution"] == {"numerator": 1, "denominator": 3, "rate": 0.3333}


def test_time_to_a_person_pairs_each_request_with_the_take_over(week):
    waits = metrics_for_period(period=WEEK)["time_to_person"]

    # B 120 s, C 600 s, D 3600 s (the day after the period); H's barge-in was never asked for; D's second
    # request is still waiting.
    assert (waits["count"], waits["requested"]) == (3, 5)
    assert waits["median_seconds"] == 600.0
    assert waits["p90_seconds"] == 3600.0
    assert "nearest rank" in waits["method"]


def test_percentiles_use_the_nearest_rank():
    assert nearest_rank(list(range(1, 11)), 90) == 9
    assert nearest_rank([5.0], 90) == 5.0
    assert nearest_rank([30, 10, 20], 50) == 20
    assert nearest_rank([], 90) is None


def test_handoff_quality_counts_each_agents_latest_rating(week):
    quality = metrics_for_period(period=WEEK)["handoff_quality"]

    assert quality == {
        "count": 3,
        "sum": 12,
        "mean": 4.0,
        "distribution": {"1": 0, "2": 0, "3": 1, "4": 1, "5": 1},
    }


def test_suggestions_drafts_and_csat(week):
    metrics = metrics_for_period(period=WEEK)

    suggestions = metrics["suggestions"]
    assert (suggestions["used"], suggestions["edited"], suggestions["ignored"], suggestions["offered"]) == (1, 1, 2, 1)
    assert suggestions["acceptance"] == {"numerator": 2, "denominator": 4, "rate": 0.5}
    assert suggestions["edit"] == {"numerator": 1, "denominator": 2, "rate": 0.5}
    assert metrics["drafts"]["approval"] == {"numerator": 1, "denominator": 2, "rate": 0.5}
    assert (metrics["drafts"]["approved"], metrics["drafts"]["rejected"]) == (1, 1)
    assert metrics["csat"] == [
        {
            "handled_by": "ai",
            "count": 2,
            "sum": 7,
            "mean": 3.5,
            "satisfied": {"numerator": 1, "denominator": 2, "rate": 0.5},
        },
        {
            "handled_by": "human",
            "count": 1,
            "sum": 5,
            "mean": 5.0,
            "satisfied": {"numerator": 1, "denominator": 1, "rate": 1.0},
        },
        {
            "handled_by": "both",
            "count": 1,
            "sum": 2,
            "mean": 2.0,
            "satisfied": {"numerator": 0, "denominator": 1, "rate": 0.0},
        },
    ]


def test_level_changes_by_the_customer_and_their_direction(week):
    levels = metrics_for_period(period=WEEK)["level_changes"]

    assert (levels["numerator"], levels["denominator"], levels["rate"]) == (3, 6, 0.5)
    assert (levels["changes"], levels["up"], levels["down"]) == (3, 2, 1)
    assert levels["pairs"] == [
        {"from": "ai_only", "to": "human_only", "count": 1},
        {"from": "ai_only", "to": "human_with_ai", "count": 1},
        {"from": "human_with_ai", "to": "ai_only", "count": 1},
    ]


def test_flagged_answers_are_counted_once_per_answer(week):
    assert metrics_for_period(period=WEEK)["flagged_answers"] == {"numerator": 1, "denominator": 4, "rate": 0.25}


def test_the_daily_series_covers_every_day_of_the_period(week):
    daily = metrics_for_period(period=WEEK)["daily"]

    assert [(d["date"], d["conversations"], d["escalated"], d["closed"], d["contained"]) for d in daily] == [
        ("2026-03-01", 1, 0, 1, 1),
        ("2026-03-02", 1, 1, 1, 0),
        ("2026-03-03", 1, 1, 1, 0),
        ("2026-03-04", 1, 1, 1, 1),
        ("2026-03-05", 1, 0, 1, 0),
        ("2026-03-06", 0, 0, 0, 0),
        ("2026-03-07", 1, 1, 0, 0),
    ]


def test_period_boundaries_take_whole_days(week):
    last_day = metrics_for_period(period=Period(date(2026, 3, 7), date(2026, 3, 7)))
    day_before = metrics_for_period(period=Period(date(2026, 2, 28), date(2026, 2, 28)))
    day_after = metrics_for_period(period=Period(date(2026, 3, 8), date(2026, 3, 8)))

    assert last_day["conversations"]["total"] == 1 and last_day["time_to_person"]["count"] == 1  # D
    assert day_before["conversations"]["total"] == 1 and day_before["csat"][0]["count"] == 1  # F
    assert day_after["conversations"]["total"] == 1  # G
    assert day_after["conversations"]["by_channel"][3] == {
        "channel": "api",
        "count": 1,
        "levels": {"self_service": 0, "ai_only": 1, "ai_with_approval": 0, "human_with_ai": 0, "human_only": 0},
    }


def test_a_site_or_team_narrows_every_figure(week):
    care = metrics_for_period(period=WEEK, team_id=week["care"].pk)
    other_site = Site.objects.create(name="Other", key="reporting-other")

    assert care["conversations"]["total"] == 1  # H
    assert care["containment"] == {"numerator": 0, "denominator": 1, "rate": 0.0}
    assert metrics_for_period(period=WEEK, site_id=week["site"].pk)["conversations"]["total"] == 6
    assert metrics_for_period(period=WEEK, site_id=other_site.pk)["conversations"]["total"] == 0


def test_an_empty_period_gives_no_rate_rather_than_an_error(week):
    empty = metrics_for_period(period=Period(date(2027, 1, 1), date(2027, 1, 3)))

    assert empty["conversations"]["total"] == 0
    for figure in ("containment", "escalation_resolution", "flagged_answers"):
        assert empty[figure] == {"numerator": 0, "denominator": 0, "rate": None}
    assert empty["escalation"]["rate"] is None and empty["escalation"]["reasons"] == []
    assert empty["time_to_person"]["median_seconds"] is None and empty["time_to_person"]["p90_seconds"] is None
    assert empty["handoff_quality"]["mean"] is None
    assert empty["suggestions"]["acceptance"]["rate"] is None and empty["suggestions"]["edit"]["rate"] is None
    assert all(group["mean"] is None and group["satisfied"]["rate"] is None for group in empty["csat"])
    assert empty["level_changes"]["rate"] is None
    assert [d["conversations"] for d in empty["daily"]] == [0, 0, 0]


def test_an_escalation_decided_by_a_routing_rule_is_grouped_by_its_words():
    assert escalation_reason_key({"reason": "VIP customers go to a person", "signals": []}) == (
        "",
        "VIP customers go to a person",
    )
    assert escalation_reason_key({}) == ("", "unknown")


def test_period_parsing():
    today = date(2026, 3, 31)

    assert period_parse(None, None, today=today) == Period(date(2026, 3, 2), date(2026, 3, 31))
    assert period_parse("2026-03-01", "2026-03-07", today=today) == WEEK
    assert period_parse("", "2026-03-07", today=today).first == date(2026, 2, 6)
    for first, last, code in (
        ("2026-3-1x", "2026-03-07", "date_invalid"),
        ("2026-03-08", "2026-03-07", "period_invalid"),
        ("2025-01-01", "2026-03-07", "period_too_long"),
    ):
        with pytest.raises(MetricsError) as error:
            period_parse(first, last, today=today)
        assert error.value.code == code


def test_the_figures_take_a_fixed_number_of_queries_however_many_conversations(week, django_assert_num_queries):
    # conversations, events, people's messages, AI answers, suggestions, drafts, ratings
    with django_assert_num_queries(7):
        metrics_for_period(period=WEEK)
