"""A LangChain retriever over published articles: TF-IDF nearest example question, no downloads.

Each process keeps its index in memory and rebuilds it when the knowledge base version changes,
so an import or an admin edit reaches the web and worker processes without a restart.
"""

import math
import re
import threading
import unicodedata
from collections import Counter
from dataclasses import dataclass

from django.db.models import Count, Max
from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever

from .models import Article

STOPWORDS = set(
    "a an the is are was were be been am i you we they he she it my your our their me us to of in on at for "
    "with and or do does did can could would should will how what when where which who why this that these "
    "those there here have has had please hi hello le la les un une des de du d l et ou est sont je tu il elle "
    "nous vous ils elles mon ma mes ton ta tes son sa ses notre votre leur au aux en dans sur pour par avec "
    "que qui quoi quand comment ou ce cette ces y a ai as ne pas pu peux peut puis bonjour svp".split()
)


def fold(text: str) -> str:
    text = unicodedata.normalize("NFKD", text.lower())
    return "".join(ch for ch in text if not unicodedata.combining(ch))


def features(text: str) -> Counter:
    words = [w for w in re.findall(r"[a-z0-9]+", fold(text)) if w not in STOPWORDS]
    feats: Counter = Counter()
    for word in words:
        feats["w:" + word] += 1
        padded = f" {word} "
        for i in range(len(padded) - 3):
            feats["c:" + padded[i : i + 4]] += 0.5
    for a, b in zip(words, words[1:], strict=False):
        feats[f"b:{a}_{b}"] += 1
    return feats


@dataclass
class IndexedQuestion:
    article_id: int
    vector: dict[str, float]


class KnowledgeBaseIndex:
    def __init__(self, articles: list[Article]):
        self.articles = {a.pk: a for a in articles}
        raw: list[tuple[int, Counter]] = []
        for article in articles:
            for question in [article.title, *article.questions]:
                if question and question.strip():
                    raw.append((article.pk, features(question)))
        document_frequency: Counter = Counter()
        for _, feats in raw:
            document_frequency.update(feats.keys())
        total = max(len(raw), 1)
        self.idf = {f: math.log((1 + total) / (1 + df)) + 1 for f, df in document_frequency.items()}
        self.questions = [IndexedQuestion(article_id, self._weigh(feats)) for article_id, feats in raw]
        self.postings: dict[str, list[int]] = {}
        for position, question in enumerate(self.questions):
            for feature in question.vector:
                self.postings.setdefault(feature, []).append(position)

    def _weigh(self, feats: Counter) -> dict[str, float]:
        vector = {f: (1 + math.log(tf)) * self.idf.get(f, 0.0) for f, tf in feats.items() if f in self.idf}
        norm = math.sqrt(sum(v * v for v in vector.values())) or 1.0
        return {f: v / norm for f, v in vector.items()}

    def search(self, query: str, k: int = 4) -> list[tuple[Article, float]]:
        vector = self._weigh(features(query))
        scores: dict[int, float] = {}
        for feature, weight in vector.items():
            for position in self.postings.get(feature, ()):
                scores[position] = scores.get(position, 0.0) + weight * self.questions[position].vector[feature]
        best: dict[int, float] = {}
        for position, score in scores.items():
            article_id = self.questions[position].article_id
            if score > best.get(article_id, 0.0):
                best[article_id] = score
        ranked = sorted(best.items(), key=lambda item: item[1], reverse=True)[:k]
        return [(self.articles[article_id], min(score, 1.0)) for article_id, score in ranked]


_lock = threading.Lock()
_cached: tuple[tuple, KnowledgeBaseIndex] | None = None


def knowledge_base_version() -> tuple:
    stats = Article.objects.filter(status=Article.Status.PUBLISHED).aggregate(n=Count("id"), latest=Max("updated_at"))
    drafts_latest = Article.objects.aggregate(latest=Max("updated_at"))["latest"]
    return (stats["n"], stats["latest"], drafts_latest)


def knowledge_base_index() -> KnowledgeBaseIndex:
    global _cached
    version = knowledge_base_version()
    with _lock:
        if _cached is None or _cached[0] != version:
            articles = list(Article.objects.filter(status=Article.Status.PUBLISHED))
            _cached = (version, KnowledgeBaseIndex(articles))
        return _cached[1]


class KnowledgeBaseRetriever(BaseRetriever):
    """Published articles most similar to the question, best first, score in metadata."""

    k: int = 4

    def _get_relevant_documents(self, query: str, *, run_manager: CallbackManagerForRetrieverRun) -> list[Document]:
        return [
            Document(
                page_content=article.answer,
                metadata={
                    "article_id": article.pk,
                    "slug": article.slug,
                    "title": article.title,
                    "locale": article.locale,
                    "score": score,
                },
            )
            for article, score in knowledge_base_index().search(query, k=self.k)
        ]
