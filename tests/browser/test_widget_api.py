"""The widget's page API in real Chromium: the host page opens it, switches it to French and hears its messages;
the site's pre-chat form comes first; ending the conversation asks for a rating, which is saved."""

from concurrent.futures import ThreadPoolExecutor

import pytest
from playwright.sync_api import expect

from cxhub.conversations.models import ConversationEvent, Customer, SatisfactionRating, Site
from tests.conftest import wait_until

pytestmark = pytest.mark.browser


@pytest.fixture
def shop(live_server_stack):
    url = live_server_stack["url"]
    site = Site.objects.create(
        name="Maison Lumière", key="demo-api", allowed_origins=[url], prechat_fields=["name", "topic"]
    )
    return url, site


def on_orm(fn, *args):
    with ThreadPoolExecutor(1) as pool:  # the ORM runs outside Playwright's event loop
        return pool.submit(fn, *args).result()


def test_host_page_drives_the_widget_prechat_first_and_a_rating_at_the_end(shop, browser, screenshot, console_errors):
    url, _ = shop
    page = browser.new_context(reduced_motion="reduce").new_page()
    console_errors(page)
    page.goto(url + "/")
    page.wait_for_function("() => window.Cxhub && window.Cxhub._loaded")

    page.evaluate(
        """() => {
        window.__events = [];
        ['open', 'close', 'message', 'ready', 'handoff'].forEach(name =>
          Cxhub.on(name, data => window.__events.push({name, data})));
        Cxhub.setLocale('fr');
        Cxhub.open();
      }"""
    )

    # The pre-chat form comes before the composer, in French.
    expect(page.locator("[data-testid=panel]")).to_be_visible()
    expect(page.locator("[data-testid=prechat]")).to_be_visible()
    expect(page.locator("[data-testid=prechat]")).to_contain_text("Avant de commencer")
    expect(page.locator("[data-testid=prechat-email]")).to_be_hidden()
    expect(page.locator("[data-testid=composer]")).to_be_hidden()
    page.click("[data-testid=prechat-send]")
    expect(page.locator("[data-testid=prechat-error]")).to_have_text("Veuillez saisir votre nom.")
    page.fill("[data-testid=prechat-name]", "Ada")
    page.fill("[data-testid=prechat-topic]", "Ma commande")
    page.click("[data-testid=prechat-send]")
    expect(page.locator("[data-testid=prechat]")).to_be_hidden()
    expect(page.locator("[data-testid=composer]")).to_be_visible()

    # The host page heard the widget open, become ready and receive the disclosure.
    page.wait_for_function("() => window.__events.some(e => e.name === 'message' && e.data.author_kind === 'system')")
    events = page.evaluate("window.__events.map(e => e.name)")
    assert {"open", "ready", "message"} <= set(events)
    message = page.evaluate("window.__events.find(e => e.name === 'message').data")
    assert message["provenance"] == "system" and "assistant IA" in message["text"]
    screenshot(page, "widget-api-1-after-prechat")

    # The customer ends the conversation: the rating form replaces the composer's place.
    page.click("[data-testid=end-conversation]")
    expect(page.locator("[data-testid=csat]")).to_contain_text("Comment s’est passée cette conversation ?")
    page.click("[data-testid=csat-score][data-score='4']")
    page.fill("[data-testid=csat-comment]", "Rapide et clair")
    page.click("[data-testid=csat-send]")
    expect(page.locator("[data-testid=csat-thanks]")).to_have_text("Merci pour votre avis !")
    screenshot(page, "widget-api-2-rated")

    rating = on_orm(lambda: wait_until(lambda: SatisfactionRating.objects.first()))
    assert (rating.score, rating.comment, rating.handled_by) == (4, "Rapide et clair", "ai")
    customer = on_orm(lambda: Customer.objects.get(pk=rating.conversation.customer_id))
    assert customer.display_name == "Ada" and customer.locale == "fr"
    topic = on_orm(lambda: ConversationEvent.objects.get(kind="prechat_submitted").data["topic"])
    assert topic == "Ma commande"

    page.evaluate("Cxhub.close()")
    assert page.evaluate("window.__events.some(e => e.name === 'close')")
    assert console_errors.errors == []
