"""Each inbox row carries what the console filters on: team, channel, language, status, and who holds it."""

import pytest

from routing.services import handoff_accept
from tests.staff.console_world import client_for, world

pytestmark = pytest.mark.django_db


def test_inbox_rows_carry_team_channel_language_status_priority_and_owner():
    given = world(locale="fr")
    handoff_accept(conversation_id=given.billing.pk, agent=given.marie)

    rows = client_for(given.marie).get("/api/staff/conversations/").json()["conversations"]

    [row] = [r for r in rows if r["id"] == given.billing.pk]
    assert row["team"] == {"id": given.billing.team_id, "name": "Billing"} and row["team_id"] == given.billing.team_id
    assert row["channel"] == "widget" and row["locale"] == "fr" and row["status"] == "open"
    assert row["owner"] == "agent" and row["agent_id"] == given.marie.pk
    assert isinstance(row["priority"], int) and "queued_at" in row
