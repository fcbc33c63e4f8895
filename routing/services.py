"""Who holds a conversation: the AI, the queue or an agent, and the customer's autonomy level."""

from django.db import transaction
from django.utils import timezone

from cxhub.assistant.copilot import (
    suggestion_matching,
    suggestion_outcome_record,
    suggestions_offered,
    suggestions_settle,
)
from cxhub.assistant.models import Suggestion
from cxhub.conversations import broadcast, selectors, texts
from cxhub.conversations.models import AUTONOMY_ORDER, AutonomyLevel, Conversation, ConversationEvent, Message
from cxhub.conversations.services import (
    ConversationError,
    ai_may_draft,
    ai_may_speak,
    client_id_clean,
    conversation_close,
    conversation_lock,
    conversation_publish,
    customer_message_store,
    disclosure_ensure,
    event_record,
    message_record,
    message_text_clean,
    queue_publish_positions,
    system_message_record,
)
from cxhub.conversations.texts import level_name

from . import signals
from .escalation import EscalationDecision
from .rules import (
    RoutingOutcome,
    level_clamp,
    routing_context_for,
    routing_decide,
    rules_for,
    tighter_max,
    tighter_min,
)

HUMAN_LEVELS = {AutonomyLevel.HUMAN_WITH_AI, AutonomyLevel.HUMAN_ONLY}


def _queue(conversation: Conversation, *, reason: str, signal_names: list[str], actor_kind: str) -> None:
    """Put a locked conversation in the human queue and tell the customer where they stand."""
    conversation.owner = Conversation.Owner.QUEUE
    conversation.agent = None
    conversation.queued_at = timezone.now()
    conversation.escalation_reason = reason
    conversation.save(update_fields=["owner", "agent", "queued_at", "escalation_reason", "updated_at"])
    event_record(
        conversation=conversation,
        kind=ConversationEvent.Kind.HANDOFF_REQUESTED,
        actor_kind=actor_kind,
        data={"reason": reason, "signals": signal_names},
    )
    system_message_record(conversation=conversation, key="queued", position=selectors.queue_position(conversation))
    if conversation.autonomy_level != AutonomyLevel.HUMAN_ONLY:
        # The summary and suggestions are ready before an agent opens the conversation.
        from cxhub.assistant.tasks import copilot_prepare

        transaction.on_commit(lambda: copilot_prepare.delay(conversation.pk))
    from .assignment import conversation_assign  # builds on these services: imported when used

    transaction.on_commit(lambda: conversation_assign(conversation_id=conversation.pk), robust=True)


def _return_to_ai(conversation: Conversation) -> None:
    conversation.owner = Conversation.Owner.AI
    conversation.agent = None
    conversation.queued_at = None
    conversation.save(update_fields=["owner", "agent", "queued_at", "updated_at"])


@transaction.atomic
def handoff_request(
    *, conversation_id: int, reason: str, signal_names: list[str] | None = None, actor_kind: str = "customer"
) -> Conversation:
    conversation = conversation_lock(conversation_id)
    if conversation.status == Conversation.Status.CLOSED:
        raise ConversationError("conversation_closed", "This conversation is closed.")
    if conversation.owner != Conversation.Owner.AI:
        return conversation  # already waiting for, or with, a person
    previous = conversation.autonomy_level
    conversation.autonomy_level = tighter_min(previous, AutonomyLevel.HUMAN_WITH_AI)
    if conversation.autonomy_level != previous:
        conversation.save(update_fields=["autonomy_level", "updated_at"])
        event_record(
            conversation=conversation,
            kind=ConversationEvent.Kind.AUTONOMY_CHANGED,
            actor_kind=actor_kind,
            data={"from": previous, "to": conversation.autonomy_level, "reason": reason},
        )
    _queue(conversation, reason=reason, signal_names=signal_names or [], actor_kind=actor_kind)
    conversation_publish(conversation)
    return conversation


