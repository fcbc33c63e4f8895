"""The widget embedded on someone else's website, in real Chromium: cross-origin, under a strict CSP, under
hostile CSS, by keyboard only, against XSS, across a server restart; plus an axe audit and its size and speed."""

import gzip
import json
import os
import signal
import threading
import time
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from playwright.sync_api import expect

from cxhub import stack
from cxhub.conversations.models import Conversation, Message, Site
from routing.services import agent_message_send, handoff_accept
from tests import factories
from tests.conftest import ARTIFACTS, process_env

pytestmark = pytest.mark.browser

WIDGET_JS = Path(__file__).resolve().parents[2] / "widget" / "static" / "widget" / "widget.js"  # the loader
WIDGET_APP_JS = WIDGET_JS.with_name("widget-app.js")  # what the loader adds lazily
SITE_KEY = "embed-browser"
MESSAGE = "[data-testid=message]"
AI_MESSAGE = "[data-testid=message][data-author-kind=ai]"
SHIPPING_ANSWER = "Delivery takes 2–4 business days."


def orm(fn, *args, **kwargs):
    """The ORM runs outside Playwright's event loop."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(fn, *args, **kwargs).result()


class HostSite:
    """Somebody's website on another origin: a tiny HTTP server whose pages embed the widget."""

    def __init__(self):
        self.pages: dict[str, tuple[str, dict]] = {}
        pages = self.pages

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                if self.path == "/favicon.ico":
                    self.send_response(204)
                    self.end_headers()
                    return
                html, headers = pages.get(self.path.split("?")[0], ("not found", {}))
                body = html.encode()
                self.send_response(200 if self.path.split("?")[0] in pages else 404)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                for name, value in headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.origin = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def add(self, path: str, html: str, headers: dict | None = None) -> str:
        self.pages[path] = (html, headers or {})
        return self.origin + path

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def host_page(api: str, *, head: str = "", body: str = "") -> str:
    """A minimal shop page with the one-line embed and nothing else from cxhub."""
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Another shop</title>{head}</head>
<body><header><a href="#main">Home</a></header><main id="main"><h1>Another shop</h1>
<p>Lamps and more.</p><button type="button">Add to cart</button>{body}</main>
<script src="{api}/static/widget/widget.js" data-site-key="{SITE_KEY}" async></script>
</body></html>"""


@pytest.fixture
def embed(live_server_stack):
    """The API (daphne + worker) on one origin and a host website on another, allowed by the site."""
    host = HostSite()
    api = live_server_stack["url"]
    assert host.origin != api
    Site.objects.create(name="Another shop", key=SITE_KEY, allowed_origins=[host.origin, api])
    factories.knowledge_base_create()
    factories.agent_create()
    yield {"api": api, "host": host, "stack": live_server_stack}
    host.close()


def shadow(page, js: str):
    """Evaluate `js` with `r` bound to the widget's shadow root."""
    return page.evaluate(f"() => {{ const r = document.querySelector('cxhub-widget').shadowRoot; return {js}; }}")


def focused(page) -> str | None:
    """data-testid (or tag) of the element focused inside the widget, None when focus is outside it."""
    return page.evaluate(
        """() => { const h = document.querySelector('cxhub-widget');
        if (document.activeElement !== h) return null; const a = h.shadowRoot.activeElement;
        return a ? (a.getAttribute('data-testid') || a.tagName.toLowerCase()) : null; }"""
    )


def ask_and_get_answer(page, question: str, answer: str, index: int = 0):
    page.fill("[data-testid=composer]", question)
    page.click("[data-testid=send]")
    reply = page.locator(AI_MESSAGE).nth(index)
    expect(reply).to_contain_text(answer, timeout=30_000)
    return reply


# ---------------------------------------------------------------- 1. cross-origin embed


