"""A supervisor's console in real Chromium: approving and rejecting AI drafts from the keyboard, a canned
response with variables, translation without a language model, closing with an outcome, the closed list
and the inbox filters."""

from concurrent.futures import ThreadPoolExecutor

import pytest
from django.contrib.auth.models import Group
from playwright.sync_api import expect

from cxhub.assistant.models import Draft, Suggestion
from cxhub.canned.models import CannedResponse
from cxhub.conversations.access import SUPERVISORS_GROUP
from cxhub.conversations.models import AutonomyLevel, Conversation, Message
from routing.services import autonomy_set, customer_message_handle
from tests import factories
from tests.conftest import wait_until

pytestmark = pytest.mark.browser

REJECT_REASON = "She asks about a return, not delivery"


def customer_asks(site, *, name: str, locale: str, text: str) -> Conversation:
    """A customer at "AI, checked by a person" writes; the real worker drafts the AI's reply."""
    customer, conversation, _ = factories.visitor_create(site=site, origin=site.allowed_origins[0], locale=locale)
    customer.display_name = name
    customer.save(update_fields=["display_name"])
    autonomy_set(conversation_id=conversation.pk, level=AutonomyLevel.AI_WITH_APPROVAL)
    customer_message_handle(conversation_id=conversation.pk, text=text, client_id=f"{name}-1")
    wait_until(lambda: Draft.objects.filter(conversation=conversation, status="pending").exists(), timeout=30)
    return conversation


@pytest.fixture
def review_desk(live_server_stack):
    """Built before the browser starts: Playwright's event loop forbids sync ORM calls in the test body."""
    url = live_server_stack["url"]
    site = factories.site_create(origins=(url,), name="Maison Lumière")
    factories.knowledge_base_create()
    marie = factories.agent_create()
    supervisors, _ = Group.objects.get_or_create(name=SUPERVISORS_GROUP)
    marie.groups.add(supervisors)
    CannedResponse.objects.create(
        title="Thanks, with a follow-up by email",
        shortcut="thanks",
        text="Thanks {customer_first_name}, {agent_first_name} here. I will write to {customer_email}.",
    )
    CannedResponse.objects.create(
        title="Sorry for the wait", shortcut="sorry", text="Sorry for the wait, {customer_name}."
    )
    alice = customer_asks(site, name="Alice Martin", locale="en", text="How long does shipping take?")
    zoe = customer_asks(site, name="Zoé Bernard", locale="fr", text="Combien de temps prend la livraison ?")
    return {"url": url, "alice": alice.pk, "zoe": zoe.pk}


def on_orm(fn, *args):
    with ThreadPoolExecutor(1) as pool:  # the ORM runs outside Playwright's event loop
        return pool.submit(fn, *args).result()


def replies_of(conversation_id: int) -> list[tuple[str, str, str]]:
    return list(
        Message.objects.filter(conversation_id=conversation_id, author_kind__in=["ai", "human"])
        .order_by("seq")
        .values_list("author_kind", "provenance", "text")
    )


def suggestion_statuses(conversation_id: int) -> list[str]:
    return list(Suggestion.objects.filter(conversation_id=conversation_id).values_list("status", flat=True))


def state_of(conversation_id: int) -> tuple[str, str, str, str]:
    conversation = Conversation.objects.get(pk=conversation_id)
    return conversation.owner, conversation.status, conversation.outcome, conversation.escalation_reason


