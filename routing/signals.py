"""Escalation signals read from what the customer writes (English and French).

Every detector is a plain, deterministic function over case- and accent-folded text, so an agent can always be
shown the words that raised a signal.
"""

import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher

from cxhub.folding import fold


@dataclass(frozen=True)
class Signal:
    """One reason a conversation may need a person: what it is, how strong (0..1), and the words behind it."""

    name: str
    strength: float
    evidence: str


def _short(evidence: str, limit: int = 80) -> str:
    evidence = " ".join(evidence.split())
    return evidence if len(evidence) <= limit else evidence[: limit - 1] + "…"


@functools.lru_cache(maxsize=64)
def _origins(text: str) -> tuple[int, ...]:
    """For each character of `fold(text)`, where it came from in `text` ("ﬁ" folds to two letters)."""
    return tuple(i for i, ch in enumerate(text) for _ in fold(ch))


def _words(text: str, start: int, end: int) -> str:
    """The customer's own words behind a span of `fold(text)`."""
    origin = _origins(text)
    return text[origin[start] : origin[end - 1] + 1].strip() if start < end <= len(origin) else ""


# --- Negation -----------------------------------------------------------------------------------------------------

# A negation does not reach past punctuation or a "but": "I'm not happy, this is useless" is still angry.
_CLAUSE_BREAK = re.compile(r"[.,;:!?()]|\b(?:but|mais)\b")
# Words with their contraction kept whole, so "isn't" and "n'est" are single tokens.
_TOKEN = re.compile(r"[a-z0-9]+(?:['’][a-z]+)?")
# A new subject starts a new statement: in "if this isn't fixed I'll sue you" the "isn't" is not about suing.
_SUBJECTS = frozenset("i im we you he she they it this that je j tu il elle on nous vous ils elles ce c ca".split())
# Words that turn what follows around: "not useless", "n'est pas nul", "no complaints".
_NEGATORS = frozenset("not no never without nor cannot pas ne jamais sans aucun aucune ni".split())


def _is_subject(token: str) -> bool:
    return re.split("['’]", token)[0] in _SUBJECTS


def _is_negator(token: str) -> bool:
    return token in _NEGATORS or token.endswith(("n't", "n’t")) or token.startswith(("n'", "n’"))


def _negated(folded: str, position: int) -> bool:
    """Whether the words just before `position`, in the same clause and statement, negate what follows."""
    before = folded[:position]
    breaks = list(_CLAUSE_BREAK.finditer(before))
    tokens = _TOKEN.findall(before[breaks[-1].end() :] if breaks else before)
    subjects = [i for i, token in enumerate(tokens) if _is_subject(token)]
    if subjects:
        tokens = tokens[subjects[-1] + 1 :]
    return any(_is_negator(token) for token in tokens[-4:])


def _affirmed(pattern: re.Pattern[str], folded: str) -> list[re.Match[str]]:
    """Every match of `pattern` that is not negated; a `key` group marks where the negation is looked for."""
    return [
        match
        for match in pattern.finditer(folded)
        if not _negated(folded, match.start("key") if "key" in pattern.groupindex else match.start())
    ]


# --- Explicit request for a person ------------------------------------------------------------------------------

# Asking for a person in so many words, or sending only the word ("agent", "humain").
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
# "No need for a human" names a person only to say there is no need for one.
_NEGATED = re.compile(
    r"\b(no need|don.t need|do not need|pas besoin|sans)\b[^.]*\b(human|person|agent|humain|personne|conseiller)"
)
# "I don't want to talk to a human" names a person only to turn one down.
_REFUSED = re.compile(
    r"\b(?:don.t|do not|doesn.t|won.t)\s+(?:want|wish)\s+to\s+(?:talk|speak|chat)\s+(?:to|with)\s+"
    r"(?:a|an|any|some)?\s*(?:real\s+)?(?:human|person|agent|someone|somebody)"
    r"|\bne\s+(?:veux|veut|voulons|souhaite)\s+pas\s+(?:parler|discuter)\s+(?:a|avec)\s+"
    r"(?:un|une|quelqu.un)\s*(?:humain|personne|conseiller|conseillere|agent)?"
)


