"""The agent's copilot: suggested replies grounded in articles, a summary, compliance reminders, and what agents
did with the suggestions. A person always reviews; nothing here speaks to the customer."""

import difflib
import logging
import re
import time
from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction

from cxhub.conversations.models import AutonomyLevel, Conversation, ConversationEvent, Message
from cxhub.conversations.services import conversation_lock
from cxhub.conversations.texts import pick_locale
from cxhub.database.prepared import PreparedQuery
from cxhub.folding import fold

from .answerer import MODEL_NAME, RelevantArticle, knowledge_base_fresh, relevant_articles
from .calibration import Policy, answer_policy
from .models import Article, AssistantDecision, ComplianceRule, KnowledgeBase, Suggestion
from .services import knowledge_base_for_site

logger = logging.getLogger(__name__)

# Below this an article is more likely noise than help: on the shop KB, off-topic questions ("What's the weather
# on Mars?") still reach ~0.3 while real paraphrases score 0.5+. Lower than the bot's own threshold on purpose,
# because a person reads every suggestion before anything is sent.
SUGGESTION_MIN_CONFIDENCE = 0.35
# A last message this short ("and to Canada?") only makes sense with the one before it.
SHORT_MESSAGE_WORDS = 4
# An agent's reply this close to a suggestion was written from it.
EDITED_MIN_SIMILARITY = 0.6
SUMMARY_MAX_CHARS = 600
SUMMARY_QUOTE_CHARS = 160
SUMMARY_MODEL_NAME = "cxhub-extractive-summary-v1"
HUMAN_ONLY_REASON = "The customer chose to talk only to a person: no AI may read or draft for this conversation."

# Reasons routing writes in English; the French summary should not switch language mid-sentence.
HANDOFF_REASONS_FR = {
    "customer asked for a person": "le client a demandé une personne",
    "customer chose a person": "le client a choisi une personne",
    "customer pressed “Talk to a person”": "le client a appuyé sur « Parler à une personne »",
}

GREETINGS = {"en": "Hi {name},", "fr": "Bonjour {name},"}


@dataclass
class CopilotContext:
    """One read of the conversation, shared by every part of the copilot panel so retrieval runs once."""

    conversation: Conversation
    messages: list[Message]
    knowledge_base: KnowledgeBase
    _relevant: list[RelevantArticle] | None = field(default=None, repr=False)

    @property
    def locale(self) -> str:
        return pick_locale(self.conversation.locale)

    @property
    def customer_messages(self) -> list[Message]:
        return [m for m in self.messages if m.author_kind == Message.AuthorKind.CUSTOMER]

    @property
    def latest_customer_message(self) -> Message | None:
        customer_messages = self.customer_messages
        return customer_messages[-1] if customer_messages else None

    @property
    def query(self) -> str:
        customer_messages = self.customer_messages
        if not customer_messages:
            return ""
        latest = customer_messages[-1].text
        if len(latest.split()) < SHORT_MESSAGE_WORDS and len(customer_messages) > 1:
            return f"{customer_messages[-2].text}\n{latest}"
        return latest

    def relevant(self) -> list[RelevantArticle]:
        """Articles for the latest customer text, best first (computed once, k=5 covers every panel)."""
        if self._relevant is None:
            query = self.query
            self._relevant = (
                relevant_articles(query, knowledge_base=self.knowledge_base, k=5, locale=self.locale) if query else []
            )
        return self._relevant


def copilot_context(conversation_id: int) -> CopilotContext:
    conversation = Conversation.objects.select_related("site", "customer", "agent").get(pk=conversation_id)
    return CopilotContext(
        conversation=conversation,
        messages=list(conversation.messages.order_by("seq")),
        knowledge_base=knowledge_base_fresh(knowledge_base_for_site(conversation.site)),
    )


def copilot_allowed(conversation: Conversation) -> bool:
    return conversation.autonomy_level != AutonomyLevel.HUMAN_ONLY


