"""The supervisors' dashboard figures, computed from the event log and the tables, never stored.

Every figure is about the conversations *started* in the period (their events count whenever they happened),
so a numerator and its denominator always describe the same conversations. A rate carries both; with
nothing to divide by it is None, shown as "—".
"""

import math
import statistics
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db.models import Count, QuerySet
from django.utils import timezone

from cxhub.assistant.models import Draft, Suggestion
from cxhub.conversations.models import (
    AUTONOMY_ORDER,
    Conversation,
    ConversationEvent,
    Message,
    SatisfactionRating,
    Site,
)
from routing.escalation import REASONS
from routing.models import Team

MAX_PERIOD_DAYS = 366
DEFAULT_PERIOD_DAYS = 30
PERCENTILE_METHOD = "nearest-rank"
CUSTOMER_CHOICE_REASON = "customer chose a person"
# The reason text each built-in signal escalates with, back to the signal: one stable key per reason.
SIGNAL_FOR_REASON = {reason: signal for signal, reason in REASONS.items()}
HANDLED_BY_ORDER = [choice.value for choice in SatisfactionRating.HandledBy]
Kind = ConversationEvent.Kind


class MetricsError(ValueError):
    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class Period:
    """Whole days, both ends included, in the site's time zone (settings.TIME_ZONE)."""

    first: date
    last: date

    @property
    def start(self) -> datetime:
        return timezone.make_aware(datetime.combine(self.first, time.min))

    @property
    def end(self) -> datetime:
        """Exclusive: midnight after the last day."""
        return timezone.make_aware(datetime.combine(self.last + timedelta(days=1), time.min))

    @property
    def days(self) -> list[date]:
        return [self.first + timedelta(days=n) for n in range((self.last - self.first).days + 1)]


def period_parse(first: str | None, last: str | None, *, today: date | None = None) -> Period:
    """`from`/`to` as YYYY-MM-DD; missing ones give the last 30 days up to today."""
    today = today or timezone.localdate()

    def day(value: str | None, name: str) -> date | None:
        if value in (None, ""):
            return None
        try:
            return date.fromisoformat(value)
        except (TypeError, ValueError):
            raise MetricsError("date_invalid", f"“{name}” must be a date written YYYY-MM-DD.") from None

    end = day(last, "to") or today
    start = day(first, "from") or end - timedelta(days=DEFAULT_PERIOD_DAYS - 1)
    if start > end:
        raise MetricsError("period_invalid", "The period must start on or before the day it ends.")
    if (end - start).days + 1 > MAX_PERIOD_DAYS:
        raise MetricsError("period_too_long", f"Choose a period of at most {MAX_PERIOD_DAYS} days.")
    return Period(start, end)


def ratio(numerator: int, denominator: int) -> dict:
    return {
        "numerator": numerator,
        "denominator": denominator,
        "rate": round(numerator / denominator, 4) if denominator else None,
    }


def mean_of(total: int | float, count: int) -> float | None:
    return round(total / count, 2) if count else None