def _declines_person(folded: str) -> bool:
    return bool(_NEGATED.search(folded) or _REFUSED.search(folded))


def _person_request_phrase(text: str) -> str | None:
    """The customer's words asking for a person, if they do."""
    folded = fold(text)
    stripped = folded.strip()
    if _declines_person(stripped):
        return None
    match = _PERSON_REQUEST.search(stripped)
    offset = len(folded) - len(folded.lstrip())
    return _words(text, match.start() + offset, match.end() + offset) if match else None


def asks_for_person(text: str) -> bool:
    """An explicit request for a person, which always wins over the AI."""
    return _person_request_phrase(text) is not None


# --- Frustration ------------------------------------------------------------------------------------------------

# Judgements of the service itself, the clearest wording of anger.
_ANGRY_WORDS = re.compile(
    r"\b(?:ridiculous|unacceptable|(?:is\s+)?not acceptable|isn.t acceptable|outrageous|disgraceful|disgusting|pathetic"
    r"|useless|incompetents?"
    r"|(?:this|that|it|you)\s*(?:is|are|'s|’s|'re|’re)\s+a\s+(?:joke|scam|disgrace)|is\s+this\s+a\s+joke"
    r"|inadmissible|inacceptable|(?:n.est |c.est )?pas acceptable|scandaleu(?:x|se)|un scandale"
    r"|honteu(?:x|se)|une honte"
    r"|lamentable|deplorable|c.est ridicule|arnaque(?:s|urs?)?)\b"
)
# A service called the worst, not a "worst case".
_WORST = re.compile(
    r"\bworst\s+(?:\w+\s+){0,2}?(?:service|support|company|experience|shop|store|ever)\b"
    r"|\bpire\s+(?:service|sav|entreprise|boutique|experience)\b"
)
# Having had enough: fed up, "ras-le-bol", "j'en ai marre".
_FED_UP = re.compile(
    r"\b(?:fed up|sick and tired|sick of (?:waiting|this|you|your)|(?:had|have had) enough"
    r"|ras.le.bol|marre|en ai assez|j.en peux plus)\b"
)
# Not being happy is as telling as being angry; the match starts before "ne" so it is not read as a double negation.
_NOT_HAPPY = re.compile(
    r"\b(?:not|never)\s+(?:at all\s+)?(?:happy|satisfied|pleased)\b"
    r"|\b(?:ne suis|ne sommes|n.est|suis|sommes)?\s*pas\s+(?:du tout\s+)?(?:contente?s?|satisfaite?s?)\b"
)
# The customer naming the feeling; "I'm not angry" is caught by the negation check.
_FEELINGS = re.compile(
    r"\b(?:angry|furious|livid|annoyed|frustrated|frustrating|pissed(?: off)?|irritated|exasperated"
    r"|(?:enerve|agace|excede|exaspere|frustre)e?s?|en colere|furieu(?:x|se))\b"
)
# Swearing; "damn good lamp" is praise.
_SWEARING = re.compile(
    r"\b(?:wtf|ffs|fuck\w*|shit\w*|bloody|crap|damn(?:ed)?(?!\s+(?:good|fine|nice|great|well)\b)"
    r"|putain|merde\w*|bordel|fait chier|chiant\w*)\b"
)
# "Nul" as a verdict, not "nulle part" (nowhere), "nul besoin" (no need) or "match nul" (a draw).
_NUL = re.compile(r"(?<!match )\bnul(?:le|s|les)?\b(?!\s+(?:part|besoin|doute|autre|ne)\b)")
# "C'est n'importe quoi" is anger; "graver n'importe quoi" (engrave anything) is not.
_NONSENSE = re.compile(r"\b(?:c.est|du|quel|vraiment)\s+(?:du\s+)?n.importe\s+quoi\b|\bn.importe\s+quoi\s*!")
# Having to ask again and again, in the customer's words.
_ASKED_AGAIN = re.compile(
    r"\b(?:asked|told|written|wrote|explained|contacted|called|emailed|messaged|chased)\s+(?:you\s+|(?:about\s+)?this\s+)?"
    r"(?:twice|(?:two|three|four|five|six|several|many|multiple|so many|\d+)\s+times)\b"
    r"|\bfor the (?:third|fourth|fifth|tenth|hundredth|umpteenth|nth|\d+(?:rd|th)) time\b"
    r"|\b(?:already told you|as i (?:already )?said)\b"
    r"|\b(?:ca|cela)\s+fait\s+(?:deux|trois|quatre|cinq|plusieurs|\d+)\s+fois\s+que\s+(?:je|j.)\s*"
    r"(?:demande|dis|ecris|appelle|relance|pose|repete|vous|l.ai|explique|contacte)"
    r"|\bpour la (?:troisieme|quatrieme|cinquieme|dixieme|enieme|nieme|\d+e(?:me)?) fois\b"
    r"|\bje (?:vous )?l.ai deja (?:dit|explique|demande|repete)\b"
)
_FRUSTRATION_WORDING = (_ANGRY_WORDS, _WORST, _FED_UP, _NOT_HAPPY, _FEELINGS, _SWEARING, _NUL, _NONSENSE, _ASKED_AGAIN)