@transaction.atomic
def autonomy_set(*, conversation_id: int, level: object, actor_kind: str = "customer") -> Conversation:
    if level not in AUTONOMY_ORDER:
        raise ConversationError("level_invalid", f"Unknown autonomy level. Choose one of: {', '.join(AUTONOMY_ORDER)}.")
    conversation = conversation_lock(conversation_id)
    if conversation.status == Conversation.Status.CLOSED:
        raise ConversationError("conversation_closed", "This conversation is closed.")
    previous = conversation.autonomy_level
    bounded = level_clamp(level, minimum=conversation.autonomy_min, maximum=conversation.autonomy_max)
    capped = bounded != level
    if capped:
        # A site's rule bounds this conversation: the customer gets the nearest allowed level and is told why.
        system_message_record(
            conversation=conversation,
            key="level_capped",
            level=level_name(bounded, conversation.locale),
            reason=conversation.autonomy_cap_reason or texts.text("cap_default_reason", conversation.locale),
        )
        conversation_publish(conversation)
        level = bounded
    if level == previous:
        return conversation
    conversation.autonomy_level = level
    conversation.save(update_fields=["autonomy_level", "updated_at"])
    event_record(
        conversation=conversation,
        kind=ConversationEvent.Kind.AUTONOMY_CHANGED,
        actor_kind=actor_kind,
        data={"from": previous, "to": level, "reason": "site rule" if capped else "customer choice"},
    )
    system_message_record(conversation=conversation, key="level_changed", level=level_name(level, conversation.locale))
    if level in HUMAN_LEVELS and conversation.owner == Conversation.Owner.AI:
        _queue(conversation, reason="customer chose a person", signal_names=[], actor_kind=actor_kind)
    elif level not in HUMAN_LEVELS and conversation.owner != Conversation.Owner.AI:
        left_queue = conversation.owner == Conversation.Owner.QUEUE
        by_agent = conversation.agent
        _return_to_ai(conversation)
        event_record(
            conversation=conversation,
            kind=ConversationEvent.Kind.HANDOFF_RETURNED,
            actor_kind=actor_kind,
            data={"by": "customer", "previous_agent_id": by_agent.pk if by_agent else None},
        )
        system_message_record(conversation=conversation, key="customer_back_to_ai")
        if left_queue:
            queue_publish_positions(after=conversation)
    if ai_may_speak(conversation):
        disclosure_ensure(conversation=conversation)
    if level == AutonomyLevel.AI_WITH_APPROVAL:
        system_message_record(conversation=conversation, key="replies_reviewed")
    conversation_publish(conversation)
    return conversation


def customer_message_handle(*, conversation_id: int, text: object, client_id: object) -> tuple[Message, bool]:
    """Store what the customer wrote, then decide who answers: a person when the signals call for one
    (an explicit request always does), else the AI if it may speak."""
    text, client_id = message_text_clean(text), client_id_clean(client_id)  # refused before taking any lock
    # Storing the message and deciding who answers share one transaction and one row lock (they took two).
    with transaction.atomic():
        conversation = conversation_lock(conversation_id)
        message, created = customer_message_store(conversation=conversation, text=text, client_id=client_id)
        if not created:
            return message, False
        decision = _escalation_for(conversation, message)
        if decision.action == "hand" and conversation.owner == Conversation.Owner.AI:
            explicit = "explicit_request" in decision.signal_names
            if not explicit:
                system_message_record(conversation=conversation, key="escalated")
            handoff_request(
                conversation_id=conversation_id,
                reason=decision.reason,
                signal_names=decision.signal_names,
                actor_kind="customer" if explicit else "system",
            )
        elif ai_may_speak(conversation) or ai_may_draft(conversation):
            if decision.action == "offer":
                system_message_record(conversation=conversation, key="person_offered")
                conversation_publish(conversation, activity=True)  # offered, not handed: the AI still holds it
            from cxhub.assistant.tasks import assistant_answer

            if ai_may_speak(conversation):
                broadcast.ai_typing(conversation_id=conversation_id)
            transaction.on_commit(lambda: assistant_answer.delay(message.pk))
    return message, True


def _escalation_for(conversation: Conversation, message: Message) -> EscalationDecision:
    """Signals and the admin's routing rules for this message: who answers next, bounds on the autonomy
    level, team and priority, recorded with the rules, signals and values behind them. Caller holds the lock."""
    if conversation.autonomy_level == AutonomyLevel.SELF_SERVICE:
        return EscalationDecision("none")
    recent_texts, recent_abstained = selectors.escalation_context(conversation, before_seq=message.seq)
    found = signals.signals_detect(
        message.text, recent_customer_texts=recent_texts, recent_ai_abstained=recent_abstained
    )
    rules = rules_for(conversation.site_id)
    context = routing_context_for(conversation, message.text, found, rules)
    decision, outcome = routing_decide(context, rules)
    level_moved = _rules_apply(conversation, outcome)
    if level_moved and conversation.autonomy_level in HUMAN_LEVELS and conversation.owner == Conversation.Owner.AI:
        decision.action, decision.reason = "hand", outcome.reason or "routing rule"
    if decision.signals or outcome.fired:
        # Also recorded when a person already holds the conversation: the agent sees the emotional context.
        event_record(
            conversation=conversation,
            kind=ConversationEvent.Kind.ROUTING_DECISION,
            actor_kind=ConversationEvent.ActorKind.SYSTEM,
            data={
                "message_id": message.pk,
                "owner": conversation.owner,
                **decision.record(),
                "rules": outcome.record(),
                "reminders": outcome.reminders,
                "values": context.values(),
            },
        )
    return decision