def test_cross_origin_embed_discloses_ai_then_answers_with_source(embed, browser, screenshot, console_errors):
    api, host = embed["api"], embed["host"]
    url = host.add("/shop", host_page(api))
    page = browser.new_page()
    console_errors(page)
    page.goto(url)
    assert page.evaluate("location.origin") == host.origin != api

    page.click("[data-testid=launcher]")
    expect(page.locator("[data-testid=connection]")).to_have_attribute("data-state", "open")
    first = page.locator(MESSAGE).first
    expect(first).to_have_attribute("data-author-kind", "system")
    expect(first).to_contain_text("AI assistant")
    expect(page.locator(AI_MESSAGE)).to_have_count(0)  # the disclosure comes before any AI reply
    screenshot(page, "embed-1-cross-origin-disclosure")

    reply = ask_and_get_answer(page, "How long does shipping take?", SHIPPING_ANSWER)
    expect(reply.locator("[data-testid=author]")).to_contain_text("AI")
    expect(reply.locator("[data-testid=source]")).to_contain_text("How long does delivery take?")
    kinds = page.locator(MESSAGE).evaluate_all("ns => ns.map(n => n.dataset.authorKind)")
    assert kinds.index("system") < kinds.index("ai")
    screenshot(page, "embed-1-cross-origin-answer")
    assert console_errors.errors == []


# ---------------------------------------------------------------- 2. strict CSP

CSP_RECORDER = """
window.__csp = [];
document.addEventListener('securitypolicyviolation', e => window.__csp.push(
  {directive: e.violatedDirective, blocked: e.blockedURI, sample: e.sample, source: e.sourceFile}), true);
"""


def test_widget_works_under_a_strict_content_security_policy(embed, browser, screenshot, console_errors):
    api, host = embed["api"], embed["host"]
    api_host = api.split("//", 1)[1]
    csp = f"default-src 'self'; script-src 'self' {api}; connect-src {api} ws://{api_host}; style-src 'self'"
    url = host.add("/strict", host_page(api), {"Content-Security-Policy": csp})
    page = browser.new_page()
    console_errors(page)
    page.add_init_script(CSP_RECORDER)
    page.goto(url)

    page.click("[data-testid=launcher]")
    expect(page.locator("[data-testid=connection]")).to_have_attribute("data-state", "open")
    expect(page.locator(MESSAGE).first).to_contain_text("AI assistant")
    ask_and_get_answer(page, "How long does shipping take?", SHIPPING_ANSWER)
    # Its own stylesheet applied: the launcher is a 60px round fixed button, the panel 400px wide.
    styles = shadow(
        page,
        "(s => ({pos: s.position, w: s.width, radius: s.borderRadius}))"
        "(getComputedStyle(r.querySelector('.launcher')))",
    )
    assert styles == {"pos": "fixed", "w": "60px", "radius": "50%"}
    assert shadow(page, "getComputedStyle(r.querySelector('.panel')).width") == "400px"
    screenshot(page, "embed-2-strict-csp")

    assert page.evaluate("window.__csp") == []
    assert console_errors.errors == []


# ---------------------------------------------------------------- 3. hostile host CSS

HOSTILE_CSS = """<style>
* { all: unset; font-size: 40px !important; color: red !important; display: block; line-height: 3 !important; }
html body * { letter-spacing: 1em !important; padding: 13px !important; margin: 7px !important; }
button, textarea, select, ol, li, div, p, span { background: lime !important; border: 5px dashed blue !important;
  width: 300px !important; height: 90px !important; font-family: "Comic Sans MS", cursive !important; }
cxhub-widget, #cxhub-widget-host { display: none !important; opacity: 0 !important; position: absolute !important; }
:root { --cx-anything: red; }
</style>"""

PROBE = """(() => {
  const pick = (sel, props) => {
    const n = r.querySelector(sel); const s = getComputedStyle(n); const b = n.getBoundingClientRect();
    const o = {box: [b.x, b.y, b.width, b.height].map(Math.round)}; props.forEach(p => o[p] = s[p]); return o; };
  const props = ['fontSize', 'fontFamily', 'color', 'backgroundColor', 'borderTopWidth', 'letterSpacing', 'lineHeight',
                 'paddingTop', 'marginTop', 'display', 'position', 'opacity'];
  return {launcher: pick('[data-testid=launcher]', props), panel: pick('[data-testid=panel]', props),
          composer: pick('[data-testid=composer]', props), talk: pick('[data-testid=talk-to-person]', props),
          send: pick('[data-testid=send]', props), message: pick('[data-testid=message] .bubble', props)};
})()"""


def measure(page) -> dict:
    page.click("[data-testid=launcher]")
    expect(page.locator(MESSAGE).first).to_contain_text("AI assistant")
    page.mouse.move(5, 5)  # no hover effect on the launcher
    page.wait_for_timeout(300)  # the panel's opening animation
    return shadow(page, PROBE)


