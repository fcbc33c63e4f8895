"""How well the assistant answers and steps aside, on BANKING77 (77 intents, 10k train / 3k test questions).

Each intent becomes an article whose example questions are the training rows; the test rows are the cases,
run through `evaluate_bot` (the live answering code). Abstention: 10 intents are held out of a second
knowledge base and their test questions must be declined. Baseline in the same process: nearest example
question by TF-IDF cosine (the answerer this project shipped first), over the same features.

Usage: python bench/assistant.py [--dataset PATH] [--target 0.95]. Uses its own database in var/bench/.
"""

import argparse
import csv
import io
import json
import os
import re
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATASET = ROOT.parent / "shared" / "datasets" / "banking77"
WORK = ROOT / "var" / "bench"
HELD_OUT_EVERY = 8  # every 8th intent (10 of 77) is left out of the abstention knowledge base


def django_setup() -> None:
    WORK.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cxhub.settings.local")
    os.environ["DATABASE_URL"] = f"sqlite:///{WORK / 'assistant.sqlite3'}"
    # Recalibration queued by an import runs in this process: the benchmark needs no broker.
    os.environ["CELERY_TASK_ALWAYS_EAGER"] = "1"
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def intent_slug(intent: str) -> str:
    return re.sub(r"[^a-z0-9-]", "", intent.lower().replace("_", "-"))


def rows(path: Path) -> list[dict]:
    with path.open(encoding="utf-8") as f:
        return list(csv.DictReader(f))


def kb_lines(train: list[dict], skip: set[str] = frozenset()) -> list[str]:
    by_intent: dict[str, list[str]] = {}
    for row in train:
        by_intent.setdefault(row["category"], []).append(row["text"])
    return [
        json.dumps(
            {
                "slug": intent_slug(intent),
                "title": intent.replace("_", " ").capitalize(),
                "answer": f"[BANKING77 intent {intent}]",
                "questions": questions,
                "locale": "en",
                "tags": ["banking77"],
            }
        )
        for intent, questions in sorted(by_intent.items())
        if intent not in skip
    ]


def case_lines(test: list[dict], out_of_scope: set[str] = frozenset()) -> list[str]:
    return [
        json.dumps(
            {"text": r["text"], "expected": None if r["category"] in out_of_scope else intent_slug(r["category"])}
        )
        for r in test
    ]


