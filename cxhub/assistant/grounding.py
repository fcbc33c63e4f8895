"""Does an LLM reply say only what the knowledge-base articles say? A deterministic, offline EN/FR check.

All against the articles' own text: every number (amount, percentage, duration, date) in the reply appears
there with a compatible unit; so does every link, address and name (a carrier, a place, a weekday); every
word that changes what the company promises (refund, free, discount, today...) appears there with the same
polarity ("no refunds" never becomes "a refund"); and each clause of the reply is mostly made of the
articles' own words. Politeness is always allowed.
"""

import re
import unicodedata
from dataclasses import dataclass

# Share of a clause's content words that must be found in the sources. Lower lets inventions through
# ("and we ship worldwide" next to real facts); higher rejects ordinary rewording ("send back" for "return").
CLAUSE_SUPPORT_MIN = 0.5


@dataclass
class GroundingResult:
    ok: bool
    unsupported: list[str]


def grounding_check(reply: str, sources: list[str]) -> GroundingResult:
    source_text = "\n".join(s for s in sources if s)
    unsupported = [
        *_unsupported_quantities(reply, source_text),
        *_unsupported_links(reply, source_text),
        *_unsupported_names(reply, source_text),
        *_unsupported_commitments(reply, source_text),
        *_unsupported_clauses(reply, source_text),
    ]
    return GroundingResult(ok=not unsupported, unsupported=unsupported)


# --- text folding -----------------------------------------------------------------------------------

_CHARACTERS = str.maketrans(
    {
        "œ": "oe",
        "æ": "ae",
        "’": "'",
        "‘": "'",
        "`": "'",
        "´": "'",
        "‐": "-",
        "‑": "-",
        "‒": "-",
        "–": "-",
        "—": "-",
        "―": "-",
        "−": "-",
    }
)
_THOUSANDS = re.compile(r"(?<![\d.,])(\d{1,3})((?:[,\u00a0\u202f]\d{3})+)(?![\d,])")


def fold(text: str) -> str:
    """Lower case, no accents, one kind of dash and apostrophe, no thousands separators."""
    text = _THOUSANDS.sub(lambda m: m.group(1) + re.sub(r"\D", "", m.group(2)), text)
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c))
    return text.lower().translate(_CHARACTERS)


# --- numbers, amounts, durations, dates --------------------------------------------------------------

_UNITS = {
    "percent": r"%|percent\b|per cent\b|pour ?cent\b",
    "eur": r"€|eur\b|euros?\b",
    "usd": r"\$|usd\b|dollars?\b",
    "gbp": r"£|gbp\b|pounds?\b",
    "hour": r"hours?\b|hrs?\b|heures?\b|h\b",
    "minute": r"minutes?\b|mins?\b",
    "day": r"days?\b|jours?\b",
    "night": r"nights?\b|nuits?\b",
    "week": r"weeks?\b|semaines?\b",
    "month": r"months?\b|mois\b",
    "year": r"years?\b|annees?\b|ans?\b",
}
_QUALIFIER = r"(?:(?:business|working|calendar|full|consecutive|open|clear)\s+)?"
_UNIT_PATTERN = "|".join(f"(?P<u_{name}>{pattern})" for name, pattern in _UNITS.items())
_MONTHS = {
    "january": 1, "jan": 1, "janvier": 1, "janv": 1,
    "february": 2, "feb": 2, "fevrier": 2, "fevr": 2, "fev": 2,
    "march": 3, "mar": 3, "mars": 3,
    "april": 4, "apr": 4, "avril": 4, "avr": 4,
    "may": 5, "mai": 5,
    "june": 6, "jun": 6, "juin": 6,
    "july": 7, "jul": 7, "juillet": 7, "juil": 7,
    "august": 8, "aug": 8, "aout": 8,
    "september": 9, "sept": 9, "sep": 9, "septembre": 9,
    "october": 10, "oct": 10, "octobre": 10,
    "november": 11, "nov": 11, "novembre": 11,
    "december": 12, "dec": 12, "decembre": 12,
}  # fmt: skip
_MONTH = "(?:" + "|".join(sorted(_MONTHS, key=len, reverse=True)) + r")\.?"
_NUMBER = r"\d+(?:[.,]\d+)?"
_ORDINAL = r"(?:st|nd|rd|th|er|re|eme|e)?"
_QUANTITY = re.compile(
    rf"\b(?P<month_a>{_MONTH})\s+(?P<day_a>\d{{1,2}}){_ORDINAL}\b"
    rf"|\b(?P<day_b>\d{{1,2}}){_ORDINAL}\s+(?:of\s+)?(?P<month_b>{_MONTH})(?![a-z])"
    rf"|\b(?P<hour_a>\d{{1,2}})(?::(?P<minute_a>\d{{2}}))?\s*(?P<ampm>am|pm|a\.m\.|p\.m\.)"
    rf"|\b(?P<hour_b>\d{{1,2}})\s*[:h]\s*(?P<minute_b>\d{{2}})\b"
    rf"|(?P<currency>[€$£]|\beur\b|\busd\b|\bgbp\b)\s*(?P<amount>{_NUMBER})"
    rf"|(?<![a-z0-9])(?P<number>{_NUMBER}){_ORDINAL}(?:\s*{_QUALIFIER}(?:{_UNIT_PATTERN}))?"
)
_CURRENCY_SIGNS = {"€": "eur", "eur": "eur", "$": "usd", "usd": "usd", "£": "gbp", "gbp": "gbp"}
_RANGE_LINK = re.compile(r"\s*(?:-|/|to|a|and|et|or|ou)\s*")
_COMPATIBLE_UNITS = {frozenset({"hour", "time"})}