# "!!!" or "???": three or more in a row; a single "?!" is mere surprise.
_PUNCTUATION_RUN = re.compile(r"[!?]{3,}")
# Capitals and "!!!" also carry delight ("THANK YOU SO MUCH!!!"), which is no reason to call a person.
_CHEERFUL = re.compile(
    r"\b(?:thanks?|thank you|merci|love|adore|awesome|bravo|perfect|parfait|wonderful|happy)\b(?!\s+for nothing)"
)
# All-caps words this long are shouted; shorter ones may be acronyms (DHL, EU, PDF, SAV).
_SHOUTED_MIN_LETTERS = 4
# Near-identical means a difflib ratio at least this high.
_REPEAT_RATIO = 0.85
# How many earlier copies of the message make it a repeat worth flagging (it is then sent a third time).
_REPEATS_FOR_SIGNAL = 2
# Shorter messages ("yes", "ok merci") repeat naturally in a conversation.
_REPEAT_MIN_WORDS = 3


def _shouting(text: str) -> bool:
    """Mostly capitals, three capitalised words at least and one of them long: a sentence with DHL or PDF in it,
    or a lone "HELP", is not shouting."""
    words = re.findall(r"[^\W\d_]+", text)
    capitals = [word for word in words if word.isupper()]
    counted = [word for word in capitals if len(word) >= 2]
    long_words = [word for word in capitals if len(word) >= _SHOUTED_MIN_LETTERS]
    return len(counted) >= 3 and bool(long_words) and len(capitals) >= 0.7 * len(words)


def _comparable(text: str) -> str:
    return " ".join(re.findall(r"[a-z0-9]+", fold(text)))


def _earlier_copies(text: str, recent_customer_texts: Sequence[str]) -> int:
    current = _comparable(text)
    if len(current.split()) < _REPEAT_MIN_WORDS:
        return 0
    ratios = (SequenceMatcher(None, current, _comparable(earlier)).ratio() for earlier in recent_customer_texts)
    return sum(ratio >= _REPEAT_RATIO for ratio in ratios)


def frustration(text: str, *, recent_customer_texts: Sequence[str] = ()) -> Signal | None:
    """Anger or frustration, from wording, shouting, "!!!"/"???" and the same message sent again.

    `recent_customer_texts` are the customer's earlier messages, not including `text`. Each distinct cue adds
    to the strength: one cue is 0.4, four or more are 1.0.
    """
    folded = fold(text)
    cues: list[str] = []
    for pattern in _FRUSTRATION_WORDING:
        for match in _affirmed(pattern, folded):
            if (cue := _words(text, match.start(), match.end())) not in cues:
                cues.append(cue)
    if not _affirmed(_CHEERFUL, folded):
        if _shouting(text):
            cues.append("shouting")
        if run := _PUNCTUATION_RUN.search(text):
            cues.append(run.group())
    copies = _earlier_copies(text, recent_customer_texts)
    if copies >= _REPEATS_FOR_SIGNAL:
        cues.append(f"same message sent {copies + 1} times")
    if not cues:
        return None
    return Signal(name="frustration", strength=min(1.0, 0.2 + 0.2 * len(cues)), evidence=_short(", ".join(cues)))