def write(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def run(command: str, *args: str) -> tuple[str, float]:
    from django.core.management import call_command

    out = io.StringIO()
    started = time.perf_counter()
    call_command(command, *args, stdout=out, stderr=sys.stderr)
    return out.getvalue(), time.perf_counter() - started


def nearest_example_baseline(kb_slug: str, test: list[dict]) -> tuple[float, float]:
    """Top-1 accuracy and p50 latency (ms) of the nearest example question, over the answerer's own features."""
    from sklearn.preprocessing import normalize

    from cxhub.assistant.models import KnowledgeBase
    from cxhub.assistant.retrieval import knowledge_base_index

    index = knowledge_base_index(KnowledgeBase.objects.get(slug=kb_slug))
    right, latencies = 0, []
    for row in test:
        started = time.perf_counter()
        similarities = (normalize(index.vectorizer.transform([row["text"]])) @ index.examples.T).toarray()[0]
        article = index.articles[int(index.labels[similarities.argmax()])]
        latencies.append((time.perf_counter() - started) * 1000)
        right += article.slug == intent_slug(row["category"])
    latencies.sort()
    return right / len(test), latencies[len(latencies) // 2]


def classifier_top1_accuracy(kb_slug: str, test: list[dict]) -> float:
    from cxhub.assistant.models import KnowledgeBase
    from cxhub.assistant.retrieval import knowledge_base_index

    index = knowledge_base_index(KnowledgeBase.objects.get(slug=kb_slug))
    evidence = index.evidence([row["text"] for row in test], k=1)
    right = sum(e.ranked[0].article.slug == intent_slug(row["category"]) for e, row in zip(evidence, test, strict=True))
    return right / len(test)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", type=Path, default=DEFAULT_DATASET)
    parser.add_argument("--target", type=float, default=0.95, help="Target answer precision for calibration.")
    options = parser.parse_args()
    if not (options.dataset / "train.csv").is_file():
        sys.exit(f"BANKING77 not found in {options.dataset} (train.csv, test.csv); pass --dataset.")
    django_setup()
    from cxhub.assistant.models import KnowledgeBase

    train, test = rows(options.dataset / "train.csv"), rows(options.dataset / "test.csv")
    intents = sorted({r["category"] for r in train})
    held_out = set(intents[::HELD_OUT_EVERY])
    for slug in ("banking77", "banking77-holdout"):
        KnowledgeBase.objects.update_or_create(
            slug=slug, defaults={"name": slug, "target_precision": options.target, "calibrated_version": None}
        )

    print(f"BANKING77: {len(intents)} intents, {len(train)} training questions, {len(test)} test questions", flush=True)
    full_kb = write(WORK / "banking77_kb.jsonl", kb_lines(train))
    holdout_kb = write(WORK / "banking77_holdout_kb.jsonl", kb_lines(train, skip=held_out))
    in_scope_cases = write(WORK / "banking77_cases.jsonl", case_lines(test))
    mixed_cases = write(WORK / "banking77_holdout_cases.jsonl", case_lines(test, out_of_scope=held_out))

    figures = {}
    for name, kb, cases in (
        ("all 77 intents in the KB", "banking77", in_scope_cases),
        (f"{len(held_out)} intents held out of the KB", "banking77-holdout", mixed_cases),
    ):
        print(f"\n== {name} ==", flush=True)
        output, seconds = run("import_kb", str(full_kb if kb == "banking77" else holdout_kb), "--kb", kb)
        print(output.strip())
        output, seconds = run("evaluate_bot", str(cases), "--kb", kb, "--json")
        report, metrics = output.strip().rsplit("\n", 1)
        print(report)
        figures[kb] = {**json.loads(metrics), "calibration": KnowledgeBase.objects.get(slug=kb).calibration}

    print("\n== baseline in the same process: nearest example question (TF-IDF cosine) ==", flush=True)
    baseline_accuracy, baseline_p50 = nearest_example_baseline("banking77", test)
    ours = figures["banking77"]
    calibration = ours["calibration"]
    classifier_top1 = classifier_top1_accuracy("banking77", test)
    print(f"nearest-example top-1 accuracy {baseline_accuracy:.1%}, p50 {baseline_p50:.1f} ms")
    print(f"our classifier's top-1 accuracy, never abstaining: {classifier_top1:.1%} (published best ~93.4%)")

    print("\n== summary ==")
    print(f"target precision {options.target:.0%}, threshold {calibration['threshold']:.3f}")
    print(
        f"all intents:   in-scope accuracy {ours['in_scope_accuracy']:.1%}, "
        f"false answers {ours['false_answer_rate']:.1%}, coverage {ours['coverage']:.1%}, "
        f"p50 {ours['latency_ms_p50']:.1f} ms, p95 {ours['latency_ms_p95']:.1f} ms"
    )
    mixed = figures["banking77-holdout"]
    print(
        f"held-out mix:  in-scope accuracy {mixed['in_scope_accuracy']:.1%}, out-of-scope recall "
        f"{mixed['out_of_scope_recall']:.1%}, false answers {mixed['false_answer_rate']:.1%}, "
        f"coverage {mixed['coverage']:.1%}"
    )
    print(
        f"calibration promised precision {calibration['expected_precision']:.1%} at coverage "
        f"{calibration['expected_coverage']:.1%} (held-out KB questions, {calibration['seconds']:.1f} s)"
    )
    print(
        f"against the baseline: top-1 {classifier_top1 / baseline_accuracy:.2f}x; wrong answers "
        f"{ours['false_answer_rate']:.1%} vs {1 - baseline_accuracy:.1%} (the baseline always answers), "
        f"{(1 - baseline_accuracy) / max(ours['false_answer_rate'], 1e-9):.0f}x fewer"
    )
    (WORK / "assistant.json").write_text(
        json.dumps(
            {"figures": figures, "baseline_top1": baseline_accuracy, "classifier_top1": classifier_top1}, indent=2
        )
    )
    print(f"\nfigures written to {WORK / 'assistant.json'}")


if __name__ == "__main__":
    main()
