"""The agent's console in real Chromium: a new handoff arrives live, the agent takes over, uses a copilot
suggestion, writes a private note the customer never sees, flags a wrong AI answer, rates the handoff and
hands back with a note."""

import re
from concurrent.futures import ThreadPoolExecutor

import pytest
from playwright.sync_api import expect

from cxhub.assistant.models import AnswerFlag, Suggestion
from cxhub.conversations.models import Conversation, ConversationEvent, Message, Note, Site
from tests import factories

pytestmark = pytest.mark.browser

XSS = '<img src=x onerror="document.body.dataset.pwned=1">'
NOTE = f"Customer is a reseller, check the B2B price list. {XSS}"
SUGGESTED = "Delivery takes 2–4 business days."
HAND_BACK_NOTE = "Answered the delivery question; offer the returns article if asked."


@pytest.fixture
def shop(live_server_stack):
    """Created before the browser starts: Playwright's event loop forbids sync ORM calls in the test body."""
    url = live_server_stack["url"]
    Site.objects.create(name="Maison Lumière", key="demo-browser", allowed_origins=[url])
    factories.knowledge_base_create()
    factories.agent_create()  # marie / pw-marie, Marie Dupont
    return url


def on_orm(fn, *args):
    with ThreadPoolExecutor(1) as pool:  # the ORM runs outside Playwright's event loop
        return pool.submit(fn, *args).result()


def what_was_stored() -> dict:
    conversation = Conversation.objects.get()
    sent = conversation.messages.filter(author_kind=Message.AuthorKind.HUMAN).order_by("seq").first()
    flag = AnswerFlag.objects.select_related("suggested_article", "message").first()
    rating = conversation.events.filter(kind=ConversationEvent.Kind.HANDOFF_RATED).last()
    return {
        "provenance": sent.provenance if sent else None,
        "suggestions": dict(Suggestion.objects.values_list("article__slug", "status")),
        "notes": list(Note.objects.values_list("text", flat=True)),
        "flag": (flag.message.author_kind, flag.suggested_article.slug, flag.note) if flag else None,
        "rating": rating.data if rating else None,
        "owner": conversation.owner,
    }


