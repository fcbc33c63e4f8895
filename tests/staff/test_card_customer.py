"""The customer panel: verification state and previous conversations across channels, on the card and rows."""

import pytest

from cxhub.conversations.models import Conversation
from cxhub.conversations.selectors import handoff_card, inbox_row
from tests import factories

pytestmark = pytest.mark.django_db


def test_the_card_says_what_is_verified_and_lists_earlier_conversations_with_their_channel():
    site = factories.site_create()
    customer, conversation, _ = factories.visitor_create(site=site)
    customer.email, customer.email_verified = "alice@example.com", True
    customer.phone, customer.phone_verified = "+33612345678", False
    customer.is_vip, customer.segment = True, "reseller"
    customer.save()
    earlier = Conversation.objects.create(
        site=site, customer=customer, channel=Conversation.Channel.SMS, status="closed", outcome="resolved"
    )

    card = handoff_card(Conversation.objects.get(pk=conversation.pk))

    facts = card["customer"]
    assert (facts["email_verified"], facts["phone"], facts["phone_verified"]) == (True, "+33612345678", False)
    assert (facts["vip"], facts["segment"]) == (True, "reseller")
    assert [(p["id"], p["channel"], p["outcome"]) for p in facts["previous_conversations"]] == [
        (earlier.pk, "sms", "resolved")
    ]
    assert inbox_row(earlier)["outcome"] == "resolved"
