"""Words of the confirmation email and of CRM records, in English and French."""

from cxhub.conversations.texts import pick_locale

TEXTS: dict[str, dict[str, str]] = {
    "email_subject": {
        "en": "Your conversation with {site}",
        "fr": "Votre conversation avec {site}",
    },
    "email_intro": {
        "en": "Thank you for contacting {site}. Here is a summary of your conversation, and its transcript.",
        "fr": "Merci d’avoir contacté {site}. Voici le résumé de votre conversation, puis sa transcription.",
    },
    "email_summary": {"en": "Summary: {summary}", "fr": "Résumé : {summary}"},
    "email_follow_up": {
        "en": "Someone will get back to you about this.",
        "fr": "Quelqu’un reviendra vers vous à ce sujet.",
    },
    "activity_closed": {"en": "Conversation closed ({outcome})", "fr": "Conversation fermée ({outcome})"},
    "activity_returned": {"en": "Conversation handed back to the AI", "fr": "Conversation rendue à l’IA"},
    "task_title": {
        "en": "Follow up with {customer} (conversation {conversation})",
        "fr": "Recontacter {customer} (conversation {conversation})",
    },
    "no_outcome": {"en": "no outcome given", "fr": "sans issue indiquée"},
}


def text(key: str, locale: str | None, **values: object) -> str:
    return TEXTS[key][pick_locale(locale)].format(**values)
