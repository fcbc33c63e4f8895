"""The explicit request for a person, in English and French, and phrasings that are not one."""

import pytest

from routing.signals import asks_for_person


@pytest.mark.parametrize(
    "text",
    [
        "I want to talk to a human",
        "Can I speak with a real person?",
        "agent",
        "HUMAN!!",
        "let me chat with someone please",
        "live agent",
        "Je veux parler à un conseiller",
        "Puis-je discuter avec une personne ?",
        "conseiller",
        "un vrai humain svp",
    ],
)
def test_explicit_requests_for_a_person(text):
    assert asks_for_person(text)


@pytest.mark.parametrize(
    "text",
    [
        "How long does delivery take?",
        "No need for a human, just tell me the return policy",
        "Is the lamp suitable for a person who reads a lot?",
        "Pas besoin de conseiller, merci",
        "My travel agent booked it",
    ],
)
def test_phrasings_that_are_not_a_request_for_a_person(text):
    assert not asks_for_person(text)
