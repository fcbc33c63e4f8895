"""Agents flag AI answers as wrong; the flags are the knowledge base keepers' ("AI trainers") work list."""

from django.db import transaction
from django.utils import timezone

from cxhub.conversations.models import Conversation, ConversationEvent, Message
from cxhub.conversations.services import ConversationError, conversation_lock, event_record

from .models import AnswerFlag, Article, AssistantDecision, Draft
from .services import knowledge_base_for_site

AI_TRAINERS_GROUP = "AI trainers"
FLAG_NOTE_MAX_CHARS = 2000
AI_PROVENANCES = {Message.Provenance.AI, Message.Provenance.AI_APPROVED}


def _text(value: object, *, code: str, limit: int) -> str:
    value = "" if value is None else value
    if not isinstance(value, str) or len(value.strip()) > limit:
        raise ConversationError(code, f"Must be text of at most {limit} characters.")
    return value.strip()


def decision_behind(message: Message) -> AssistantDecision | None:
    """The AI decision that produced a message: its reply record, or the approved draft's."""
    decision = AssistantDecision.objects.filter(message=message).order_by("-id").first()
    if decision is None:
        draft = Draft.objects.filter(sent_message=message).select_related("decision").first()
        decision = draft.decision if draft is not None else None
    return decision


def article_for_flag(conversation: Conversation, slug: object) -> Article | None:
    if slug in (None, ""):
        return None
    if not isinstance(slug, str):
        raise ConversationError("article_unknown", "No article with that slug.")
    articles = Article.objects.filter(slug=slug.strip())
    # The site's own knowledge base first: the same slug may exist in another one.
    article = articles.filter(knowledge_base=knowledge_base_for_site(conversation.site)).first() or articles.first()
    if article is None:
        raise ConversationError("article_unknown", "No article with that slug.")
    return article


@transaction.atomic
def answer_flag(
    *, conversation_id: int, agent, message_seq: object, article_slug: object = None, note: object = ""
) -> AnswerFlag:
    """Flag an AI answer as wrong, with the right article or a note. Flagging the same answer again while
    the agent's flag is open updates that flag instead of adding a second work item."""
    if not isinstance(message_seq, int) or isinstance(message_seq, bool):
        raise ConversationError("message_unknown", "message_seq must be a number.")
    note = _text(note, code="note_invalid", limit=FLAG_NOTE_MAX_CHARS)
    conversation = conversation_lock(conversation_id)
    message = conversation.messages.filter(seq=message_seq).first()
    if message is None:
        raise ConversationError("message_unknown", "No such message in this conversation.")
    if message.author_kind != Message.AuthorKind.AI and message.provenance not in AI_PROVENANCES:
        raise ConversationError("not_an_ai_answer", "Only answers written by the AI can be flagged.")
    article = article_for_flag(conversation, article_slug)
    existing = AnswerFlag.objects.filter(message=message, flagged_by=agent, status=AnswerFlag.Status.OPEN).first()
    if existing is not None:
        existing.note = note or existing.note
        existing.suggested_article = article or existing.suggested_article
        existing.save(update_fields=["note", "suggested_article"])
        return existing
    decision = decision_behind(message)
    flag = AnswerFlag.objects.create(
        conversation=conversation,
        message=message,
        decision=decision,
        flagged_by=agent,
        note=note,
        suggested_article=article,
    )
    event_record(
        conversation=conversation,
        kind=ConversationEvent.Kind.ANSWER_FLAGGED,
        actor_kind=ConversationEvent.ActorKind.HUMAN,
        agent=agent,
        data={
            "flag_id": flag.pk,
            "message_seq": message.seq,
            "decision_id": decision.pk if decision else None,
            "article_slug": article.slug if article else None,
        },
    )
    return flag


@transaction.atomic
def answer_flag_resolve(*, flag_id: int, agent, status: str, resolution_note: str = "") -> AnswerFlag:
    """Close a flag as fixed (the knowledge base was corrected) or dismissed (the answer was right)."""
    if status not in (AnswerFlag.Status.FIXED, AnswerFlag.Status.DISMISSED):
        raise ConversationError("status_invalid", "A flag is resolved as fixed or dismissed.")
    flag = AnswerFlag.objects.select_for_update().get(pk=flag_id)
    if flag.status != AnswerFlag.Status.OPEN:
        return flag
    flag.status = status
    flag.resolved_by = agent
    flag.resolved_at = timezone.now()
    flag.resolution_note = resolution_note.strip()
    flag.save(update_fields=["status", "resolved_by", "resolved_at", "resolution_note"])
    return flag


def flag_for_staff(flag: AnswerFlag) -> dict:
    return {
        "id": flag.pk,
        "message_seq": flag.message.seq,
        "status": flag.status,
        "note": flag.note,
        "article_slug": flag.suggested_article.slug if flag.suggested_article else None,
    }


def flags_for_conversation(conversation: Conversation) -> list[dict]:
    flags = conversation.flags.select_related("message", "suggested_article").order_by("id")
    return [flag_for_staff(flag) for flag in flags]


def flag_question(flag: AnswerFlag) -> str:
    """The customer's words the flagged answer replied to."""
    question = (
        flag.conversation.messages.filter(author_kind=Message.AuthorKind.CUSTOMER, seq__lt=flag.message.seq)
        .order_by("-seq")
        .values_list("text", flat=True)
        .first()
    )
    return question or (flag.decision.question if flag.decision else "")


def flag_article_used(flag: AnswerFlag) -> str:
    sources = flag.message.sources if isinstance(flag.message.sources, list) else []
    slugs = [s.get("slug") for s in sources if isinstance(s, dict) and s.get("slug")]
    if not slugs and flag.decision is not None:
        slugs = list(flag.decision.articles)
    return slugs[0] if slugs else ""