def test_supervisor_reviews_drafts_by_keyboard_uses_a_canned_reply_and_closes_with_an_outcome(
    review_desk, browser, screenshot, console_errors
):
    url, alice, zoe = review_desk["url"], review_desk["alice"], review_desk["zoe"]
    page = browser.new_context(viewport={"width": 1440, "height": 1000}, reduced_motion="reduce").new_page()
    console_errors(page)
    page.goto(url + "/staff/login/?next=/staff/")
    page.fill("#id_username", "marie")
    page.fill("#id_password", "pw-marie")
    page.click("button[type=submit]")
    expect(page.locator("[data-testid=connection]")).to_have_attribute("data-state", "open")
    expect(page.locator("[data-testid=dashboard-link]")).to_have_attribute("href", "/staff/dashboard/")

    approvals = page.locator("[data-testid=approvals-list] [data-testid=approval]")
    expect(approvals).to_have_count(2)
    expect(page.locator("[data-testid=count-approvals]")).to_have_text("2")
    expect(approvals.first.locator("[data-testid=approval-approve]")).to_have_attribute("title", "Approve (a)")

    # "?" shows the shortcuts; Escape hides them.
    page.keyboard.press("?")
    overlay = page.locator("[data-testid=shortcuts-overlay]")
    expect(overlay).to_be_visible()
    expect(overlay).to_contain_text("Approve the selected draft")
    page.keyboard.press("Escape")
    expect(overlay).to_be_hidden()

    # j selects the oldest draft, a approves it: the customer gets the AI's answer, approved by a person.
    page.keyboard.press("j")
    expect(approvals.first).to_have_class("approval is-selected")
    expect(approvals.first.locator("[data-testid=approval-question]")).to_have_text("How long does shipping take?")
    page.keyboard.press("a")
    expect(approvals).to_have_count(1)
    wait_until(lambda: on_orm(replies_of, alice))
    assert on_orm(replies_of, alice) == [("ai", "ai_approved", "Delivery takes 2–4 business days.")]

    # The next draft is selected; r asks for a reason inline, Enter rejects: Zoé goes to the queue.
    expect(approvals.first).to_have_class("approval is-selected")
    page.keyboard.press("r")
    reason = approvals.first.locator("[data-testid=approval-reject-reason]")
    expect(reason).to_be_focused()
    reason.type(REJECT_REASON)
    reason.press("Enter")
    expect(approvals).to_have_count(0)
    queued = page.locator("[data-testid=inbox-queue] [data-testid=inbox-item]")
    expect(queued).to_have_count(1)
    expect(queued.first).to_contain_text(REJECT_REASON)
    assert on_orm(replies_of, zoe) == []

    # Zoé writes in French; without a language model the console says why it cannot translate.
    queued.first.click()
    copilot = page.locator("[data-testid=copilot]")
    expect(copilot.locator("[data-testid=copilot-translate]")).to_contain_text(
        "The customer writes in French; the console is in English."
    )
    copilot.locator("[data-testid=translate-customer]").click()
    expect(copilot.locator("[data-testid=translation]")).to_have_text(
        "No translation: Translation needs a language model; none is configured."
    )

    # A canned response from "/": filtered as she types, chosen with the keyboard, variables filled in.
    page.click("[data-testid=take-over]")
    reply = page.locator("[data-testid=reply]")
    expect(reply).to_be_enabled()

    # She holds it and sees the copilot's suggestions, then looks elsewhere without using them: ignored.
    expect(copilot.locator("[data-testid=suggestion-insert]").first).to_be_enabled()
    assert on_orm(suggestion_statuses, zoe) and set(on_orm(suggestion_statuses, zoe)) == {"offered"}
    page.locator("[data-testid=inbox-ai] [data-testid=inbox-item]").first.click()
    wait_until(lambda: set(on_orm(suggestion_statuses, zoe)) == {"ignored"})
    page.locator("[data-testid=inbox-mine] [data-testid=inbox-item]").first.click()
    expect(page.locator("[data-testid=conversation-owner]")).to_have_text("With Marie Dupont")
    expect(reply).to_be_enabled()
    picker = page.locator("[data-testid=canned-picker]")
    page.click("[data-testid=canned-open]")  # the button opens a searchable list
    expect(page.locator("[data-testid=canned-search]")).to_be_focused()
    page.keyboard.type("sor")
    expect(picker.locator("[data-testid=canned-option]")).to_have_count(1)
    page.keyboard.press("Enter")
    expect(reply).to_have_value("Sorry for the wait, Zoé Bernard.")
    expect(page.locator("[data-testid=canned-missing]")).to_be_hidden()
    reply.fill("")
    reply.type("/")
    expect(picker.locator("[data-testid=canned-option]")).to_have_count(2)
    screenshot(page, "console-canned")
    reply.type("tha")
    expect(picker.locator("[data-testid=canned-option]")).to_have_count(1)
    reply.press("Enter")
    expect(picker).to_be_hidden()
    expect(reply).to_have_value("Thanks Zoé, Marie here. I will write to.")
    expect(page.locator("[data-testid=canned-missing]")).to_have_text(
        "Check before sending: nothing to fill in for {customer_email}."
    )
    reply.fill("Thanks Zoé, Marie here. Delivery takes 2 to 4 working days.")
    reply.press("Enter")
    expect(page.locator("[data-testid=transcript] [data-testid=message][data-author-kind=human]")).to_have_count(1)
    expect(page.locator("[data-testid=canned-missing]")).to_be_hidden()

    # Close with an outcome.
    page.click("[data-testid=close]")
    panel = page.locator("[data-testid=close-panel]")
    expect(panel).to_be_visible()
    panel.get_by_text("Needs a follow-up").click()
    screenshot(page, "console-close-outcome")
    panel.locator("[data-testid=close-confirm]").click()
    expect(page.locator("[data-testid=conversation-closed]")).to_be_visible()
    expect(panel).to_be_hidden()
    _, status, outcome, _ = on_orm(state_of, zoe)
    assert (status, outcome) == ("closed", "follow_up")

    # The closed list loads when opened, with the outcome.
    page.click("[data-testid=closed-toggle]")
    closed = page.locator("[data-testid=inbox-closed] [data-testid=inbox-item]")
    expect(closed).to_have_count(1)
    expect(page.locator("[data-testid=count-closed]")).to_have_text("1")
    expect(closed.first.locator("[data-testid=outcome]")).to_have_text("Needs a follow-up")

    # Filters: French only hides Alice's English conversation with the AI; clearing brings it back.
    ai_items = page.locator("[data-testid=inbox-ai] [data-testid=inbox-item]")
    expect(ai_items).to_have_count(1)
    page.select_option("[data-testid=filter-locale]", "fr")
    expect(ai_items).to_have_count(0)
    expect(closed).to_have_count(1)
    expect(page.locator("[data-testid=filter-summary]")).to_contain_text("Filtered: 1 of 2 shown.")
    page.select_option("[data-testid=filter-status]", "ai")
    expect(closed).to_have_count(0)
    page.click("[data-testid=filter-clear]")
    expect(ai_items).to_have_count(1)
    expect(closed).to_have_count(1)

    # Alice's answer shows it was an AI draft a person approved.
    ai_items.first.click()
    approved = page.locator("[data-testid=transcript] [data-testid=message][data-author-kind=ai]").first
    expect(approved.locator("[data-testid=provenance]")).to_have_text("AI draft approved by a person")
    screenshot(page, "console-approvals")
    assert console_errors.errors == []
