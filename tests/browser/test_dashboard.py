"""A supervisor's dashboard in real Chromium: every chart drawn from the figures, its tables, no request off-host."""

import re
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.contrib.auth.models import Group
from playwright.sync_api import expect

from cxhub.conversations.access import SUPERVISORS_GROUP
from cxhub.conversations.models import ConversationEvent, Site
from cxhub.conversations.services import conversation_close, handoff_rate, satisfaction_rate
from routing.services import (
    agent_message_send,
    autonomy_set,
    conversation_close_by_agent,
    handoff_accept,
    handoff_request,
)
from tests import factories

pytestmark = pytest.mark.browser

CHARTS = ["daily", "channels", "reasons", "csat", "ratings", "levels"]


@pytest.fixture
def todays_traffic(live_server_stack):
    """Today: one conversation the AI handled alone (rated 4), one where the customer moved to a person and Sophie
    took it (rated 5, handoff rated 4), one asked for a person and still waiting. Built before the browser starts:
    Playwright's event loop forbids sync ORM calls in the test body."""
    url = live_server_stack["url"]
    site = Site.objects.create(name="Maison Lumière", key="demo-dashboard", allowed_origins=[url])
    sophie = factories.agent_create(username="sophie", first_name="Sophie", last_name="Leroy")
    sophie.groups.add(Group.objects.get_or_create(name=SUPERVISORS_GROUP)[0])

    _, ai_alone, _ = factories.visitor_create(site=site, origin=url)
    ConversationEvent.objects.create(conversation=ai_alone, kind="ai_answered", actor_kind="ai")
    conversation_close(conversation_id=ai_alone.pk, actor_kind="customer")
    satisfaction_rate(conversation_id=ai_alone.pk, score=4)

    _, with_person, _ = factories.visitor_create(site=site, origin=url)
    autonomy_set(conversation_id=with_person.pk, level="human_with_ai")
    handoff_accept(conversation_id=with_person.pk, agent=sophie)
    agent_message_send(conversation_id=with_person.pk, agent=sophie, text="Hello, I can help.", client_id="c1")
    handoff_rate(conversation_id=with_person.pk, agent=sophie, score=4)
    conversation_close_by_agent(conversation_id=with_person.pk, agent=sophie, outcome="resolved")
    satisfaction_rate(conversation_id=with_person.pk, score=5)

    _, waiting, _ = factories.visitor_create(site=site, origin=url)
    handoff_request(conversation_id=waiting.pk, reason="customer asked for a person", signal_names=["explicit_request"])
    return {"url": url}


def log_in(page, url: str) -> None:
    page.goto(url + "/staff/login/?next=/staff/dashboard/")
    page.fill("#id_username", "sophie")
    page.fill("#id_password", "pw-sophie")
    page.click("button[type=submit]")
    page.wait_for_url("**/staff/dashboard/**")


DRAWN = """
(names) => names.map((name) => {
  const canvas = document.getElementById(`chart-${name}`);
  const chart = window.Chart.getChart(canvas);
  const pixels = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
  let painted = 0;
  for (let i = 3; i < pixels.length; i += 4) if (pixels[i] > 0) painted += 1;
  const sum = chart ? chart.data.datasets.reduce((s, d) => s + d.data.reduce((a, b) => a + (b || 0), 0), 0) : 0;
  return {name, chart: Boolean(chart), painted, sum, width: canvas.width};
})
"""


def test_a_supervisor_sees_every_chart_drawn_from_the_days_figures(todays_traffic, browser, screenshot, console_errors):
    url = todays_traffic["url"]
    context = browser.new_context(viewport={"width": 1360, "height": 900})
    page = context.new_page()
    console_errors(page)
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))

    log_in(page, url)
    dashboard = page.locator("[data-testid=dashboard]")
    expect(dashboard).to_have_attribute("data-state", "ready", timeout=15000)
    page.wait_for_timeout(400)  # let the short chart animation finish before reading pixels

    drawn = {chart["name"]: chart for chart in page.evaluate(DRAWN, CHARTS)}
    for name in CHARTS:
        assert drawn[name]["chart"], name
        assert drawn[name]["width"] > 0 and drawn[name]["painted"] > 2000, drawn[name]
    assert drawn["channels"]["sum"] == 3  # three conversations, stacked by level
    assert drawn["reasons"]["sum"] == 2  # the customer's choice and the explicit request
    assert drawn["ratings"]["sum"] == 1
    assert drawn["levels"]["sum"] == 2  # up twice: the choice of a person and the explicit request
    expect(page.locator("[data-testid=kpi-conversations] .kpi__value")).to_have_text("3")
    # Closed: the AI-alone one and Sophie's; only the first without a person.
    expect(page.locator("[data-testid=kpi-containment] .kpi__detail")).to_have_text("1 of 2 closed conversations")
    expect(page.locator("[data-testid=kpi-containment] .kpi__value")).to_have_text("50%")
    expect(page.locator("[data-testid=kpi-flagged] .kpi__value")).to_have_text("0%")
    expect(page.locator("[data-testid=kpi-drafts] .kpi__value")).to_have_text("—")  # nothing to count

    page.locator("[data-chart=csat] summary").click()
    csat = page.locator("[data-testid=table-csat] tbody tr")
    expect(csat.nth(0)).to_contain_text("AI only")
    expect(csat.nth(0).locator("td").nth(1)).to_have_text("4")
    expect(csat.nth(1).locator("td").nth(1)).to_have_text("5")
    expect(csat.nth(2).locator("td").nth(1)).to_have_text("—")
    page.locator("[data-chart=daily] summary").click()
    expect(page.locator("[data-testid=table-daily] tbody tr")).to_have_count(30)
    csv_link = re.compile(r"^/api/staff/metrics\.csv\?from=\d{4}-\d\d-\d\d&to=\d{4}-\d\d-\d\d$")
    expect(page.locator("[data-testid=csv-link]")).to_have_attribute("href", csv_link)
    screenshot(page, "dashboard")

    page.select_option("[data-testid=period]", "7")
    expect(page.locator("[data-testid=table-daily] tbody tr")).to_have_count(7)
    expect(page.locator("[data-testid=console-link]")).to_have_attribute("href", "/staff/")

    assert requests and all(r.startswith(url + "/") or r.startswith("data:") for r in requests), requests
    assert console_errors.errors == []
    context.close()


def test_the_dashboard_speaks_french_to_a_french_browser(todays_traffic, browser, console_errors):
    context = browser.new_context(locale="fr-FR")
    page = context.new_page()
    console_errors(page)

    log_in(page, todays_traffic["url"])

    expect(page.locator("[data-testid=dashboard]")).to_have_attribute("data-state", "ready", timeout=15000)
    assert page.evaluate("document.documentElement.lang") == "fr"
    expect(page.locator("[data-testid=kpi-containment] .kpi__detail")).to_have_text("1 sur 2 conversations fermées")
    expect(page.locator("[data-chart=reasons] summary")).to_have_text("Afficher le tableau")
    assert console_errors.errors == []
    context.close()


def test_an_agent_gets_no_dashboard(live_server_stack, browser):
    with ThreadPoolExecutor(1) as pool:
        pool.submit(factories.agent_create).result()
    page = browser.new_page()
    page.goto(live_server_stack["url"] + "/staff/login/?next=/staff/")
    page.fill("#id_username", "marie")
    page.fill("#id_password", "pw-marie")
    page.click("button[type=submit]")
    page.wait_for_url("**/staff/")

    response = page.goto(live_server_stack["url"] + "/staff/dashboard/")

    assert response.status == 403
    page.close()