def test_hostile_host_css_does_not_change_the_widget(embed, browser, screenshot):
    api, host = embed["api"], embed["host"]
    plain_url = host.add("/plain", host_page(api))
    hostile_url = host.add("/hostile", host_page(api, head=HOSTILE_CSS))
    viewport = {"width": 1280, "height": 800}

    plain = browser.new_context(viewport=viewport).new_page()
    plain.goto(plain_url)
    expected = measure(plain)
    screenshot(plain, "embed-3-plain-host")

    hostile = browser.new_context(viewport=viewport).new_page()
    hostile.goto(hostile_url)
    assert hostile.evaluate("getComputedStyle(document.querySelector('h1')).color") == "rgb(255, 0, 0)"
    actual = measure(hostile)
    screenshot(hostile, "embed-3-hostile-host")

    for part, values in expected.items():
        assert actual[part] == values, part
    assert expected["launcher"]["box"][2:] == [60, 60]
    assert expected["panel"]["box"][2] == 400


# ---------------------------------------------------------------- 4. keyboard only


def test_keyboard_only_visitor(embed, browser, screenshot, console_errors):
    api, host = embed["api"], embed["host"]
    page = browser.new_page()
    console_errors(page)
    page.goto(host.add("/keys", host_page(api)))
    page.wait_for_selector("[data-testid=launcher]", state="attached")

    for _ in range(15):
        page.keyboard.press("Tab")
        if focused(page) == "launcher":
            break
    assert focused(page) == "launcher"
    expect(page.locator("[data-testid=launcher]")).to_have_attribute("aria-expanded", "false")

    page.keyboard.press("Enter")
    expect(page.locator("[data-testid=panel]")).to_be_visible()
    assert focused(page) == "composer"
    expect(page.locator("[data-testid=connection]")).to_have_attribute("data-state", "open")

    live = page.locator("[data-testid=messages]")
    assert live.get_attribute("aria-live") in ("polite", "assertive")
    expect(live).to_contain_text("AI assistant")  # the disclosure is announced

    page.keyboard.type("How long does shipping take?")
    page.keyboard.press("Enter")
    expect(page.locator(AI_MESSAGE).first).to_contain_text(SHIPPING_ANSWER, timeout=30_000)
    expect(live).to_contain_text(SHIPPING_ANSWER)  # new messages land in the live region
    assert focused(page) == "composer"
    assert page.locator("[data-testid=composer]").input_value() == ""

    reached = []
    for _ in range(40):
        page.keyboard.press("Tab")
        reached.append(focused(page))
        if focused(page) == "composer" and {"talk-to-person", "autonomy"} <= set(reached):
            break
    assert "talk-to-person" in reached, reached
    assert "autonomy" in reached, reached
    assert focused(page) == "composer", reached
    screenshot(page, "embed-4-keyboard-open")

    page.keyboard.press("Escape")
    expect(page.locator("[data-testid=panel]")).to_be_hidden()
    assert focused(page) == "launcher"
    expect(page.locator("[data-testid=launcher]")).to_have_attribute("aria-expanded", "false")
    assert console_errors.errors == []


# ---------------------------------------------------------------- 5. XSS

PAYLOADS = [
    "<img src=x onerror=window.__pwned=1>",
    "<script>window.__pwned=1</script>",
    '<a href="javascript:window.__pwned=1">click me</a> [link](javascript:window.__pwned=1)',
    "javascript:window.__pwned=1",
]
AGENT_XSS = (
    '<img src=x onerror=window.__pwned=1><script>window.__pwned=1</script><a href="javascript:window.__pwned=1">x</a>'
)


def agent_takes_over_and_replies(text: str) -> None:
    """As the staff console would, but from here: broadcast on the channel-layer prefix daphne listens on."""
    from channels.layers import channel_layers
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.test import override_settings

    layers = {"default": {**settings.CHANNEL_LAYERS["default"]}}
    layers["default"]["CONFIG"] = {**layers["default"]["CONFIG"], "prefix": "cxhub"}
    marie = get_user_model().objects.get(username="marie")
    conversation = Conversation.objects.get(customer__site__key=SITE_KEY)
    with override_settings(CHANNEL_LAYERS=layers):
        channel_layers.backends.clear()
        handoff_accept(conversation_id=conversation.pk, agent=marie)
        agent_message_send(
            conversation_id=conversation.pk, agent=marie, text=text, client_id="agent-" + uuid.uuid4().hex
        )
    channel_layers.backends.clear()