def nearest_rank(values: list[float], percent: int) -> float | None:
    """The smallest value with at least `percent`% of the values at or below it."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(1, math.ceil(percent / 100 * len(ordered))) - 1]


def conversations_started(*, period: Period, site_id: int | None = None, team_id: int | None = None) -> QuerySet:
    conversations = Conversation.objects.filter(created_at__gte=period.start, created_at__lt=period.end)
    if site_id is not None:
        conversations = conversations.filter(site_id=site_id)
    if team_id is not None:
        conversations = conversations.filter(team_id=team_id)
    return conversations


EVENT_KINDS = [
    Kind.HANDOFF_REQUESTED,
    Kind.HANDOFF_ACCEPTED,
    Kind.HANDOFF_RETURNED,
    Kind.HANDOFF_RATED,
    Kind.CONVERSATION_CLOSED,
    Kind.AUTONOMY_CHANGED,
    Kind.ANSWER_FLAGGED,
]


def metrics_for_period(*, period: Period, site_id: int | None = None, team_id: int | None = None) -> dict:
    """Every dashboard figure for the conversations started in the period (optionally one site or team)."""
    started = conversations_started(period=period, site_id=site_id, team_id=team_id)
    conversations = list(started.values("id", "channel", "autonomy_level", "status", "outcome", "created_at"))
    events_by_conversation: dict[int, list[dict]] = defaultdict(list)
    events = ConversationEvent.objects.filter(conversation__in=started.values("id"), kind__in=EVENT_KINDS)
    for event in events.values("id", "conversation_id", "kind", "actor_kind", "actor_agent_id", "data", "created_at"):
        events_by_conversation[event["conversation_id"]].append(event)
    for conversation_events in events_by_conversation.values():
        conversation_events.sort(key=lambda e: (e["created_at"], e["id"]))
    with_a_person = set(
        Message.objects.filter(conversation__in=started.values("id"), author_kind=Message.AuthorKind.HUMAN)
        .values_list("conversation_id", flat=True)
        .distinct()
    )
    facts = [_conversation_facts(c, events_by_conversation.get(c["id"], []), with_a_person) for c in conversations]
    return {
        "period": {
            "from": period.first.isoformat(),
            "to": period.last.isoformat(),
            "days": len(period.days),
            "site": site_id,
            "team": team_id,
        },
        "conversations": _by_channel_and_level(conversations),
        "containment": ratio(sum(f.contained for f in facts), sum(f.closed for f in facts)),
        "escalation": _escalation(facts),
        "time_to_person": _time_to_person(facts),
        "escalation_resolution": ratio(
            sum(f.escalated and f.closed and f.outcome == Conversation.Outcome.RESOLVED for f in facts),
            sum(f.escalated and f.closed for f in facts),
        ),
        "handoff_quality": _handoff_quality(facts),
        "suggestions": _suggestions(started),
        "drafts": _drafts(started),
        "csat": _csat(started),
        "level_changes": _level_changes(facts),
        "flagged_answers": ratio(
            sum(len(f.flagged_answers) for f in facts),
            # Counted by the database: there are many more answers than any other event.
            ConversationEvent.objects.filter(conversation__in=started.values("id"), kind=Kind.AI_ANSWERED).count(),
        ),
        "daily": _daily(period, facts),
    }


@dataclass
class ConversationFacts:
    day: date
    closed: bool
    contained: bool
    escalated: bool
    outcome: str
    escalations: list[dict]
    waits: list[float]
    ratings: dict
    level_changes: list[tuple[str, str]]
    flagged_answers: set


def _conversation_facts(conversation: dict, events: list[dict], with_a_person: set[int]) -> ConversationFacts:
    by_kind: dict[str, list[dict]] = defaultdict(list)
    for event in events:
        by_kind[event["kind"]].append(event)
    closed = conversation["status"] == Conversation.Status.CLOSED
    closings = by_kind[Kind.CONVERSATION_CLOSED]
    outcome = (closings[-1]["data"] or {}).get("outcome", "") if closings else conversation["outcome"]
    person_joined = conversation["id"] in with_a_person or bool(by_kind[Kind.HANDOFF_ACCEPTED])
    ratings = {}
    for event in by_kind[Kind.HANDOFF_RATED]:  # oldest first: each agent's latest rating wins
        score = (event["data"] or {}).get("score")
        if isinstance(score, int) and not isinstance(score, bool) and 1 <= score <= 5:
            ratings[event["actor_agent_id"]] = score
    level_changes = []
    for event in by_kind[Kind.AUTONOMY_CHANGED]:
        data = event["data"] or {}
        if (
            event["actor_kind"] == ConversationEvent.ActorKind.CUSTOMER
            and {data.get("from"), data.get("to")} <= set(AUTONOMY_ORDER)
            and data["from"] != data["to"]
        ):
            level_changes.append((data["from"], data["to"]))
    flagged = set()
    for event in by_kind[Kind.ANSWER_FLAGGED]:
        seq = (event["data"] or {}).get("message_seq")
        flagged.add(("seq", seq) if seq is not None else ("event", event["id"]))  # two flags, one wrong answer
    return ConversationFacts(
        day=timezone.localtime(conversation["created_at"]).date(),
        closed=closed,
        contained=closed and not person_joined,
        escalated=bool(by_kind[Kind.HANDOFF_REQUESTED]),
        outcome=outcome,
        escalations=[e["data"] or {} for e in by_kind[Kind.HANDOFF_REQUESTED]],
        waits=_waits(events),
        ratings=ratings,
        level_changes=level_changes,
        flagged_answers=flagged,
    )


def _waits(events: list[dict]) -> list[float]:
    """Seconds from each request for a person to the person taking it. A request the customer withdrew, or
    that was still waiting when the conversation closed, has no wait; a take-over nobody asked for neither."""
    waits, requested_at = [], None
    for event in events:
        if event["kind"] == Kind.HANDOFF_REQUESTED and requested_at is None:
            requested_at = event["created_at"]
        elif event["kind"] == Kind.HANDOFF_ACCEPTED and requested_at is not None:
            waits.append((event["created_at"] - requested_at).total_seconds())
            requested_at = None
        elif event["kind"] in (Kind.HANDOFF_RETURNED, Kind.CONVERSATION_CLOSED):
            requested_at = None
    return waits


def _by_channel_and_level(conversations: list[dict]) -> dict:
    counts = Counter((c["channel"], c["autonomy_level"]) for c in conversations)
    return {
        "total": len(conversations),
        "levels": AUTONOMY_ORDER,
        "by_channel": [
            {
                "channel": channel,
                "count": sum(n for (ch, _), n in counts.items() if ch == channel),
                "levels": {level: counts.get((channel, level), 0) for level in AUTONOMY_ORDER},
            }
            for channel in Conversation.Channel.values
        ],
        "by_level": [
            {"level": level, "count": sum(n for (_, lv), n in counts.items() if lv == level)}
            for level in AUTONOMY_ORDER
        ],
    }


def escalation_reason_key(data: dict) -> tuple[str, str]:
    """(code, label): the signal that led to the escalation, else the customer's own choice, else the words of
    the routing rule that decided it."""
    reason = str(data.get("reason") or "")
    signals = [s for s in data.get("signals") or [] if isinstance(s, str)]
    if signals:
        lead = SIGNAL_FOR_REASON.get(reason)
        return (lead if lead in signals else signals[0]), reason
    if reason == CUSTOMER_CHOICE_REASON:
        return "customer_choice", reason
    return "", reason or "unknown"


def _escalation(facts: list[ConversationFacts]) -> dict:
    reasons: dict[tuple[str, str], int] = Counter()
    labels: dict[tuple[str, str], str] = {}
    signals: Counter = Counter()
    escalations = [data for f in facts for data in f.escalations]
    for data in escalations:
        code, label = escalation_reason_key(data)
        key = (code, "" if code else label)
        reasons[key] += 1
        labels.setdefault(key, label)
        signals.update({s for s in data.get("signals") or [] if isinstance(s, str)})
    return {
        **ratio(sum(f.escalated for f in facts), len(facts)),
        "escalations": len(escalations),
        "reasons": [
            {"code": code, "label": labels[(code, key_label)], "count": n}
            for (code, key_label), n in sorted(reasons.items(), key=lambda item: (-item[1], item[0]))
        ],
        "signals": [{"code": code, "count": n} for code, n in sorted(signals.items(), key=lambda i: (-i[1], i[0]))],
    }


def _time_to_person(facts: list[ConversationFacts]) -> dict:
    waits = [w for f in facts for w in f.waits]
    median = statistics.median(waits) if waits else None
    p90 = nearest_rank(waits, 90)
    return {
        "count": len(waits),
        "requested": sum(len(f.escalations) for f in facts),
        "median_seconds": round(median, 1) if median is not None else None,
        "p90_seconds": round(p90, 1) if p90 is not None else None,
        "method": "median: middle value (mean of the two middle ones for an even count); "
        "p90: nearest rank, the smallest wait with at least 90% of waits at or below it",
    }


def _handoff_quality(facts: list[ConversationFacts]) -> dict:
    scores = [score for f in facts for score in f.ratings.values()]
    distribution = Counter(scores)
    return {
        "count": len(scores),
        "sum": sum(scores),
        "mean": mean_of(sum(scores), len(scores)),
        "distribution": {str(score): distribution.get(score, 0) for score in range(1, 6)},
    }


def _suggestions(started: QuerySet) -> dict:
    by_status = dict(
        Suggestion.objects.filter(conversation__in=started.values("id"))
        .values("status")
        .annotate(n=Count("id"))
        .values_list("status", "n")
    )
    used, edited, ignored = (by_status.get(s, 0) for s in ("used", "edited", "ignored"))
    settled = used + edited + ignored
    return {
        "offered": by_status.get("offered", 0),
        "used": used,
        "edited": edited,
        "ignored": ignored,
        "acceptance": ratio(used + edited, settled),
        "edit": ratio(edited, used + edited),
    }


def _drafts(started: QuerySet) -> dict:
    by_status = dict(
        Draft.objects.filter(conversation__in=started.values("id"))
        .values("status")
        .annotate(n=Count("id"))
        .values_list("status", "n")
    )
    reviewed = {s: by_status.get(s, 0) for s in ("approved", "edited", "rejected", "expired")}
    total = sum(reviewed.values())
    return {**reviewed, "approval": ratio(reviewed["approved"] + reviewed["edited"], total)}


def _csat(started: QuerySet) -> list[dict]:
    ratings = SatisfactionRating.objects.filter(conversation__in=started.values("id")).values_list(
        "handled_by", "score"
    )
    scores: dict[str, list[int]] = defaultdict(list)
    for handled_by, score in ratings:
        scores[handled_by].append(score)
    rows = []
    for handled_by in HANDLED_BY_ORDER:
        given = scores.get(handled_by, [])
        rows.append(
            {
                "handled_by": handled_by,
                "count": len(given),
                "sum": sum(given),
                "mean": mean_of(sum(given), len(given)),
                # CSAT as usually reported: the share of 4s and 5s.
                "satisfied": ratio(sum(score >= 4 for score in given), len(given)),
            }
        )
    return rows


def _level_changes(facts: list[ConversationFacts]) -> dict:
    changes = [change for f in facts for change in f.level_changes]
    up = sum(AUTONOMY_ORDER.index(to) > AUTONOMY_ORDER.index(frm) for frm, to in changes)
    pairs = Counter(changes)
    return {
        **ratio(sum(bool(f.level_changes) for f in facts), len(facts)),
        "changes": len(changes),
        "up": up,
        "down": len(changes) - up,
        "pairs": [
            {"from": frm, "to": to, "count": n}
            for (frm, to), n in sorted(pairs.items(), key=lambda item: (-item[1], item[0]))
        ],
    }


def _daily(period: Period, facts: list[ConversationFacts]) -> list[dict]:
    by_day: dict[date, list[ConversationFacts]] = defaultdict(list)
    for f in facts:
        by_day[f.day].append(f)
    rows = []
    for day in period.days:
        started = by_day.get(day, [])
        rows.append(
            {
                "date": day.isoformat(),
                "conversations": len(started),
                "escalated": sum(f.escalated for f in started),
                "closed": sum(f.closed for f in started),
                "contained": sum(f.contained for f in started),
            }
        )
    return rows


def dashboard_filters() -> dict:
    """The sites and teams a supervisor can narrow the figures to."""
    return {
        "sites": list(Site.objects.order_by("name", "id").values("id", "name")),
        "teams": list(Team.objects.order_by("name", "id").values("id", "name")),
    }


def filter_parse(value: str | None, *, name: str, model) -> int | None:
    """An optional site or team id from the query string; an unknown one is an error, not an empty dashboard."""
    if value in (None, ""):
        return None
    if not str(value).isdigit() or not model.objects.filter(pk=int(value)).exists():
        raise MetricsError(f"{name}_unknown", f"No such {name}.")
    return int(value)