def copilot_policy(conversation: Conversation) -> str:
    return f"copilot for agent {conversation.agent_id or 'none'}, human reviews before sending"


def text_normalise(text: str) -> str:
    return " ".join(text.split())


# --- Suggested replies -------------------------------------------------------------------------------------------


def suggestion_greeting(context: CopilotContext) -> str:
    # Greet once: after the agent has spoken, "Hi Alice," on every reply reads like a form letter.
    name = context.conversation.customer.display_name.strip()
    if not name or any(m.author_kind == Message.AuthorKind.HUMAN for m in context.messages):
        return ""
    return GREETINGS[context.locale].format(name=name)


def copilot_suggestions(*, conversation_id: int, k: int = 3) -> list[Suggestion]:
    """Replies grounded in articles for the latest customer message; the same message never gets two sets."""
    context = copilot_context(conversation_id)
    return suggestions_for_context(context, k=k)


def suggestions_for_context(context: CopilotContext, *, k: int = 3) -> list[Suggestion]:
    conversation = context.conversation
    for_message = context.latest_customer_message
    if for_message is None or not copilot_allowed(conversation):
        return []
    existing = suggestions_existing(conversation_id=conversation.pk, for_message_id=for_message.pk)
    if existing is not None:
        return existing

    started = time.perf_counter()
    policy: Policy = answer_policy(context.knowledge_base)
    candidates = context.relevant()
    chosen = [r for r in candidates if r.confidence >= SUGGESTION_MIN_CONFIDENCE][:k]
    greeting = suggestion_greeting(context)
    latency_ms = (time.perf_counter() - started) * 1000

    with transaction.atomic():
        # Under the row lock a racing caller (the prepare task and the console) finds the other's rows.
        conversation_lock(conversation.pk)
        existing = suggestions_existing(conversation_id=conversation.pk, for_message_id=for_message.pk)
        if existing is not None:
            return existing
        top = chosen[0] if chosen else (candidates[0] if candidates else None)
        decision = AssistantDecision.objects.create(
            kind=AssistantDecision.Kind.SUGGESTION,
            outcome=AssistantDecision.Outcome.ANSWERED if chosen else AssistantDecision.Outcome.ABSTAINED,
            conversation=conversation,
            message=for_message,
            knowledge_base=context.knowledge_base,
            question=context.query,
            articles=[r.article.slug for r in chosen],
            confidence=top.confidence if top else None,
            threshold=policy.threshold,
            target_precision=policy.target_precision,
            model=MODEL_NAME,
            latency_ms=round(latency_ms, 2),
            policy=copilot_policy(conversation),
            detail={
                "min_confidence": SUGGESTION_MIN_CONFIDENCE,
                "calibrated": policy.calibrated,
                "greeting": bool(greeting),
                "candidates": [{"slug": r.article.slug, "confidence": r.confidence} for r in candidates],
            },
        )
        return [
            Suggestion.objects.create(
                conversation=conversation,
                for_message=for_message,
                article=r.article,
                text=f"{greeting}\n\n{r.article.answer}" if greeting else r.article.answer,
                confidence=r.confidence,
                decision=decision,
            )
            for r in chosen
        ]


def suggestions_existing(*, conversation_id: int, for_message_id: int) -> list[Suggestion] | None:
    """The suggestions already made for this customer message (possibly none), or None if it was never considered."""
    decided = AssistantDecision.objects.filter(
        conversation_id=conversation_id, message_id=for_message_id, kind=AssistantDecision.Kind.SUGGESTION
    ).exists()
    if not decided:
        return None
    return list(
        Suggestion.objects.filter(
            conversation_id=conversation_id, for_message_id=for_message_id, status=Suggestion.Status.OFFERED
        )
        .select_related("article")
        .order_by("id")
    )


