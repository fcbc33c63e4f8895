"""The admin's routing rules: which ones match a customer message, what they do, and why.

Pure evaluation over a `RoutingContext`, so the live path and the admin's simulator run the same code.
"""

import re
import zoneinfo
from dataclasses import dataclass, field
from datetime import datetime, time

from django.db.models import Q
from django.utils import timezone

from cxhub.conversations.models import AUTONOMY_ORDER
from cxhub.database.prepared import PreparedQuery
from cxhub.folding import fold

from .escalation import EscalationDecision, escalation_decide
from .models import BusinessHours, RoutingRule, Team
from .signals import Signal

WEEKDAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
ESCALATION_STRENGTH = {"": 0, "none": 0, "offer": 1, "hand": 2}


@dataclass
class RoutingContext:
    text: str
    site_id: int | None = None
    channel: str = "widget"
    locale: str = "en"
    customer_identified: bool = False
    customer_vip: bool = False
    customer_segment: str = ""
    signals: list[Signal] = field(default_factory=list)
    ai_confidence: float | None = None
    topic_tags: list[str] = field(default_factory=list)
    topic_article: str = ""
    queue_length: int | None = None  # None: no rule looks at it, so it was not counted
    now: datetime = field(default_factory=timezone.now)

    def values(self) -> dict:
        """What the decision saw, kept with it so anyone can tell why later."""
        return {
            "channel": self.channel,
            "locale": self.locale,
            "customer_identified": self.customer_identified,
            "customer_vip": self.customer_vip,
            "customer_segment": self.customer_segment,
            "signals": [s.name for s in self.signals],
            "ai_confidence": None if self.ai_confidence is None else round(self.ai_confidence, 3),
            "topic_article": self.topic_article,
            "topic_tags": self.topic_tags,
            "queue_length": self.queue_length,
            "at": self.now.isoformat(),
        }


@dataclass
class RuleCheck:
    rule: RoutingRule
    matched: bool
    conditions: list[str]  # each condition that was set, with what was seen: the "why"


@dataclass
class RoutingOutcome:
    escalation: str = ""
    reason: str = ""
    autonomy_min: str = ""
    autonomy_max: str = ""
    team: Team | None = None
    priority: int | None = None
    reminders: list[str] = field(default_factory=list)
    customer_reason_en: str = ""
    customer_reason_fr: str = ""
    checks: list[RuleCheck] = field(default_factory=list)

    @property
    def fired(self) -> list[RuleCheck]:
        return [c for c in self.checks if c.matched]

    def customer_reason(self, locale: str) -> str:
        if locale.startswith("fr") and self.customer_reason_fr:
            return self.customer_reason_fr
        return self.customer_reason_en

    def record(self) -> list[dict]:
        return [{"id": c.rule.pk, "name": c.rule.name, "conditions": c.conditions} for c in self.fired]


def hours_contain(hours: BusinessHours, moment: datetime) -> bool:
    local = moment.astimezone(zoneinfo.ZoneInfo(hours.timezone))
    window = hours.schedule.get(WEEKDAYS[local.weekday()])
    if not window or len(window) != 2:
        return False
    opens, closes = (time.fromisoformat(value) for value in window)
    return opens <= local.time() < closes


def rule_check(rule: RoutingRule, context: RoutingContext) -> RuleCheck:
    """Every condition the rule sets must hold; each is explained whether it held or not."""
    conditions: list[str] = []
    matched = True

    def check(holds: bool, explanation: str) -> None:
        nonlocal matched
        conditions.append(("✓ " if holds else "✗ ") + explanation)
        matched = matched and holds

    folded = fold(context.text)
    if rule.site_id is not None:
        check(rule.site_id == context.site_id, f"site is #{rule.site_id}")
    if rule.tags:
        hit = sorted(set(rule.tags) & set(context.topic_tags))
        check(bool(hit), f"topic tags {rule.tags} (seen {context.topic_tags or 'none'})")
    if rule.keywords:
        hit = [k for k in rule.keywords if re.search(rf"\b{re.escape(fold(k))}\b", folded)]
        check(bool(hit), f"keywords {rule.keywords} (found {hit or 'none'})")
    if rule.pattern:
        found = re.search(rule.pattern, context.text, re.IGNORECASE)
        check(bool(found), f"pattern /{rule.pattern}/" + (f" (matched “{found.group(0)}”)" if found else ""))
    if rule.signals:
        names = [s.name for s in context.signals]
        hit = [n for n in rule.signals if n in names]
        check(bool(hit), f"signals {rule.signals} (detected {names or 'none'})")
    if rule.ai_confidence_below is not None:
        confidence = context.ai_confidence
        seen = "n/a" if confidence is None else f"{confidence:.2f}"
        check(
            confidence is not None and confidence < rule.ai_confidence_below,
            f"AI confidence below {rule.ai_confidence_below} (was {seen})",
        )
    if rule.customer_identified is not None:
        check(
            context.customer_identified == rule.customer_identified,
            f"customer identified is {rule.customer_identified}",
        )
    if rule.customer_vip is not None:
        check(context.customer_vip == rule.customer_vip, f"customer VIP is {rule.customer_vip}")
    if rule.customer_segments:
        check(
            context.customer_segment in rule.customer_segments,
            f"segment in {rule.customer_segments} (is “{context.customer_segment}”)",
        )
    if rule.languages:
        check(context.locale in rule.languages, f"language in {rule.languages} (is {context.locale})")
    if rule.channels:
        check(context.channel in rule.channels, f"channel in {rule.channels} (is {context.channel})")
    if rule.hours_id and rule.hours_when:
        inside = hours_contain(rule.hours, context.now)
        check(
            inside == (rule.hours_when == RoutingRule.HoursWhen.INSIDE),
            f"{rule.hours_when} {rule.hours} (now {'inside' if inside else 'outside'})",
        )
    if rule.queue_length_at_least is not None:
        check(
            context.queue_length >= rule.queue_length_at_least,
            f"queue length ≥ {rule.queue_length_at_least} (is {context.queue_length})",
        )
    if not conditions:
        conditions.append("✓ no conditions: always applies")
    return RuleCheck(rule, matched, conditions)


