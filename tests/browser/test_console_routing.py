"""The agent's side of routing in real Chromium: presence, "Why is this here?" and a transfer to a colleague."""

from concurrent.futures import ThreadPoolExecutor

import pytest
from playwright.sync_api import expect

from cxhub.assistant.models import ComplianceRule
from cxhub.conversations.models import Conversation, ConversationEvent, Site
from routing.models import AgentPresence, RoutingRule, Team
from routing.services import customer_message_handle
from tests import factories

pytestmark = pytest.mark.browser

XSS = '<img src=x onerror="document.body.dataset.pwned=1">'
BEREAVEMENT = "My mother passed away last week and I need to cancel her order"
RULE_REMINDER = "Waive the cancellation fee; never ask for a death certificate."
COMPLIANCE_REMINDER = "Check whether the order has shipped before promising a cancellation."
NOTE = f"Her mother's order #4411, please go gently. {XSS}"
ACKNOWLEDGE_LOSS_EN = "Acknowledge the loss first; go gently and offer to handle the details for them."
ACKNOWLEDGE_LOSS_FR = (
    "Reconnaissez d’abord la perte ; allez-y doucement et proposez de vous occuper des démarches à sa place."
)


@pytest.fixture
def care_desk(live_server_stack):
    """Two agents of a "Care" team whose conversations wait for someone to pick them, Paul already online, and a
    customer whose bereavement routing sent to that team's queue. Built before the browser starts: Playwright's
    event loop forbids sync ORM calls in the test body."""
    url = live_server_stack["url"]
    site = Site.objects.create(name="Maison Lumière", key="demo-browser", allowed_origins=[url])
    factories.knowledge_base_create()
    marie = factories.agent_create()  # marie / pw-marie
    paul = factories.agent_create(username="paul", first_name="Paul", last_name="Martin")
    care = Team.objects.create(name="Care", slug="care", assignment=Team.Assignment.POOL)
    care.members.add(marie, paul)
    AgentPresence.objects.create(agent=paul, status=AgentPresence.Status.ONLINE, capacity=3)
    RoutingRule.objects.create(
        name="Bereavement cancellations",
        signals=["bereavement"],
        team=care,
        agent_reminder=RULE_REMINDER,
        continue_after_match=True,
    )
    ComplianceRule.objects.create(name="Cancellations", keywords=["cancel"], reminder_en=COMPLIANCE_REMINDER)
    _, conversation, _ = factories.visitor_create(site=site, origin=url)
    customer_message_handle(conversation_id=conversation.pk, text=f"{BEREAVEMENT} {XSS}", client_id="first")
    conversation.refresh_from_db()
    assert (conversation.owner, conversation.team_id) == (Conversation.Owner.QUEUE, care.pk)
    return {"url": url, "conversation_id": conversation.pk, "marie": marie, "paul": paul}


def on_orm(fn, *args):
    with ThreadPoolExecutor(1) as pool:  # the ORM runs outside Playwright's event loop
        return pool.submit(fn, *args).result()


def presence_of(agent_id: int) -> tuple[str, int]:
    presence = AgentPresence.objects.get(agent_id=agent_id)
    return presence.status, presence.capacity


def holder_of(conversation_id: int) -> tuple[str, int | None, str]:
    conversation = Conversation.objects.get(pk=conversation_id)
    transfer = conversation.events.filter(kind=ConversationEvent.Kind.HANDOFF_TRANSFERRED).last()
    return conversation.owner, conversation.agent_id, transfer.data["note"] if transfer else ""


def log_in(page, url: str, username: str) -> None:
    page.goto(url + "/staff/login/?next=/staff/")
    page.fill("#id_username", username)
    page.fill("#id_password", "pw-" + username)
    page.click("button[type=submit]")
    expect(page.locator("[data-testid=connection]")).to_have_attribute("data-state", "open")