def test_xss_payloads_show_as_text(embed, browser, screenshot, console_errors):
    api, host = embed["api"], embed["host"]
    page = browser.new_page()
    console_errors(page)
    page.goto(host.add("/xss", host_page(api)))
    page.click("[data-testid=launcher]")
    expect(page.locator("[data-testid=connection]")).to_have_attribute("data-state", "open")

    for payload in PAYLOADS:
        page.fill("[data-testid=composer]", payload)
        page.keyboard.press("Enter")
        expect(page.locator(f"{MESSAGE}[data-author-kind=customer]:not(.msg-sending)").last).to_contain_text(payload)
    orm(agent_takes_over_and_replies, AGENT_XSS)
    human = page.locator(f"{MESSAGE}[data-author-kind=human]").first
    expect(human).to_contain_text(AGENT_XSS)
    page.wait_for_timeout(500)  # time for an injected handler to have fired

    texts = page.locator("[data-testid=text]").all_inner_texts()
    for payload in [*PAYLOADS, AGENT_XSS]:
        assert payload in texts
    assert (
        shadow(
            page,
            "r.querySelectorAll('[data-testid=messages] img, [data-testid=messages] script, "
            "[data-testid=messages] a').length",
        )
        == 0
    )
    assert page.evaluate("typeof window.__pwned") == "undefined"
    screenshot(page, "embed-5-xss-as-text")
    assert console_errors.errors == []


# ---------------------------------------------------------------- 6. reconnect after a server restart


def test_reconnects_after_server_restart_without_duplicates_or_gaps(embed, browser, redis_server, screenshot):
    api, host, live = embed["api"], embed["host"], embed["stack"]
    page = browser.new_page()
    page.goto(host.add("/restart", host_page(api)))
    page.click("[data-testid=launcher]")
    connection = page.locator("[data-testid=connection]")
    expect(connection).to_have_attribute("data-state", "open")
    ask_and_get_answer(page, "How long does shipping take?", SHIPPING_ANSWER)

    os.killpg(live["daphne"].pid, signal.SIGKILL)
    live["daphne"].wait()
    expect(connection).not_to_have_attribute("data-state", "open", timeout=10_000)
    second = "Is return shipping free?"
    page.fill("[data-testid=composer]", second)
    page.keyboard.press("Enter")
    expect(page.locator(f"{MESSAGE}.msg-sending")).to_contain_text(second)
    screenshot(page, "embed-6-server-down")
    page.wait_for_timeout(1500)  # the widget retries against a dead server meanwhile

    env = process_env(redis_server["url"], DJANGO_ALLOWED_HOSTS="127.0.0.1,localhost")
    daphne = stack.start_daphne(port=live["port"], env=env)
    try:
        expect(page.locator(AI_MESSAGE)).to_have_count(2, timeout=45_000)
        expect(page.locator(AI_MESSAGE).nth(1)).to_contain_text("30 days")
        expect(page.locator(f"{MESSAGE}.msg-sending")).to_have_count(0)
        page.wait_for_timeout(1000)  # any late duplicate would show by now
        screenshot(page, "embed-6-reconnected")

        shown = page.locator(MESSAGE).evaluate_all(
            "ns => ns.map(n => ({seq: +n.dataset.seq, kind: n.dataset.authorKind, client: n.dataset.clientId || null,"
            " text: n.querySelector('[data-testid=text]').textContent}))"
        )
        seqs = [m["seq"] for m in shown]
        assert seqs == list(range(1, len(seqs) + 1)), shown  # no duplicates, no gaps
        mine = [m for m in shown if m["kind"] == "customer"]
        assert [m["text"] for m in mine] == ["How long does shipping take?", second]

        def stored():
            conversation = Conversation.objects.get(customer__site__key=SITE_KEY)
            rows = list(conversation.messages.order_by("seq").values_list("seq", "author_kind", "client_id", "text"))
            per_client = {m["client"]: Message.objects.filter(client_id=m["client"]).count() for m in mine}
            per_text = {m["text"]: Message.objects.filter(text=m["text"], author_kind="customer").count() for m in mine}
            return rows, per_client, per_text

        rows, per_client, per_text = orm(stored)
        assert all(per_client) and set(per_client.values()) == {1}, per_client
        assert set(per_text.values()) == {1}, per_text
        assert [(seq, kind, text) for seq, kind, _, text in rows] == [(m["seq"], m["kind"], m["text"]) for m in shown]
    finally:
        stack.stop(daphne)


