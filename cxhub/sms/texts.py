"""Words the SMS / WhatsApp channel writes to customers, in English and French."""

from cxhub.conversations.texts import pick_locale

TEXTS: dict[str, dict[str, str]] = {
    # Every AI text carries the disclosure, and says how to reach a person.
    "ai_suffix": {
        "en": "— AI assistant. Reply HUMAN for a person.",
        "fr": "— Assistant IA. Répondez CONSEILLER pour une personne.",
    },
    "ai_approved_suffix": {
        "en": "— AI assistant, checked by a person.",
        "fr": "— Assistant IA, relu par une personne.",
    },
}


def text(key: str, locale: str | None, **values: object) -> str:
    return TEXTS[key][pick_locale(locale)].format(**values)
