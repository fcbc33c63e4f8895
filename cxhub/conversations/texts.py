"""Words the customer reads that the server writes, in English and French."""

TEXTS: dict[str, dict[str, str]] = {
    "disclosure": {
        "en": (
            "You are chatting with an AI assistant. It answers from our help articles and says so when "
            "it is not sure. A person is available at any time: press “Talk to a person”."
        ),
        "fr": (
            "Vous discutez avec un assistant IA. Il répond à partir de nos articles d’aide et le dit quand "
            "il n’est pas sûr. Une personne est disponible à tout moment : appuyez sur « Parler à une personne »."
        ),
    },
    "ai_not_sure": {
        "en": "I’m not sure about that, and I’d rather not guess. Would you like to talk to a person?",
        "fr": "Je ne suis pas sûr de la réponse et je préfère ne pas deviner. Voulez-vous parler à une personne ?",
    },
    "ai_unavailable": {
        "en": (
            "I can’t answer properly right now. Our help article says: “{answer}” "
            "If that doesn’t help, press “Talk to a person” and a person will take over."
        ),
        "fr": (
            "Je ne peux pas répondre correctement pour le moment. Notre article d’aide indique : « {answer} » "
            "Si cela ne vous aide pas, appuyez sur « Parler à une personne » et une personne prendra le relais."
        ),
    },
    "ai_source": {"en": "Source: {title}", "fr": "Source : {title}"},
    "queued": {
        "en": "Connecting you with a person… You are number {position} in the queue.",
        "fr": "Nous vous mettons en relation avec une personne… Vous êtes numéro {position} dans la file.",
    },
    "escalated": {
        "en": "This is something a person should help you with, so I am connecting you with one.",
        "fr": "Il vaut mieux qu’une personne vous aide sur ce point : je vous mets en relation.",
    },
    "person_offered": {
        "en": "If you would rather talk to a person about this, press “Talk to a person” at any time.",
        "fr": "Si vous préférez en parler à une personne, appuyez sur « Parler à une personne » à tout moment.",
    },
    "level_capped": {
        "en": "This conversation is set to “{level}”: {reason}",
        "fr": "Cette conversation passe en « {level} » : {reason}",
    },
    "cap_default_reason": {
        "en": "this site asks for it on this topic.",
        "fr": "ce site le demande pour ce sujet.",
    },
    "nobody_available": {
        "en": "No one is available right now. Leave your email and a person will reply by email.",
        "fr": (
            "Personne n’est disponible pour le moment. Laissez votre adresse e-mail et une personne "
            "vous répondra par e-mail."
        ),
    },
    "agent_joined": {"en": "{name} joined the conversation.", "fr": "{name} a rejoint la conversation."},
    "returned_to_ai": {
        "en": "{name} handed the conversation back to the AI assistant. A person is still one click away.",
        "fr": "{name} a rendu la conversation à l’assistant IA. Une personne reste à portée d’un clic.",
    },
    "follow_up_confirm": {
        "en": "I’m the AI assistant again. Is there anything else I can help you with?",
        "fr": "C’est de nouveau l’assistant IA. Puis-je vous aider pour autre chose ?",
    },
    "follow_up_csat": {
        "en": "I’m the AI assistant again. How well did {name} help you, from 1 (poorly) to 5 (very well)?",
        "fr": (
            "C’est de nouveau l’assistant IA. Comment notez-vous l’aide de {name}, "
            "de 1 (pas du tout satisfait) à 5 (très satisfait) ?"
        ),
    },
    "customer_back_to_ai": {
        "en": "You are back with the AI assistant.",
        "fr": "Vous êtes de nouveau avec l’assistant IA.",
    },
    "level_changed": {"en": "You chose: {level}.", "fr": "Vous avez choisi : {level}."},
    "replies_reviewed": {
        "en": "A person reviews the assistant’s replies before you see them, so answers may take a little longer.",
        "fr": (
            "Une personne relit les réponses de l’assistant avant que vous ne les voyiez : "
            "les réponses peuvent donc prendre un peu plus de temps."
        ),
    },
    "closed": {"en": "This conversation is closed. Thank you!", "fr": "Cette conversation est terminée. Merci !"},
    "reply_by_email": {
        "en": "Thank you. A person will reply to {email}.",
        "fr": "Merci. Une personne vous répondra à l’adresse {email}.",
    },
    "transcript_subject": {"en": "Your conversation transcript", "fr": "Transcription de votre conversation"},
    "transcript_intro": {
        "en": "Here is the transcript of your conversation with {site}.",
        "fr": "Voici la transcription de votre conversation avec {site}.",
    },
}

# Who wrote each line of an emailed transcript, by the message's provenance.
TRANSCRIPT_AUTHORS: dict[str, dict[str, str]] = {
    "customer": {"en": "You", "fr": "Vous"},
    "ai": {"en": "AI assistant", "fr": "Assistant IA"},
    "ai_approved": {"en": "AI-drafted, approved by a person", "fr": "Rédigé par l’IA, approuvé par une personne"},
    "human": {"en": "{name}", "fr": "{name}"},
    "human_ai_assisted": {"en": "{name}, with AI assistance", "fr": "{name}, avec l’aide de l’IA"},
    "system": {"en": "Notice", "fr": "Information"},
}

LEVEL_NAMES: dict[str, dict[str, str]] = {
    "self_service": {"en": "Find it myself", "fr": "Chercher moi-même"},
    "ai_only": {"en": "Chat with AI", "fr": "Discuter avec l’IA"},
    "ai_with_approval": {"en": "AI, checked by a person", "fr": "IA, vérifiée par une personne"},
    "human_with_ai": {"en": "A person, helped by AI", "fr": "Une personne, aidée par l’IA"},
    "human_only": {"en": "Only a person", "fr": "Seulement une personne"},
}


def pick_locale(locale: str | None) -> str:
    return "fr" if (locale or "").lower().startswith("fr") else "en"


def text(key: str, locale: str | None, **values: object) -> str:
    return TEXTS[key][pick_locale(locale)].format(**values)


def level_name(level: str, locale: str | None) -> str:
    return LEVEL_NAMES[level][pick_locale(locale)]


def transcript_author(provenance: str, locale: str | None, name: str = "") -> str:
    labels = TRANSCRIPT_AUTHORS.get(provenance, TRANSCRIPT_AUTHORS["system"])
    return labels[pick_locale(locale)].format(name=name)