def test_agent_goes_online_sees_why_a_conversation_is_here_and_transfers_it_with_a_note(
    care_desk, browser, screenshot, console_errors
):
    url, conversation_id = care_desk["url"], care_desk["conversation_id"]
    marie_id, paul_id = care_desk["marie"].pk, care_desk["paul"].pk

    screen = {"width": 1440, "height": 1000}
    paul = browser.new_context(locale="fr-FR", viewport=screen, reduced_motion="reduce").new_page()
    marie = browser.new_context(locale="en-GB", viewport=screen, reduced_motion="reduce").new_page()
    console_errors(paul)
    console_errors(marie)
    log_in(paul, url, "paul")
    log_in(marie, url, "marie")

    # Marie's team list shows Paul online with room; she has not said whether she is there yet.
    paul_row = marie.locator(f"[data-testid=team-agent][data-agent-id='{paul_id}']")
    expect(paul_row).to_have_attribute("data-status", "online")
    expect(paul_row.locator("[data-testid=team-agent-load]")).to_have_text("0/3")
    expect(marie.locator("[data-testid=presence]")).to_have_attribute("data-status", "offline")

    # A capacity outside 1–20 is refused in words; a valid one goes with her first presence.
    marie.fill("[data-testid=presence-capacity]", "25")
    marie.press("[data-testid=presence-capacity]", "Enter")
    expect(marie.locator("[data-testid=error][data-code=capacity_invalid]")).to_contain_text(
        "Capacity must be a whole number from 1 to 20."
    )
    marie.fill("[data-testid=presence-capacity]", "4")
    marie.click("[data-testid=presence-online]")
    expect(marie.locator("[data-testid=error][data-code=capacity_invalid]")).to_have_count(0)
    expect(marie.locator("[data-testid=presence]")).to_have_attribute("data-status", "online")
    assert on_orm(presence_of, marie_id) == ("online", 4)
    # Every console follows: Paul sees Marie come online.
    expect(paul.locator(f"[data-testid=team-agent][data-agent-id='{marie_id}']")).to_have_attribute(
        "data-status", "online"
    )

    # The Care team picks its conversations: coming online gave Marie nothing, the customer still waits.
    queued = marie.locator("[data-testid=inbox-queue] [data-testid=inbox-item]")
    expect(queued).to_have_count(1)
    queued.first.click()
    why = marie.locator("[data-testid=why-panel]")
    expect(why).to_contain_text("Why is this here?")
    expect(marie.locator("[data-testid=handoff-reason]")).to_have_text("sensitive topic: bereavement")
    signal = why.locator("[data-testid=why-signal][data-signal=bereavement]")
    expect(signal).to_contain_text("Bereavement")
    expect(signal.locator("[data-testid=why-words]")).to_have_text("“passed away”")
    expect(why.locator("[data-testid=why-decision]")).to_have_attribute("data-action", "hand")
    rule = why.locator("[data-testid=why-rule]")
    expect(rule).to_contain_text("Rule “Bereavement cancellations” applied")
    expect(rule).to_contain_text("✓ signals ['bereavement']")
    reminders = why.locator("[data-testid=why-reminders] [data-testid=reminder]")
    expect(reminders).to_have_count(2)
    expect(reminders.nth(0)).to_have_text(RULE_REMINDER)
    expect(reminders.nth(1)).to_contain_text(COMPLIANCE_REMINDER)
    expect(why.locator("[data-testid=emotional-context]")).to_have_text("Sensitive: bereavement — “passed away”")
    expect(why.locator("[data-testid=next-step]")).to_have_attribute("data-step", "acknowledge_loss")
    expect(why.locator("[data-testid=next-step]")).to_contain_text(ACKNOWLEDGE_LOSS_EN)
    # The customer's words, hostile markup included, are text.
    expect(marie.locator("[data-testid=transcript]")).to_contain_text(f"{BEREAVEMENT} {XSS}")
    expect(marie.locator("[data-testid=transfer]")).to_be_hidden()  # only the agent holding it transfers
    screenshot(marie, "routing-1-why-is-this-here")

    # Take over, then pass it to Paul with a note.
    marie.click("[data-testid=take-over]")
    expect(marie.locator("[data-testid=conversation-owner]")).to_have_text("With Marie Dupont")
    marie.click("[data-testid=transfer]")
    panel = marie.locator("[data-testid=transfer-panel]")
    expect(panel).to_be_visible()
    marie.click("[data-testid=transfer-send]")
    expect(panel.locator("[data-testid=transfer-error]")).to_have_text("Choose a colleague or a team to transfer to.")
    # The server's refusals are explained in words too: here a transfer to herself, which the list never offers.
    marie.evaluate(
        """id => {
            const target = document.querySelector("[data-testid=transfer-target]");
            target.append(new Option("Marie Dupont", `agent:${id}`));
            target.value = `agent:${id}`;
            document.querySelector("[data-testid=transfer-send]").click();
        }""",
        marie_id,
    )
    expect(panel.locator("[data-testid=transfer-error]")).to_have_text(
        "Transfer to one colleague or one team, and not to yourself."
    )
    expect(marie.locator("[data-testid=transfer-send]")).to_be_enabled()
    expect(marie.locator(f"[data-testid=transfer-target] option[value='agent:{paul_id}']")).to_have_text(
        "Paul Martin · 0/3"
    )
    expect(marie.locator("[data-testid=transfer-target] option[value^='team:']")).to_have_text(["Care · 2 online"])
    marie.select_option("[data-testid=transfer-target]", f"agent:{paul_id}")
    marie.fill("[data-testid=transfer-note]", NOTE)
    screenshot(marie, "routing-2-transfer-form")
    marie.click("[data-testid=transfer-send]")

    expect(marie.locator("[data-testid=notice]")).to_contain_text("Transferred to Paul Martin.")
    expect(marie.locator("[data-testid=conversation-owner]")).to_have_text("With Paul Martin")
    expect(panel).to_be_hidden()
    expect(marie.locator("[data-testid=transfer]")).to_be_hidden()
    transfer = why.locator("[data-testid=why-transfer]")
    expect(transfer).to_contain_text("Marie Dupont → Paul Martin")
    expect(transfer.locator("[data-testid=why-transfer-note]")).to_have_text(f"“{NOTE}”")
    screenshot(marie, "routing-3-transferred")
    assert on_orm(holder_of, conversation_id) == ("agent", paul_id, NOTE)

    # Paul, in French, now holds it and reads the note and the next step.
    mine = paul.locator("[data-testid=inbox-mine] [data-testid=inbox-item]")
    expect(mine).to_have_count(1)
    mine.first.click()
    paul_why = paul.locator("[data-testid=why-panel]")
    expect(paul_why).to_contain_text("Pourquoi est-elle ici ?")
    expect(paul_why.locator("[data-testid=next-step]")).to_contain_text(ACKNOWLEDGE_LOSS_FR)
    expect(paul_why.locator("[data-testid=emotional-context]")).to_have_text(
        "Sujet sensible : deuil — «\u00a0passed away\u00a0»"
    )
    expect(paul_why.locator("[data-testid=why-transfer-note]")).to_have_text(f"«\u00a0{NOTE}\u00a0»")
    expect(paul.locator("[data-testid=transfer]")).to_be_visible()
    paul_self = paul.locator(f"[data-testid=team-agent][data-agent-id='{paul_id}']")
    expect(paul_self.locator("[data-testid=team-agent-load]")).to_have_text("1/3")
    screenshot(paul, "routing-4-colleague-receives-fr")

    assert marie.evaluate("document.body.dataset.pwned") is None
    assert paul.evaluate("document.body.dataset.pwned") is None
    assert console_errors.errors == []
