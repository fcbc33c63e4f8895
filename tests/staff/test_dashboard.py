"""The dashboard is for supervisors, enforced on the server; its CSV says what the selectors say."""

import csv
import io
from datetime import date

import pytest
from django.contrib.auth.models import Group
from django.test import Client
from django.utils import timezone

from cxhub.conversations.access import SUPERVISORS_GROUP
from cxhub.conversations.models import ConversationEvent
from cxhub.reporting.exports import CSV_HEADER, metrics_rows
from cxhub.reporting.selectors import Period, metrics_for_period
from routing.services import handoff_accept, handoff_request
from tests import factories

pytestmark = pytest.mark.django_db

URLS = ("/staff/dashboard/", "/api/staff/metrics", "/api/staff/metrics.csv")


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def supervisor():
    user = factories.agent_create(username="sophie", first_name="Sophie", last_name="Leroy")
    user.groups.add(Group.objects.get_or_create(name=SUPERVISORS_GROUP)[0])
    return user


@pytest.fixture
def today_traffic(supervisor):
    """Two conversations today through the real services: one escalated to and taken by a person."""
    site = factories.site_create()
    factories.visitor_create(site=site)
    _, escalated, _ = factories.visitor_create(site=site)
    handoff_request(
        conversation_id=escalated.pk, reason="customer asked for a person", signal_names=["explicit_request"]
    )
    handoff_accept(conversation_id=escalated.pk, agent=supervisor)
    return escalated


@pytest.mark.parametrize("url", URLS)
def test_an_agent_is_refused_everywhere(url):
    agent = factories.agent_create()

    assert logged_in(agent).get(url).status_code == 403


@pytest.mark.parametrize("url", URLS[1:])
def test_anonymous_visitors_get_no_figures(url):
    assert Client().get(url).status_code == 403


def test_the_page_sends_anonymous_visitors_to_the_login():
    response = Client().get("/staff/dashboard/")

    assert response.status_code == 302 and response["Location"].startswith("/staff/login/")


def test_a_supervisor_gets_the_page_and_the_figures(supervisor, today_traffic):
    client = logged_in(supervisor)

    page = client.get("/staff/dashboard/")
    metrics = client.get("/api/staff/metrics").json()

    assert page.status_code == 200
    # Chart.js is served from here, and the page needs no inline script or style under the CSP.
    assert b"/static/vendor/chart.js/chart.umd.min.js" in page.content
    assert b"<script>" not in page.content and b"<style" not in page.content and b"style=" not in page.content
    assert "'unsafe-inline'" not in page.get("Content-Security-Policy", "'unsafe-inline'")
    assert metrics["conversations"]["total"] == 2
    assert metrics["escalation"]["reasons"] == [
        {"code": "explicit_request", "label": "customer asked for a person", "count": 1}
    ]
    assert metrics["time_to_person"]["count"] == 1
    assert metrics["period"]["to"] == timezone.localdate().isoformat() and metrics["period"]["days"] == 30


def test_a_superuser_sees_the_dashboard_without_the_group():
    admin = factories.agent_create(username="admin")
    admin.is_superuser = True
    admin.save()

    assert logged_in(admin).get("/api/staff/metrics").status_code == 200


def test_bad_parameters_get_a_clear_error(supervisor):
    client = logged_in(supervisor)

    for query, code in (
        ("from=yesterday", "date_invalid"),
        ("from=2026-03-08&to=2026-03-01", "period_invalid"),
        ("from=2020-01-01&to=2026-03-01", "period_too_long"),
        ("site=999", "site_unknown"),
        ("team=abc", "team_unknown"),
    ):
        for url in URLS[1:]:
            accept = "text/csv" if url.endswith(".csv") else "application/json"
            response = client.get(f"{url}?{query}", HTTP_ACCEPT=accept)
            assert (response.status_code, response.json()["code"]) == (400, code), (url, query)
            assert response.json()["message"]


def test_the_csv_has_one_row_per_figure_matching_the_selectors(supervisor, today_traffic):
    today = timezone.localdate()
    # A rating whose comment would be a formula in a spreadsheet is counted, never exported as text.
    ConversationEvent.objects.create(
        conversation=today_traffic,
        kind="handoff_requested",
        actor_kind="system",
        data={"reason": '=HYPERLINK("http://evil")', "signals": []},
    )

    response = logged_in(supervisor).get(f"/api/staff/metrics.csv?from={today}&to={today}")

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == f'attachment; filename="cxhub-metrics-{today}-to-{today}.csv"'
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8"))))
    assert rows[0] == CSV_HEADER
    expected = metrics_rows(metrics_for_period(period=Period(today, today)))
    assert len(rows) - 1 == len(expected)
    as_text = [["" if value is None else str(value) for value in row] for row in expected]
    for got, want in zip(rows[1:], as_text, strict=True):
        assert got == [("'" + w if w.startswith("=") else w) for w in want]
    by_figure = {(row[0], row[1]): row for row in rows[1:]}
    assert by_figure[("conversations", "total")][2] == "2"
    assert by_figure[("escalation_rate", "conversations_escalated")][2:5] == ["1", "2", "0.5"]
    assert by_figure[("ai_containment", "closed_without_a_person")][2:5] == ["0", "0", ""]  # nothing closed: no rate
    assert by_figure[("escalation_reason", '\'=HYPERLINK("http://evil")')][2] == "1"
    assert by_figure[("daily_conversations", today.isoformat())][2] == "2"


def test_the_csv_of_an_empty_period_has_every_figure_with_no_rate(supervisor):
    response = logged_in(supervisor).get("/api/staff/metrics.csv?from=2027-01-01&to=2027-01-02")

    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8"))))
    figures = {row[0] for row in rows[1:]}
    assert {"ai_containment", "escalation_rate", "time_to_person", "csat_mean", "daily_containment"} <= figures
    assert [row[4] for row in rows[1:] if row[0] == "ai_containment"] == [""]
    assert date(2027, 1, 2).isoformat() in {row[1] for row in rows[1:] if row[0] == "daily_conversations"}
