"""python manage.py evaluate_bot CASES_PATH [--json] [--kb SLUG]: how well the live bot answers labelled cases."""

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from cxhub.assistant.calibration import calibration_line
from cxhub.assistant.evaluation import (
    CasesError,
    bot_evaluate,
    bot_evaluation_record,
    cases_read,
    unknown_slugs,
)
from cxhub.assistant.models import KnowledgeBase
from cxhub.assistant.services import knowledge_base_default

METRIC_KEYS = (
    "cases",
    "in_scope_accuracy",
    "out_of_scope_recall",
    "false_answer_rate",
    "coverage",
    "latency_ms_p50",
    "latency_ms_p95",
)


def percent(value) -> str:
    return "n/a" if value is None else f"{value:.1%}"


class Command(BaseCommand):
    help = (
        'Run the live answering code over JSON Lines cases {"text": ..., "expected": slug | null} and report '
        "accuracy, abstention, false answers, coverage and latency. --json: the last line is one JSON object."
    )

    def add_arguments(self, parser):
        parser.add_argument("cases_path")
        parser.add_argument(
            "--json", action="store_true", dest="as_json", help="End with the figures as one line of JSON."
        )
        parser.add_argument("--kb", default=None, help="Knowledge base slug (default: the default one).")
        parser.add_argument("--no-save", action="store_true", help="Do not record this run for admin.")

    def handle(self, *args, cases_path, as_json: bool, kb, no_save, **options):
        path = Path(cases_path)
        if not path.is_file():
            raise CommandError(f"No such cases file: {cases_path}")
        try:
            with path.open(encoding="utf-8") as lines:
                cases = cases_read(lines)
        except CasesError as exc:
            for error in exc.errors:
                self.stderr.write(error)
            raise CommandError(f"{len(exc.errors)} bad line(s) in {cases_path}; nothing evaluated.") from exc
        except UnicodeDecodeError as exc:
            raise CommandError(f"{cases_path} is not UTF-8 text.") from exc
        if not cases:
            raise CommandError(f"{cases_path} has no cases.")
        if kb is None:
            knowledge_base = knowledge_base_default()
        else:
            knowledge_base = KnowledgeBase.objects.filter(slug=kb).first()
            if knowledge_base is None:
                raise CommandError(f'No knowledge base "{kb}".')

        missing = unknown_slugs(knowledge_base=knowledge_base, cases=cases)
        if missing:
            self.stderr.write(
                f"warning: {len(missing)} expected slug(s) are not in the knowledge base and can only be missed: "
                + ", ".join(sorted(missing)[:10])
            )
        step = max(1, len(cases) // 10)

        def progress(done: int, total: int) -> None:
            if done % step == 0 or done == total:
                self.stderr.write(f"evaluating {done}/{total} cases")

        results = bot_evaluate(knowledge_base=knowledge_base, cases=cases, progress=progress)
        evaluation = bot_evaluation_record(knowledge_base=knowledge_base, cases_path=cases_path, results=results)
        if no_save:
            evaluation.delete()
        metrics = {key: evaluation.metrics[key] for key in METRIC_KEYS}
        self.report(knowledge_base, metrics, evaluation)
        if as_json:
            self.stdout.write(json.dumps(metrics))

    def report(self, knowledge_base, metrics, evaluation) -> None:
        out = self.stdout.write
        out(f'Bot evaluation on "{knowledge_base.name}" ({metrics["cases"]} cases)')
        out(f"  {calibration_line(knowledge_base)}")
        out(f"  in-scope accuracy   {percent(metrics['in_scope_accuracy'])}  (right article / cases with one)")
        out(f"  out-of-scope recall {percent(metrics['out_of_scope_recall'])}  (stepped aside / cases with none)")
        out(f"  false answer rate   {percent(metrics['false_answer_rate'])}  (wrong answers / answers given)")
        out(f"  coverage            {percent(metrics['coverage'])}  (answers given / cases)")
        out(f"  latency per question p50 {metrics['latency_ms_p50']:.1f} ms, p95 {metrics['latency_ms_p95']:.1f} ms")
        if evaluation.confused_pairs:
            out("Most confused (expected → answered instead):")
            for pair in evaluation.confused_pairs:
                out(f"  {pair['count']:4d}  {pair['expected']} → {pair['answered']}")
        if evaluation.worst_articles:
            out("Articles to improve first (more example questions, clearer scope):")
            for row in evaluation.worst_articles:
                out(
                    f"  {row['slug']}: {row['errors']} errors — missed {row['abstained']}, answered as another "
                    f"{row['answered_as_other']}, chosen wrongly {row['wrongly_chosen']}"
                    + (f" (accuracy {percent(row['accuracy'])})" if row["accuracy"] is not None else "")
                )