_SPELLED = {
    "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10,
    "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15, "sixteen": 16,
    "seventeen": 17, "eighteen": 18, "nineteen": 19, "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50,
    "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90,
    "deux": 2, "trois": 3, "quatre": 4, "cinq": 5, "sept": 7, "huit": 8, "dix": 10, "onze": 11,
    "douze": 12, "treize": 13, "quatorze": 14, "quinze": 15, "seize": 16, "vingt": 20, "trente": 30,
    "quarante": 40, "cinquante": 50, "soixante": 60,
}  # fmt: skip
# Also articles or adjectives ("un client", "one of our agents", "un article neuf"): numbers only before a unit.
_SPELLED_BEFORE_UNIT = {"one": 1, "un": 1, "une": 1, "neuf": 9}
_UNITS_AHEAD = rf"(?=\s+{_QUALIFIER}(?:{_UNIT_PATTERN}))"
_TENS = r"twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety|vingt|trente|quarante|cinquante|soixante"
_DIGITS = r"one|two|three|four|five|six|seven|eight|nine|un|deux|trois|quatre|cinq|six|sept|huit|neuf"
_DIGIT_VALUES = {
    **{w: i for i, w in enumerate(["one", "two", "three", "four", "five", "six", "seven", "eight", "nine"], 1)},
    **{w: i for i, w in enumerate(["un", "deux", "trois", "quatre", "cinq", "six", "sept", "huit", "neuf"], 1)},
}


def _spelled_to_digits(text: str) -> str:
    text = re.sub(
        rf"\b({_TENS})(?:-et-|\s+et\s+|[-\s])({_DIGITS})\b",
        lambda m: str(_SPELLED[m.group(1)] + _DIGIT_VALUES[m.group(2)]),
        text,
    )
    text = re.sub(r"\bdix-(sept|huit|neuf)\b", lambda m: str(10 + _DIGIT_VALUES[m.group(1)]), text)
    # "sept." or "sept 15" is September, not seven.
    text = re.sub(
        r"\b(" + "|".join(_SPELLED) + r")\b(?!\.?\s*\d)",
        lambda m: str(_SPELLED[m.group(1)]),
        text,
    )
    return re.sub(
        r"\b(" + "|".join(_SPELLED_BEFORE_UNIT) + r")\b" + _UNITS_AHEAD,
        lambda m: str(_SPELLED_BEFORE_UNIT[m.group(1)]),
        text,
    )


@dataclass
class Quantity:
    value: str
    unit: str | None
    surface: str
    start: int
    end: int


def _canonical_number(raw: str) -> str:
    number = float(raw.replace(",", "."))
    return str(int(number)) if number.is_integer() else f"{number:g}"


