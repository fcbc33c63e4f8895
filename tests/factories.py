"""Small builders for test data: real rows through the real services."""

import itertools
from pathlib import Path

from django.contrib.auth import get_user_model

from cxhub.assistant.kb_files import knowledge_base_import
from cxhub.assistant.models import Article, KnowledgeBase
from cxhub.assistant.services import knowledge_base_changed, knowledge_base_default
from cxhub.conversations.models import Site
from cxhub.conversations.services import visitor_session_start
from cxhub.conversations.visitor_tokens import visitor_token_issue

SHOP_ORIGIN = "https://shop.example"
_counter = itertools.count(1)


def site_create(*, origins: tuple[str, ...] = (SHOP_ORIGIN,), name: str = "Shop") -> Site:
    return Site.objects.create(name=name, key=f"site-{next(_counter)}", allowed_origins=list(origins))


def agent_create(*, username: str = "marie", first_name: str = "Marie", last_name: str = "Dupont", staff: bool = True):
    user = get_user_model().objects.create_user(
        username=username, password="pw-" + username, first_name=first_name, last_name=last_name
    )
    user.is_staff = staff
    user.save()
    return user


def visitor_create(*, site: Site, origin: str = SHOP_ORIGIN, locale: str = "en"):
    """A visitor as the widget creates one: returns (customer, conversation, token)."""
    customer, conversation = visitor_session_start(site_key=site.key, origin=origin, locale=locale)
    token = visitor_token_issue(site_id=site.pk, customer_public_id=customer.public_id)
    return customer, conversation, token


KB = [
    (
        "shipping-times",
        "en",
        "How long does delivery take?",
        "Delivery takes 2–4 business days.",
        ["How long does shipping take?", "When will my order arrive?", "What are your delivery times?"],
    ),
    (
        "returns-policy",
        "en",
        "What is your returns policy?",
        "You can return unused items within 30 days.",
        ["Can I return an item?", "How do I return something?", "Is return shipping free?"],
    ),
    (
        "delais-livraison",
        "fr",
        "Quels sont les délais de livraison ?",
        "La livraison prend 2 à 4 jours ouvrés.",
        ["Combien de temps prend la livraison ?", "Quand vais-je recevoir ma commande ?"],
    ),
    (
        "politique-retours",
        "fr",
        "Quelle est votre politique de retour ?",
        "Retour possible sous 30 jours.",
        ["Puis-je retourner un article ?", "Comment faire un retour ?"],
    ),
]


def knowledge_base_create(*, published: bool = True, knowledge_base: KnowledgeBase | None = None) -> list[Article]:
    """The four-article shop KB, in the default knowledge base unless told otherwise."""
    knowledge_base = knowledge_base or knowledge_base_default()
    status = Article.Status.PUBLISHED if published else Article.Status.DRAFT
    articles = [
        Article.objects.create(
            knowledge_base=knowledge_base,
            slug=slug,
            locale=locale,
            title=title,
            answer=answer,
            questions=questions,
            status=status,
        )
        for slug, locale, title, answer, questions in KB
    ]
    knowledge_base_changed(knowledge_base_id=knowledge_base.pk)
    return articles


DEMO_KB_PATH = Path(__file__).resolve().parents[1] / "cxhub" / "assistant" / "fixtures" / "demo_kb.jsonl"


def demo_knowledge_base_create(*, knowledge_base: KnowledgeBase | None = None) -> KnowledgeBase:
    """The bilingual lamp-shop KB that `make run` loads: big enough to calibrate on."""
    knowledge_base = knowledge_base or knowledge_base_default()
    with DEMO_KB_PATH.open(encoding="utf-8") as lines:
        knowledge_base_import(knowledge_base=knowledge_base, lines=lines)
    knowledge_base.refresh_from_db()
    return knowledge_base
