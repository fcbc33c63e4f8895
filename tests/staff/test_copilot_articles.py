"""The copilot panel's article search: what the agent types, within the conversations they may see."""

import pytest

from tests.staff.console_world import client_for, world

pytestmark = pytest.mark.django_db


def test_an_agent_searches_the_knowledge_base_from_the_copilot_panel():
    given = world()

    response = client_for(given.marie).get(f"/api/staff/conversations/{given.billing.pk}/articles", {"q": "return"})

    assert response.status_code == 200
    assert response.json()["articles"][0]["slug"] == "returns-policy"


def test_without_a_query_the_articles_follow_the_customer_s_last_words():
    given = world()

    response = client_for(given.marie).get(f"/api/staff/conversations/{given.billing.pk}/articles")

    assert response.json()["articles"][0]["slug"] == "shipping-times"


def test_another_team_s_conversation_answers_404():
    given = world()

    response = client_for(given.marie).get(f"/api/staff/conversations/{given.care.pk}/articles", {"q": "return"})

    assert response.status_code == 404