def quantities(text: str) -> list[Quantity]:
    """Every number in the text with the unit it measures, if any: ('20', 'eur'), ('15', 'date:3'), ('30', 'day')."""
    folded = _spelled_to_digits(fold(text))
    found: list[Quantity] = []
    for m in _QUANTITY.finditer(folded):
        surface = m.group(0).strip()
        if m.group("day_a") or m.group("day_b"):
            month = _MONTHS[(m.group("month_a") or m.group("month_b")).rstrip(".")]
            day = m.group("day_a") or m.group("day_b")
            found.append(Quantity(_canonical_number(day), f"date:{month}", surface, m.start(), m.end()))
        elif m.group("ampm"):
            hour = int(m.group("hour_a")) % 12 + (12 if m.group("ampm").startswith("p") else 0)
            found.append(Quantity(_clock(hour, m.group("minute_a")), "time", surface, m.start(), m.end()))
        elif m.group("hour_b"):
            found.append(Quantity(_clock(int(m.group("hour_b")), m.group("minute_b")), "time", surface, *m.span()))
        elif m.group("amount"):
            unit = _CURRENCY_SIGNS[m.group("currency")]
            found.append(Quantity(_canonical_number(m.group("amount")), unit, surface, m.start(), m.end()))
        else:
            unit = next((name[2:] for name, value in m.groupdict().items() if name.startswith("u_") and value), None)
            found.append(Quantity(_canonical_number(m.group("number")), unit, surface, m.start(), m.end()))
    # "2-4 days", "2 à 4 jours", "€20 to 30": both ends of a range measure the same thing.
    for left, right in zip(found, found[1:], strict=False):
        if _RANGE_LINK.fullmatch(folded[left.end : right.start]):
            if left.unit is None:
                left.unit = right.unit
            elif right.unit is None:
                right.unit = left.unit
    return found


def _clock(hour: int, minute: str | None) -> str:
    return f"{hour}" if not minute or minute == "00" else f"{hour}:{minute}"


def _units_compatible(a: str | None, b: str | None) -> bool:
    return a is None or b is None or a == b or frozenset({a, b}) in _COMPATIBLE_UNITS


def _unsupported_quantities(reply: str, source_text: str) -> list[str]:
    known = quantities(source_text)
    return [
        q.surface
        for q in quantities(reply)
        if not any(k.value == q.value and _units_compatible(q.unit, k.unit) for k in known)
    ]


# --- links and addresses -----------------------------------------------------------------------------

_LINK = re.compile(r"https?://[^\s<>\"]+|www\.[^\s<>\"]+|[\w.+-]+@[\w-]+(?:\.[\w-]+)+")


def _unsupported_links(reply: str, source_text: str) -> list[str]:
    folded_sources = fold(source_text)
    links = (m.group(0).rstrip(".,;:!?)") for m in _LINK.finditer(fold(reply)))
    return [link for link in links if link not in folded_sources]


# --- commitments -------------------------------------------------------------------------------------

_COMMITMENTS = {
    "refund": r"refund\w*|reimburs\w*|rembours\w*|money back",
    "guarantee": r"guarant\w*|garanti\w*",
    "free": r"free|gratuit\w*|offerte?s?",
    "gift": r"gift\w*|cadeaux?",
    "compensation": r"compensat\w*|dedommag\w*|indemni\w*",
    "discount": r"discount\w*|reduction\w*|remises?|rabais|coupons?|vouchers?|promo\w*|store credit|bons? d achat"
    r"|geste commercial",
    "replacement": r"replac\w*|remplac\w*",
    "exception": r"exception\w*|waive\w*|derogation\w*",
    "promise": r"we will|we ll|we shall|we promise|i promise|i will|i ll|nous allons|nous vous promettons"
    r"|je vous promets|je vais|on va|nous (?:vous )?(?:(?!serons\b)[a-z]+(?:erons|irons)|ferons|enverrons|pourrons"
    r"|aurons|devrons|prendrons|rendrons|tiendrons|viendrons)",
    "today": r"today|tonight|this evening|same[ -]day|aujourd hui|ce soir|le jour meme",
    "immediately": r"immediately|instantly|right away|right now|straight away|immediatement|tout de suite"
    r"|sur le champ|instantanement",
    "tomorrow": r"tomorrow|next[ -]day|overnight|demain|lendemain",
}
_COMMITMENT_PATTERNS = {kind: re.compile(rf"\b(?:{pattern})\b") for kind, pattern in _COMMITMENTS.items()}
# Said before looking for commitments: "free" phrased with a negation word ("at no cost") is still "free",
# and politeness ("feel free", "help you today") promises nothing.
_PHRASES = [
    (re.compile(r"\bfeel free\b"), "feel welcome"),
    # "How can I help you today?" is politeness, not a same-day promise.
    (re.compile(r"\b(help|assist|aider)\b([a-z ]{0,30}?)\s(?:today|aujourd hui)\b"), r"\1\2"),
    (re.compile(r"\b(?:free of charge|at no (?:extra |additional )?(?:cost|charge)|no (?:extra |additional )?"
                r"(?:cost|charge)|without (?:any )?charge|sans (?:aucun )?frais|a titre gracieux)\b"), "free"),
]  # fmt: skip
_NEGATIONS = {
    "not", "no", "never", "cannot", "none", "nor", "neither", "nothing", "unable", "without",
    "ne", "n", "pas", "jamais", "aucun", "aucune", "ni", "non", "rien", "nullement", "sans",
}  # fmt: skip
# "Refunds are not possible", "non-refundable", "ne sont pas remboursés": the negation sits within a few words.
NEGATION_WINDOW = 2
_CLAUSE_BREAK = re.compile(
    r"[.!?;:()\n]+|,\s|\s-\s"
    r"|\b(?:but|however|although|though|whereas|while|unless|except|otherwise|mais|cependant|toutefois|sauf"
    r"|alors que|tandis que|sinon|pourtant)\b"
)