# --- Repeated requests for a person -----------------------------------------------------------------------------

# "a human", "un conseiller", "a real person": the word used for who they want, not "human error" or "me conseiller".
_PERSON_MENTION = re.compile(
    r"\b(?:a|an|the|some|real|live|actual|un|une|le|la|au|vrai|vraie|etre)\s+(?:real\s+|live\s+|vrai\s+|vraie\s+)?"
    r"(?:human|humain|operator|operateur|operatrice|representative|conseiller|conseillere)s?\b(?!-)"
    r"(?!\s+(?:error|erreur)\b)"
    r"|\b(?:real|live|actual)\s+(?:person|people|agent)\b|\bvraie\s+personne\b"
)
# A message made only of the words, as in "human human human" or "AGENT!!! AGENT!!!".
_BARE_PERSON_WORDS = re.compile(r"^\W*(?:(?:human|agent|operator|humain|conseiller|conseillere|operateur)\b\W*)+$")
# Each word counted in such a message.
_PERSON_WORD = re.compile(r"\b(?:human|agent|operator|humain|conseiller|conseillere|operateur)\b")


def _person_asks(text: str) -> int:
    folded = fold(text).strip()
    if _declines_person(folded):
        return 0
    mentions = len(_PERSON_MENTION.findall(folded))
    if _BARE_PERSON_WORDS.match(folded):
        mentions = max(mentions, len(_PERSON_WORD.findall(folded)))
    return max(mentions, int(asks_for_person(text)))


def repeated_person_requests(texts: Sequence[str]) -> Signal | None:
    """The customer asked for a person two or more times across `texts`, their recent messages with the current one."""
    asks = sum(_person_asks(text) for text in texts)
    if asks < 2:
        return None
    strength = min(1.0, 0.4 + 0.15 * asks)
    return Signal(name="repeated_person_requests", strength=strength, evidence=f"asked for a person {asks} times")


# --- Sensitive topics -------------------------------------------------------------------------------------------

