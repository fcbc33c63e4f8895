"""Private notes: staff write and read them on a conversation; the customer never sees one, anywhere."""

import pytest

from cxhub.assistant.copilot import handoff_package
from cxhub.conversations.models import ConversationEvent
from cxhub.conversations.selectors import transcript_text
from cxhub.conversations.services import NOTE_MAX_CHARS
from tests.factories import SHOP_ORIGIN
from tests.staff.console_world import client_for, world

pytestmark = pytest.mark.django_db

SECRET = "Customer is a known chargeback abuser, check order history"


def test_an_agent_adds_a_note_and_colleagues_read_it_on_the_card():
    given = world()
    client = client_for(given.marie)

    created = client.post(f"/api/staff/conversations/{given.billing.pk}/notes", {"text": f"  {SECRET}  "})
    listed = client.get(f"/api/staff/conversations/{given.billing.pk}/notes").json()["notes"]
    card = client.get(f"/api/staff/conversations/{given.billing.pk}/handoff").json()

    assert created.status_code == 201
    note = created.json()["note"]
    assert note["text"] == SECRET and note["author_name"] == "Marie Dupont" and note["author_id"] == given.marie.pk
    assert listed == [note] and card["notes"] == [note]
    event = given.billing.events.get(kind=ConversationEvent.Kind.NOTE_ADDED)
    # The log says a note was written, not what it says.
    assert event.data == {"note_id": note["id"]} and event.actor_agent_id == given.marie.pk


@pytest.mark.parametrize("text", ["", "   ", "x" * (NOTE_MAX_CHARS + 1), None])
def test_an_empty_or_oversized_note_is_refused_and_nothing_is_stored(text):
    given = world()

    response = client_for(given.marie).post(
        f"/api/staff/conversations/{given.billing.pk}/notes", {"text": text} if text is not None else {}
    )

    assert response.status_code == 400 and response.json()["code"] == "note_invalid"
    assert not given.billing.notes.exists()


def test_notes_of_another_teams_conversation_are_not_found():
    given = world()
    client = client_for(given.marie)

    assert client.get(f"/api/staff/conversations/{given.care.pk}/notes").status_code == 404
    assert client.post(f"/api/staff/conversations/{given.care.pk}/notes", {"text": "hi"}).status_code == 404
    assert not given.care.notes.exists()


def test_notes_never_reach_the_widget_the_transcript_or_the_webhook_card():
    given = world()
    client_for(given.marie).post(f"/api/staff/conversations/{given.billing.pk}/notes", {"text": SECRET})

    widget = client_for(given.marie).get(
        "/api/widget/messages", headers={"origin": SHOP_ORIGIN, "authorization": f"Bearer {given.token}"}
    )
    webhook_card = handoff_package(given.billing)  # what integrations send: no viewer

    assert widget.status_code == 200 and SECRET not in widget.content.decode()
    assert SECRET not in transcript_text(given.billing)
    assert "notes" not in webhook_card and SECRET not in str(webhook_card)


def test_a_note_resent_after_a_reconnect_is_stored_once():
    given = world()
    client = client_for(given.marie)
    url = f"/api/staff/conversations/{given.billing.pk}/notes"

    first = client.post(url, {"text": "call back at 5"}).json()["note"]
    again = client.post(url, {"text": "call back at 5"}).json()["note"]
    other = client.post(url, {"text": "actually at 6"}).json()["note"]

    assert again["id"] == first["id"] and other["id"] != first["id"]
    assert given.billing.notes.count() == 2
    assert given.billing.events.filter(kind=ConversationEvent.Kind.NOTE_ADDED).count() == 2