def _commitment_text(text: str) -> str:
    text = fold(text).replace("n't", " not").replace("'", " ")
    for pattern, replacement in _PHRASES:
        text = pattern.sub(replacement, text)
    return text


def commitments(text: str) -> set[tuple[str, bool, str]]:
    """(kind, negated, words) for every promise-changing word; negated when a negation is near it in its clause."""
    found = set()
    for clause in _CLAUSE_BREAK.split(_commitment_text(text)):
        tokens = [(m.start(), m.group(0)) for m in re.finditer(r"[a-z]+", clause)]
        for kind, pattern in _COMMITMENT_PATTERNS.items():
            for m in pattern.finditer(clause):
                before = [word for start, word in tokens if start < m.start()][-NEGATION_WINDOW:]
                after = [word for start, word in tokens if start >= m.end()][:NEGATION_WINDOW]
                found.add((kind, bool(_NEGATIONS.intersection(before + after)), m.group(0)))
    return found


def _unsupported_commitments(reply: str, source_text: str) -> list[str]:
    known = {(kind, negated) for kind, negated, _ in commitments(source_text)}
    unsupported = {
        ("not " if negated else "") + words
        for kind, negated, words in commitments(reply)
        if (kind, negated) not in known
    }
    return sorted(unsupported)


# --- clause support ----------------------------------------------------------------------------------

_STOPWORDS = (
    set(
        """
    a an the and or but if then so than as of to in on at by for with from into onto about over under within
    without up down out off back just also only even still all any some each every both either per more most
    much many very too quite really what which who whom whose when where how why yes no not nor this that
    these those there here it its i me my mine we us our ours you your yours he him his she her they them
    their is are was were be been being am do does did done doing have has had having can could may might
    will would shall should must ll re ve don doesn didn isn aren wasn won wouldn couldn shouldn can cannot
    haven hasn hadn weren mustn needn shan
    get gets got getting let lets make makes made one ones other another such same own via etc usually
    typically generally normally simply please note kindly unfortunately currently however
    order orders ordered package packages parcel parcels purchase purchased purchases customer customers
    arrive arrives arrived receive receives received send sends sent need needs want wants able
    le la les l un une des du de d et ou mais donc or ni car au aux en dans sur sous pour par avec sans chez
    vers entre apres avant depuis pendant je j tu il elle on nous vous ils elles me m te t se s moi toi lui
    leur leurs mon ma mes ton ta tes son sa ses notre nos votre vos ce cet cette ces c ca cela ceci qui que
    qu quoi dont y est sont etre ete etait etaient sera seront serait avoir avez avons ont ai as eu aura
    peut peuvent pouvez pouvons pourrez pourra faire fait font faut tout tous toute toutes ne n pas plus
    tres bien si oui non comme aussi encore deja meme alors ainsi generalement simplement noter
    commande commandes colis achat achats client clients recevoir recevez recevrez arriver arrive envoyer
    besoin
    """.split()
    )
    | set(_MONTHS)
    | set(_SPELLED)
    | set(_SPELLED_BEFORE_UNIT)
)  # numbers and dates are checked on their own
_POLITENESS = {
    "hello", "hi", "hey", "thank", "thanks", "welcome", "happy", "glad", "help", "helps", "helped", "helpful",
    "hope", "pleasure", "anything", "else", "question", "questions", "know", "feel", "ask", "reach", "reaching",
    "contact", "assist", "assistance", "sure", "course", "certainly", "absolutely", "sorry", "apologize",
    "apologise", "inconvenience", "understand", "great", "good", "nice", "wonderful", "day", "regards",
    "best", "cheers", "further", "news", "okay", "ok", "hesitate", "today", "free", "bonjour", "bonsoir", "salut",
    "merci", "plaisir", "ravi", "ravie", "ravis", "heureux", "heureuse", "aider", "aide", "hesitez",
    "hesiter", "autre", "autres", "bonne", "excellente", "journee", "soiree", "disposition",
    "contacter", "contactez", "reste", "cordialement", "bienvenue", "desole", "desolee", "comprends",
    "volontiers", "nouvelle", "nouvelles", "bien", "entendu", "sur", "parfait", "excuses", "madame", "monsieur",
}  # fmt: skip
_SUFFIXES = sorted(
    """
    ations ation ements ement ments ment ingly ings ing ied ies iers ers er ed es ly s y e able ables ible ibles
    aisons aison euses euse eurs eur ees ee ez ons ent aient ait ir x ique iques ites ite
    """.split(),
    key=len,
    reverse=True,
)
_MIN_STEM = 3


