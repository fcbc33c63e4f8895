"""The customer's side of "every level real", in real Chromium: searching at self-service, levels a site's rule
puts out of reach, and leaving an email when no one is there."""

import json
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from cxhub.assistant.calibration import knowledge_base_calibrate
from cxhub.conversations.models import Conversation, ConversationEvent, Customer, Message, Site
from routing.models import AgentPresence
from tests import factories

pytestmark = pytest.mark.browser

XSS = '<img src=x onerror="document.body.dataset.pwned=1">'
DISPUTE_REASON = "For disputes, a person handles this conversation."


@pytest.fixture
def shop(live_server_stack):
    """The demo shop with its calibrated knowledge base. Built before the browser starts: Playwright's event loop
    forbids sync ORM calls in the test body."""
    url = live_server_stack["url"]
    site = Site.objects.create(name="Maison Lumière", key="demo-browser", allowed_origins=[url])
    knowledge_base = factories.demo_knowledge_base_create()
    # Calibrated here rather than waiting for the worker, so the first search already uses real confidences.
    knowledge_base_calibrate(knowledge_base_id=knowledge_base.pk)
    return url, site


def returning_visitor(browser, url: str, site: Site, token: str):
    """A page whose widget already holds this visitor's token, as after an earlier visit."""
    context = browser.new_context(reduced_motion="reduce")
    context.add_init_script(f"localStorage.setItem({json.dumps(f'cxhub:{site.key}:token')}, {json.dumps(token)})")
    page = context.new_page()
    page.goto(url + "/")
    return page


def on_orm(fn, *args):
    with ThreadPoolExecutor(1) as pool:  # the ORM runs outside Playwright's event loop
        return pool.submit(fn, *args).result()


def customer_texts() -> list[str]:
    return list(Message.objects.filter(author_kind="customer").values_list("text", flat=True))


def test_self_service_search_shows_articles_then_one_click_to_the_ai_answers(shop, browser, screenshot, console_errors):
    url, _ = shop
    visitor = browser.new_context(reduced_motion="reduce").new_page()
    console_errors(visitor)
    visitor.goto(url + "/")
    visitor.click("[data-testid=launcher]")
    expect(visitor.locator("[data-testid=connection]")).to_have_attribute("data-state", "open")

    # "Find it myself": the composer becomes a search box and the transcript gives way to articles.
    visitor.select_option("[data-testid=autonomy]", "self_service")
    expect(visitor.locator("[data-testid=status]")).to_contain_text("Find answers yourself")
    expect(visitor.locator("[data-testid=composer]")).to_have_attribute("placeholder", "Search our help articles…")
    expect(visitor.locator("[data-testid=send]")).to_have_text("Search")
    expect(visitor.locator("[data-testid=partner]")).to_have_text("Help articles")

    # Hostile or meaningless words find nothing, shown as text.
    visitor.fill("[data-testid=composer]", XSS)
    visitor.click("[data-testid=send]")
    expect(visitor.locator("[data-testid=kb-summary]")).to_contain_text(XSS)
    expect(visitor.locator("[data-testid=kb-article]")).to_have_count(0)

    visitor.fill("[data-testid=composer]", "How long does shipping take?")
    visitor.press("[data-testid=composer]", "Enter")
    card = visitor.locator("[data-testid=kb-article]").first
    expect(card).to_have_attribute("data-slug", "shipping-times")
    expect(card.locator("[data-testid=kb-title]")).to_have_text("How long does delivery take?")
    expect(card.locator("[data-testid=kb-answer]")).to_contain_text("2–4 business days")
    screenshot(visitor, "self-service-1-search-results")

    # One click up the scale: the search becomes the first question and the AI answers it.
    visitor.click("[data-testid=to-ai]")
    ai_answer = visitor.locator("[data-testid=message][data-author-kind=ai]").first
    expect(ai_answer).to_contain_text("2–4 business days")
    expect(visitor.locator("[data-testid=autonomy]")).to_have_value("ai_only")
    expect(visitor.locator("[data-testid=kb]")).to_be_hidden()
    expect(visitor.locator("[data-testid=send]")).to_have_text("Send")
    screenshot(visitor, "self-service-2-moved-up-to-ai")

    assert visitor.evaluate("document.body.dataset.pwned") is None
    # Searches are not messages: the only thing the customer "said" is the question carried up to the AI.
    assert on_orm(customer_texts) == ["How long does shipping take?"]
    assert console_errors.errors == []