def suggestion_for_panel(suggestion: Suggestion) -> dict:
    article = suggestion.article
    return {
        "id": suggestion.pk,
        "text": suggestion.text,
        "article_slug": article.slug if article else None,
        "article_title": article.title if article else None,
        "confidence": suggestion.confidence,
        "status": suggestion.status,
        "for_message_id": suggestion.for_message_id,
    }


# --- Article search -----------------------------------------------------------------------------------------------


def article_for_panel(article: Article, confidence: float) -> dict:
    return {
        "slug": article.slug,
        "title": article.title,
        "answer": article.answer,
        "locale": article.locale,
        "tags": list(article.tags),
        "confidence": confidence,
    }


def copilot_relevant_articles(*, conversation_id: int, query: str | None = None, k: int = 5) -> list[dict]:
    """Articles for what the agent typed, or else for what the customer last wrote."""
    context = copilot_context(conversation_id)
    return relevant_articles_for_context(context, query=query, k=k)


def relevant_articles_for_context(context: CopilotContext, *, query: str | None = None, k: int = 5) -> list[dict]:
    if query is not None and query.strip():
        # The agent's own search, not a reading of the customer's words: allowed in every conversation.
        found = relevant_articles(query.strip(), knowledge_base=context.knowledge_base, k=k, locale=context.locale)
    elif copilot_allowed(context.conversation):
        found = context.relevant()[:k]
    else:
        found = []
    return [article_for_panel(r.article, r.confidence) for r in found]


# --- Summary ------------------------------------------------------------------------------------------------------


def message_is_substantive(text: str) -> bool:
    # "hi", "hello?" say nothing about the problem; the first message with a few words usually does.
    return len(text.split()) >= 3


def quote(text: str) -> str:
    text = text_normalise(text)
    return text if len(text) <= SUMMARY_QUOTE_CHARS else text[: SUMMARY_QUOTE_CHARS - 1].rstrip() + "…"


def articles_used(context: CopilotContext) -> list[dict]:
    """Articles the AI answered with, in order of first use: from reply sources and the AI's own decisions."""
    used: dict[str, str] = {}
    for message in context.messages:
        if message.author_kind != Message.AuthorKind.AI:
            continue
        for source in message.sources or []:
            if isinstance(source, dict) and source.get("slug"):
                used.setdefault(source["slug"], source.get("title") or source["slug"])
    answered = [
        AssistantDecision.Outcome.ANSWERED,
        AssistantDecision.Outcome.PHRASED,
        AssistantDecision.Outcome.GROUNDING_REJECTED,
    ]
    decisions = AssistantDecision.objects.filter(
        conversation=context.conversation,
        kind__in=[AssistantDecision.Kind.REPLY, AssistantDecision.Kind.DRAFT],
        outcome__in=answered,
    ).order_by("id")
    for slugs in decisions.values_list("articles", flat=True):
        for slug in slugs or []:
            used.setdefault(slug, slug)
    missing_titles = [slug for slug, title in used.items() if title == slug]
    if missing_titles:
        titles = dict(
            Article.objects.filter(knowledge_base=context.knowledge_base, slug__in=missing_titles).values_list(
                "slug", "title"
            )
        )
        used.update({slug: titles[slug] for slug in missing_titles if slug in titles})
    return [{"slug": slug, "title": title} for slug, title in used.items()]


def ai_abstentions(context: CopilotContext) -> int:
    from_events = context.conversation.events.filter(kind=ConversationEvent.Kind.AI_ABSTAINED).count()
    from_decisions = AssistantDecision.objects.filter(
        conversation=context.conversation,
        kind=AssistantDecision.Kind.REPLY,
        outcome=AssistantDecision.Outcome.ABSTAINED,
    ).count()
    # The live bot may log an abstention both ways; the larger count is the honest one.
    return max(from_events, from_decisions)


def handoff_reason(context: CopilotContext) -> str:
    if context.conversation.escalation_reason:
        return context.conversation.escalation_reason
    handoff = context.conversation.events.filter(kind=ConversationEvent.Kind.HANDOFF_REQUESTED).order_by("-id").first()
    return str(handoff.data.get("reason", "")) if handoff else ""


