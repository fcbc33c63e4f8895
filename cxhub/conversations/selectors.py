"""Reads: what visitors and agents are shown, always through these functions."""

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import OuterRef, Q, QuerySet, Subquery

from cxhub.database.prepared import PreparedQuery

from .models import Conversation, ConversationEvent, Customer, Message


def agent_display_name(agent: AbstractBaseUser | None) -> str:
    if agent is None:
        return ""
    return agent.get_full_name() or agent.get_username()


def message_for_visitor(message: Message) -> dict:
    return {
        "id": message.pk,
        "seq": message.seq,
        "client_id": message.client_id if message.author_kind == Message.AuthorKind.CUSTOMER else None,
        "author_kind": message.author_kind,
        "author_name": agent_display_name(message.author_agent) if message.author_kind == "human" else "",
        "provenance": message.provenance,
        "text": message.text,
        "sources": message.sources,
        "created_at": message.created_at.isoformat(),
    }


def messages_after(*, conversation: Conversation, after_seq: int, limit: int = 500) -> list[Message]:
    return list(conversation.messages.filter(seq__gt=after_seq).select_related("author_agent").order_by("seq")[:limit])


def queue_position(conversation: Conversation) -> int | None:
    """1 for the next one served in the same site and team queue: higher priority first, then the longest waiting."""
    if conversation.owner != Conversation.Owner.QUEUE or conversation.queued_at is None:
        return None
    ahead = (
        Conversation.objects.filter(
            site_id=conversation.site_id,
            status=Conversation.Status.OPEN,
            owner=Conversation.Owner.QUEUE,
            team_id=conversation.team_id,
        )
        .filter(
            Q(priority__gt=conversation.priority)
            | Q(priority=conversation.priority, queued_at__lt=conversation.queued_at)
        )
        .count()
    )
    return ahead + 1


def conversation_state_for_visitor(conversation: Conversation) -> dict:
    # Presence and assignment build on conversations, so they are imported when needed, not at load.
    from routing.assignment import estimated_wait_seconds, nobody_available

    return {
        "conversation_id": conversation.public_id,
        "status": conversation.status,
        "owner": conversation.owner,
        "agent_name": agent_display_name(conversation.agent) if conversation.owner == "agent" else "",
        "autonomy_level": conversation.autonomy_level,
        # Bounds a site's rule put on the customer's choice, and why in plain words (empty: none).
        "autonomy_min": conversation.autonomy_min,
        "autonomy_max": conversation.autonomy_max,
        "autonomy_cap_reason": conversation.autonomy_cap_reason,
        "replies_reviewed": conversation.autonomy_level == "ai_with_approval",
        "queue_position": queue_position(conversation),
        # Honest waiting: None when no one who could answer is online; then nobody_available says so.
        "estimated_wait_seconds": estimated_wait_seconds(conversation),
        "nobody_available": nobody_available(conversation),
        "last_seq": conversation.last_seq,
        # What the person holding the conversation has read (the widget shows "Read" under the customer's words).
        "agent_read_seq": conversation.agent_read_seq,
    }


def conversation_state_for_staff(conversation: Conversation) -> dict:
    return {
        **conversation_state_for_visitor(conversation),
        "id": conversation.pk,
        "agent_id": conversation.agent_id,
        "agent_name": agent_display_name(conversation.agent),
        "visitor_read_seq": conversation.visitor_read_seq,
    }


_NOT_LOADED = object()


