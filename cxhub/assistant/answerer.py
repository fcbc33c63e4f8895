"""The answering pipeline the live bot, the copilot and evaluate_bot all share.

Retrieve, decide with a calibrated confidence, and reply with the article's own words, phrased by an
LLM only when one is configured and its reply passes the grounding check. Below the threshold the
answer is an honest "not sure" with the offer of a person; it never guesses.
"""

import time
from dataclasses import dataclass, field

from django.conf import settings

from cxhub.conversations import texts

from .calibration import Calibrator, Policy, answer_policy
from .models import Article, AssistantDecision, KnowledgeBase
from .retrieval import Evidence, knowledge_base_index, locale_to_search

MODEL_NAME = "cxhub-grounded-linear-v2"


@dataclass
class Answer:
    text: str
    confidence: float
    threshold: float
    target_precision: float
    calibrated: bool
    outcome: str = AssistantDecision.Outcome.ABSTAINED
    article: Article | None = None
    model: str = MODEL_NAME
    latency_ms: float = 0.0
    policy: str = ""
    candidates: list[dict] = field(default_factory=list)
    grounding: dict = field(default_factory=dict)

    @property
    def abstained(self) -> bool:
        return self.article is None

    @property
    def article_slug(self) -> str | None:
        return self.article.slug if self.article else None

    @property
    def article_title(self) -> str | None:
        return self.article.title if self.article else None


@dataclass
class RelevantArticle:
    article: Article
    confidence: float


def knowledge_base_fresh(knowledge_base: KnowledgeBase | None) -> KnowledgeBase:
    # Always the current row: its version tells this process whether its index is out of date.
    from .services import knowledge_base_default

    if knowledge_base is None:
        return knowledge_base_default()
    return KnowledgeBase.objects.get(pk=knowledge_base.pk)


def answer_question(question: str, *, locale: str, knowledge_base: KnowledgeBase | None = None) -> Answer:
    started = time.perf_counter()
    knowledge_base = knowledge_base_fresh(knowledge_base)
    policy = answer_policy(knowledge_base)
    searched = locale_to_search(knowledge_base, question, locale)
    evidence = knowledge_base_index(knowledge_base, searched).evidence([question])[0]
    answer = answer_decide(question, evidence=evidence, policy=policy, locale=searched or locale)
    if settings.ASSISTANT_EMBEDDINGS:
        answer.model += f" + {settings.ASSISTANT_EMBEDDINGS}"
    answer.latency_ms = (time.perf_counter() - started) * 1000
    return answer


def answer_decide(question: str, *, evidence: Evidence, policy: Policy, locale: str) -> Answer:
    confidence = policy.confidence(evidence)
    answer = Answer(
        text=texts.text("ai_not_sure", locale),
        confidence=confidence,
        threshold=policy.threshold,
        target_precision=policy.target_precision,
        calibrated=policy.calibrated,
        policy=policy.describe(),
        candidates=[{"slug": r.article.slug, "score": round(r.score, 4)} for r in evidence.ranked[:3]],
    )
    if not evidence.ranked or confidence < policy.threshold:
        return answer
    article = evidence.ranked[0].article
    answer.article = article
    answer.text = article.answer
    answer.outcome = AssistantDecision.Outcome.ANSWERED
    if settings.ASSISTANT_CHAT_MODEL:
        from .llm import llm_failed, llm_phrase

        phrasing = llm_phrase(question=question, articles=[article], locale=locale)
        answer.grounding = {"accepted": phrasing.accepted, "reason": phrasing.reason}
        answer.model = f"{MODEL_NAME} + {phrasing.model}"
        if phrasing.accepted and phrasing.text:
            answer.text = phrasing.text
            answer.outcome = AssistantDecision.Outcome.PHRASED
        else:
            # The article's own approved words are always safe to send.
            answer.outcome = AssistantDecision.Outcome.GROUNDING_REJECTED
            if llm_failed(phrasing):
                # Honesty first: say the assistant is not working properly and offer a person, with the
                # article as written (approved text, never a guess) rather than nothing.
                answer.text = texts.text("ai_unavailable", locale, answer=article.answer)
    return answer


def relevant_articles(
    text: str, *, knowledge_base: KnowledgeBase | None = None, k: int = 3, locale: str = "en"
) -> list[RelevantArticle]:
    """Articles an agent may want for this text, best first, each with the answerer's confidence in it."""
    knowledge_base = knowledge_base_fresh(knowledge_base)
    policy = answer_policy(knowledge_base)
    searched = locale_to_search(knowledge_base, text, locale)
    evidence = knowledge_base_index(knowledge_base, searched).evidence([text], k=k)[0]
    results = []
    for position, ranked in enumerate(evidence.ranked):
        others = [r.score for i, r in enumerate(evidence.ranked) if i != position]
        single = Evidence(
            ranked=[ranked],
            top_score=ranked.score,
            margin=ranked.score - (max(others) if others else ranked.score - 1.0),
            similarity=ranked.similarity,
        )
        results.append(RelevantArticle(ranked.article, round(policy.confidence(single), 4)))
    return results


__all__ = ["Answer", "Calibrator", "RelevantArticle", "answer_question", "relevant_articles"]
