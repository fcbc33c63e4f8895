"""The widget on a phone and with reduced motion, read receipts both ways, and the agent's avatar, in real
Chromium against the running stack (daphne + worker), with the staff console in a second browser context."""

import pytest
from playwright.sync_api import expect

from cxhub.conversations.models import Site
from tests import factories
from tests.browser.test_widget_embed import SITE_KEY, HostSite, host_page, shadow

pytestmark = pytest.mark.browser

PHONE = {"viewport": {"width": 375, "height": 667}, "has_touch": True, "is_mobile": True}


@pytest.fixture
def shop(live_server_stack):
    host = HostSite()
    api = live_server_stack["url"]
    Site.objects.create(name="Another shop", key=SITE_KEY, allowed_origins=[host.origin, api])
    factories.knowledge_base_create()
    factories.agent_create()  # marie / pw-marie, Marie Dupont
    phone = host_page(api, head='<meta name="viewport" content="width=device-width, initial-scale=1">')
    yield {"api": api, "url": host.add("/shop", host_page(api)), "phone": host.add("/phone", phone)}
    host.close()


def box(page, selector: str) -> dict:
    return shadow(
        page,
        f"(() => {{ const b = r.querySelector('{selector}').getBoundingClientRect();"
        " return {x: b.x, y: b.y, width: b.width, height: b.height}; })()",
    )


def test_phone_panel_fills_the_viewport_composer_works_and_launcher_stays_reachable(
    shop, browser, screenshot, console_errors
):
    page = browser.new_context(**PHONE).new_page()
    console_errors(page)
    page.goto(shop["phone"])
    page.tap("[data-testid=launcher]")
    expect(page.locator("[data-testid=connection]")).to_have_attribute("data-state", "open")

    assert box(page, ".panel") == {"x": 0, "y": 0, "width": 375, "height": 667}
    composer = box(page, "[data-testid=composer]")
    send = box(page, "[data-testid=send]")
    assert composer["y"] + composer["height"] <= 667 and send["x"] + send["width"] <= 375
    page.tap("[data-testid=composer]")
    page.fill("[data-testid=composer]", "Do you ship to Lyon?")
    page.tap("[data-testid=send]")
    mine = page.locator("[data-testid=message][data-author-kind=customer]").first
    expect(mine).to_contain_text("Do you ship to Lyon?")
    expect(mine).not_to_have_attribute("data-seq", "")

    # The launcher (now the close button) is on top of the full-screen panel, inside the viewport.
    launcher = box(page, "[data-testid=launcher]")
    assert 0 <= launcher["x"] and launcher["x"] + launcher["width"] <= 375 and 0 <= launcher["y"] < 80
    on_top = shadow(
        page,
        f"r.elementFromPoint({launcher['x'] + launcher['width'] / 2}, {launcher['y'] + launcher['height'] / 2})"
        ".closest('[data-testid=launcher]') !== null",
    )
    assert on_top
    screenshot(page, "mobile-1-panel-full-screen")
    page.tap("[data-testid=launcher]")
    expect(page.locator("[data-testid=panel]")).to_be_hidden()
    assert box(page, "[data-testid=launcher]")["y"] > 500  # back in the bottom corner
    assert console_errors.errors == []


def motion(page) -> dict:
    return shadow(
        page,
        "(() => { const p = getComputedStyle(r.querySelector('.panel')),"
        " l = getComputedStyle(r.querySelector('.launcher'));"
        " return {panel: p.animationDuration, panelName: p.animationName, launcher: l.transitionDuration}; })()",
    )


def test_reduced_motion_turns_off_animations_and_transitions(shop, browser):
    normal = browser.new_context().new_page()
    normal.goto(shop["url"])
    normal.click("[data-testid=launcher]")
    assert motion(normal)["launcher"] != "0s"  # the widget does animate otherwise

    page = browser.new_context(reduced_motion="reduce").new_page()
    page.goto(shop["url"])
    page.click("[data-testid=launcher]")
    expect(page.locator("[data-testid=panel]")).to_be_visible()
    assert motion(page) == {"panel": "0s", "panelName": "none", "launcher": "0s"}


def test_agent_joins_with_avatar_reads_and_both_sides_see_read(shop, browser, screenshot, console_errors):
    visitor = browser.new_context().new_page()
    agent = browser.new_context().new_page()
    console_errors(visitor)
    console_errors(agent)

    visitor.goto(shop["url"])
    visitor.click("[data-testid=launcher]")
    expect(visitor.locator("[data-testid=connection]")).to_have_attribute("data-state", "open")
    visitor.click("[data-testid=talk-to-person]")
    expect(visitor.locator("[data-testid=status]")).to_contain_text("Connecting you with a person")
    visitor.fill("[data-testid=composer]", "My lamp arrived broken.")
    visitor.click("[data-testid=send]")
    mine = visitor.locator("[data-testid=message][data-author-kind=customer]").last
    expect(mine).not_to_have_attribute("data-seq", "")
    expect(visitor.locator("[data-testid=read-receipt]")).to_have_count(0)
    expect(visitor.locator("[data-testid=agent-avatar]")).to_be_hidden()

    agent.goto(shop["api"] + "/staff/login/?next=/staff/")
    agent.fill("#id_username", "marie")
    agent.fill("#id_password", "pw-marie")
    agent.click("button[type=submit]")
    agent.locator("[data-testid=inbox-queue] [data-testid=inbox-item]").first.click()
    expect(agent.locator("[data-testid=transcript]")).to_contain_text("My lamp arrived broken.")
    agent.click("[data-testid=take-over]")

    # The agent's initials in the header, hidden from screen readers; the name is in the text.
    avatar = visitor.locator("[data-testid=agent-avatar]")
    expect(avatar).to_have_text("MD")
    expect(avatar).to_have_attribute("aria-hidden", "true")
    expect(visitor.locator("[data-testid=partner]")).to_have_text("Marie Dupont")
    # Holding the conversation open in the console reads it: "Read" under the customer's last message.
    receipt = mine.locator("[data-testid=read-receipt]")
    expect(receipt).to_have_text("Read")

    agent.fill("[data-testid=reply]", "Sorry to hear that, I'll send a new one.")
    agent.click("[data-testid=reply-send]")
    human = visitor.locator("[data-testid=message][data-author-kind=human]").first
    expect(human).to_contain_text("I'll send a new one.")
    expect(human.locator("[data-testid=avatar]")).to_have_text("MD")
    expect(human.locator("[data-testid=avatar]")).to_have_attribute("aria-hidden", "true")
    # The visitor has the panel open: the console says the customer read the reply.
    expect(agent.locator("[data-testid=transcript] [data-testid=read-receipt]")).to_have_text("Read by the customer")

    # A new customer message is not read yet, until the agent (who has it open) sees it.
    visitor.fill("[data-testid=composer]", "Thank you!")
    visitor.click("[data-testid=send]")
    last = visitor.locator("[data-testid=message][data-author-kind=customer]").last
    expect(last).to_contain_text("Thank you!")
    expect(last.locator("[data-testid=read-receipt]")).to_have_text("Read")
    expect(visitor.locator("[data-testid=read-receipt]")).to_have_count(1)

    # In French.
    visitor.evaluate("window.Cxhub.setLocale('fr')")
    expect(last.locator("[data-testid=read-receipt]")).to_have_text("Lu")
    screenshot(visitor, "read-1-visitor-sees-read")
    screenshot(agent, "read-2-console-read-by-customer")
    assert console_errors.errors == []
