"""evaluate_bot: the live answering code over labelled cases, and the figures an admin needs to trust it."""

import json
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from .answerer import MODEL_NAME, answer_question
from .models import BotEvaluation, KnowledgeBase


class CasesError(ValueError):
    def __init__(self, errors: list[str]):
        super().__init__("\n".join(errors))
        self.errors = errors


@dataclass
class Case:
    text: str
    expected: str | None
    locale: str = "en"


@dataclass
class CaseResult:
    case: Case
    answered: str | None
    latency_ms: float

    @property
    def right(self) -> bool:
        return self.answered == self.case.expected


def cases_read(lines: Iterable[str]) -> list[Case]:
    """Cases are JSON Lines `{"text": ..., "expected": slug | null}`; every bad line is reported at once."""
    cases, errors = [], []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except json.JSONDecodeError as exc:
            errors.append(f"line {number}: not valid JSON ({exc.msg})")
            continue
        if not isinstance(item, dict) or not isinstance(item.get("text"), str) or not item["text"].strip():
            errors.append(f'line {number}: needs a non-empty "text"')
            continue
        if "expected" not in item or not (item["expected"] is None or isinstance(item["expected"], str)):
            errors.append(f'line {number}: "expected" must be an article slug or null')
            continue
        cases.append(Case(item["text"], item["expected"] or None, item.get("locale") or "en"))
    if errors:
        raise CasesError(errors)
    return cases


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return 0.0
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def metrics_compute(results: list[CaseResult]) -> dict:
    in_scope = [r for r in results if r.case.expected is not None]
    out_of_scope = [r for r in results if r.case.expected is None]
    answers = [r for r in results if r.answered is not None]
    latencies = [r.latency_ms for r in results]

    def ratio(part: int, whole: int) -> float | None:
        return round(part / whole, 4) if whole else None

    return {
        "cases": len(results),
        "in_scope_accuracy": ratio(sum(r.right for r in in_scope), len(in_scope)),
        "out_of_scope_recall": ratio(sum(r.answered is None for r in out_of_scope), len(out_of_scope)),
        "false_answer_rate": ratio(sum(not r.right for r in answers), len(answers)) or 0.0,
        "coverage": ratio(len(answers), len(results)) or 0.0,
        "latency_ms_p50": round(percentile(latencies, 0.50), 2),
        "latency_ms_p95": round(percentile(latencies, 0.95), 2),
    }


def confused_pairs(results: list[CaseResult], top: int = 10) -> list[dict]:
    pairs = Counter(
        (r.case.expected or "(out of scope)", r.answered) for r in results if r.answered is not None and not r.right
    )
    return [{"expected": e, "answered": a, "count": n} for (e, a), n in pairs.most_common(top)]


def worst_articles(results: list[CaseResult], top: int = 10) -> list[dict]:
    """Per article: questions it should have answered but didn't, and answers it gave wrongly."""
    stats: dict[str, Counter] = {}
    for r in results:
        if r.case.expected is not None:
            s = stats.setdefault(r.case.expected, Counter())
            s["cases"] += 1
            s["right"] += r.right
            s["abstained"] += r.answered is None
            s["answered_as_other"] += r.answered is not None and not r.right
        if r.answered is not None and not r.right:
            stats.setdefault(r.answered, Counter())["wrongly_chosen"] += 1
    rows = [
        {
            "slug": slug,
            "cases": s["cases"],
            "accuracy": round(s["right"] / s["cases"], 4) if s["cases"] else None,
            "abstained": s["abstained"],
            "answered_as_other": s["answered_as_other"],
            "wrongly_chosen": s["wrongly_chosen"],
            "errors": s["abstained"] + s["answered_as_other"] + s["wrongly_chosen"],
        }
        for slug, s in stats.items()
    ]
    rows.sort(key=lambda row: (-row["errors"], row["slug"]))
    return [row for row in rows if row["errors"]][:top]


def bot_evaluate(
    *, knowledge_base: KnowledgeBase, cases: list[Case], progress: Callable[[int, int], None] | None = None
) -> list[CaseResult]:
    # One question at a time through answer_question, exactly as the live bot sees them.
    results = []
    for number, case in enumerate(cases, start=1):
        started = time.perf_counter()
        answer = answer_question(case.text, locale=case.locale, knowledge_base=knowledge_base)
        results.append(CaseResult(case, answer.article_slug, (time.perf_counter() - started) * 1000))
        if progress:
            progress(number, len(cases))
    return results


def bot_evaluation_record(
    *, knowledge_base: KnowledgeBase, cases_path: str, results: list[CaseResult]
) -> BotEvaluation:
    knowledge_base.refresh_from_db()
    metrics = metrics_compute(results)
    return BotEvaluation.objects.create(
        knowledge_base=knowledge_base,
        cases_path=cases_path[:500],
        cases=metrics["cases"],
        metrics={**metrics, "threshold": knowledge_base.threshold, "target_precision": knowledge_base.target_precision},
        confused_pairs=confused_pairs(results),
        worst_articles=worst_articles(results),
        knowledge_base_version=knowledge_base.version,
        model=MODEL_NAME,
    )


def unknown_slugs(*, knowledge_base: KnowledgeBase, cases: list[Case]) -> set[str]:
    known = set(knowledge_base.articles.values_list("slug", flat=True))
    return {c.expected for c in cases if c.expected is not None and c.expected not in known}
