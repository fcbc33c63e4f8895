"""`make run` loads the demo: a calibrated bilingual KB, staff, a team and example rules; running it twice is safe."""

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command

from cxhub.assistant.models import Article, KnowledgeBase
from cxhub.conversations.access import staff_access
from cxhub.mail.models import MailInbox
from cxhub.sms.models import SmsNumber
from routing.models import RoutingRule, Team

pytestmark = pytest.mark.django_db


def test_the_demo_loads_twice_without_duplicates_and_is_ready_to_answer(capsys):
    call_command("seed_demo")
    call_command("seed_demo")

    assert Article.objects.filter(status="published").count() == 14
    assert KnowledgeBase.objects.get(slug="default").calibration_is_current
    support = Team.objects.get(slug="support")
    assert sorted(support.members.values_list("username", flat=True)) == ["marie", "sam"]
    assert RoutingRule.objects.count() == 4
    lea = User.objects.get(username="lea")
    assert staff_access(lea).sees_all and not staff_access(User.objects.get(username="marie")).sees_all
    assert MailInbox.objects.get().site == SmsNumber.objects.get().site
    assert "expected coverage" in capsys.readouterr().out