# Talk of ending one's life outranks everything; it is flagged even when negated, since a needless handoff is cheap.
_SELF_HARM = re.compile(
    r"\b(?:suicid(?:e|al|er|aire)|kill myself|end my life|end it all|self.harm|hurt myself|want to die"
    r"|don.t want to live|me tuer|mettre fin a mes jours|en finir avec (?:la vie|tout)|envie de mourir"
    r"|plus envie de vivre)\b"
)
# Someone describing themselves as vulnerable; "disabled" alone is as often about a setting ("Bluetooth disabled").
_VULNERABLE_SELF = re.compile(
    r"\b(?:i.m|i am|im|i.ve been|je suis|j.ai ete)\s+(?:\w+\s+){0,2}?(?P<key>disabled|blind|deaf|partially sighted"
    r"|visually impaired|housebound|elderly|dyslexi(?:c|que)|handicapee?|malvoyante?|aveugle|sourde?|agee"
    r"|hospitalisee?|illettree?|(?:in|at)\s+(?:the\s+)?hospital|a l.hopital)\b"
)
# Conditions and ages that call for extra care whoever states them; "elderly" alone is too often a product question.
_VULNERABLE_WORDS = re.compile(
    r"\b(?:wheelchair|disability|disabilities|fauteuil roulant|handicap(?:e|ee)?s?|personne agee|hospitali[sz]ed"
    r"|chemo(?:therapy)?|chimio(?:therapie)?|dementia|alzheimer|my elderly|mes parents ages"
    r"|i.m (?:[89]\d|1\d\d) years? old|j.ai (?:[89]\d|1\d\d) ans)\b"
)
# Reading or seeing with difficulty, which changes how an answer must be given.
_READING = re.compile(
    r"\b(?:can.t|cannot|can not)\s+(?:read|see)\s+(?:very\s+)?well|poor eyesight"
    r"|ne\s+(?:sais|peux)\s+pas\s+(?:bien|tres bien)\s+lire|je lis mal|je vois mal|ne vois pas bien\b"
)
# Money trouble: "struggling to pay", "difficultés financières".
_HARDSHIP = re.compile(
    r"\b(?:struggling (?:to pay|financially|with (?:money|bills))|(?:can.t|cannot) afford (?:it|this|that|to pay|the)"
    r"|lost my job|unemployed|in debt|on benefits|difficultes financieres|du mal a payer|(?:au|en) chomage"
    r"|surendette?e?|fins de mois difficiles|n.ai (?:pas|plus) les moyens)\b"
)
# A threat of lawyers or courts; "to court" and not the French "trop court" (too short).
_LEGAL = re.compile(
    r"\b(?:lawyers?|attorneys?|solicitors?|legal (?:action|proceedings|steps|team|advice)|small claims"
    r"|trading standards|(?:to|in) court|lawsuit|mise en demeure|tribunal|(?:en|la) justice|poursuites"
    r"|poursuivre en justice|vous poursuivre|porter plainte|deposer (?:une )?plainte|plainte contre|dgccrf"
    r"|ufc.que choisir)\b"
)
# "Avocat" is also a colour, avocado green: "vert avocat".
_AVOCAT = re.compile(r"(?<!vert )(?<!couleur )\bavocats?\b")
# "Sue" as a verb, not the colleague called Sue.
_SUE = re.compile(
    r"\bsu(?:e|ing)\b(?=\s+(?:you|u|your|them|the|this|cxhub|anyone|everyone|over|for)\b|\s*[.!]*$)|\bsued\b"
)
# Someone else in the account, or a fraud on it.
_INTRUSION = re.compile(
    r"\b(?:hacked|hacker|hacking|hacke|compromised|piratage|(?:ete|est|suis|fait)\s+pirate(?:e|s|es)?"
    r"|someone (?:has )?(?:logged|signed|got) in|logged into my account|unauthori[sz]ed|locked out"
    r"|(?:quelqu.un|qqn) s.est connecte|connexion suspecte|suspicious (?:login|activity|sign.in)|activite suspecte"
    r"|phishing|hameconnage|usurpation|identity theft|vol d.identite|fraud\w*|stolen card|carte volee"
    r"|someone (?:else )?(?:has )?(?:used|is using) my (?:card|account)|quelqu.un a utilise ma carte)\b"
)
# Changing how one logs in or gets paid is what account takeovers do; email notification settings are not that.
_CREDENTIAL_CHANGE = re.compile(
    r"\b(?:change|changing|update|updating|reset|modify|edit)\s+(?:my|the|our)\s+(?:account\s+)?"
    r"(?:e.?mail(?:\s+address)?|password|iban|bank (?:details|account)|payment details|card details|phone number)\b"
    r"(?!\s+(?:notifications?|preferences|settings|newsletter|subscriptions?))"
    r"|\b(?:changer|modifier|mettre a jour|reinitialiser)\s+(?:mon|ma|mes|l.|le|la|les)\s*(?:adresse\s+)?"
    r"(?:(?:e.?)?mail|mot de passe|rib|iban|coordonnees bancaires|numero de telephone)\b"
)
# A forgotten password is handled by a person, who checks it is really the customer asking.
_FORGOTTEN_LOGIN = re.compile(
    r"\b(?:forgot|forgotten|lost|can.t remember)\s+(?:my\s+)?(?:password|login|pin)\b"
    r"|\bmot de passe (?:oublie|perdu)|\b(?:oublie|perdu)\s+(?:mon\s+)?(?:mot de passe|identifiant)\b"
)
# Close relatives, but not "my son's order": a possessive is about their things.
_RELATIVE = (
    r"(?:mother|mom|mum|father|dad|husband|wife|partner|son|daughter|brother|sister|grand(?:mother|father|ma|pa)"
    r"|granny|aunt|uncle|child|baby|parents?|fiancee?|best friend|mere|maman|pere|papa|mari|epoux|epouse|femme"
    r"|conjointe?|compagnon|compagne|fils|fille|frere|s(?:oe|œ)ur|grand.mere|grand.pere|mamie|papi|oncle|tante"
    r"|enfant|bebe)\b(?!['’]s\b)"
)
# Words only ever used of people: "passed away", "décès", "obsèques".
_DEATH_WORDS = re.compile(
    r"\b(?:passed away|deceased|bereavement|bereaved|funeral|widow(?:ed|er)?|deces|decedee?s?|obseques|enterrement"
    r"|deuil|veuve|veuf|nous a quittee?s?|(?:loss|death) in (?:the|my|our) family)\b"
)
# "Died", "mort", "lost" only count with a relative: the lamp dying is a product fault.
_RELATIVE_DIED = re.compile(
    rf"\b(?:my|our|mon|ma|mes|notre)\s+(?:late\s+|dear\s+|cher\s+|chere\s+)?{_RELATIVE}\s+(?:\w+\s+){{0,2}}?"
    r"(?:died|passed(?:\s+on|\s+last|\s+recently|\s+yesterday)|is dead|(?:est morte?|sont morts)\b(?!\s+de rire))"
    rf"|\b(?:lost|losing|death of|loss of)\s+(?:my|our)\s+(?:\w+\s+)?{_RELATIVE}"
    rf"|\b(?:perdu|perte de|mort de)\s+(?:mon|ma|mes|notre)\s+{_RELATIVE}|\bmy late {_RELATIVE}"
)
# A complaint or a payment dispute; "no complaints" is handled by the negation check.
_COMPLAINT = re.compile(
    r"\b(?:complaints?|complain(?:ing)?|chargeback|charge back|dispute|contest (?:the|this|a) (?:charge|payment)"
    r"|reclamation|litige|contest(?:e|er|ons|ez|ation)|faire opposition|me plaindre)\b"
)
# Wording of a big order: bulk, wholesale, "commande professionnelle".
_BULK_WORDS = re.compile(
    r"\b(?:bulk|wholesale|en gros|commande (?:professionnelle|pro|groupee|en volume)|b2b|trade account"
    r"|compte pro(?:fessionnel)?)\b"
)
# "50 desk lamps", "devis pour 100": a count of items, not "100 watt bulbs".
_QUANTITY = re.compile(
    r"(?<![\d.,])\b(?P<qty>\d+)\s+(?:(?!watts?\b|w\b|lumens?\b|lm\b|cm\b|mm\b|volts?\b|v\b|k\b)\w+\s+)?"
    r"(?:lamps?|lampes?|units?|unites?|pieces?|pcs|bulbs?|ampoules?|luminaires?|lights?|appliques?|suspensions?)\b"
    r"|\b(?:devis|quote|quotation)\s+(?:pour|for)\s+(?P<quoted>\d+)\b"
)
# An amount with its currency: "1 200 €", "€1,200", "1200 euros", "2k€".
_AMOUNT = re.compile(
    r"(?P<before>€|\$|£|\beur\b|\busd\b|\bgbp\b)?\s?"
    r"(?<![\d.,])(?P<number>\d{1,3}(?:[ \u00a0\u202f.,]\d{3})+(?:[.,]\d{1,2})?|\d+(?:[.,]\d{1,2})?)(?!\d)"
    r"\s?(?P<thousands>k\b)?\s?"
    r"(?P<after>€|\$|£|euros?\b|eur\b|dollars?\b|usd\b|pounds?\b|gbp\b|livres?\b)?"
)
_LARGE_AMOUNT = 1000
_BULK_QUANTITY = 20


