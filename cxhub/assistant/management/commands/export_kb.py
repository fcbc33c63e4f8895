"""Write a knowledge base's articles to a JSON Lines file that import_kb reads back unchanged."""

import os
import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from cxhub.assistant.kb_files import knowledge_base_export
from cxhub.assistant.models import DEFAULT_KNOWLEDGE_BASE, KnowledgeBase


class Command(BaseCommand):
    help = (
        "Export a knowledge base's articles as JSON Lines, one article per line in slug order, drafts included "
        "unless --published-only. Importing the file back with import_kb changes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", help='Where to write the .jsonl file; "-" writes to standard output.')
        parser.add_argument(
            "--kb",
            default=DEFAULT_KNOWLEDGE_BASE,
            help=f'Slug of the knowledge base to export. Default: "{DEFAULT_KNOWLEDGE_BASE}".',
        )
        parser.add_argument("--published-only", action="store_true", help="Leave draft articles out.")

    def handle(self, *args, **options):
        slug = options["kb"]
        knowledge_base = KnowledgeBase.objects.filter(slug=slug).first()
        if knowledge_base is None:
            raise CommandError(f'No knowledge base with slug "{slug}".')
        include_drafts = not options["published_only"]

        if options["path"] == "-":
            try:
                count = knowledge_base_export(
                    knowledge_base=knowledge_base, stream=self.stdout, include_drafts=include_drafts
                )
            except BrokenPipeError:
                # The reader stopped early (`export_kb - | head`): not a failure, and Python must not trip over
                # the closed pipe again when it flushes stdout at exit.
                os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
                return
            # The summary goes to stderr so stdout stays a clean file for a pipe.
            self.stderr.write(f'Exported {count} articles from "{slug}".')
            return

        path = Path(options["path"])
        try:
            with path.open("w", encoding="utf-8", newline="\n") as stream:
                count = knowledge_base_export(
                    knowledge_base=knowledge_base, stream=stream, include_drafts=include_drafts
                )
        except OSError as exc:
            raise CommandError(f"Cannot write {path}: {exc.strerror}") from exc
        self.stdout.write(f'Exported {count} articles from "{slug}" to {path}.')