def _rules_apply(conversation: Conversation, outcome: RoutingOutcome) -> bool:
    """Team, priority and autonomy bounds from the rules that fired; True when the level had to move.
    Bounds only ever tighten within a conversation. Caller holds the lock."""
    changed = []
    if outcome.team is not None and conversation.team_id is None:
        conversation.team = outcome.team
        changed.append("team")
    if outcome.priority is not None and outcome.priority > conversation.priority:
        conversation.priority = outcome.priority
        changed.append("priority")
    minimum = tighter_min(conversation.autonomy_min, outcome.autonomy_min)
    maximum = tighter_max(conversation.autonomy_max, outcome.autonomy_max)
    if (minimum, maximum) != (conversation.autonomy_min, conversation.autonomy_max):
        conversation.autonomy_min, conversation.autonomy_max = minimum, maximum
        conversation.autonomy_cap_reason = outcome.customer_reason(conversation.locale)[:300]
        changed += ["autonomy_min", "autonomy_max", "autonomy_cap_reason"]
    if changed:
        conversation.save(update_fields=[*changed, "updated_at"])
    level = level_clamp(conversation.autonomy_level, minimum=minimum, maximum=maximum)
    if level == conversation.autonomy_level:
        return False
    _level_capped(conversation, level, reason=outcome.reason)
    return True


def _level_capped(conversation: Conversation, level: str, *, reason: str) -> None:
    """Move the level to respect a site's bounds and tell the customer why, in plain words."""
    previous = conversation.autonomy_level
    conversation.autonomy_level = level
    conversation.save(update_fields=["autonomy_level", "updated_at"])
    event_record(
        conversation=conversation,
        kind=ConversationEvent.Kind.AUTONOMY_CHANGED,
        actor_kind=ConversationEvent.ActorKind.SYSTEM,
        data={"from": previous, "to": level, "reason": reason or "site rule"},
    )
    system_message_record(
        conversation=conversation,
        key="level_capped",
        level=level_name(level, conversation.locale),
        reason=conversation.autonomy_cap_reason or texts.text("cap_default_reason", conversation.locale),
    )
    conversation_publish(conversation)


@transaction.atomic
def handoff_accept(*, conversation_id: int, agent, assignment: dict | None = None) -> Conversation:
    """An agent takes the conversation, from the queue or straight from the AI (barge-in), or the queue gives
    it to them: `assignment` then says how they were chosen and is kept with the event."""
    conversation = conversation_lock(conversation_id)
    if conversation.status == Conversation.Status.CLOSED:
        raise ConversationError("conversation_closed", "This conversation is closed.")
    if conversation.owner == Conversation.Owner.AGENT:
        if conversation.agent_id == agent.pk:
            return conversation
        raise ConversationError("already_taken", "Another agent already has this conversation.")
    from_owner = conversation.owner
    waited = (timezone.now() - conversation.queued_at).total_seconds() if conversation.queued_at else None
    conversation.owner = Conversation.Owner.AGENT
    conversation.agent = agent
    conversation.queued_at = None
    previous = conversation.autonomy_level
    conversation.autonomy_level = tighter_min(previous, AutonomyLevel.HUMAN_WITH_AI)
    conversation.save(update_fields=["owner", "agent", "queued_at", "autonomy_level", "updated_at"])
    event_record(
        conversation=conversation,
        kind=ConversationEvent.Kind.HANDOFF_ACCEPTED,
        actor_kind=ConversationEvent.ActorKind.SYSTEM if assignment else ConversationEvent.ActorKind.HUMAN,
        agent=agent,
        data={"from_owner": from_owner, "wait_seconds": waited, "autonomy_before": previous, **(assignment or {})},
    )
    system_message_record(conversation=conversation, key="agent_joined", name=selectors.agent_display_name(agent))
    conversation_publish(conversation)
    if from_owner == Conversation.Owner.QUEUE:
        queue_publish_positions(after=conversation)
    return conversation


FOLLOW_UPS = {"confirm": "follow_up_confirm", "csat": "follow_up_csat"}