def _amount_value(number: str) -> float:
    """1200 from "1 200", "1,200", "1.200" or "1 200,00": a separator before one or two final digits is a decimal."""
    compact = re.sub(r"\s", "", number)
    last = max(compact.rfind(","), compact.rfind("."))
    whole, cents = compact, "0"
    if last != -1 and len(compact) - last - 1 in (1, 2):
        whole, cents = compact[:last], compact[last + 1 :]
    return float(re.sub(r"[.,]", "", whole) + "." + cents)


def _large_purchase(text: str, folded: str) -> str | None:
    for match in _AMOUNT.finditer(folded):
        in_thousands = bool(match["thousands"]) and "budget" in folded
        if not (match["before"] or match["after"] or in_thousands):
            continue
        value = _amount_value(match["number"]) * (1000 if match["thousands"] else 1)
        if value >= _LARGE_AMOUNT:
            return _words(text, match.start(), match.end())
    for match in _QUANTITY.finditer(folded):
        if int(match["qty"] or match["quoted"]) >= _BULK_QUANTITY and not _negated(folded, match.start()):
            return _words(text, match.start(), match.end())
    found = _affirmed(_BULK_WORDS, folded)
    return _words(text, found[0].start(), found[0].end()) if found else None


# Most serious first: the first topic found is the one reported.
_SENSITIVE_TOPICS: tuple[tuple[str, float, tuple[re.Pattern[str], ...]], ...] = (
    ("legal_threat", 0.9, (_LEGAL, _AVOCAT, _SUE)),
    ("account_security", 0.9, (_INTRUSION, _CREDENTIAL_CHANGE, _FORGOTTEN_LOGIN)),
    ("bereavement", 0.8, (_DEATH_WORDS, _RELATIVE_DIED)),
    ("vulnerability", 0.8, (_VULNERABLE_SELF, _VULNERABLE_WORDS, _READING, _HARDSHIP)),
    ("complaint_dispute", 0.7, (_COMPLAINT,)),
)


