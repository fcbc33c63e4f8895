"""Load the demo: a bilingual shop knowledge base, a site, an admin and two agents. Safe to run again."""

import os
from pathlib import Path

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand
from django.db import transaction

from cxhub.assistant.calibration import calibration_line, knowledge_base_calibrate
from cxhub.assistant.kb_files import knowledge_base_import
from cxhub.assistant.services import knowledge_base_default
from cxhub.canned.services import canned_demo_seed
from cxhub.conversations.access import SUPERVISORS_GROUP
from cxhub.conversations.models import Site
from cxhub.mail.models import MailInbox
from cxhub.sms.models import SmsNumber
from routing.models import BusinessHours, RoutingRule, Team

DEMO_KB = Path(__file__).resolve().parents[3] / "assistant" / "fixtures" / "demo_kb.jsonl"
DEMO_SITE_KEY = "demo-maison-lumiere"
DEMO_USERS = [
    # username, password, first name, last name, superuser
    ("admin", "cxhub-admin", "Ada", "Admin", True),
    ("marie", "cxhub-agent", "Marie", "Dupont", False),
    ("sam", "cxhub-agent", "Sam", "Taylor", False),
    ("lea", "cxhub-supervisor", "Léa", "Martin", False),
]
DEMO_SUPERVISORS = ["lea"]
DEMO_INBOX = "support@maison-lumiere.example"
DEMO_SMS_NUMBER = "+33100000000"


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
        supervisors, _ = Group.objects.get_or_create(name=SUPERVISORS_GROUP)
        supervisors.user_set.add(*User.objects.filter(username__in=DEMO_SUPERVISORS))
        # Email and SMS reach the same site: replies to the inbox and texts to the number land in the console.
        MailInbox.objects.get_or_create(address=DEMO_INBOX, defaults={"site": site})
        SmsNumber.objects.get_or_create(number=DEMO_SMS_NUMBER, defaults={"site": site})

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
        rules = self.routing_seed(site, agents=User.objects.filter(username__in=["marie", "sam"]))
        self.stdout.write(f"Team “Support” (marie, sam; automatic assignment) and {rules} example routing rules.")
        self.stdout.write(f"{canned_demo_seed()} canned responses (English and French).")
        self.stdout.write(f"Supervisor (dashboard): lea. Email inbox {DEMO_INBOX}, SMS number {DEMO_SMS_NUMBER}.")

    def routing_seed(self, site, *, agents) -> int:
        """A team and a few rules an admin would start from; existing ones (by name) are left as edited."""
        team, _ = Team.objects.get_or_create(
            slug="support",
            defaults={"name": "Support", "languages": ["en", "fr"], "assignment": Team.Assignment.AUTO},
        )
        team.members.add(*agents)
        hours, _ = BusinessHours.objects.get_or_create(
            name="Paris office",
            defaults={
                "timezone": "Europe/Paris",
                "schedule": {day: ["09:00", "18:00"] for day in ("mon", "tue", "wed", "thu", "fri")},
            },
        )
        examples = [
            {
                "name": "Disputes and complaints: a person, helped by AI",
                "order": 10,
                "signals": ["complaint_dispute"],
                "autonomy_at_least": "human_with_ai",
                "team": team,
                "priority": 2,
                "agent_reminder": "Never promise a refund date.",
                "customer_reason_en": "complaints and disputes are handled by a person.",
                "customer_reason_fr": "les réclamations et litiges sont traités par une personne.",
            },
            {
                "name": "Legal threats: hand to a person, no liability",
                "order": 20,
                "signals": ["legal_threat"],
                "escalation": "hand",
                "priority": 3,
                "agent_reminder": "Do not admit liability; pass legal matters to the legal contact.",
            },
            {
                "name": "VIP customers first",
                "order": 30,
                "customer_vip": True,
                "priority": 5,
                "continue_after_match": True,
            },
            {
                "name": "Outside office hours: offer a person by email",
                "order": 40,
                "hours": hours,
                "hours_when": "outside",
                "signals": ["frustration"],
                "escalation": "offer",
            },
        ]
        for fields in examples:
            RoutingRule.objects.get_or_create(name=fields["name"], defaults={**fields, "site": site})
        return len(examples)
