"""Through the real ASGI app: at `ai_with_approval` the staff console gets the AI's draft live, a person
approves it, and only then does the visitor read it, marked as AI-drafted and approved by a person."""

import pytest
from asgiref.sync import sync_to_async

from cxhub.assistant.models import Draft
from cxhub.conversations.models import Conversation
from tests import factories
from tests.channels_app.helpers import staff_connect, visitor_connect, visitor_say

pytestmark = pytest.mark.django_db(transaction=True)


@sync_to_async
def shop_with_visitor_and_agent():
    site = factories.site_create()
    factories.knowledge_base_create()
    _, conversation, token = factories.visitor_create(site=site)
    return conversation, token, factories.agent_create()


async def visitor_at_approval_level(token):
    visitor = await visitor_connect(token)
    await visitor.message_with(seq=1)
    await visitor.send(type="autonomy.set", level="ai_with_approval")
    notice = await visitor.message_with(author_kind="system", seq=3)
    reviewed = await visitor.receive_until(lambda f: f["type"] == "state" and f["state"]["replies_reviewed"])
    return visitor, reviewed, notice


async def test_the_visitor_reads_the_ai_reply_only_after_a_person_approves_it():
    conversation, token, marie = await shop_with_visitor_and_agent()
    agent = await staff_connect(marie)
    visitor, reviewed, notice = await visitor_at_approval_level(token)
    assert reviewed["state"]["autonomy_level"] == "ai_with_approval"
    assert notice["text"].startswith("A person reviews the assistant’s replies")

    # The visitor asks: the console gets the draft, the visitor gets nothing from the AI.
    await visitor_say(visitor, "How long does shipping take?")
    frame = await agent.receive_until(lambda f: f["type"] == "draft")
    draft = frame["draft"]
    assert frame["conversation_id"] == conversation.pk
    assert draft["status"] == "pending" and draft["question"] == "How long does shipping take?"
    assert draft["text"] == "Delivery takes 2–4 business days."
    assert draft["article"] == {"slug": "shipping-times", "title": "How long does delivery take?"}
    assert draft["review_by"] and isinstance(draft["confidence"], float)
    assert [m["author_kind"] for m in await visitor.messages_within()] in ([], ["customer"])  # own echo only

    # A person approves: the visitor reads it once, labelled as approved by a person, with its source.
    await agent.send(type="draft.approve", draft_id=draft["id"])
    reply = await visitor.message_with(author_kind="ai")
    assert reply["provenance"] == "ai_approved"
    assert reply["text"] == "Delivery takes 2–4 business days."
    assert reply["sources"] == [{"slug": "shipping-times", "title": "How long does delivery take?"}]
    settled = await agent.receive_until(lambda f: f["type"] == "draft" and f["draft"]["status"] != "pending")
    assert settled["draft"]["status"] == "approved" and settled["draft"]["reviewed_by"] == "Marie Dupont"

    # Approving again sends nothing more.
    await agent.send(type="draft.approve", draft_id=draft["id"])
    assert [m["author_kind"] for m in await visitor.messages_within()] == []
    await visitor.close()
    await agent.close()


async def test_a_rejected_draft_never_reaches_the_visitor_who_is_queued_for_a_person():
    conversation, token, marie = await shop_with_visitor_and_agent()
    agent = await staff_connect(marie)
    visitor, _, _ = await visitor_at_approval_level(token)

    await visitor_say(visitor, "How long does shipping take?")
    draft = (await agent.receive_until(lambda f: f["type"] == "draft"))["draft"]
    await agent.send(type="draft.reject", draft_id=draft["id"], reason="check the order first")

    queued = await visitor.receive_until(lambda f: f["type"] == "state" and f["state"]["owner"] == "queue")
    assert queued["state"]["queue_position"] == 1
    row = await agent.receive_until(
        lambda f: f["type"] == "inbox.conversation" and f["conversation"]["owner"] == "queue"
    )
    assert row["conversation"]["escalation_reason"] == "AI draft rejected: check the order first"
    seen = await visitor.messages_within()
    assert "ai" not in [m["author_kind"] for m in seen]
    owner = await sync_to_async(lambda: Conversation.objects.get(pk=conversation.pk).owner)()
    assert owner == "queue"
    await visitor.close()
    await agent.close()


async def test_an_edited_draft_reaches_the_visitor_as_written_by_the_reviewer_with_ai_help():
    _, token, marie = await shop_with_visitor_and_agent()
    agent = await staff_connect(marie)
    visitor, _, _ = await visitor_at_approval_level(token)

    await visitor_say(visitor, "How long does shipping take?")
    draft = (await agent.receive_until(lambda f: f["type"] == "draft"))["draft"]
    await agent.send(type="draft.edit", draft_id=draft["id"], text="Delivery takes 2–4 business days, Marie here.")

    reply = await visitor.message_with(author_kind="human")
    assert reply["provenance"] == "human_ai_assisted" and reply["author_name"] == "Marie Dupont"
    assert reply["text"] == "Delivery takes 2–4 business days, Marie here."
    status = await sync_to_async(lambda: Draft.objects.get(pk=draft["id"]).status)()
    assert status == "edited"
    await visitor.close()
    await agent.close()


async def test_review_refusals_come_back_as_error_frames():
    _, token, marie = await shop_with_visitor_and_agent()
    agent = await staff_connect(marie)

    await agent.send(type="draft.approve", draft_id="seven")
    assert (await agent.receive_until(lambda f: f["type"] == "error"))["code"] == "draft_invalid"
    await agent.send(type="draft.reject", draft_id=424242, reason="x")
    assert (await agent.receive_until(lambda f: f["type"] == "error"))["code"] == "draft_unknown"
    await agent.close()
