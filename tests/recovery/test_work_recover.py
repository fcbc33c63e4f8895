"""Work whose Celery task was lost (broker down as it was queued, Redis restarted) is queued again by the
periodic sweep, and done once: the customer gets one reply, the draft still never reaches them."""

from datetime import timedelta

import pytest
from django.core import mail
from django.db import transaction
from django.utils import timezone

from cxhub.assistant.models import Draft
from cxhub.conversations.models import AutonomyLevel, Conversation, Message
from cxhub.conversations.services import conversation_lock, message_record
from cxhub.mail.models import Email
from cxhub.recovery.services import work_recover
from routing.services import (
    agent_message_send,
    autonomy_set,
    customer_message_handle,
    handoff_accept,
    handoff_return,
)
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def conversation():
    factories.knowledge_base_create()
    _, conversation, _ = factories.visitor_create(site=factories.site_create())
    return conversation


def lost_customer_message(conversation, text: str, *, age_seconds: int = 120) -> Message:
    """A customer message stored and acknowledged, whose AI task never reached a worker."""
    with transaction.atomic():
        locked = conversation_lock(conversation.pk)
        message, _ = message_record(conversation=locked, author_kind="customer", provenance="customer", text=text)
    Message.objects.filter(pk=message.pk).update(created_at=timezone.now() - timedelta(seconds=age_seconds))
    return message


def ai_replies(conversation) -> list[Message]:
    return list(conversation.messages.filter(author_kind=Message.AuthorKind.AI))


def test_a_question_whose_ai_task_was_lost_gets_exactly_one_answer(conversation):
    lost_customer_message(conversation, "How long does shipping take?")

    first = work_recover(grace_seconds=60)
    second = work_recover(grace_seconds=60)

    assert first["ai_replies"] == 1 and second["ai_replies"] == 0
    (reply,) = ai_replies(conversation)
    assert "2–4 business days" in reply.text


def test_a_question_still_within_the_grace_is_left_to_its_own_task(conversation):
    lost_customer_message(conversation, "How long does shipping take?", age_seconds=5)

    assert work_recover(grace_seconds=60)["ai_replies"] == 0
    assert ai_replies(conversation) == []


def test_once_a_person_holds_the_conversation_the_sweep_never_makes_the_ai_speak(conversation):
    lost_customer_message(conversation, "How long does shipping take?")
    handoff_accept(conversation_id=conversation.pk, agent=factories.agent_create())

    assert work_recover(grace_seconds=60)["ai_replies"] == 0
    assert ai_replies(conversation) == []


def test_a_question_a_person_answered_before_handing_back_is_not_answered_again_by_the_ai(conversation):
    marie = factories.agent_create()
    handoff_accept(conversation_id=conversation.pk, agent=marie)
    lost_customer_message(conversation, "How long does shipping take?")
    agent_message_send(conversation_id=conversation.pk, agent=marie, text="Two to four days.", client_id="a1")
    handoff_return(conversation_id=conversation.pk, agent=marie)

    assert work_recover(grace_seconds=60)["ai_replies"] == 0
    assert ai_replies(conversation) == []


def test_a_draft_whose_expiry_was_lost_goes_to_a_person_not_the_customer(
    conversation, django_capture_on_commit_callbacks
):
    autonomy_set(conversation_id=conversation.pk, level=AutonomyLevel.AI_WITH_APPROVAL)
    with django_capture_on_commit_callbacks(execute=True):
        customer_message_handle(conversation_id=conversation.pk, text="How long does shipping take?", client_id="c1")
    draft = Draft.objects.get(conversation=conversation)
    Draft.objects.filter(pk=draft.pk).update(review_by=timezone.now() - timedelta(minutes=5))

    assert work_recover(grace_seconds=60)["draft_expiries"] == 1

    conversation.refresh_from_db()
    assert conversation.owner == Conversation.Owner.QUEUE
    assert Draft.objects.get(pk=draft.pk).status == Draft.Status.EXPIRED
    assert ai_replies(conversation) == []


def test_an_email_reply_whose_send_task_was_lost_is_sent_once(conversation, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    with transaction.atomic():
        locked = conversation_lock(conversation.pk)
        message, _ = message_record(conversation=locked, author_kind="ai", provenance="ai", text="It ships today.")
    email = Email.objects.create(
        conversation=conversation,
        message=message,
        header_id="<lost@cxhub>",
        direction=Email.Direction.OUTBOUND,
        status=Email.Status.PENDING,
        address="ana@example.org",
        subject="Re: Delivery",
    )
    Email.objects.filter(pk=email.pk).update(created_at=timezone.now() - timedelta(minutes=5))

    work_recover(grace_seconds=60)
    work_recover(grace_seconds=60)

    assert [m.to for m in mail.outbox] == [["ana@example.org"]]
    assert Email.objects.get(pk=email.pk).status == Email.Status.SENT
