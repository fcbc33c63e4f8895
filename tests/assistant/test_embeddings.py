"""An opt-in LangChain encoder joins the n-gram features; the offline default needs none."""

import pytest
from langchain_core.embeddings import Embeddings

from cxhub.assistant import retrieval
from cxhub.assistant.answerer import answer_question
from tests import factories

pytestmark = pytest.mark.django_db

CONCEPTS = {
    0: ("parcel", "package", "courier", "colis"),
    1: ("send", "back", "unwanted", "renvoyer"),
}


class ConceptEncoder(Embeddings):
    """Stands in for a vendor's sentence encoder: knows that a parcel is about delivery."""

    def __init__(self):
        self.calls = 0

    def embed_documents(self, texts):
        self.calls += 1
        return [self.embed_query(text) for text in texts]

    def embed_query(self, text):
        words = text.lower().replace("?", " ").split()
        vector = [float(sum(w in words for w in concept)) for concept in CONCEPTS.values()]
        delivery = sum(w in words for w in ("delivery", "shipping", "arrive", "order", "livraison"))
        vector[0] += delivery
        vector[1] += sum(w in words for w in ("return", "retour"))
        return [*vector, 0.1]


def test_without_an_encoder_an_unseen_word_is_not_understood():
    factories.knowledge_base_create()

    assert answer_question("Where is my parcel?", locale="en").article_slug != "shipping-times"


def test_a_configured_encoder_lets_the_bot_understand_words_its_examples_never_used(settings, monkeypatch):
    encoder = ConceptEncoder()
    settings.ASSISTANT_EMBEDDINGS = "fake:concepts"
    monkeypatch.setattr(retrieval, "embeddings_get", lambda: encoder)
    factories.knowledge_base_create()

    answer = answer_question("Where is my parcel?", locale="en")

    assert answer.article_slug == "shipping-times"
    assert answer.model.endswith("+ fake:concepts")
    assert encoder.calls >= 2  # examples when the index was built, then the question
