"""Agents rate the handoff card 1–5; each rating is an event the dashboard reads, the latest one counts."""

import pytest

from cxhub.conversations.models import ConversationEvent
from tests.staff.console_world import client_for, world

pytestmark = pytest.mark.django_db


def test_a_rating_is_stored_as_an_event_and_rating_again_replaces_it_on_the_card():
    given = world()
    client = client_for(given.marie)
    url = f"/api/staff/conversations/{given.billing.pk}/handoff-rating"

    first = client.post(
        url, {"score": 2, "comment": "summary missed the order number"}, content_type="application/json"
    )
    second = client.post(url, {"score": 4}, content_type="application/json")
    card = client.get(f"/api/staff/conversations/{given.billing.pk}/handoff").json()

    assert first.status_code == second.status_code == 201 and second.json()["rated"] == 4
    events = list(given.billing.events.filter(kind=ConversationEvent.Kind.HANDOFF_RATED).order_by("id"))
    assert [(e.data, e.actor_agent_id, e.actor_kind) for e in events] == [
        ({"score": 2, "comment": "summary missed the order number"}, given.marie.pk, "human"),
        ({"score": 4, "comment": ""}, given.marie.pk, "human"),
    ]
    assert card["my_handoff_rating"] == {"score": 4, "comment": ""}


def test_each_agent_sees_only_their_own_rating():
    given = world()
    client_for(given.marie).post(
        f"/api/staff/conversations/{given.billing.pk}/handoff-rating", {"score": 5}, content_type="application/json"
    )
    given.billing.team.members.add(given.sam)

    card = client_for(given.sam).get(f"/api/staff/conversations/{given.billing.pk}/handoff").json()

    assert card["my_handoff_rating"] is None


def test_a_conversation_never_handed_to_a_person_has_nothing_to_rate():
    given = world(handed_off=False)

    response = client_for(given.marie).post(
        f"/api/staff/conversations/{given.billing.pk}/handoff-rating", {"score": 3}, content_type="application/json"
    )

    assert response.status_code == 400 and response.json()["code"] == "nothing_to_rate"
    assert not given.billing.events.filter(kind=ConversationEvent.Kind.HANDOFF_RATED).exists()


@pytest.mark.parametrize("score", [0, 6, "5", True, None])
def test_a_score_outside_1_to_5_is_refused(score):
    given = world()

    response = client_for(given.marie).post(
        f"/api/staff/conversations/{given.billing.pk}/handoff-rating", {"score": score}, content_type="application/json"
    )

    assert response.status_code == 400 and response.json()["code"] == "score_invalid"


def test_another_teams_handoff_cannot_be_rated():
    given = world()

    response = client_for(given.marie).post(
        f"/api/staff/conversations/{given.care.pk}/handoff-rating", {"score": 3}, content_type="application/json"
    )

    assert response.status_code == 404
    assert not given.care.events.filter(kind=ConversationEvent.Kind.HANDOFF_RATED).exists()