def stem(word: str) -> str:
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= _MIN_STEM:
            word = word[: -len(suffix)]
            break
    # shipping / shipped -> ship
    if len(word) > 3 and word[-1] == word[-2] and word[-1] not in "aeiousl":
        word = word[:-1]
    return word


# The few synonyms every delivery article is paraphrased with.
_SAME_MEANING = {"working": "business", "ouvrables": "ouvres", "ouvrable": "ouvre"}


def content_words(text: str) -> list[str]:
    words = re.findall(r"[a-z]+", fold(text).replace("'", " "))
    return [_SAME_MEANING.get(w, w) for w in words if len(w) > 1 and w not in _STOPWORDS]


def _stem_supported(word_stem: str, known: set[str]) -> bool:
    if word_stem in known:
        return True
    # retour / retourner, livr / livraison: one is the other plus a short ending.
    return any(
        len(shorter) >= 4 and longer.startswith(shorter) and len(longer) - len(shorter) <= 3
        for k in known
        for shorter, longer in [sorted((word_stem, k), key=len)]
    )


def clauses(text: str) -> list[str]:
    parts = re.split(r"(?<=[.!?…])\s+|\n+|[;:]\s|,\s|\s[-–—]\s", text)
    return [p.strip() for p in parts if p and p.strip()]


def _unsupported_clauses(reply: str, source_text: str) -> list[str]:
    known = {stem(w) for w in content_words(source_text)}
    politeness = {stem(w) for w in _POLITENESS}
    unsupported = []
    for clause in clauses(reply):
        words = content_words(clause)
        if not words or all(w in _POLITENESS or stem(w) in politeness for w in words):
            continue
        supported = sum(1 for w in words if _stem_supported(stem(w), known))
        if supported / len(words) < CLAUSE_SUPPORT_MIN:
            unsupported.append(clause)
    return unsupported


# --- names ---------------------------------------------------------------------------------------------

# A capitalised word inside a sentence, or an acronym: a carrier, place, weekday or brand ("DHL", "Paris").
_NAME = re.compile(r"(?<![.!?…:\n\-•*\"«]\s)(?<![.!?…:\n\-•*\"«])(?<!^)\b[A-ZÀ-Ý][\w'’-]*|\b[A-ZÀ-Ý]{2,}\b")
_NOT_NAMES = {"i", "ok", "eur", "usd", "gbp"} | set(_MONTHS) | _POLITENESS


def _unsupported_names(reply: str, source_text: str) -> list[str]:
    known = set(re.findall(r"[a-z0-9]+", fold(source_text)))
    unsupported = []
    for m in _NAME.finditer(reply.strip()):
        words = re.findall(r"[a-z0-9]+", fold(m.group(0)))
        # Months and currency codes are checked with the numbers they come with.
        if words and words[0] not in _NOT_NAMES and not set(words) <= known:
            unsupported.append(m.group(0))
    return unsupported