def summary_text(summary: dict, locale: str) -> str:
    first, latest = summary["first_question"], summary["latest_question"]
    titles = ", ".join(a["title"] for a in summary["articles_used"])
    counts = summary["message_counts"]
    reason = summary["handoff_reason"]
    if locale == "fr":
        parts = [f"Le client a demandé : « {quote(first)} »." if first else "Le client n’a encore rien demandé."]
        if latest and latest != first:
            parts.append(f"Dernier message : « {quote(latest)} ».")
        if titles:
            parts.append(f"L’IA a répondu avec : {titles}.")
        if summary["ai_abstained"]:
            times = "une fois" if summary["ai_abstentions"] == 1 else f"{summary['ai_abstentions']} fois"
            parts.append(f"L’IA n’était pas sûre ({times}) et n’a pas deviné.")
        if reason:
            parts.append(f"Transmis à une personne : {HANDOFF_REASONS_FR.get(reason, reason)}.")
        parts.append(f"{counts['total']} messages, dont {counts['customer']} du client.")
    else:
        parts = [f"The customer asked: “{quote(first)}”." if first else "The customer has not asked anything yet."]
        if latest and latest != first:
            parts.append(f"Latest: “{quote(latest)}”.")
        if titles:
            parts.append(f"The AI answered with: {titles}.")
        if summary["ai_abstained"]:
            times = "once" if summary["ai_abstentions"] == 1 else f"{summary['ai_abstentions']} times"
            parts.append(f"The AI was not sure ({times}) and did not guess.")
        if reason:
            parts.append(f"Handed to a person: {reason}.")
        parts.append(f"{counts['total']} messages, {counts['customer']} from the customer.")
    return text_cap(" ".join(parts))


def text_cap(text: str) -> str:
    return text if len(text) <= SUMMARY_MAX_CHARS else text[: SUMMARY_MAX_CHARS - 1].rstrip() + "…"


def summary_extract(context: CopilotContext) -> dict:
    customer_texts = [m.text for m in context.customer_messages]
    substantive = [t for t in customer_texts if message_is_substantive(t)]
    first = substantive[0] if substantive else (customer_texts[0] if customer_texts else "")
    abstentions = ai_abstentions(context)
    counts = {kind: 0 for kind in Message.AuthorKind.values}
    for message in context.messages:
        counts[message.author_kind] = counts.get(message.author_kind, 0) + 1
    summary = {
        "conversation_id": context.conversation.pk,
        "locale": context.locale,
        "first_question": first,
        "latest_question": customer_texts[-1] if customer_texts else "",
        "articles_used": articles_used(context),
        "ai_abstained": abstentions > 0,
        "ai_abstentions": abstentions,
        "handoff_reason": handoff_reason(context),
        "message_counts": {**counts, "total": len(context.messages)},
    }
    summary["text"] = summary_text(summary, context.locale)
    return summary


def summary_phrase_with_llm(context: CopilotContext, extractive: str) -> str:
    """A fluent summary from the configured chat model; raises on anything unusable so the caller falls back."""
    from langchain_core.messages import HumanMessage, SystemMessage

    from .llm import chat_model_invoke, looks_like_injection

    if any(looks_like_injection(m.text) for m in context.customer_messages):
        # The agent acts on this summary; a customer must not be able to write it for them.
        raise ValueError("a customer message looks like a prompt injection")
    language = "French" if context.locale == "fr" else "English"
    transcript = "\n".join(f"{m.author_kind}: {m.text}" for m in context.messages[-30:])
    response = chat_model_invoke(  # a hung provider costs at most ASSISTANT_LLM_TIMEOUT_SECONDS
        [
            SystemMessage(
                content=(
                    f"Summarise this customer-support conversation for the agent taking it over, in {language}, "
                    f"in at most {SUMMARY_MAX_CHARS} characters of plain text. State only facts from the transcript "
                    "and the notes: what the customer asked, what the AI answered with, whether it was unsure, "
                    "and why a person was asked for."
                )
            ),
            HumanMessage(content=f"Transcript:\n{transcript}\n\nNotes:\n{extractive}"),
        ]
    )
    text = response.content if isinstance(response.content, str) else ""
    text = text.strip()
    if not text:
        raise ValueError("empty summary from the chat model")
    return text_cap(text)