def tighter_min(current: str, new: str) -> str:
    if not new:
        return current
    if not current:
        return new
    return max(current, new, key=AUTONOMY_ORDER.index)


def tighter_max(current: str, new: str) -> str:
    if not new:
        return current
    if not current:
        return new
    return min(current, new, key=AUTONOMY_ORDER.index)


def routing_context_for(conversation, text: str, signals: list[Signal], rules) -> RoutingContext:
    """What the rules look at for this message. The AI's view of the topic is computed only if a rule asks."""
    from cxhub.assistant.services import knowledge_base_for_site
    from cxhub.conversations.models import Conversation

    customer = conversation.customer
    context = RoutingContext(
        text=text,
        site_id=conversation.site_id,
        channel=conversation.channel,
        locale=conversation.locale,
        customer_identified=customer.is_identified,
        customer_vip=customer.is_vip,
        customer_segment=customer.segment,
        signals=signals,
    )
    # Like the topic, counted only when a rule looks at it: this runs for every customer message.
    if any(rule.queue_length_at_least is not None for rule in rules):
        context.queue_length = Conversation.objects.filter(
            site_id=conversation.site_id, status=Conversation.Status.OPEN, owner=Conversation.Owner.QUEUE
        ).count()
    topic_fill(context, lambda: knowledge_base_for_site(conversation.site), rules)
    return context


def topic_fill(context: RoutingContext, knowledge_base, rules) -> None:
    """The article the message is about and the AI's confidence in it, only when a rule looks at them.
    `knowledge_base` may be a function returning it, so it is looked up only then."""
    from cxhub.assistant.answerer import relevant_articles

    if not any(rule.tags or rule.ai_confidence_below is not None for rule in rules):
        return
    if callable(knowledge_base):
        knowledge_base = knowledge_base()
    ranked = relevant_articles(context.text, knowledge_base=knowledge_base, k=1, locale=context.locale)
    if ranked:
        context.ai_confidence = ranked[0].confidence
        context.topic_article = ranked[0].article.slug
        context.topic_tags = list(ranked[0].article.tags)


def routing_decide(context: RoutingContext, rules) -> tuple[EscalationDecision, RoutingOutcome]:
    """The built-in signal policy and the admin's rules together; the stronger escalation wins."""
    decision = escalation_decide(context.signals)
    outcome = rules_evaluate(context, rules)
    if ESCALATION_STRENGTH[outcome.escalation] > ESCALATION_STRENGTH[decision.action]:
        decision.action, decision.reason = outcome.escalation, outcome.reason
    return decision, outcome


def _site_rules(site_id: int | None):
    return RoutingRule.objects.filter(active=True).filter(Q(site__isnull=True) | Q(site_id=site_id))


# Most sites have no rules: a plain query for one id first, its SQL built once (cxhub/database/prepared.py).
_any_rule_for_site = PreparedQuery(lambda site_id: _site_rules(site_id).values_list("id", flat=True)[:1], site_id=int)


def rules_for(site_id: int | None) -> list[RoutingRule]:
    """The active rules for a site, in order. Runs for every customer message: the full query (with team and
    hours) only when there are some."""
    if site_id is not None and not _any_rule_for_site(site_id=site_id):
        return []
    return list(_site_rules(site_id).select_related("team", "hours").order_by("order", "id"))


def rules_evaluate(context: RoutingContext, rules=None) -> RoutingOutcome:
    """Ordered: the first matching rule applies and stops, unless it lets later rules apply too.
    When several apply, the strongest escalation and the tightest autonomy bounds win."""
    outcome = RoutingOutcome()
    stopped = False
    for rule in rules if rules is not None else rules_for(context.site_id):
        if stopped:
            break
        result = rule_check(rule, context)
        outcome.checks.append(result)
        if not result.matched:
            continue
        if ESCALATION_STRENGTH[rule.escalation] > ESCALATION_STRENGTH[outcome.escalation]:
            outcome.escalation = rule.escalation
            outcome.reason = f"rule: {rule.name}"
        outcome.autonomy_min = tighter_min(outcome.autonomy_min, rule.autonomy_at_least)
        if rule.require_approval:
            outcome.autonomy_min = tighter_min(outcome.autonomy_min, "ai_with_approval")
        outcome.autonomy_max = tighter_max(outcome.autonomy_max, rule.autonomy_at_most)
        if rule.team_id and outcome.team is None:
            outcome.team = rule.team
        if rule.priority is not None:
            outcome.priority = max(outcome.priority or rule.priority, rule.priority)
        if rule.agent_reminder:
            outcome.reminders.append(rule.agent_reminder)
        if (
            rule.autonomy_at_least or rule.autonomy_at_most or rule.require_approval
        ) and not outcome.customer_reason_en:
            outcome.customer_reason_en = rule.customer_reason_en
            outcome.customer_reason_fr = rule.customer_reason_fr
        stopped = not rule.continue_after_match
    return outcome


def level_clamp(level: str, *, minimum: str, maximum: str) -> str:
    """The level nearest to `level` within the bounds; a minimum wins over a maximum it contradicts."""
    position = AUTONOMY_ORDER.index(level)
    if maximum:
        position = min(position, AUTONOMY_ORDER.index(maximum))
    if minimum:
        position = max(position, AUTONOMY_ORDER.index(minimum))
    return AUTONOMY_ORDER[position]
