"""Load the demo: a bilingual shop knowledge base, a site, an admin and two agents. Safe to run again."""

import os
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction

from cxhub.assistant.calibration import calibration_line, knowledge_base_calibrate
from cxhub.assistant.kb_files import knowledge_base_import
from cxhub.assistant.services import knowledge_base_default
from cxhub.conversations.models import Site

DEMO_KB = Path(__file__).resolve().parents[3] / "assistant" / "fixtures" / "demo_kb.jsonl"
DEMO_SITE_KEY = "demo-maison-lumiere"
DEMO_USERS = [
    # username, password, first name, last name, superuser
    ("admin", "cxhub-admin", "Ada", "Admin", True),
    ("marie", "cxhub-agent", "Marie", "Dupont", False),
    ("sam", "cxhub-agent", "Sam", "Taylor", False),
]


class Command(BaseCommand):
    help = "Create or refresh the demo site, knowledge base and staff accounts."

    def add_arguments(self, parser):
        parser.add_argument("--origin", action="append", default=[], help="Extra origin allowed to embed the widget.")

    @transaction.atomic
    def handle(self, *args, **options):
        port = os.environ.get("PORT", "8000")
        origins = [f"http://127.0.0.1:{port}", f"http://localhost:{port}", *options["origin"]]
        site, _ = Site.objects.get_or_create(key=DEMO_SITE_KEY, defaults={"name": "Maison Lumière (demo)"})
        site.allowed_origins = sorted(set(site.allowed_origins) | set(origins))
        site.save()

        User = get_user_model()
        for username, password, first, last, is_superuser in DEMO_USERS:
            user, created = User.objects.get_or_create(username=username)
            if created:
                user.set_password(password)
            user.first_name, user.last_name = first, last
            user.is_staff = True
            user.is_superuser = is_superuser
            user.save()
        admin = User.objects.get(username="admin")

        knowledge_base = knowledge_base_default()
        with DEMO_KB.open(encoding="utf-8") as lines:
            report = knowledge_base_import(knowledge_base=knowledge_base, lines=lines, approved_by=admin)
        # Calibrate now rather than in the worker, so the first answer already uses the derived threshold.
        knowledge_base = knowledge_base_calibrate(knowledge_base_id=knowledge_base.pk)
        self.stdout.write(
            f"Demo site “{site.name}” (key {site.key}), {report.articles} published articles; "
            + calibration_line(knowledge_base)
        )
        self.stdout.write("Demo accounts: " + ", ".join(f"{u} / {p}" for u, p, *_ in DEMO_USERS))
