"""The LLM provider hangs or fails: the customer is told so honestly and offered a person within 10 s.

The provider is the only fake (it lies outside the project); the visitor talks through the real ASGI app
and the Redis channel layer.
"""

import threading
import time
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from langchain_core.language_models.fake_chat_models import FakeListChatModel

from cxhub.assistant import llm
from cxhub.assistant.models import AssistantDecision
from tests import factories
from tests.channels_app.helpers import visitor_connect, visitor_say

pytestmark = [pytest.mark.faults, pytest.mark.django_db(transaction=True)]

released = threading.Event()


class HangingChatModel(FakeListChatModel):
    def _call(self, *args: Any, **kwargs: Any) -> str:
        released.wait(60)  # a provider that accepted the connection and never answers
        return "too late"


class FailingChatModel(FakeListChatModel):
    def _call(self, *args: Any, **kwargs: Any) -> str:
        raise ConnectionError("502 Bad Gateway")


@pytest.fixture
def provider(monkeypatch, settings):
    settings.ASSISTANT_CHAT_MODEL = "fake:provider"
    settings.ASSISTANT_LLM_TIMEOUT_SECONDS = 2

    def install(model_class: type[FakeListChatModel]) -> None:
        model = model_class(responses=["unused"])
        monkeypatch.setattr(llm, "chat_model_get", lambda: model)

    released.clear()
    yield install
    released.set()


@sync_to_async
def shop_visitor(locale: str):
    factories.knowledge_base_create()
    site = factories.site_create()
    _, conversation, token = factories.visitor_create(site=site, locale=locale)
    return conversation, token


@pytest.mark.parametrize(
    ("model_class", "locale", "question", "told", "article", "reason"),
    [
        (
            HangingChatModel,
            "en",
            "How long does shipping take?",
            "I can’t answer properly right now",
            "2–4",
            "llm_timeout",
        ),
        (FailingChatModel, "en", "How long does shipping take?", "Talk to a person", "2–4", "llm_error"),
        (
            HangingChatModel,
            "fr",
            "Combien de temps prend la livraison ?",
            "Parler à une personne",
            "2 à 4 jours",
            "llm_timeout",
        ),
    ],
)
async def test_the_customer_is_told_and_offered_a_person_within_10_seconds(
    provider, model_class, locale, question, told, article, reason
):
    provider(model_class)
    conversation, token = await shop_visitor(locale)
    visitor = await visitor_connect(token)
    await visitor.message_with(seq=1)  # the AI disclosure

    started = time.monotonic()
    await visitor_say(visitor, question)
    reply = await visitor.message_with(author_kind="ai")
    elapsed = time.monotonic() - started

    assert elapsed < 10
    assert told in reply["text"] and article in reply["text"]
    decision = await sync_to_async(AssistantDecision.objects.get)(conversation=conversation, kind="reply")
    assert decision.detail["grounding"]["reason"].startswith(reason)

    # The offer is real: one click and the conversation waits for a person.
    await visitor.send(type="handoff.request")
    state = await visitor.receive_until(lambda f: f["type"] == "state" and f["state"]["owner"] == "queue")
    assert state["state"]["owner"] == "queue"
    await visitor.close()