@transaction.atomic
def handoff_return(*, conversation_id: int, agent, note: str = "", follow_up: object = None) -> Conversation:
    """Reverse handoff: the AI resumes; the note and the boundary are kept in the event log. With
    `follow_up` the AI takes the next step itself: checks the customer has all they need ("confirm")
    or asks how the person did ("csat")."""
    if follow_up is not None and follow_up not in FOLLOW_UPS:
        raise ConversationError("follow_up_invalid", f"follow_up must be one of: {', '.join(FOLLOW_UPS)}.")
    conversation = conversation_lock(conversation_id)
    if conversation.owner != Conversation.Owner.AGENT or conversation.agent_id != agent.pk:
        raise ConversationError("not_owner", "Only the agent who has the conversation can hand it back.")
    if conversation.autonomy_level == AutonomyLevel.HUMAN_ONLY:
        raise ConversationError(
            "customer_chose_human_only", "The customer chose to talk only to a person; the AI may not take over."
        )
    _return_to_ai(conversation)
    conversation.autonomy_level = AutonomyLevel.AI_ONLY
    conversation.escalation_reason = ""
    conversation.save(update_fields=["autonomy_level", "escalation_reason", "updated_at"])
    event_record(
        conversation=conversation,
        kind=ConversationEvent.Kind.HANDOFF_RETURNED,
        actor_kind=ConversationEvent.ActorKind.HUMAN,
        agent=agent,
        data={"by": "agent", "note": note[:1000], "boundary_seq": conversation.last_seq, "follow_up": follow_up},
    )
    from cxhub.crm.services import post_work_schedule  # summary and CRM update on the worker, after commit

    post_work_schedule(conversation_id=conversation.pk, trigger="returned")
    system_message_record(conversation=conversation, key="returned_to_ai", name=selectors.agent_display_name(agent))
    disclosure_ensure(conversation=conversation)
    if follow_up is not None:
        message_record(
            conversation=conversation,
            author_kind=Message.AuthorKind.AI,
            provenance=Message.Provenance.AI,
            text=texts.text(FOLLOW_UPS[follow_up], conversation.locale, name=selectors.agent_display_name(agent)),
        )
    conversation_publish(conversation)
    from .assignment import agent_assign_next  # the agent has room for the next one waiting

    transaction.on_commit(lambda: agent_assign_next(agent=agent), robust=True)
    return conversation


@transaction.atomic
def agent_message_send(
    *, conversation_id: int, agent, text: object, client_id: object, suggestion_id: object = None
) -> tuple[Message, bool]:
    """An agent's reply. Sent from a copilot suggestion (as is or edited), it says so to the customer."""
    text = message_text_clean(text)
    client_id = client_id_clean(client_id)
    if suggestion_id is not None and (not isinstance(suggestion_id, int) or isinstance(suggestion_id, bool)):
        raise ConversationError("suggestion_invalid", "suggestion_id must be a number.")
    conversation = conversation_lock(conversation_id)
    if conversation.status == Conversation.Status.CLOSED:
        raise ConversationError("conversation_closed", "This conversation is closed.")
    if conversation.owner != Conversation.Owner.AGENT or conversation.agent_id != agent.pk:
        raise ConversationError("not_owner", "Take over the conversation before replying.")
    # Usually none: then this one query is all the copilot bookkeeping a reply costs.
    offered = suggestions_offered(conversation_id=conversation.pk)
    if suggestion_id is not None:
        suggestion = Suggestion.objects.filter(pk=suggestion_id, conversation=conversation).first()
        if suggestion is None:
            raise ConversationError("suggestion_unknown", "No such suggestion in this conversation.")
    else:
        # Pasted or retyped from the panel without saying so: still written with AI help, and said.
        suggestion = suggestion_matching(conversation_id=conversation.pk, sent_text=text, offered=offered)
    message, created = message_record(
        conversation=conversation,
        author_kind=Message.AuthorKind.HUMAN,
        provenance=Message.Provenance.HUMAN_AI_ASSISTED if suggestion else Message.Provenance.HUMAN,
        text=text,
        client_id=client_id,
        agent=agent,
    )
    if created and suggestion is not None:
        suggestion_outcome_record(suggestion_id=suggestion.pk, sent_text=text, sent_message_id=message.pk)
    if created and offered:
        # The suggestions the agent did not use are recorded as ignored: acceptance rates need both.
        suggestions_settle(conversation_id=conversation.pk, sent_message_id=message.pk, sent_text=text)
    return message, created


def agent_owns(*, conversation_id: int, agent) -> bool:
    return Conversation.objects.filter(pk=conversation_id, owner=Conversation.Owner.AGENT, agent=agent).exists()


@transaction.atomic
def conversation_close_by_agent(*, conversation_id: int, agent, outcome: str = "") -> Conversation:
    """The agent closes the conversation; with room again, they get the next one waiting."""
    conversation = conversation_close(conversation_id=conversation_id, actor_kind="human", agent=agent, outcome=outcome)
    if conversation.agent_id == agent.pk:
        from .assignment import agent_assign_next

        transaction.on_commit(lambda: agent_assign_next(agent=agent), robust=True)
    return conversation
