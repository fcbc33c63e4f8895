"""The whole loop in real Chromium: a visitor on the demo page and an agent in the console."""

from concurrent.futures import ThreadPoolExecutor

import pytest
from playwright.sync_api import expect

from cxhub.conversations.models import Message, Site
from tests import factories

pytestmark = pytest.mark.browser

XSS = '<img src=x onerror="document.body.dataset.pwned=1">'


@pytest.fixture
def demo_shop(live_server_stack):
    """Created before the browser starts: Playwright's event loop forbids sync ORM calls in the test body."""
    url = live_server_stack["url"]
    Site.objects.create(name="Maison Lumière", key="demo-browser", allowed_origins=[url])
    factories.knowledge_base_create()
    factories.agent_create()  # marie / pw-marie, Marie Dupont
    return url


def customer_texts() -> list[str]:
    return list(Message.objects.filter(author_kind="customer").values_list("text", flat=True))


def test_visitor_chats_with_ai_asks_for_a_person_agent_takes_over_and_hands_back(
    demo_shop, browser, screenshot, console_errors
):
    url = demo_shop

    visitor = browser.new_context().new_page()
    agent = browser.new_context().new_page()
    console_errors(visitor)
    console_errors(agent)
    visitor.on("dialog", lambda dialog: dialog.accept())
    agent.on("dialog", lambda dialog: dialog.accept("Answered the returns question."))

    # The visitor opens the widget on the demo page: the AI disclosure comes first.
    visitor.goto(url + "/")
    visitor.click("[data-testid=launcher]")
    disclosure = visitor.locator("[data-testid=message][data-author-kind=system]").first
    expect(disclosure).to_contain_text("AI assistant")

    visitor.fill("[data-testid=composer]", "How long does shipping take?")
    visitor.click("[data-testid=send]")
    ai_answer = visitor.locator("[data-testid=message][data-author-kind=ai]").first
    expect(ai_answer).to_contain_text("Delivery takes 2–4 business days.")
    expect(ai_answer.locator("[data-testid=author]")).to_contain_text("AI")
    screenshot(visitor, "loop-1-visitor-ai-answer")

    # The agent is in the console before the visitor asks for a person: the handoff appears live.
    agent.goto(url + "/staff/login/?next=/staff/")
    agent.fill("#id_username", "marie")
    agent.fill("#id_password", "pw-marie")
    agent.click("button[type=submit]")
    expect(agent.locator("[data-testid=connection]")).to_have_attribute("data-state", "open")

    visitor.click("[data-testid=talk-to-person]")
    expect(visitor.locator("[data-testid=status]")).to_contain_text("Connecting you with a person")
    queued = agent.locator("[data-testid=inbox-queue] [data-testid=inbox-item]")
    expect(queued).to_have_count(1)
    queued.first.click()
    expect(agent.locator("[data-testid=handoff-reason]")).to_contain_text("Talk to a person")
    expect(agent.locator("[data-testid=transcript]")).to_contain_text("How long does shipping take?")
    screenshot(agent, "loop-2-agent-handoff-card")

    # Take over and reply: the visitor sees who joined and a message from a person.
    agent.click("[data-testid=take-over]")
    expect(visitor.locator("[data-testid=messages]")).to_contain_text("Marie Dupont joined the conversation.")
    agent.fill("[data-testid=reply]", "Hello, Marie here. How can I help?")
    agent.click("[data-testid=reply-send]")
    human = visitor.locator("[data-testid=message][data-author-kind=human]").first
    expect(human).to_contain_text("Hello, Marie here.")
    expect(human.locator("[data-testid=author]")).to_contain_text("Marie")

    # Hostile text shows as text on both sides.
    visitor.fill("[data-testid=composer]", XSS)
    visitor.click("[data-testid=send]")
    expect(agent.locator("[data-testid=transcript]")).to_contain_text(XSS)
    expect(visitor.locator("[data-testid=messages]")).to_contain_text(XSS)
    assert visitor.evaluate("document.body.dataset.pwned") is None
    assert agent.evaluate("document.body.dataset.pwned") is None
    screenshot(visitor, "loop-3-visitor-with-agent")

    # Hand back: the AI answers again.
    agent.click("[data-testid=hand-back]")
    expect(visitor.locator("[data-testid=messages]")).to_contain_text("handed the conversation back to the AI")
    visitor.fill("[data-testid=composer]", "Is return shipping free?")
    visitor.click("[data-testid=send]")
    expect(visitor.locator("[data-testid=message][data-author-kind=ai]")).to_have_count(2)
    expect(visitor.locator("[data-testid=message][data-author-kind=ai]").last).to_contain_text("30 days")
    screenshot(visitor, "loop-4-visitor-back-with-ai")

    with ThreadPoolExecutor(1) as pool:  # the ORM runs outside Playwright's event loop
        stored = pool.submit(customer_texts).result()
    assert stored == ["How long does shipping take?", XSS, "Is return shipping free?"]
    assert console_errors.errors == []