def test_agent_sees_a_new_handoff_live_uses_a_suggestion_notes_flags_rates_and_hands_back(
    shop, browser, screenshot, console_errors
):
    url = shop
    screen = {"width": 1440, "height": 1000}
    visitor = browser.new_context(viewport=screen).new_page()
    agent = browser.new_context(viewport=screen, reduced_motion="reduce").new_page()
    console_errors(visitor)
    console_errors(agent)

    # The agent is in the console, with the sound on (it stays on: the choice is remembered).
    agent.goto(url + "/staff/login/?next=/staff/")
    agent.fill("#id_username", "marie")
    agent.fill("#id_password", "pw-marie")
    agent.click("button[type=submit]")
    expect(agent.locator("[data-testid=connection]")).to_have_attribute("data-state", "open")
    expect(agent.locator("[data-testid=dashboard-link]")).to_have_count(0)  # an agent, not a supervisor
    sound = agent.locator("[data-testid=sound-toggle]")
    expect(sound).to_have_attribute("aria-pressed", "false")
    sound.click()
    expect(sound).to_have_attribute("aria-pressed", "true")
    agent.reload()
    expect(agent.locator("[data-testid=sound-toggle]")).to_have_attribute("aria-pressed", "true")
    expect(agent.locator("[data-testid=connection]")).to_have_attribute("data-state", "open")
    expect(agent).to_have_title("cxhub")

    # The visitor chats with the AI, then asks for a person.
    visitor.goto(url + "/")
    visitor.click("[data-testid=launcher]")
    visitor.fill("[data-testid=composer]", "How long does shipping take?")
    visitor.click("[data-testid=send]")
    expect(visitor.locator("[data-testid=message][data-author-kind=ai]").first).to_contain_text(SUGGESTED)
    visitor.click("[data-testid=talk-to-person]")

    # It appears live: the count, the page title and a beep.
    queued = agent.locator("[data-testid=inbox-queue] [data-testid=inbox-item]")
    expect(queued).to_have_count(1)
    expect(agent.locator("[data-testid=count-queue]")).to_have_text("1")
    expect(agent).to_have_title("(1) New handoff")
    expect(agent.locator("[data-testid=sound-toggle]")).to_have_attribute("data-beeps", "1")
    queued.first.click()
    expect(agent).to_have_title("(1) cxhub")
    expect(agent.locator("[data-testid=handoff-reason]")).to_contain_text("Talk to a person")

    # Every reply says who wrote it.
    transcript = agent.locator("[data-testid=transcript]")
    ai_answer = transcript.locator("[data-testid=message][data-author-kind=ai]").first
    expect(ai_answer.locator("[data-testid=provenance]")).to_have_text("AI")

    # The copilot suggests the delivery answer, from its article; it is usable once the agent holds the conversation.
    suggestion = agent.locator("[data-testid=copilot] [data-testid=suggestion]").first
    expect(suggestion.locator("[data-testid=suggestion-text]")).to_have_text(SUGGESTED)
    expect(suggestion.locator("[data-testid=suggestion-source]")).to_have_text("From “How long does delivery take?”")
    expect(suggestion.locator("[data-testid=suggestion-insert]")).to_be_disabled()
    agent.click("[data-testid=take-over]")
    expect(agent.locator("[data-testid=conversation-owner]")).to_have_text("With Marie Dupont")
    expect(agent).to_have_title("cxhub")

    # Insert, edit, send: the customer sees it came with AI help.
    suggestion.locator("[data-testid=suggestion-insert]").click()
    reply = agent.locator("[data-testid=reply]")
    expect(reply).to_have_value(SUGGESTED)
    reply.press("End")
    reply.type(" Anything else?")
    reply.press("Enter")
    sent = transcript.locator("[data-testid=message][data-author-kind=human]").first
    expect(sent.locator("[data-testid=provenance]")).to_have_text("Written with AI assistance")
    human = visitor.locator("[data-testid=message][data-author-kind=human]").first
    expect(human).to_contain_text(f"{SUGGESTED} Anything else?")
    expect(human.locator("[data-testid=author]")).to_contain_text("Marie Dupont, with AI assistance")

    # A private note: yellow, labelled, live in the console, never on the visitor's page.
    agent.click("[data-testid=mode-note]")
    expect(agent.locator("[data-testid=note-banner]")).to_have_text("Private note — the customer never sees this")
    expect(agent.locator("[data-testid=reply-send]")).to_have_text("Add note")
    reply.fill(NOTE)
    reply.press("Enter")
    note = transcript.locator("[data-testid=note]")
    expect(note).to_have_count(1)
    expect(note.locator("[data-testid=note-text]")).to_have_text(NOTE)
    expect(note).to_contain_text("Private note — the customer never sees this")
    expect(note).to_have_attribute("data-note-id", re.compile(r"^\d+$"))
    agent.click("[data-testid=mode-reply]")
    reply.fill("One more thing: tracking comes by email.")
    reply.press("Enter")
    expect(visitor.locator("[data-testid=messages]")).to_contain_text("tracking comes by email")
    expect(visitor.locator("[data-testid=messages]")).not_to_contain_text("reseller")

    # The AI's answer was wrong for this customer: flag it with the right article and a note.
    ai_answer.locator("[data-testid=flag]").click()
    form = ai_answer.locator("[data-testid=flag-form]")
    expect(form).to_be_visible()
    form.locator("[data-testid=flag-article]").select_option("returns-policy")
    form.locator("[data-testid=flag-note]").fill("Resellers have their own delivery terms.")
    form.locator("[data-testid=flag-send]").click()
    expect(ai_answer.locator("[data-testid=flagged]")).to_have_text("Flagged")
    expect(agent.locator("[data-testid=notice]")).to_contain_text("Flagged for the knowledge-base team.")

    # The handoff card was useful: four stars.
    rating = agent.locator("[data-testid=handoff-rating]")
    expect(rating).to_contain_text("How useful was this handoff?")
    rating.locator("label[for=star-4]").click()
    rating.locator("[data-testid=rating-comment]").fill("Clear summary.")
    rating.locator("[data-testid=rating-send]").click()
    expect(rating.locator("[data-testid=rating-status]")).to_have_text("Thank you: you rated this handoff 4/5.")
    agent.locator("[data-testid=handoff-card]").evaluate("card => { card.scrollTop = 0; }")
    screenshot(agent, "console")

    # Hand back with a note: the AI has the conversation again.
    agent.fill("[data-testid=hand-back-note]", HAND_BACK_NOTE)
    agent.click("[data-testid=hand-back]")
    expect(visitor.locator("[data-testid=messages]")).to_contain_text("handed the conversation back to the AI")
    expect(agent.locator("[data-testid=conversation-owner]")).to_have_text("With the AI")
    expect(visitor.locator("[data-testid=messages]")).not_to_contain_text("reseller")

    # Reopening the conversation brings back the note, the flag and the rating from the server.
    agent.reload()
    expect(agent.locator("[data-testid=connection]")).to_have_attribute("data-state", "open")
    expect(agent.locator("[data-testid=transcript] [data-testid=note-text]")).to_have_text(NOTE)
    expect(agent.locator("[data-testid=transcript] [data-testid=flagged]")).to_have_count(1)
    expect(agent.locator("[data-testid=rating-status]")).to_have_text("Your rating: 4/5.")

    # A French-speaking colleague reads the same conversation in French.
    colleague = browser.new_context(viewport=screen, locale="fr-FR", reduced_motion="reduce").new_page()
    console_errors(colleague)
    colleague.goto(url + "/staff/login/?next=/staff/")
    colleague.fill("#id_username", "marie")
    colleague.fill("#id_password", "pw-marie")
    colleague.click("button[type=submit]")
    expect(colleague.locator("[data-testid=connection]")).to_have_attribute("data-state", "open")
    colleague.locator("[data-testid=inbox-ai] [data-testid=inbox-item]").first.click()
    expect(colleague.locator("[data-testid=transcript] [data-testid=note]")).to_contain_text(
        "Note privée — le client ne la voit jamais"
    )
    expect(colleague.locator("[data-testid=transcript] [data-testid=flagged]")).to_have_text("Signalée")
    expect(colleague.locator("[data-testid=rating-status]")).to_have_text("Votre note : 4/5.")
    expect(colleague.locator("[data-testid=mode-note]")).to_have_text("Note privée")
    expect(colleague.locator("[data-testid=copilot]")).to_contain_text("Copilote")

    stored = on_orm(what_was_stored)
    assert stored["provenance"] == "human_ai_assisted"
    # The one inserted and edited counts as edited; the others offered for the same message, as ignored.
    assert stored["suggestions"].pop("shipping-times") == "edited"
    assert set(stored["suggestions"].values()) <= {"ignored"}
    assert stored["notes"] == [NOTE]
    assert stored["flag"] == ("ai", "returns-policy", "Resellers have their own delivery terms.")
    assert stored["rating"] == {"score": 4, "comment": "Clear summary."}
    assert stored["owner"] == "ai"
    assert agent.evaluate("document.body.dataset.pwned") is None
    assert console_errors.errors == []
