"""Translation of the customer's message or the agent's reply, with the configured LLM (a fake one here);
without a model the console is told translation is unavailable, in the agent's language."""

import pytest
from langchain_core.language_models.fake_chat_models import FakeListChatModel

from cxhub.assistant import llm
from cxhub.assistant.copilot import copilot_for_conversation
from cxhub.assistant.models import AssistantDecision
from tests.staff.console_world import client_for, world

pytestmark = pytest.mark.django_db


class RecordingChatModel(FakeListChatModel):
    """A stand-in for the vendor's model that remembers what it was sent."""

    sent: list = []

    def invoke(self, messages, *args, **kwargs):
        self.sent.append(messages)
        return super().invoke(messages, *args, **kwargs)


@pytest.fixture
def install_model(settings, monkeypatch):
    """Configure a model after the conversation exists, so only the translation reaches it."""

    def install(*responses: str) -> RecordingChatModel:
        settings.ASSISTANT_CHAT_MODEL = "fake:translator"
        model = RecordingChatModel(responses=list(responses) or ["How long does delivery take?"], sent=[])
        monkeypatch.setattr(llm, "chat_model_get", lambda: model)
        return model

    return install


def translate(client, conversation_id, **body):
    return client.post(f"/api/staff/conversations/{conversation_id}/translate", body, content_type="application/json")


def test_a_french_customer_message_is_translated_for_the_agent(install_model):
    given = world(locale="fr")
    fake_model = install_model()

    response = translate(client_for(given.marie), given.billing.pk, seq=given.customer_seq, to="en")

    assert response.status_code == 200
    assert response.json() == {"available": True, "text": "How long does delivery take?", "from": "fr", "to": "en"}
    system, human = fake_model.sent[0]
    assert "English" in system.content
    # The customer's words travel inside delimiters, as data.
    assert "<text_to_translate>\nCombien de temps prend la livraison ?\n</text_to_translate>" in human.content
    decision = AssistantDecision.objects.get(kind="translation")
    assert decision.outcome == "translated" and decision.model == "fake:translator"
    assert decision.message.seq == given.customer_seq


def test_the_agents_reply_is_translated_into_the_customers_language(install_model):
    given = world(locale="fr")
    fake_model = install_model("Votre colis arrive demain.")

    response = translate(client_for(given.marie), given.billing.pk, text="Your parcel arrives tomorrow.", to="fr")

    assert response.json() == {"available": True, "text": "Votre colis arrive demain.", "from": "en", "to": "fr"}
    assert "French" in fake_model.sent[0][0].content


def test_a_failing_model_is_a_clear_error(settings, monkeypatch):
    settings.ASSISTANT_CHAT_MODEL = "fake:down"

    def unreachable():
        raise ConnectionError("vendor down")

    monkeypatch.setattr(llm, "chat_model_get", unreachable)
    given = world()

    response = translate(client_for(given.marie), given.billing.pk, text="Bonjour", to="en")

    assert response.status_code == 503 and response.json()["code"] == "translation_failed"
    assert AssistantDecision.objects.get(kind="translation").outcome == "failed"


def test_without_a_model_translation_says_it_is_unavailable_in_the_agents_language(settings):
    settings.ASSISTANT_CHAT_MODEL = ""
    given = world()
    client = client_for(given.marie)

    english = translate(client, given.billing.pk, seq=given.customer_seq, to="fr")
    french = client.post(
        f"/api/staff/conversations/{given.billing.pk}/translate",
        {"text": "Hello", "to": "fr"},
        content_type="application/json",
        headers={"accept-language": "fr"},
    )
    panel = copilot_for_conversation(conversation_id=given.billing.pk)

    assert english.status_code == 200
    assert english.json() == {
        "available": False,
        "reason": "Translation needs a language model; none is configured.",
    }
    assert french.json()["reason"] == "La traduction nécessite un modèle de langage ; aucun n'est configuré."
    assert panel["translation_available"] is False and panel["customer_locale"] == "en"
    assert not AssistantDecision.objects.filter(kind="translation").exists()


def test_the_copilot_panel_says_translation_is_available_with_a_model(install_model):
    given = world(locale="fr")
    install_model()

    panel = copilot_for_conversation(conversation_id=given.billing.pk)

    assert panel["translation_available"] is True and panel["customer_locale"] == "fr"


def test_bad_requests_are_refused(install_model):
    given = world()
    fake_model = install_model()
    client = client_for(given.marie)

    assert translate(client, given.billing.pk, text="Hi", to="de").json()["code"] == "language_invalid"
    assert translate(client, given.billing.pk, seq=999, to="fr").json()["code"] == "message_unknown"
    assert translate(client, given.billing.pk, to="fr").json()["code"] == "text_invalid"
    assert fake_model.sent == []


def test_another_teams_conversation_is_not_found(install_model):
    given = world()
    fake_model = install_model()

    response = translate(client_for(given.marie), given.care.pk, seq=1, to="fr")

    assert response.status_code == 404 and fake_model.sent == []