def inbox_row(conversation: Conversation, last_text=_NOT_LOADED) -> dict:
    """`last_text`: the newest message's text when the caller has it (a listing annotates it, a new message is
    it), so a row costs no query of its own."""
    if last_text is _NOT_LOADED:
        last_text = getattr(conversation, "last_message_text", _NOT_LOADED)
    if last_text is _NOT_LOADED:
        last = conversation.messages.order_by("-seq").first()
        last_text = last.text if last else ""
    return {
        "id": conversation.pk,
        "customer": str(conversation.customer),
        "status": conversation.status,
        "outcome": conversation.outcome,
        "owner": conversation.owner,
        "agent_id": conversation.agent_id,
        "agent_name": agent_display_name(conversation.agent),
        "autonomy_level": conversation.autonomy_level,
        "channel": conversation.channel,
        "locale": conversation.locale,
        "queued_at": conversation.queued_at.isoformat() if conversation.queued_at else None,
        "priority": conversation.priority,
        "team_id": conversation.team_id,
        "team": {"id": conversation.team_id, "name": conversation.team.name} if conversation.team_id else None,
        "escalation_reason": conversation.escalation_reason,
        "last_message": (last_text or "")[:140],
        "last_seq": conversation.last_seq,
        "updated_at": conversation.updated_at.isoformat(),
    }


def inbox_list(*, include_closed: bool = False, limit: int = 200, visible=None) -> list[dict]:
    """Every conversation waiting for a person (highest priority, then oldest first), then the most recently
    active others; only those in `visible` (a queryset from access.conversations_visible) when given."""
    newest_text = Message.objects.filter(conversation=OuterRef("pk")).order_by("-seq").values("text")[:1]
    conversations: QuerySet[Conversation] = (
        (visible if visible is not None else Conversation.objects)
        .select_related("customer", "agent", "team")
        .annotate(last_message_text=Subquery(newest_text))
    )
    if not include_closed:
        conversations = conversations.filter(status=Conversation.Status.OPEN)
    waiting = conversations.filter(owner=Conversation.Owner.QUEUE, status=Conversation.Status.OPEN)
    others = conversations.exclude(pk__in=waiting.values("pk")).order_by("-updated_at")[:limit]
    return [inbox_row(c) for c in [*waiting.order_by("-priority", "queued_at", "id"), *others]]


def message_for_staff(message: Message) -> dict:
    data = message_for_visitor(message)
    data["author_agent_id"] = message.author_agent_id
    return data


def handoff_card(conversation: Conversation) -> dict:
    """Everything an agent needs so the customer never has to repeat themselves."""
    messages = list(conversation.messages.select_related("author_agent").order_by("seq"))
    events = list(conversation.events.order_by("id"))
    customer: Customer = conversation.customer
    customer_texts = [m.text for m in messages if m.author_kind == Message.AuthorKind.CUSTOMER]
    tried = [
        {
            "article": e.data.get("article_slug"),
            "title": e.data.get("article_title"),
            "confidence": e.data.get("confidence"),
        }
        for e in events
        if e.kind == ConversationEvent.Kind.AI_ANSWERED
    ]
    abstentions = sum(1 for e in events if e.kind == ConversationEvent.Kind.AI_ABSTAINED)
    previous = (
        customer.conversations.exclude(pk=conversation.pk)
        .order_by("-created_at")
        .values("id", "status", "channel", "outcome", "created_at")[:10]
    )
    handoffs = [e for e in events if e.kind == ConversationEvent.Kind.HANDOFF_REQUESTED]
    summary = ""
    if customer_texts:
        summary = f"Customer first asked: “{customer_texts[0][:200]}”"
        if len(customer_texts) > 1:
            summary += f" Latest: “{customer_texts[-1][:200]}”"
    return {
        "conversation_id": conversation.pk,
        "state": conversation_state_for_staff(conversation),
        "customer": {
            "name": str(customer),
            "email": customer.email,
            "identified": customer.is_identified,
            "locale": customer.locale,
            "phone": customer.phone,
            "email_verified": customer.email_verified,
            "phone_verified": customer.phone_verified,
            "vip": customer.is_vip,
            "segment": customer.segment,
            "previous_conversations": [{**p, "created_at": p["created_at"].isoformat()} for p in previous],
        },
        "reason": conversation.escalation_reason,
        "signals": handoffs[-1].data.get("signals", []) if handoffs else [],
        # Why is this here: each routing decision with the signals and the customer's words behind them.
        "decisions": [
            {**e.data, "at": e.created_at.isoformat()}
            for e in events
            if e.kind == ConversationEvent.Kind.ROUTING_DECISION
        ][-5:],
        "summary": summary,
        # Who passed it on to whom, and the note they left for the next person.
        "transfers": [
            {**e.data, "at": e.created_at.isoformat()}
            for e in events
            if e.kind == ConversationEvent.Kind.HANDOFF_TRANSFERRED
        ],
        "tried": tried,
        "ai_abstentions": abstentions,
        "emotional_context": emotional_context(events),
        "autonomy_level": conversation.autonomy_level,
        "transcript": [message_for_staff(m) for m in messages],
    }


