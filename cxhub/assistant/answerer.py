"""The grounded answerer: reply with an approved article's own answer, or say it is not sure."""

import time
from dataclasses import dataclass, field

from django.conf import settings

from cxhub.conversations import texts

from .retrieval import KnowledgeBaseRetriever

MODEL_NAME = "cxhub-grounded-tfidf-v1"


@dataclass
class Answer:
    text: str
    confidence: float
    threshold: float
    article_slug: str | None = None
    article_title: str | None = None
    article_id: int | None = None
    model: str = MODEL_NAME
    latency_ms: float = 0.0
    candidates: list[dict] = field(default_factory=list)

    @property
    def abstained(self) -> bool:
        return self.article_slug is None


def answer_question(question: str, *, locale: str) -> Answer:
    started = time.perf_counter()
    threshold = settings.ASSISTANT_MIN_CONFIDENCE
    documents = KnowledgeBaseRetriever(k=3).invoke(question)
    candidates = [{"slug": d.metadata["slug"], "score": round(d.metadata["score"], 4)} for d in documents]
    best = documents[0] if documents else None
    if best is None or best.metadata["score"] < threshold:
        answer = Answer(
            text=texts.text("ai_not_sure", locale),
            confidence=best.metadata["score"] if best else 0.0,
            threshold=threshold,
            candidates=candidates,
        )
    else:
        answer = Answer(
            text=best.page_content,
            confidence=best.metadata["score"],
            threshold=threshold,
            article_slug=best.metadata["slug"],
            article_title=best.metadata["title"],
            article_id=best.metadata["article_id"],
            candidates=candidates,
        )
    answer.latency_ms = (time.perf_counter() - started) * 1000
    return answer
