"""Another visitor's conversation id gets `conversation_unknown` on the socket too; refusals are logged
without what the visitor wrote.

Already covered: REST ratings/transcripts for another visitor's conversation
(tests/widget/test_identity_prechat_csat.py), reads of another conversation and events leaking between
visitors (tests/channels_app), another team's conversation for staff (tests/staff/test_access.py).
"""

import logging

import pytest
from asgiref.sync import sync_to_async

from cxhub.conversations.models import ConversationEvent, SatisfactionRating
from cxhub.conversations.services import conversation_close
from tests import factories
from tests.channels_app.helpers import visitor_connect

pytestmark = pytest.mark.django_db(transaction=True)
SECRET = "my-card-is-4111111111111111"


@sync_to_async
def two_visitors():
    site = factories.site_create()
    _, alice_conversation, alice = factories.visitor_create(site=site)
    _, bob_conversation, bob = factories.visitor_create(site=site)
    conversation_close(conversation_id=bob_conversation.pk, actor_kind="customer", outcome="ended_by_customer")
    return alice, bob_conversation


@pytest.mark.parametrize(
    "frame",
    [
        {"type": "csat", "score": 1, "comment": "terrible"},
        {"type": "transcript.email", "email": "attacker@example.com"},
    ],
)
async def test_a_visitor_cannot_rate_or_email_another_visitors_conversation_over_the_socket(frame):
    alice_token, bob_conversation = await two_visitors()
    alice = await visitor_connect(alice_token)

    await alice.send(**frame, conversation_id=bob_conversation.public_id)
    error = await alice.receive_until(lambda f: f["type"] == "error")

    assert error["code"] == "conversation_unknown"
    assert not await sync_to_async(SatisfactionRating.objects.filter(conversation=bob_conversation).exists)()
    assert not await sync_to_async(
        ConversationEvent.objects.filter(conversation=bob_conversation, kind="transcript_requested").exists
    )()
    await alice.close()


async def test_refused_frames_are_logged_by_code_without_their_contents(caplog, settings):
    settings.RATE_LIMIT_ENABLED = True
    settings.RATE_LIMIT_KEY_PREFIX = "rl-logs"
    settings.RATE_LIMIT_VISITOR_MESSAGES = "1/60"
    alice_token, _ = await two_visitors()
    alice = await visitor_connect(alice_token)
    caplog.set_level(logging.DEBUG)

    await alice.send(type="message.send", client_id="ok", text="first")
    await alice.receive_until(lambda f: f["type"] == "ack")
    for frame in (
        {"type": "message.send", "client_id": "x", "text": SECRET},  # rate limited
        {"type": "message.send", "client_id": "y", "text": SECRET * 100},  # too long
        {"type": "identify", "user_id": SECRET, "user_hash": SECRET},  # forged identity
        {"type": SECRET},  # unknown type: echoed to the sender only, truncated
    ):
        await alice.send(**frame)
        await alice.receive_until(lambda f: f["type"] == "error")
    await alice.communicator.send_to(text_data=SECRET)  # not JSON
    await alice.receive_until(lambda f: f["type"] == "error")

    assert "websocket error code=rate_limited" in caplog.text
    assert SECRET not in caplog.text
    await alice.close()