SENSITIVE_SIGNALS = (
    "vulnerability",
    "bereavement",
    "legal_threat",
    "account_security",
    "complaint_dispute",
    "large_purchase",
)


def emotional_context(events: list[ConversationEvent]) -> dict:
    """How the customer seems, from the signals routing recorded: the strongest frustration seen, the
    sensitive topics raised, each with the customer's own words. `next_step` is a key the console words."""
    frustration: dict | None = None
    topics: dict[str, str] = {}
    for event in events:
        if event.kind != ConversationEvent.Kind.ROUTING_DECISION:
            continue
        for signal in event.data.get("signals", []):
            if signal["name"] == "frustration" and (
                frustration is None or signal["strength"] >= frustration["strength"]
            ):
                frustration = signal
            elif signal["name"] in SENSITIVE_SIGNALS:
                topics.setdefault(signal["name"], signal["evidence"])
    next_step = "answer"
    for name, step in (
        ("vulnerability", "check_wellbeing"),
        ("bereavement", "acknowledge_loss"),
        ("legal_threat", "no_liability"),
        ("account_security", "verify_identity"),
        ("complaint_dispute", "acknowledge_complaint"),
    ):
        if name in topics:
            next_step = step
            break
    else:
        if frustration is not None:
            next_step = "acknowledge_frustration"
    return {
        "frustration": frustration,
        "sensitive_topics": [{"name": name, "evidence": words} for name, words in topics.items()],
        "next_step": next_step,
    }


# Both run for every customer message: their SQL is built once (cxhub/database/prepared.py).
ESCALATION_WINDOW = 5  # customer texts and AI outcomes the signals look back on
_recent_ai_outcomes = PreparedQuery(
    lambda conversation_id: (
        ConversationEvent.objects.filter(
            conversation_id=conversation_id,
            kind__in=[
                ConversationEvent.Kind.HANDOFF_RETURNED,
                ConversationEvent.Kind.AI_ANSWERED,
                ConversationEvent.Kind.AI_ABSTAINED,
            ],
        )
        .order_by("-id")
        .values_list("kind", "data__boundary_seq")[: ESCALATION_WINDOW + 1]
    ),
    conversation_id=int,
)
_customer_texts_between = PreparedQuery(
    lambda conversation_id, after_seq, before_seq: (
        Message.objects.filter(
            conversation_id=conversation_id,
            author_kind=Message.AuthorKind.CUSTOMER,
            seq__gt=after_seq,
            seq__lt=before_seq,
        )
        .order_by("-seq")
        .values_list("text", flat=True)[:ESCALATION_WINDOW]
    ),
    conversation_id=int,
    after_seq=int,
    before_seq=int,
)


