"""Writes to canned responses: the demo set (admins edit the rest in Django admin)."""

from django.db import transaction

from .models import CannedResponse

DEMO_CANNED = [
    # shortcut, locale, title, text
    (
        "greeting",
        "en",
        "Greeting",
        "Hi {customer_first_name}, I'm {agent_first_name} from {site_name}. How can I help?",
    ),
    (
        "refund",
        "en",
        "Refund under review",
        "Thanks {customer_first_name}. I've passed your refund request to our billing team; your reference is "
        "{conversation_ref}. We'll email you at {customer_email} once it's reviewed.",
    ),
    (
        "delivery",
        "en",
        "Delivery check",
        "Let me check where your order is, {customer_first_name}. Could you give me the order number?",
    ),
    (
        "closing",
        "en",
        "Closing",
        "Is there anything else I can help with? Thanks for contacting {site_name}, have a good day!",
    ),
    (
        "greeting",
        "fr",
        "Accueil",
        "Bonjour {customer_first_name}, je suis {agent_first_name} de {site_name}. Comment puis-je vous aider ?",
    ),
    (
        "refund",
        "fr",
        "Remboursement à l'étude",
        "Merci {customer_first_name}. J'ai transmis votre demande de remboursement à notre service facturation ; "
        "votre référence est {conversation_ref}. Nous vous écrirons à {customer_email} dès qu'elle sera traitée.",
    ),
    (
        "delivery",
        "fr",
        "Suivi de livraison",
        "Je regarde où en est votre commande, {customer_first_name}. Pouvez-vous me donner le numéro de commande ?",
    ),
    (
        "closing",
        "fr",
        "Clôture",
        "Puis-je vous aider pour autre chose ? Merci d'avoir contacté {site_name}, bonne journée !",
    ),
]


@transaction.atomic
def canned_demo_seed() -> int:
    """The demo's four English and four French responses; ones an admin already edited are left alone."""
    for shortcut, locale, title, text in DEMO_CANNED:
        CannedResponse.objects.get_or_create(
            shortcut=shortcut, locale=locale, team=None, defaults={"title": title, "text": text}
        )
    return len(DEMO_CANNED)
