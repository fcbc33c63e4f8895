"""Case and accent folding shared by everything that matches customer text ("DÉLAI", "delai", "délai")."""

import unicodedata


def fold(text: str) -> str:
    text = unicodedata.normalize("NFKD", text.lower())
    return "".join(ch for ch in text if not unicodedata.combining(ch))
