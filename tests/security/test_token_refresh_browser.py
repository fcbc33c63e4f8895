"""In real Chromium, on the demo page under our CSP: the widget renews its token before it expires."""

import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from playwright.sync_api import expect

from cxhub.conversations.models import Conversation, Customer, Site
from tests.browser.conftest import browser, console_errors  # noqa: F401  (fixtures)
from tests.faults.conftest import processes  # noqa: F401  (fixture)

pytestmark = pytest.mark.browser


def in_thread(query):
    """Playwright's sync API runs an event loop in this thread, where Django refuses database calls."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(query).result()


@pytest.fixture
def shop(processes):  # noqa: F811
    processes("worker", VISITOR_TOKEN_MAX_AGE_SECONDS="6")
    daphne = processes("daphne", VISITOR_TOKEN_MAX_AGE_SECONDS="6")
    url = f"http://127.0.0.1:{daphne.port}"
    Site.objects.create(name="Maison Lumière", key="demo-refresh", allowed_origins=[url])
    return url


def test_the_widget_renews_its_token_before_it_expires_and_keeps_its_conversation(
    shop,
    browser,  # noqa: F811
    console_errors,  # noqa: F811
):
    url = shop
    page = browser.new_page()
    console_errors(page)
    stored_token = "() => localStorage.getItem('cxhub:demo-refresh:token')"

    page.goto(url + "/")
    page.wait_for_function("!!window.Cxhub")
    page.evaluate("Cxhub.open()")
    expect(page.locator("[data-testid=connection]")).to_have_attribute("data-state", "open")
    first = page.evaluate(stored_token)
    started = time.monotonic()
    # Renewed at 80% of its life, over the open socket.
    page.wait_for_function(
        "(first) => localStorage.getItem('cxhub:demo-refresh:token') !== first", arg=first, timeout=10000
    )
    renewed = page.evaluate(stored_token)
    time.sleep(max(0.0, 6.5 - (time.monotonic() - started)))  # the first token has now expired

    page.reload()  # the page starts again with the renewed token: same visitor, same conversation
    page.wait_for_function("!!window.Cxhub")
    page.evaluate("Cxhub.open()")
    expect(page.locator("[data-testid=connection]")).to_have_attribute("data-state", "open")

    assert renewed and renewed != first
    assert in_thread(lambda: (Customer.objects.count(), Conversation.objects.count())) == (1, 1)
    assert console_errors.errors == []  # no CSP violation on the demo page either
