"""Load the demo: a bilingual shop knowledge base, a site, an admin and two agents. Safe to run again."""

import json
import os
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction

from cxhub.assistant.models import Article
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

        count = 0
        for line in DEMO_KB.read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            item = json.loads(line)
            Article.objects.update_or_create(
                slug=item["slug"],
                defaults={
                    "title": item["title"],
                    "answer": item["answer"],
                    "questions": item["questions"],
                    "locale": item.get("locale", "en"),
                    "tags": item.get("tags", []),
                    "status": Article.Status.PUBLISHED,
                    "approved_by": admin,
                },
            )
            count += 1
        self.stdout.write(f"Demo site “{site.name}” (key {site.key}), {count} published articles.")
        self.stdout.write("Demo accounts: " + ", ".join(f"{u} / {p}" for u, p, *_ in DEMO_USERS))
