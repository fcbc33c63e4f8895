"""Load knowledge base articles from a JSON Lines file: all lines valid or nothing imported."""

import time
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.core.validators import validate_slug
from django.db import transaction

from cxhub.assistant.calibration import calibration_line, knowledge_base_calibrate
from cxhub.assistant.kb_files import KnowledgeBaseImportError, knowledge_base_import
from cxhub.assistant.models import DEFAULT_KNOWLEDGE_BASE, KnowledgeBase
from cxhub.assistant.services import knowledge_base_default

# A log file or CI output stays readable: at most this many progress lines when stderr is not a terminal.
PROGRESS_LINES = 10


class Command(BaseCommand):
    help = (
        "Import articles from a JSON Lines file (one article per line: slug, title, answer, questions, and "
        "optionally locale, tags, body, status). Articles are matched by slug: new ones are created, changed ones "
        "updated, the rest left alone. Lines without a status are imported as published. If any line is invalid, "
        "every error is listed and nothing is imported."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", help="The .jsonl file to import.")
        parser.add_argument(
            "--kb",
            default=DEFAULT_KNOWLEDGE_BASE,
            help=f'Slug of the knowledge base to import into, created if missing. Default: "{DEFAULT_KNOWLEDGE_BASE}".',
        )
        parser.add_argument(
            "--no-calibrate",
            action="store_true",
            help="Skip deriving the confidence threshold now; the worker recalibrates in the background.",
        )
        parser.add_argument(
            "--draft",
            action="store_true",
            help="Import every article as a draft, whatever its status says, so nothing goes live unreviewed.",
        )

    def handle(self, *args, **options):
        path = Path(options["path"])
        slug = options["kb"]
        try:
            validate_slug(slug)
        except ValidationError as exc:
            raise CommandError(f'--kb "{slug}" is not a valid slug.') from exc
        try:
            # utf-8-sig: files saved by spreadsheet tools and Windows editors often start with a BOM.
            lines = path.read_text(encoding="utf-8-sig").split("\n")
        except FileNotFoundError as exc:
            raise CommandError(f"No such file: {path}") from exc
        except UnicodeDecodeError as exc:
            raise CommandError(f"{path} is not UTF-8 text: {exc}") from exc
        except OSError as exc:
            raise CommandError(f"Cannot read {path}: {exc.strerror}") from exc

        started = time.monotonic()
        try:
            # One transaction with the import, so a rejected file does not leave a new empty knowledge base behind.
            with transaction.atomic():
                knowledge_base = self.knowledge_base_get_or_create(slug)
                report = knowledge_base_import(
                    knowledge_base=knowledge_base,
                    lines=lines,
                    draft=options["draft"],
                    progress=self.progress_printer("importing articles"),
                )
        except KnowledgeBaseImportError as exc:
            for error in exc.errors:
                self.stderr.write(str(error))
            self.stderr.write("Nothing imported.")
            raise CommandError(f"{path}: {len(exc.errors)} error(s), nothing imported.") from exc
        elapsed = time.monotonic() - started

        self.stdout.write(
            f'Imported {report.articles} articles ({report.questions} questions) into "{knowledge_base.slug}": '
            f"{report.created} created, {report.updated} updated, {report.unchanged} unchanged in {elapsed:.1f} s"
        )
        knowledge_base.refresh_from_db()
        if options["no_calibrate"] or knowledge_base.calibration_is_current:
            return
        # Here rather than only in the worker: the admin sees at once what the threshold buys.
        started = time.monotonic()
        knowledge_base = knowledge_base_calibrate(
            knowledge_base_id=knowledge_base.pk, progress=self.progress_printer("calibrating: held-out fold")
        )
        self.stdout.write(f"Calibrated in {time.monotonic() - started:.1f} s: {calibration_line(knowledge_base)}")

    def knowledge_base_get_or_create(self, slug: str) -> KnowledgeBase:
        if slug == DEFAULT_KNOWLEDGE_BASE:
            return knowledge_base_default()
        knowledge_base, _ = KnowledgeBase.objects.get_or_create(slug=slug, defaults={"name": slug})
        return knowledge_base

    def progress_printer(self, label: str):
        interactive = self.stderr.isatty()
        last_step = -1

        def progress(done: int, total: int) -> None:
            nonlocal last_step
            # Progress is not an error: keep it out of stderr's red error style.
            if interactive:
                ending = "\n" if done == total else ""
                self.stderr.write(f"\r{label} {done}/{total}", style_func=self.style.NOTICE, ending=ending)
                return
            step = done * PROGRESS_LINES // max(total, 1)
            if step > last_step:
                last_step = step
                self.stderr.write(f"{label} {done}/{total}", style_func=self.style.NOTICE)

        return progress
