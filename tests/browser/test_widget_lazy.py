"""The host page loads only the small loader; the app (widget-app.js) comes when the browser is idle or when the
page opens the chat, and calls made before that are replayed."""

import gzip
from pathlib import Path

import pytest
from playwright.sync_api import expect

from cxhub.conversations.models import Site

pytestmark = pytest.mark.browser

STATIC = Path(__file__).resolve().parents[2] / "widget" / "static" / "widget"

# Make "idle" never come, so only Cxhub.open() can load the app.
NO_IDLE = "window.requestIdleCallback = () => 0;"


@pytest.fixture
def shop(live_server_stack):
    url = live_server_stack["url"]
    Site.objects.create(name="Maison Lumière", key="demo-lazy", allowed_origins=[url])
    return url


def test_loader_is_small_and_loads_the_app_on_open_with_queued_calls(shop, browser, console_errors):
    loader = (STATIC / "widget.js").read_bytes()
    assert len(gzip.compress(loader, 9)) < 4096
    assert (STATIC / "widget-app.js").exists()

    url = shop
    page = browser.new_context().new_page()
    console_errors(page)
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    page.add_init_script(NO_IDLE)
    page.goto(url + "/")
    page.wait_for_load_state("load")
    page.wait_for_timeout(800)

    assert any(u.split("?")[0].endswith("/static/widget/widget.js") for u in requests)
    assert not any("widget-app.js" in u for u in requests), requests
    assert page.evaluate("!!(window.Cxhub && window.Cxhub.q && !window.Cxhub._loaded)")
    assert page.evaluate("window.Cxhub === window.CxHub")
    assert page.locator("cxhub-widget").count() == 0

    page.evaluate(
        """() => {
        window.__events = [];
        Cxhub.on('open', () => window.__events.push('open'));
        Cxhub.setLocale('fr');
        Cxhub.open();
      }"""
    )
    page.wait_for_function("() => window.Cxhub._loaded === true")
    assert any("/static/widget/widget-app.js" in u for u in requests)
    expect(page.locator("[data-testid=panel]")).to_be_visible()
    expect(page.locator("[data-testid=panel] h2")).to_have_text("Service client")  # the queued setLocale('fr')
    expect(page.locator("[data-testid=connection]")).to_have_attribute("data-state", "open")
    assert page.evaluate("window.__events") == ["open"]
    # The app found its own script: same site key, same origin as the loader.
    assert page.evaluate(
        "[...document.querySelectorAll('script[src*=\"widget-app.js\"]')].map(s => s.dataset.siteKey)"
    ) == [page.evaluate("document.querySelector('script[src$=\"widget.js\"]').dataset.siteKey")]
    assert console_errors.errors == []