@pytest.fixture
def disputed_conversation(shop):
    """A visitor whose conversation a site's rule keeps with a person (set before the page loads)."""
    url, site = shop
    _, conversation, token = factories.visitor_create(site=site, origin=url)
    Conversation.objects.filter(pk=conversation.pk).update(
        autonomy_level="human_with_ai",
        owner="queue",
        queued_at=timezone.now(),
        autonomy_min="human_with_ai",
        autonomy_cap_reason=DISPUTE_REASON,
    )
    return url, site, token


def test_levels_a_rule_rules_out_are_shown_unavailable_with_the_reason(
    disputed_conversation, browser, screenshot, console_errors
):
    url, site, token = disputed_conversation
    visitor = returning_visitor(browser, url, site, token)
    console_errors(visitor)
    visitor.click("[data-testid=launcher]")

    expect(visitor.locator("[data-testid=autonomy]")).to_have_value("human_with_ai")
    for level in ("self_service", "ai_only", "ai_with_approval"):
        option = visitor.locator(f"[data-testid=autonomy] option[value={level}]")
        expect(option).to_be_disabled()
        expect(option).to_contain_text("(unavailable)")
    for level in ("human_with_ai", "human_only"):
        expect(visitor.locator(f"[data-testid=autonomy] option[value={level}]")).to_be_enabled()
    expect(visitor.locator("[data-testid=cap-reason]")).to_have_text(DISPUTE_REASON)
    expect(visitor.locator("[data-testid=talk-to-person]")).to_be_enabled()
    expect(visitor.locator("[data-testid=replies-reviewed]")).to_be_hidden()
    screenshot(visitor, "caps-1-lower-levels-unavailable")

    visitor.click("[data-chat-locale=fr]")
    expect(visitor.locator("[data-testid=autonomy] option[value=ai_only]")).to_have_text(
        "Discuter avec l’IA (indisponible)"
    )
    assert console_errors.errors == []


@pytest.fixture
def reviewed_conversation(shop):
    url, site = shop
    _, conversation, token = factories.visitor_create(site=site, origin=url)
    Conversation.objects.filter(pk=conversation.pk).update(
        autonomy_level="ai_with_approval", autonomy_max="ai_with_approval", autonomy_cap_reason="Set by this shop."
    )
    return url, site, token


def test_reviewed_replies_are_announced_and_a_maximum_caps_the_higher_levels(
    reviewed_conversation, browser, screenshot, console_errors
):
    url, site, token = reviewed_conversation
    visitor = returning_visitor(browser, url, site, token)
    console_errors(visitor)
    visitor.click("[data-testid=launcher]")

    note = visitor.locator("[data-testid=replies-reviewed]")
    expect(note).to_have_text("A person reviews the assistant’s replies before you see them.")
    expect(visitor.locator("[data-testid=autonomy] option[value=human_only]")).to_be_disabled()
    expect(visitor.locator("[data-testid=autonomy] option[value=ai_only]")).to_be_enabled()
    expect(visitor.locator("[data-testid=cap-reason]")).to_have_text("Set by this shop.")
    expect(visitor.locator("[data-testid=talk-to-person]")).to_be_disabled()
    expect(visitor.locator("[data-testid=status]")).not_to_contain_text("a person is one click away")
    screenshot(visitor, "caps-2-replies-reviewed")

    visitor.click("[data-chat-locale=fr]")
    expect(note).to_have_text("Une personne relit les réponses de l’assistant avant que vous ne les voyiez.")
    assert console_errors.errors == []