def conversation_summary(*, conversation_id: int) -> dict:
    """What happened so far, for the agent: extractive (no LLM needed), phrased by an LLM only when configured."""
    return summary_for_context(copilot_context(conversation_id))


def summary_for_context(context: CopilotContext) -> dict:
    conversation = context.conversation
    summary = summary_extract(context)
    if not copilot_allowed(conversation):
        # Reading the transcript is fine for the agent; recording or phrasing it with AI is not.
        return summary
    last_message = context.messages[-1] if context.messages else None
    last_event = conversation.events.order_by("-id").values_list("id", flat=True).first()
    # Same transcript, same summary: opening the panel again, or a redelivered task, adds no decision row.
    previous = (
        AssistantDecision.objects.filter(
            conversation=conversation, kind=AssistantDecision.Kind.SUMMARY, message=last_message
        )
        .order_by("-id")
        .first()
    )
    if previous is not None and previous.detail.get("last_event_id") == last_event and "summary" in previous.detail:
        return previous.detail["summary"]

    started = time.perf_counter()
    model = SUMMARY_MODEL_NAME
    outcome = AssistantDecision.Outcome.ANSWERED
    llm_error = ""
    if settings.ASSISTANT_CHAT_MODEL:
        try:
            summary["text"] = summary_phrase_with_llm(context, summary["text"])
            model = f"{SUMMARY_MODEL_NAME} + {settings.ASSISTANT_CHAT_MODEL}"
            outcome = AssistantDecision.Outcome.PHRASED
        except Exception as error:  # any provider failure must still leave the agent a summary
            logger.warning("copilot summary LLM failed conversation=%s: %s", conversation.pk, error)
            llm_error = f"{type(error).__name__}: {error}"[:300]
            outcome = AssistantDecision.Outcome.GROUNDING_REJECTED
    AssistantDecision.objects.create(
        kind=AssistantDecision.Kind.SUMMARY,
        outcome=outcome,
        conversation=conversation,
        message=last_message,
        knowledge_base=context.knowledge_base,
        question=summary["first_question"][:2000],
        articles=[a["slug"] for a in summary["articles_used"]],
        model=model,
        latency_ms=round((time.perf_counter() - started) * 1000, 2),
        policy=f"summary {copilot_policy(conversation)}",
        detail={"last_event_id": last_event, "summary": summary, "llm_error": llm_error},
    )
    return summary


# --- Compliance reminders -----------------------------------------------------------------------------------------


def keyword_pattern(keyword: str) -> re.Pattern[str] | None:
    folded = text_normalise(fold(keyword))
    if not folded:
        return None
    # Whole words, whatever the spacing: "refund" fires on "Refund?" but not inside "refundable".
    words = r"\s+".join(re.escape(word) for word in folded.split())
    return re.compile(rf"(?<!\w){words}(?!\w)")


def article_tags_in_conversation(context: CopilotContext, *, with_retrieval: bool) -> set[str]:
    slugs: set[str] = set()
    for message in context.messages:
        for source in message.sources or []:
            if isinstance(source, dict) and source.get("slug"):
                slugs.add(source["slug"])
    # Articles whose suggested words an agent actually sent count as used too.
    suggested_ids = Suggestion.objects.filter(
        conversation=context.conversation, status__in=[Suggestion.Status.USED, Suggestion.Status.EDITED]
    ).values("article_id")
    used = Article.objects.filter(knowledge_base=context.knowledge_base, slug__in=slugs) | Article.objects.filter(
        pk__in=suggested_ids
    )
    tags: set[str] = set()
    for article_tags in used.values_list("tags", flat=True):
        tags.update(fold(str(tag)) for tag in article_tags or [])
    if with_retrieval:
        for relevant in context.relevant():
            if relevant.confidence >= SUGGESTION_MIN_CONFIDENCE:
                tags.update(fold(str(tag)) for tag in relevant.article.tags or [])
    return tags