def escalation_context(conversation: Conversation, *, before_seq: int) -> tuple[list[str], list[bool]]:
    """The customer's recent texts and whether each recent AI reply abstained, oldest first, counted only
    since the last hand-back: what a person already dealt with does not escalate the conversation again."""
    returned_kind = ConversationEvent.Kind.HANDOFF_RETURNED
    window = ESCALATION_WINDOW
    # The last hand-back and the AI's outcomes since, usually in one query.
    recent = _recent_ai_outcomes(conversation_id=conversation.pk)
    kinds, boundary_seq = [], None
    for kind, seq in recent:
        if kind == returned_kind:
            boundary_seq = seq or 0
            break
        kinds.append(kind)
    if boundary_seq is None and len(recent) > window:
        # More AI replies than the window, and an earlier hand-back may still bound the texts.
        boundary_seq = (
            conversation.events.filter(kind=returned_kind)
            .order_by("-id")
            .values_list("data__boundary_seq", flat=True)
            .first()
        )
    texts = _customer_texts_between(
        conversation_id=conversation.pk, after_seq=int(boundary_seq or 0), before_seq=before_seq
    )
    kinds = kinds[:window]
    return texts[::-1], [kind == ConversationEvent.Kind.AI_ABSTAINED for kind in reversed(kinds)]


def conversation_handled_by(conversation: Conversation) -> str:
    """ai, human or both, from who wrote the messages the customer read (AI-drafted and approved counts as AI)."""
    kinds = set(conversation.messages.values_list("author_kind", flat=True).distinct())
    ai, human = Message.AuthorKind.AI in kinds, Message.AuthorKind.HUMAN in kinds
    if ai and human:
        return "both"
    return "human" if human else "ai"


def transcript_text(conversation: Conversation) -> str:
    """The conversation as plain text for email, each line saying who really wrote it."""
    from django.utils import timezone

    from . import texts

    lines = [texts.text("transcript_intro", conversation.locale, site=conversation.site.name), ""]
    for message in conversation.messages.select_related("author_agent").order_by("seq"):
        name = agent_display_name(message.author_agent)
        author = texts.transcript_author(message.provenance, conversation.locale, name)
        at = timezone.localtime(message.created_at).strftime("%H:%M")
        lines.append(f"[{at}] {author}: {message.text}")
    return "\n".join(lines) + "\n"


def visitor_profile(conversation: Conversation) -> dict:
    """What the widget needs besides the state: the site's pre-chat form and what the customer already gave."""
    from .models import PRECHAT_FIELDS

    asked = conversation.site.prechat_fields if isinstance(conversation.site.prechat_fields, list) else []
    return {
        "prechat_fields": [field for field in PRECHAT_FIELDS if field in asked],
        "prechat_done": conversation.events.filter(kind=ConversationEvent.Kind.PRECHAT_SUBMITTED).exists(),
        "email_known": bool(conversation.customer.email),
        "identified": conversation.customer.is_identified,
    }


def customer_conversation(*, customer: Customer, public_id: object, default: Conversation) -> Conversation:
    """One of this customer's own conversations by public id (e.g. the one just closed, to rate it)."""
    if public_id in (None, ""):
        return default
    conversation = customer.conversations.filter(public_id=public_id).first() if isinstance(public_id, str) else None
    if conversation is None:
        # Also for another visitor's id: the token decides whose conversations can be reached.
        from .services import ConversationError

        raise ConversationError("conversation_unknown", "No such conversation.")
    return conversation


def note_for_staff(note) -> dict:
    return {
        "id": note.pk,
        "author_name": agent_display_name(note.author),
        "author_id": note.author_id,
        "text": note.text,
        "created_at": note.created_at.isoformat(),
    }


def notes_for_staff(conversation: Conversation) -> list[dict]:
    """Private notes, oldest first. Staff only: never in anything built for the visitor."""
    return [note_for_staff(n) for n in conversation.notes.select_related("author").order_by("id")]


def handoff_rating_by(conversation: Conversation, agent) -> dict | None:
    """This agent's latest rating of the conversation's handoff card, or None."""
    event = (
        conversation.events.filter(kind=ConversationEvent.Kind.HANDOFF_RATED, actor_agent_id=agent.pk)
        .order_by("-id")
        .first()
    )
    return None if event is None else {"score": event.data.get("score"), "comment": event.data.get("comment", "")}