@pytest.fixture
def nobody_online(shop):
    """Presence is tracked and the only agent is offline."""
    url, site = shop
    AgentPresence.objects.create(agent=factories.agent_create(), status=AgentPresence.Status.OFFLINE)
    return url, site


def saved_contact() -> tuple[list[str], int]:
    emails = list(Customer.objects.exclude(email="").values_list("email", flat=True))
    return emails, ConversationEvent.objects.filter(kind=ConversationEvent.Kind.CONTACT_LEFT).count()


def test_with_nobody_available_the_visitor_leaves_an_email_and_is_told_who_will_reply(
    nobody_online, browser, screenshot, console_errors
):
    url, _ = nobody_online
    visitor = browser.new_context(reduced_motion="reduce").new_page()
    console_errors(visitor)
    visitor.goto(url + "/")
    visitor.click("[data-testid=launcher]")
    expect(visitor.locator("[data-testid=connection]")).to_have_attribute("data-state", "open")
    expect(visitor.locator("[data-testid=contact-form]")).to_be_hidden()

    visitor.click("[data-testid=talk-to-person]")
    form = visitor.locator("[data-testid=contact-form]")
    expect(form).to_contain_text("No one is available right now. Leave your email and a person will reply by email.")
    expect(visitor.locator("[data-testid=wait]")).to_have_text("")
    screenshot(visitor, "contact-0-nobody-available")

    # The server has the last word on what an address is.
    visitor.fill("[data-testid=contact-email]", "ana@example")
    visitor.click("[data-testid=contact-send]")
    expect(visitor.locator("[data-testid=contact-error]")).to_have_text("Please enter a valid email address.")

    visitor.fill("[data-testid=contact-email]", "ana@example.org")
    visitor.click("[data-testid=contact-send]")
    expect(visitor.locator("[data-testid=contact-saved]")).to_have_text(
        "Thank you. A person will reply to ana@example.org."
    )
    expect(form).to_be_hidden()
    expect(visitor.locator("[data-testid=messages]")).to_contain_text("A person will reply to ana@example.org.")
    screenshot(visitor, "contact-1-email-left")

    # After a reload the confirmation stays, and the form does not come back.
    visitor.reload()
    visitor.click("[data-testid=launcher]")
    expect(visitor.locator("[data-testid=contact-saved]")).to_be_visible()
    expect(form).to_be_hidden()

    assert on_orm(saved_contact) == (["ana@example.org"], 1)
    assert console_errors.errors == []


@pytest.fixture
def agent_online_but_busy(shop):
    """Someone who could answer is online, with no room right now: the wait is estimated, not promised away."""
    url, site = shop
    AgentPresence.objects.create(agent=factories.agent_create(), status=AgentPresence.Status.ONLINE, capacity=0)
    return url, site


def test_a_waiting_visitor_is_told_about_how_long(agent_online_but_busy, browser, console_errors):
    url, _ = agent_online_but_busy
    visitor = browser.new_context(reduced_motion="reduce").new_page()
    console_errors(visitor)
    visitor.goto(url + "/")
    visitor.click("[data-testid=launcher]")
    expect(visitor.locator("[data-testid=connection]")).to_have_attribute("data-state", "open")

    visitor.click("[data-testid=talk-to-person]")

    expect(visitor.locator("[data-testid=status]")).to_contain_text("number 1 in the queue")
    expect(visitor.locator("[data-testid=wait]")).to_have_text(" About 5 minutes.")
    expect(visitor.locator("[data-testid=contact-form]")).to_be_hidden()
    visitor.click("[data-chat-locale=fr]")
    expect(visitor.locator("[data-testid=wait]")).to_have_text(" Environ 5 minutes.")
    assert console_errors.errors == []