def compliance_reminders(*, conversation_id: int) -> list[dict]:
    """Admin reminders that apply to this conversation, by keyword in what was written or by article tag."""
    context = copilot_context(conversation_id)
    return reminders_for_context(context)


def reminders_for_context(context: CopilotContext) -> list[dict]:
    rules = list(ComplianceRule.objects.filter(active=True).order_by("name", "id"))
    if not rules:
        return []
    written = "\n".join(
        fold(m.text)
        for m in context.messages
        if m.author_kind in (Message.AuthorKind.CUSTOMER, Message.AuthorKind.HUMAN)
    )
    # Rules are deterministic, so they hold even when the customer chose no AI; only the retrieval part is AI.
    tags = article_tags_in_conversation(context, with_retrieval=copilot_allowed(context.conversation))
    reminders = []
    for rule in rules:
        keywords = [k for k in rule.keywords or [] if isinstance(k, str)]
        matched_keywords = [k for k in keywords if (p := keyword_pattern(k)) is not None and p.search(written)]
        matched_tags = sorted({fold(str(t)) for t in rule.tags or []} & tags)
        if not matched_keywords and not matched_tags:
            continue
        reminder = rule.reminder_fr.strip() if context.locale == "fr" and rule.reminder_fr.strip() else rule.reminder_en
        reminders.append(
            {
                "rule_id": rule.pk,
                "name": rule.name,
                "reminder": reminder,
                "matched_keywords": matched_keywords,
                "matched_tags": matched_tags,
            }
        )
    return reminders


# --- What agents did with suggestions -----------------------------------------------------------------------------


def suggestion_status_for(suggestion_text: str, sent_text: str | None) -> str:
    if sent_text is None:
        return Suggestion.Status.IGNORED
    if text_normalise(sent_text) == text_normalise(suggestion_text):
        return Suggestion.Status.USED
    return Suggestion.Status.EDITED


@transaction.atomic
def suggestion_outcome_record(
    *, suggestion_id: int, sent_text: str | None, sent_message_id: int | None = None
) -> Suggestion:
    """The console says what the agent did with one suggestion: sent as is, sent edited, or not sent (None)."""
    suggestion = Suggestion.objects.select_for_update().get(pk=suggestion_id)
    if sent_message_id is not None:
        # Only a message of the same conversation can be the one the suggestion became.
        Message.objects.get(pk=sent_message_id, conversation_id=suggestion.conversation_id)
    suggestion.status = suggestion_status_for(suggestion.text, sent_text)
    suggestion.sent_message_id = sent_message_id if sent_text is not None else None
    suggestion.save(update_fields=["status", "sent_message", "updated_at"])
    return suggestion


def similarity(a: str, b: str) -> float:
    return difflib.SequenceMatcher(None, text_normalise(a).lower(), text_normalise(b).lower(), autojunk=False).ratio()


# Every agent reply asks: its SQL is built once (cxhub/database/prepared.py).
_suggestions_offered = PreparedQuery(
    lambda conversation_id: Suggestion.objects.filter(
        conversation_id=conversation_id, status=Suggestion.Status.OFFERED
    ).order_by("id"),
    conversation_id=int,
)


def suggestions_offered(*, conversation_id: int) -> list[Suggestion]:
    return _suggestions_offered(conversation_id=conversation_id)


