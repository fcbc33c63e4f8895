"""Turn the admin's target precision into a confidence threshold, measured on the KB's own held-out questions.

Two kinds of held-out questions: example questions hidden from an index that still has their article
(in scope: was the right article chosen?) and all questions of articles hidden from the index (out of
scope: any answer is wrong). A three-weight logistic model maps the index's signals to the chance that
an answer is right; the threshold is the lowest chance at which held-out answers still reach the target.
"""

import math
import random
import time
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from sklearn.linear_model import LogisticRegression

from .models import Article, KnowledgeBase
from .retrieval import Evidence, KnowledgeBaseIndex, article_examples, published_articles

IN_SCOPE_FOLDS = 3
OUT_OF_SCOPE_FOLDS = 3
# Each out-of-scope fold hides every 5th article (a fifth of them) from the index.
OUT_OF_SCOPE_HIDDEN_EVERY = 5
MAX_HELD_OUT_PER_FOLD = 700
# Never answer when the model thinks a wrong answer is at least as likely as a right one,
# whatever a small or lucky held-out set says.
THRESHOLD_FLOOR = 0.5

Progress = Callable[[int, int], None]


@dataclass
class Calibrator:
    weights: list[float]
    bias: float

    def confidence(self, evidence: Evidence) -> float:
        z = self.bias + sum(w * x for w, x in zip(self.weights, evidence.signals, strict=True))
        return 1.0 / (1.0 + math.exp(-z))


@dataclass
class Policy:
    """How confident the answerer must be for this knowledge base right now, and where that came from."""

    calibrator: Calibrator | None
    threshold: float
    target_precision: float
    calibrated: bool
    stale: bool

    def confidence(self, evidence: Evidence) -> float:
        if not evidence.ranked:
            return 0.0
        if self.calibrator is None:
            # Before calibration: similarity to the closest example question, against the default threshold.
            return max(0.0, min(1.0, evidence.similarity))
        return self.calibrator.confidence(evidence)

    def describe(self) -> str:
        if not self.calibrated:
            return f"uncalibrated default threshold {self.threshold:.2f}"
        state = "stale calibration" if self.stale else "calibrated"
        return f"target precision {self.target_precision:.0%}, threshold {self.threshold:.3f} ({state})"


def answer_policy(knowledge_base: KnowledgeBase) -> Policy:
    data = knowledge_base.calibration or {}
    if knowledge_base.threshold is None or "weights" not in data:
        return Policy(None, settings.ASSISTANT_MIN_CONFIDENCE, knowledge_base.target_precision, False, False)
    return Policy(
        Calibrator(data["weights"], data["bias"]),
        knowledge_base.threshold,
        knowledge_base.target_precision,
        True,
        not knowledge_base.calibration_is_current,
    )


@dataclass
class HeldOut:
    evidence: Evidence
    correct: bool
    in_scope: bool


