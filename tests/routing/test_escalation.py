"""Signals in what the customer writes decide who answers next, and the decision says why."""

import pytest

from cxhub.conversations.models import AutonomyLevel, Conversation, ConversationEvent, Message
from cxhub.conversations.selectors import handoff_card
from routing.escalation import escalation_decide
from routing.services import autonomy_set, customer_message_handle, handoff_accept, handoff_return
from routing.signals import Signal
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def conversation():
    factories.knowledge_base_create()
    _, conversation, _ = factories.visitor_create(site=factories.site_create())
    return conversation


@pytest.fixture
def say(conversation, django_capture_on_commit_callbacks):
    counter = iter(range(1, 1000))

    def send(text: str) -> list[Message]:
        """The customer writes; returns what was posted after it (the AI's reply runs eagerly)."""
        with django_capture_on_commit_callbacks(execute=True):
            message, _ = customer_message_handle(
                conversation_id=conversation.pk, text=text, client_id=f"c{next(counter)}"
            )
        return list(Message.objects.filter(conversation=conversation, seq__gt=message.seq).order_by("seq"))

    return send


def latest_decision(conversation) -> dict:
    return conversation.events.filter(kind=ConversationEvent.Kind.ROUTING_DECISION).order_by("-id").first().data


def test_a_bereaved_customer_is_handed_to_a_person_at_once_and_told_so(conversation, say):
    after = say("My mother passed away last week and I need to cancel her order")

    conversation.refresh_from_db()
    assert conversation.owner == Conversation.Owner.QUEUE
    assert conversation.escalation_reason == "sensitive topic: bereavement"
    assert [m.author_kind for m in after] == ["system", "system"]  # told why, then the queue position
    assert "a person should help you" in after[0].text
    decision = latest_decision(conversation)
    assert decision["action"] == "hand" and decision["signals"][0]["name"] == "bereavement"
    assert "passed away" in decision["signals"][0]["evidence"]
    # the agent's card says why it is there, in the customer's own words
    card = handoff_card(conversation)
    assert card["signals"] == ["bereavement"]
    assert "passed away" in card["decisions"][-1]["signals"][0]["evidence"]
    assert card["emotional_context"]["sensitive_topics"][0]["name"] == "bereavement"
    assert card["emotional_context"]["next_step"] == "acknowledge_loss"


def test_mild_frustration_offers_a_person_and_the_ai_still_answers(conversation, say):
    after = say("This is ridiculous, how long does shipping take?")

    conversation.refresh_from_db()
    assert conversation.owner == Conversation.Owner.AI
    assert [m.author_kind for m in after] == ["system", "ai"]  # the offer, then the answer
    assert "Talk to a person" in after[0].text
    assert after[-1].sources[0]["slug"] == "shipping-times"
    assert latest_decision(conversation)["action"] == "offer"


def test_a_calm_customer_gets_the_ai_with_no_offer_and_no_decision_logged(conversation, say):
    after = say("I'm not angry, just asking: how long does shipping take?")

    assert [m.author_kind for m in after] == ["ai"]
    assert not conversation.events.filter(kind=ConversationEvent.Kind.ROUTING_DECISION).exists()


def test_after_the_ai_was_not_sure_twice_the_next_message_goes_to_a_person(conversation, say):
    assert say("Do you sell cars?")[-1].author_kind == "ai"
    assert say("What about boats?")[-1].author_kind == "ai"

    say("Hmm, and bicycles?")

    conversation.refresh_from_db()
    assert conversation.owner == Conversation.Owner.QUEUE
    assert conversation.escalation_reason == "the AI was not sure twice in a row"


def test_after_a_hand_back_what_the_person_handled_does_not_escalate_again(conversation, say):
    say("Do you sell cars?")
    say("What about boats?")
    say("Hmm, and bicycles?")
    agent = factories.agent_create()
    handoff_accept(conversation_id=conversation.pk, agent=agent)
    handoff_return(conversation_id=conversation.pk, agent=agent, note="Explained we only sell lamps.")

    after = say("OK. How long does shipping take?")

    conversation.refresh_from_db()
    assert conversation.owner == Conversation.Owner.AI
    assert after[-1].author_kind == "ai" and after[-1].sources[0]["slug"] == "shipping-times"


def test_signals_reach_the_agent_even_when_a_person_already_holds_the_conversation(conversation, say):
    handoff_accept(conversation_id=conversation.pk, agent=factories.agent_create())

    say("THIS IS UNACCEPTABLE!!! I've asked three times already")

    decision = latest_decision(conversation)
    assert decision["owner"] == "agent" and decision["signals"][0]["name"] == "frustration"
    emotions = handoff_card(conversation)["emotional_context"]
    assert "UNACCEPTABLE" in emotions["frustration"]["evidence"]
    assert emotions["next_step"] == "acknowledge_frustration"


def test_self_service_never_escalates_on_its_own(conversation, say):
    autonomy_set(conversation_id=conversation.pk, level=AutonomyLevel.SELF_SERVICE)

    say("My husband died, I want to talk to a person")

    conversation.refresh_from_db()
    assert conversation.owner == Conversation.Owner.AI and conversation.autonomy_level == "self_service"


@pytest.mark.parametrize(
    ("signals", "action", "reason"),
    [
        ([Signal("large_purchase", 0.5, "€2,000")], "offer", "large purchase"),
        ([Signal("frustration", 0.8, "useless!!!")], "hand", "customer seems frustrated"),
        (
            [Signal("large_purchase", 0.5, "€2,000"), Signal("explicit_request", 1.0, "a human")],
            "hand",
            "customer asked for a person",
        ),
        ([], "none", ""),
    ],
)
def test_the_strongest_signal_decides_and_names_the_reason(signals, action, reason):
    decision = escalation_decide(signals)

    assert (decision.action, decision.reason) == (action, reason)