def suggestion_matching(
    *, conversation_id: int, sent_text: str, offered: list[Suggestion] | None = None
) -> Suggestion | None:
    """The offered suggestion an agent's text came from (as is or edited), if any. `offered`: the caller's
    suggestions_offered, when it already has them."""
    if offered is None:
        offered = suggestions_offered(conversation_id=conversation_id)
    scored = [(similarity(s.text, sent_text), s) for s in offered]
    if not scored:
        return None
    best_score, best = max(scored, key=lambda item: item[0])
    return best if best_score >= EDITED_MIN_SIMILARITY else None


def suggestions_settle(*, conversation_id: int, sent_message_id: int, sent_text: str | None = None) -> list[Suggestion]:
    """Call after routing.services.agent_message_send: the offered suggestion the agent's message came from
    becomes used or edited, every other offered one ignored. Settled suggestions are left alone, so a resend
    (or a second call) changes nothing."""
    message = Message.objects.get(pk=sent_message_id, conversation_id=conversation_id)
    if sent_text is None:
        sent_text = message.text
    offered = list(
        Suggestion.objects.select_for_update()
        .filter(conversation_id=conversation_id, status=Suggestion.Status.OFFERED)
        .order_by("id")
    )
    best = suggestion_matching(conversation_id=conversation_id, sent_text=sent_text, offered=offered)
    for suggestion in offered:
        if suggestion == best:
            suggestion.status = suggestion_status_for(suggestion.text, sent_text)
            suggestion.sent_message = message
        else:
            suggestion.status = Suggestion.Status.IGNORED
        suggestion.save(update_fields=["status", "sent_message", "updated_at"])
    return offered


# --- The panel ----------------------------------------------------------------------------------------------------


def copilot_for_conversation(*, conversation_id: int) -> dict:
    """Everything the copilot panel shows, or why it is off. With "human_only" no AI runs and nothing is logged."""
    from .translation import translation_available

    context = copilot_context(conversation_id)
    if not copilot_allowed(context.conversation):
        return {
            "disabled": True,
            "reason": HUMAN_ONLY_REASON,
            "conversation_id": context.conversation.pk,
            # Admin rules are not AI; the agent still needs them (keywords and articles already used only).
            "reminders": reminders_for_context(context),
            "translation_available": False,
            "customer_locale": context.locale,
        }
    suggestions = suggestions_for_context(context)
    return {
        "disabled": False,
        "conversation_id": context.conversation.pk,
        "translation_available": translation_available(),
        "customer_locale": context.locale,
        "suggestions": [suggestion_for_panel(s) for s in suggestions],
        "articles": relevant_articles_for_context(context),
        "summary": summary_for_context(context),
        "reminders": reminders_for_context(context),
    }


def copilot_prepare(*, conversation_id: int) -> None:
    """Warm the panel ahead of the agent opening it: suggestions and summary, both idempotent."""
    if not Conversation.objects.filter(pk=conversation_id).exists():
        return  # deleted while the task waited: nothing to prepare, and nothing worth retrying
    context = copilot_context(conversation_id)
    if not copilot_allowed(context.conversation):
        return
    suggestions_for_context(context)
    summary_for_context(context)


def handoff_package(conversation: Conversation, *, viewer=None) -> dict:
    """The handoff card with the copilot's summary in place of the bare first/latest quote, unless the
    customer chose no AI at all. With a `viewer` (a staff member's console) it also carries the private notes,
    that viewer's rating of the handoff and the flagged AI answers; without one (webhooks) it never does."""
    from cxhub.conversations.selectors import handoff_card, handoff_rating_by, notes_for_staff

    from .feedback import flags_for_conversation

    card = handoff_card(conversation)
    if copilot_allowed(conversation):
        summary = conversation_summary(conversation_id=conversation.pk)
        card["summary"] = summary["text"]
        card["summary_detail"] = summary
    card["compliance_reminders"] = compliance_reminders(conversation_id=conversation.pk)
    if viewer is not None:
        card["notes"] = notes_for_staff(conversation)
        card["my_handoff_rating"] = handoff_rating_by(conversation, viewer)
        card["flags"] = flags_for_conversation(conversation)
    return card