def held_out_questions(articles: list[Article], *, progress: Progress | None = None, seed: int = 0) -> list[HeldOut]:
    rng = random.Random(seed)
    examples = article_examples(articles)
    per_article: dict[int, int] = {}
    for _, pos in examples:
        per_article[pos] = per_article.get(pos, 0) + 1
    order = list(range(len(examples)))
    rng.shuffle(order)
    total_steps = IN_SCOPE_FOLDS + (OUT_OF_SCOPE_FOLDS if len(articles) >= 3 else 0)
    step = 0
    results: list[HeldOut] = []

    for fold in range(IN_SCOPE_FOLDS):
        # Hide a question only if its article keeps at least one other example in the index.
        hidden, left = set(), dict(per_article)
        for i in order[fold::IN_SCOPE_FOLDS]:
            pos = examples[i][1]
            if left[pos] > 1 and len(hidden) < MAX_HELD_OUT_PER_FOLD:
                hidden.add(i)
                left[pos] -= 1
        if hidden:
            index = KnowledgeBaseIndex(articles, [e for i, e in enumerate(examples) if i not in hidden])
            asked = sorted(hidden)
            for i, evidence in zip(asked, index.evidence([examples[i][0] for i in asked]), strict=True):
                correct = bool(evidence.ranked) and evidence.ranked[0].article is articles[examples[i][1]]
                results.append(HeldOut(evidence, correct, True))
        step += 1
        if progress:
            progress(step, total_steps)

    if len(articles) >= 3:
        groups = list(range(len(articles)))
        rng.shuffle(groups)
        for fold in range(OUT_OF_SCOPE_FOLDS):
            hidden_articles = set(groups[fold::OUT_OF_SCOPE_HIDDEN_EVERY])
            kept = [a for pos, a in enumerate(articles) if pos not in hidden_articles]
            position_in_kept = {id(a): i for i, a in enumerate(kept)}
            index = KnowledgeBaseIndex(
                kept, [(q, position_in_kept[id(articles[pos])]) for q, pos in examples if pos not in hidden_articles]
            )
            asked = [q for q, pos in examples if pos in hidden_articles]
            rng.shuffle(asked)
            asked = asked[: MAX_HELD_OUT_PER_FOLD // 2]
            results.extend(HeldOut(evidence, False, False) for evidence in index.evidence(asked))
            step += 1
            if progress:
                progress(step, total_steps)
    return results


def threshold_for_precision(
    scored: list[tuple[float, bool]], target: float, weights: list[float] | None = None
) -> float | None:
    """Lowest confidence at which the answers given (confidence >= it) are right at least `target` of the time."""
    weights = weights or [1.0] * len(scored)
    best = None
    right = given = 0.0
    for (confidence, correct), weight in sorted(zip(scored, weights, strict=True), key=lambda item: -item[0][0]):
        given += weight
        right += weight * correct
        if right / given >= target - 1e-9:
            best = confidence
    return best


def traffic_weights(held_out: list[HeldOut]) -> list[float]:
    # The held-out mix of in-scope and out-of-scope questions is an artefact of the folds; weigh it to
    # the share of out-of-scope questions expected in real traffic, so precision means what admins read.
    share = settings.ASSISTANT_OUT_OF_SCOPE_SHARE
    n_in = sum(h.in_scope for h in held_out) or 1
    n_out = sum(not h.in_scope for h in held_out)
    if not n_out:
        return [1.0 / n_in] * len(held_out)
    return [(1 - share) / n_in if h.in_scope else share / n_out for h in held_out]


def calibration_compute(
    articles: list[Article], *, target_precision: float, progress: Progress | None = None
) -> dict | None:
    """The calibration record for these articles, or None when there is too little to learn from."""
    started = time.perf_counter()
    # Each language is searched on its own at answer time, so it is held out on its own here.
    held_out = []
    locales = sorted({a.locale for a in articles})
    steps = IN_SCOPE_FOLDS + OUT_OF_SCOPE_FOLDS
    for number, locale in enumerate(locales):

        def fold_done(done: int, _total: int, offset: int = number * steps) -> None:
            if progress:
                progress(offset + done, steps * len(locales))

        held_out += held_out_questions([a for a in articles if a.locale == locale], progress=fold_done)
    labels = [h.correct for h in held_out]
    if sum(h.in_scope for h in held_out) < 10 or len(set(labels)) < 2:
        return None
    model = LogisticRegression(C=1.0).fit([h.evidence.signals for h in held_out], labels)
    calibrator = Calibrator([float(w) for w in model.coef_[0]], float(model.intercept_[0]))
    scored = [(calibrator.confidence(h.evidence), h.correct, h.in_scope) for h in held_out]
    weights = traffic_weights(held_out)

    found = threshold_for_precision([(c, ok) for c, ok, _ in scored], target_precision, weights)
    threshold = max(THRESHOLD_FLOOR, found if found is not None else 1.0)

    def measure(at: float) -> dict:
        answered = [(ok, in_scope, w) for (c, ok, in_scope), w in zip(scored, weights, strict=True) if c >= at]
        in_scope_total = sum(1 for *_, s in scored if s) or 1
        out_total = sum(1 for *_, s in scored if not s)
        given = sum(w for *_, w in answered)
        return {
            "threshold": round(at, 4),
            "precision": round(sum(w for ok, _, w in answered if ok) / given, 4) if answered else None,
            "coverage": round(sum(1 for _, s, _ in answered if s) / in_scope_total, 4),
            "out_of_scope_abstention": (
                round(1 - sum(1 for _, s, _ in answered if not s) / out_total, 4) if out_total else None
            ),
        }

    chosen = measure(threshold)
    return {
        "weights": calibrator.weights,
        "bias": calibrator.bias,
        "threshold": threshold,
        "expected_precision": chosen["precision"],
        "expected_coverage": chosen["coverage"],
        "out_of_scope_abstention": chosen["out_of_scope_abstention"],
        "held_out_in_scope": sum(1 for h in held_out if h.in_scope),
        "held_out_out_of_scope": sum(1 for h in held_out if not h.in_scope),
        "out_of_scope_share_assumed": settings.ASSISTANT_OUT_OF_SCOPE_SHARE,
        "target_reached": found is not None,
        "curve": [measure(at) for at in (0.5, 0.6, 0.7, 0.8, 0.9, 0.95)],
        "seconds": round(time.perf_counter() - started, 2),
    }


def knowledge_base_calibrate(
    *, knowledge_base_id: int, version: int | None = None, progress: Progress | None = None
) -> KnowledgeBase:
    """Idempotent: a KB already calibrated for its current version, or one that moved past `version`,
    is left alone (the newer change queued its own calibration)."""
    knowledge_base = KnowledgeBase.objects.get(pk=knowledge_base_id)
    if version is not None and (knowledge_base.version != version or knowledge_base.calibrated_version == version):
        return knowledge_base
    version = knowledge_base.version
    result = calibration_compute(
        list(published_articles(knowledge_base)), target_precision=knowledge_base.target_precision, progress=progress
    )
    with transaction.atomic():
        knowledge_base = KnowledgeBase.objects.select_for_update().get(pk=knowledge_base_id)
        if knowledge_base.version != version:
            return knowledge_base
        knowledge_base.calibrated_version = version
        knowledge_base.calibrated_at = timezone.now()
        if result is None:
            knowledge_base.threshold = knowledge_base.expected_coverage = knowledge_base.expected_precision = None
            knowledge_base.calibration = {"note": "Too few example questions to calibrate; default threshold in use."}
        else:
            knowledge_base.threshold = result["threshold"]
            knowledge_base.expected_coverage = result["expected_coverage"]
            knowledge_base.expected_precision = result["expected_precision"]
            knowledge_base.calibration = result
        knowledge_base.save()
    return knowledge_base


def calibration_line(knowledge_base: KnowledgeBase) -> str:
    """One line an admin can read: what the threshold is and what it buys."""
    if knowledge_base.threshold is None:
        return "not calibrated (too few example questions): default threshold in use."
    data = knowledge_base.calibration
    line = (
        f"target precision {knowledge_base.target_precision:.0%} → threshold {knowledge_base.threshold:.3f}, "
        f"expected coverage {knowledge_base.expected_coverage:.0%} of in-scope questions"
    )
    if data.get("out_of_scope_abstention") is not None:
        line += f", abstains on {data['out_of_scope_abstention']:.0%} of out-of-scope ones"
    line += f" (held out {data['held_out_in_scope']} + {data['held_out_out_of_scope']} questions)"
    if not data.get("target_reached", True):
        line += "; the target was not reached on held-out questions, so the bot answers only when very sure"
    return line + "."
