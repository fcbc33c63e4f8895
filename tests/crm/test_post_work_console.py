"""The console's post-work panel in real Chromium: the steps after a hand-back, an edited summary and an approval,
rendered as text whatever the customer wrote."""

from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import transaction
from playwright.sync_api import expect

from cxhub.conversations.models import Site
from cxhub.conversations.services import conversation_lock, message_record
from cxhub.crm.models import Activity, PostWork, PostWorkStep
from routing.services import handoff_accept, handoff_request, handoff_return
from tests import factories
from tests.conftest import wait_until

pytestmark = pytest.mark.browser

XSS = '<img src=x onerror="document.body.dataset.pwned=1">'


def on_orm(fn, *args):
    with ThreadPoolExecutor(1) as pool:  # the ORM runs outside Playwright's event loop
        return pool.submit(fn, *args).result()


@pytest.fixture
def handed_back(live_server_stack):
    """Handed back to the AI by Marie, and the work after it prepared by the stack's worker, before the browser
    starts."""
    url = live_server_stack["url"]
    site = Site.objects.create(
        name="Maison Lumière",
        key="post-work-browser",
        allowed_origins=[url],
        post_conversation_email="never",
        post_conversation_approval=True,
    )
    marie = factories.agent_create()
    _, conversation, _ = factories.visitor_create(site=site, origin=url)
    with transaction.atomic():
        locked = conversation_lock(conversation.pk)
        message_record(conversation=locked, author_kind="customer", provenance="customer", text=f"Lamp? {XSS}")
    handoff_request(conversation_id=conversation.pk, reason="customer asked for a person")
    handoff_accept(conversation_id=conversation.pk, agent=marie)
    handoff_return(conversation_id=conversation.pk, agent=marie, note="Lamp found.")
    wait_until(lambda: PostWork.objects.filter(conversation=conversation, prepared_at__isnull=False).exists(), 30)
    return url, conversation


def test_an_agent_edits_the_summary_and_approves_the_crm_update_from_the_card(handed_back, browser, console_errors):
    url, conversation = handed_back
    page = browser.new_context(viewport={"width": 1440, "height": 1000}).new_page()
    console_errors(page)
    page.goto(url + "/staff/login/?next=/staff/")
    page.fill("#id_username", "marie")
    page.fill("#id_password", "pw-marie")
    page.click("button[type=submit]")
    expect(page.locator("[data-testid=connection]")).to_have_attribute("data-state", "open")

    # Opening the conversation (with the AI again) shows the work after the hand-back in the card.
    page.locator("[data-testid=inbox-ai] [data-testid=inbox-item]").first.click()

    panel = page.locator("#post-work")
    expect(panel).to_be_visible()
    expect(panel.locator("h3").first).to_have_text("After the conversation")
    steps = panel.locator("[data-testid=post-work-step]")
    expect(steps).to_have_count(4)
    summary = panel.locator("[data-step=summary]")
    expect(summary).to_have_attribute("data-status", "awaiting_approval")
    expect(summary.locator(".post-work__status")).to_have_text("Awaiting your approval")
    expect(panel.locator("[data-step=confirmation_email] .post-work__status")).to_have_text("Not needed")
    editor = summary.locator("textarea")
    assert XSS in editor.input_value()  # the customer's words, as text

    editor.fill("Asked about a lamp; nothing else needed.")
    expect(summary.get_by_role("button")).to_have_text("Approve with my text")
    summary.get_by_role("button").click()
    expect(panel.locator("[data-step=summary]")).to_have_attribute("data-status", "done")
    panel.locator("[data-step=crm_update] [data-testid=post-work-approve]").click()
    # Done on the stack's worker; the panel polls until every step is finished.
    expect(panel.locator("[data-step=crm_update]")).to_have_attribute("data-status", "done", timeout=20000)
    expect(panel.locator("#post-work-crm .post-work__activities li").first).to_have_text(
        "Conversation handed back to the AI"
    )

    activity = on_orm(lambda: Activity.objects.get())
    assert activity.body == "Asked about a lamp; nothing else needed."
    approved = on_orm(lambda: list(PostWorkStep.objects.filter(approved_by__username="marie").values_list("name")))
    assert sorted(approved) == [("crm_update",), ("summary",)]
    assert page.evaluate("document.body.dataset.pwned") is None

    # A French-speaking colleague reads the same panel in French.
    french = browser.new_context(viewport={"width": 1440, "height": 1000}, locale="fr-FR").new_page()
    console_errors(french)
    french.goto(url + "/staff/login/?next=/staff/")
    french.fill("#id_username", "marie")
    french.fill("#id_password", "pw-marie")
    french.click("button[type=submit]")
    expect(french.locator("[data-testid=connection]")).to_have_attribute("data-state", "open")
    french.locator("[data-testid=inbox-ai] [data-testid=inbox-item]").first.click()
    expect(french.locator("#post-work h3").first).to_have_text("Après la conversation")
    expect(french.locator("#post-work [data-step=crm_update] .post-work__status")).to_have_text("Fait")
    expect(french.locator("#post-work [data-step=follow_up_task] .post-work__status")).to_have_text("Inutile")
    assert console_errors.errors == []