def sensitive_topic(text: str) -> Signal | None:
    """The most serious sensitive topic in `text`: self-harm, legal threat, account security, bereavement,
    vulnerability, complaint or dispute, then large purchase."""
    folded = fold(text)
    if self_harm := _SELF_HARM.search(folded):
        evidence = _words(text, self_harm.start(), self_harm.end())
        return Signal(name="vulnerability", strength=1.0, evidence=_short(evidence))
    for name, strength, patterns in _SENSITIVE_TOPICS:
        for pattern in patterns:
            if found := _affirmed(pattern, folded):
                evidence = _words(text, found[0].start(), found[0].end())
                return Signal(name=name, strength=strength, evidence=_short(evidence))
    if purchase := _large_purchase(text, folded):
        return Signal(name="large_purchase", strength=0.5, evidence=_short(purchase))
    return None


# --- The AI's own uncertainty -----------------------------------------------------------------------------------


def low_confidence_streak(confidences_abstained: Sequence[bool]) -> Signal | None:
    """The AI abstained on its last two replies or more (outcomes oldest first, True = abstained)."""
    streak = 0
    for abstained in reversed(confidences_abstained):
        if not abstained:
            break
        streak += 1
    if streak < 2:
        return None
    return Signal(
        name="low_confidence_streak",
        strength=min(1.0, 0.4 + 0.2 * streak),
        evidence=f"AI unsure on its last {streak} replies",
    )


# --- All together -----------------------------------------------------------------------------------------------


def signals_detect(
    text: str, *, recent_customer_texts: Sequence[str] = (), recent_ai_abstained: Sequence[bool] = ()
) -> list[Signal]:
    """Every signal in the customer's latest message, in a fixed order: explicit request, sensitive topic,
    frustration, repeated requests for a person, the AI's low-confidence streak.

    `recent_customer_texts` are the customer's earlier messages (oldest first, without `text`);
    `recent_ai_abstained` the AI's recent reply outcomes (oldest first, True = abstained).
    """
    found: list[Signal] = []
    if phrase := _person_request_phrase(text):
        found.append(Signal(name="explicit_request", strength=1.0, evidence=_short(phrase)))
    found.extend(
        signal
        for signal in (
            sensitive_topic(text),
            frustration(text, recent_customer_texts=recent_customer_texts),
            repeated_person_requests([*recent_customer_texts, text]),
            low_confidence_streak(recent_ai_abstained),
        )
        if signal is not None
    )
    return found
