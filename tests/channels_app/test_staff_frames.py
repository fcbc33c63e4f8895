"""Through the real ASGI app: notes, handoff ratings and AI-answer flags over the staff socket. Notes reach
the staff with the conversation open and never the visitor; another team's conversation is refused as unknown."""

import pytest
from asgiref.sync import sync_to_async

from cxhub.assistant.models import AnswerFlag
from cxhub.conversations.models import ConversationEvent, Note
from tests.channels_app.helpers import staff_connect, visitor_connect
from tests.staff.console_world import world

pytestmark = pytest.mark.django_db(transaction=True)

SECRET = "VIP, but has tried a fake-damage refund before"


async def test_a_note_reaches_colleagues_with_the_conversation_open_and_never_the_visitor():
    given = await sync_to_async(world)()
    marie = await staff_connect(given.marie)
    supervisor_view = await staff_connect(given.marie)  # a second console of the same team
    visitor = await visitor_connect(given.token, resume_from=None)
    for console in (marie, supervisor_view):
        await console.send(type="conversation.open", conversation_id=given.billing.pk)
        card = (await console.receive_until(lambda f: f["type"] == "conversation"))["card"]
        assert card["notes"] == [] and card["flags"] == [] and card["my_handoff_rating"] is None

    await marie.send(type="note.add", conversation_id=given.billing.pk, text=SECRET, client_id="n-1")
    ack = await marie.receive_until(lambda f: f["type"] == "ack")
    heard = await supervisor_view.receive_until(lambda f: f["type"] == "note")
    visitor_frames = []
    while not await visitor.communicator.receive_nothing(timeout=0.7):
        visitor_frames.append(await visitor.receive())

    note = await sync_to_async(Note.objects.get)()
    assert ack == {"type": "ack", "conversation_id": given.billing.pk, "client_id": "n-1", "note_id": note.pk}
    assert heard["conversation_id"] == given.billing.pk
    assert heard["note"]["text"] == SECRET and heard["note"]["author_name"] == "Marie Dupont"
    assert SECRET not in str(visitor_frames)
    for socket in (marie, supervisor_view, visitor):
        await socket.close()


async def test_an_empty_note_is_refused_with_the_client_id():
    given = await sync_to_async(world)()
    marie = await staff_connect(given.marie)

    await marie.send(type="note.add", conversation_id=given.billing.pk, text="  ", client_id="n-2")
    error = await marie.receive_until(lambda f: f["type"] == "error")

    assert error["code"] == "note_invalid" and error["client_id"] == "n-2"
    assert not await sync_to_async(Note.objects.exists)()
    await marie.close()


async def test_rating_and_flagging_are_acknowledged_and_show_on_the_card():
    given = await sync_to_async(world)()
    marie = await staff_connect(given.marie)

    await marie.send(type="handoff.rate", conversation_id=given.billing.pk, score=4, comment="clear summary")
    rated = await marie.receive_until(lambda f: f["type"] == "ack")
    await marie.send(type="answer.flag", conversation_id=given.billing.pk, message_seq=given.ai_seq, note="outdated")
    flagged = await marie.receive_until(lambda f: f["type"] == "ack")
    await marie.send(type="conversation.open", conversation_id=given.billing.pk)
    card = (await marie.receive_until(lambda f: f["type"] == "conversation"))["card"]

    assert rated == {"type": "ack", "conversation_id": given.billing.pk, "rated": 4}
    flag = await sync_to_async(AnswerFlag.objects.get)()
    assert flagged == {"type": "ack", "conversation_id": given.billing.pk, "flag_id": flag.pk}
    assert card["my_handoff_rating"] == {"score": 4, "comment": "clear summary"}
    assert card["flags"] == [
        {"id": flag.pk, "message_seq": given.ai_seq, "status": "open", "note": "outdated", "article_slug": None}
    ]
    await marie.close()


async def test_a_customer_message_is_not_an_ai_answer_and_an_unhanded_conversation_has_nothing_to_rate():
    given = await sync_to_async(world)(handed_off=False)
    marie = await staff_connect(given.marie)

    await marie.send(type="answer.flag", conversation_id=given.billing.pk, message_seq=given.customer_seq)
    not_ai = await marie.receive_until(lambda f: f["type"] == "error")
    await marie.send(type="handoff.rate", conversation_id=given.billing.pk, score=5)
    nothing = await marie.receive_until(lambda f: f["type"] == "error")

    assert not_ai["code"] == "not_an_ai_answer" and nothing["code"] == "nothing_to_rate"
    await marie.close()


@pytest.mark.parametrize(
    "frame",
    [
        {"type": "note.add", "text": "hello", "client_id": "n-3"},
        {"type": "handoff.rate", "score": 1},
        {"type": "answer.flag", "message_seq": 3},
    ],
)
async def test_another_teams_conversation_is_unknown_for_every_new_frame(frame):
    given = await sync_to_async(world)()
    marie = await staff_connect(given.marie)

    await marie.send(**frame, conversation_id=given.care.pk)
    error = await marie.receive_until(lambda f: f["type"] == "error")

    assert error["code"] == "conversation_unknown"
    kinds = [
        ConversationEvent.Kind.NOTE_ADDED,
        ConversationEvent.Kind.HANDOFF_RATED,
        ConversationEvent.Kind.ANSWER_FLAGGED,
    ]
    assert not await sync_to_async(given.care.events.filter(kind__in=kinds).exists)()
    assert not await sync_to_async(Note.objects.exists)() and not await sync_to_async(AnswerFlag.objects.exists)()
    await marie.close()
