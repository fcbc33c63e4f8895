"""Words the email channel writes to customers, in English and French."""

from cxhub.conversations.texts import pick_locale

TEXTS: dict[str, dict[str, str]] = {
    "footer_ai": {
        "en": (
            "This reply was written by an AI assistant. It answers from our help articles and may be wrong. "
            "To reach a person, reply and say so (for example “I want to talk to a person”)."
        ),
        "fr": (
            "Cette réponse a été écrite par un assistant IA. Il répond à partir de nos articles d’aide et peut "
            "se tromper. Pour joindre une personne, répondez en le demandant (par exemple « je veux parler à "
            "une personne »)."
        ),
    },
    "footer_ai_approved": {
        "en": "This reply was drafted by an AI assistant and checked by a person before it was sent.",
        "fr": "Cette réponse a été rédigée par un assistant IA et relue par une personne avant l’envoi.",
    },
    "footer_human": {"en": "{name}, {site}", "fr": "{name}, {site}"},
    "footer_human_ai_assisted": {
        "en": "{name}, {site} (written with the help of an AI assistant)",
        "fr": "{name}, {site} (écrit avec l’aide d’un assistant IA)",
    },
    "subject_continued": {
        "en": "Your conversation with {site}",
        "fr": "Votre conversation avec {site}",
    },
    "truncated": {
        "en": "[This email was shortened here; the full text is kept with the conversation.]",
        "fr": "[Cet e-mail a été raccourci ici ; le texte complet est conservé avec la conversation.]",
    },
}


def text(key: str, locale: str | None, **values: object) -> str:
    return TEXTS[key][pick_locale(locale)].format(**values)
