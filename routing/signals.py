"""Escalation signals read from what the customer writes (English and French)."""

import re
import unicodedata


def _fold(text: str) -> str:
    text = unicodedata.normalize("NFKD", text.lower())
    return "".join(ch for ch in text if not unicodedata.combining(ch))


_PERSON_REQUEST = re.compile(
    r"\b("
    r"(talk|speak|chat)\s+(to|with)\s+(a|an|some|real)?\s*(human|person|agent|someone|somebody|representative|people)"
    r"|(real|live)\s+(human|person|agent)"
    r"|human\s+(please|agent)"
    r"|^(human|agent|operator|representative)[\s!.]*$"
    r"|(parler|discuter)\s+(a|avec)\s+(un|une|quelqu.un)\s*(humain|personne|conseiller|conseillere|agent|vrai)?"
    r"|(un|une)\s+(vrai|vraie)?\s*(humain|personne|conseiller|conseillere)\b\s*(svp|s.il vous plait)?$"
    r"|^(humain|conseiller|conseillere)[\s!.]*$"
    r")"
)
_NEGATED = re.compile(
    r"\b(no need|don.t need|do not need|pas besoin|sans)\b[^.]*\b(human|person|agent|humain|personne|conseiller)"
)


def asks_for_person(text: str) -> bool:
    """An explicit request for a person, which always wins over the AI."""
    folded = _fold(text).strip()
    if _NEGATED.search(folded):
        return False
    return bool(_PERSON_REQUEST.search(folded))