# ---------------------------------------------------------------- 7. accessibility audit (axe-core, bundled)


def test_open_widget_has_no_serious_accessibility_violations(embed, browser, screenshot):
    from axe_playwright_python.sync_playwright import Axe

    api, host = embed["api"], embed["host"]
    page = browser.new_page()
    page.goto(host.add("/a11y", host_page(api)))
    page.click("[data-testid=launcher]")
    ask_and_get_answer(page, "How long does shipping take?", SHIPPING_ANSWER)
    page.wait_for_timeout(300)
    results = Axe().run(page, context={"include": [["#cxhub-widget-host"]]})
    violations = results.response["violations"]
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "widget-axe.json").write_text(json.dumps(violations, indent=2))
    screenshot(page, "embed-7-axe")
    serious = [
        (v["id"], v["impact"], [n["target"] for n in v["nodes"]])
        for v in violations
        if v["impact"] in ("serious", "critical")
    ]
    assert serious == []


# ---------------------------------------------------------------- 8. size and speed

TIMING = """
window.__cx = {};
const NativeWS = window.WebSocket;
window.WebSocket = class extends NativeWS {
  constructor(...args) {
    super(...args);
    this.addEventListener('open', () => { window.__cx.wsOpen ??= performance.now(); });
  }
};
new MutationObserver((_, observer) => {
  const h = document.querySelector('cxhub-widget');
  const b = h && h.shadowRoot && h.shadowRoot.querySelector('[data-testid=launcher]');
  if (!b) return;
  observer.disconnect();
  requestAnimationFrame(() => {
    window.__cx.launcher = performance.now();
    if (window.__cx_autoclick) b.click();
  });
}).observe(document, {childList: true, subtree: true});
"""


def test_measure_transfer_size_and_time_to_interactive(embed, browser):
    api = embed["api"]
    request = urllib.request.Request(api + "/static/widget/widget.js", headers={"Accept-Encoding": "gzip"})
    with urllib.request.urlopen(request) as response:
        wire = response.read()
        encoding = response.headers.get("Content-Encoding") or "identity"
        length = int(response.headers.get("Content-Length") or len(wire))
    raw = WIDGET_JS.read_bytes()
    assert len(gzip.decompress(wire) if encoding == "gzip" else wire) == len(raw)

    page = browser.new_context().new_page()
    page.add_init_script("window.__cx_autoclick = true;" + TIMING)
    page.goto(api + "/")
    page.wait_for_function("() => window.__cx && window.__cx.wsOpen", timeout=20_000)
    first = page.evaluate("window.__cx")
    resource = page.evaluate(
        "(() => { const e = performance.getEntriesByType('resource').find(e => e.name.endsWith('/widget/widget.js'));"
        " return {transfer: e.transferSize, encoded: e.encodedBodySize, decoded: e.decodedBodySize}; })()"
    )
    # A returning visitor: the widget reconnects on load, before any click.
    page.evaluate("window.__cx_autoclick = false")
    started = time.monotonic()
    page.reload()
    page.wait_for_function("() => window.__cx && window.__cx.wsOpen", timeout=20_000)
    returning = page.evaluate("window.__cx")
    assert time.monotonic() - started < 20

    metrics = {
        "widget_js_bytes": len(raw),
        "widget_js_gzip_bytes_offline": len(gzip.compress(raw, 9)),
        "widget_app_js_bytes": len(WIDGET_APP_JS.read_bytes()),
        "widget_app_js_gzip_bytes_offline": len(gzip.compress(WIDGET_APP_JS.read_bytes(), 9)),
        "served_content_encoding": encoding,
        "served_bytes_on_the_wire": length,
        "browser_resource_timing": resource,
        "demo_launcher_clickable_ms": round(first["launcher"]),
        "demo_new_visitor_ws_open_ms": round(first["wsOpen"]),
        "demo_returning_visitor_launcher_ms": round(returning["launcher"]),
        "demo_returning_visitor_ws_open_ms": round(returning["wsOpen"]),
    }
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "widget-metrics.json").write_text(json.dumps(metrics, indent=2) + "\n")
    print("\nwidget metrics:", json.dumps(metrics, indent=2))
    assert metrics["demo_launcher_clickable_ms"] < 5000
    assert metrics["demo_new_visitor_ws_open_ms"] < 10000
