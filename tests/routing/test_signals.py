"""Escalation signals in English and French: what raises each one, and phrasings that must not."""

import pytest

from routing.signals import (
    Signal,
    asks_for_person,
    frustration,
    low_confidence_streak,
    repeated_person_requests,
    sensitive_topic,
    signals_detect,
)


@pytest.mark.parametrize(
    "text",
    [
        "I want to talk to a human",
        "Can I speak with a real person?",
        "agent",
        "HUMAN!!",
        "let me chat with someone please",
        "live agent",
        "Je veux parler à un conseiller",
        "Puis-je discuter avec une personne ?",
        "conseiller",
        "un vrai humain svp",
    ],
)
def test_explicit_requests_for_a_person(text):
    assert asks_for_person(text)


@pytest.mark.parametrize(
    "text",
    [
        "How long does delivery take?",
        "No need for a human, just tell me the return policy",
        "Is the lamp suitable for a person who reads a lot?",
        "Pas besoin de conseiller, merci",
        "My travel agent booked it",
    ],
)
def test_phrasings_that_are_not_a_request_for_a_person(text):
    assert not asks_for_person(text)


@pytest.mark.parametrize(
    "text",
    [
        "I don't want to talk to a human, the bot is fine",
        "Je ne veux pas parler à un conseiller, dites-moi juste le délai",
    ],
)
def test_turning_a_person_down_is_not_a_request_for_one(text):
    assert not asks_for_person(text)


def test_a_refused_bot_with_a_person_asked_for_is_still_a_request():
    assert asks_for_person("I don't want to talk to a bot, let me talk to a human")


# --- Frustration ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "evidence"),
    [
        ("This is ridiculous, I've been waiting two weeks", "ridiculous"),
        ("Your support is useless", "useless"),
        ("Worst customer service ever", "Worst customer service"),
        ("I've asked three times for my refund", "asked three times"),
        ("Honestly I'm fed up with these delays", "fed up"),
        ("Sending a broken lamp twice is unacceptable", "unacceptable"),
        ("wtf is going on with my order", "wtf"),
        ("Damn it, the parcel is late again", "Damn"),
        ("I'm not happy with how this was handled", "not happy"),
        ("C'est inadmissible, toujours pas de colis", "inadmissible"),
        ("Ras-le-bol de vos retards", "Ras-le-bol"),
        ("J'en ai marre d'attendre", "marre"),
        ("Franchement c'est n'importe quoi", "c'est n'importe quoi"),
        ("Votre service client est nul", "nul"),
        ("C'est scandaleux de vendre ça", "scandaleux"),
        ("Ça fait 3 fois que je demande un remboursement", "Ça fait 3 fois que je demande"),
        ("Je suis vraiment énervée", "énervée"),
        ("Ce n'est pas acceptable", "n'est pas acceptable"),
        ("Je ne suis pas contente du tout", "ne suis pas contente"),
        ("Where is my order???", "???"),
    ],
)
def test_frustration_from_wording_and_punctuation(text, evidence):
    signal = frustration(text)

    assert signal is not None
    assert signal.name == "frustration"
    assert evidence in signal.evidence
    assert 0 < signal.strength <= 1


@pytest.mark.parametrize(
    "text",
    [
        "I'm not angry, just asking",
        "No worries, take your time",
        "Not a problem at all",
        "This lamp is not useless, it just needs a new bulb",
        "I'm not fed up, just checking the status",
        "This is a damn good lamp",
        "Thank you so much!!!",
        "Je ne suis pas énervé, juste curieux",
        "Pas de souci, merci",
        "Ce n'est pas nul du tout, j'adore",
        "Est-ce que je peux graver n'importe quoi sur la lampe ?",
        "Je ne trouve le numéro de suivi nulle part",
        "Nul besoin de se presser",
        "Is this the right bulb for my lamp?",
        "Bonjour, quel est le délai de livraison ?",
    ],
)
def test_calm_messages_and_negated_anger_are_not_frustration(text):
    assert frustration(text) is None


@pytest.mark.parametrize(
    "text",
    [
        "WHERE IS MY ORDER",
        "I WANT MY MONEY BACK NOW",
        "ÇA FAIT UNE SEMAINE QUE J'ATTENDS",
        "WHY HAS NOBODY ANSWERED ME",
        "THANKS FOR NOTHING",
    ],
)
def test_shouting_is_frustration(text):
    signal = frustration(text)

    assert signal is not None
    assert "shouting" in signal.evidence


@pytest.mark.parametrize(
    "text",
    [
        "Has my DHL parcel left the EU hub? I need the PDF invoice",
        "Please send the PDF to DHL ASAP",
        "Le SAV de DHL ne répond pas",
        "HELP",
        "OK MERCI",
        "DHL, UPS OR GLS?",
        "THANK YOU SO MUCH",
    ],
)
def test_acronyms_single_words_and_delight_in_capitals_are_not_shouting(text):
    assert frustration(text) is None


def test_unhappiness_in_capitals_is_not_mistaken_for_delight():
    signal = frustration("I'M NOT HAPPY AT ALL!!!")

    assert signal is not None
    assert signal.evidence == "NOT HAPPY, shouting, !!!"


def test_more_cues_make_stronger_frustration():
    one = frustration("This is ridiculous")
    two = frustration("This is ridiculous!!!")
    three = frustration("THIS IS RIDICULOUS!!!")
    four = frustration("THIS IS RIDICULOUS!!! I HAVE ASKED YOU THREE TIMES")

    assert one is not None and two is not None and three is not None and four is not None
    assert one.strength < two.strength < three.strength < four.strength == 1.0


def test_the_same_message_sent_a_third_time_is_frustration():
    earlier = ["Where is my order 4417?", "where is my order 4417??"]

    signal = frustration("Where is my order 4417", recent_customer_texts=earlier)

    assert signal is not None
    assert "same message sent 3 times" in signal.evidence


def test_a_near_identical_french_message_counts_as_a_repeat():
    earlier = ["Où est ma commande 4417 ?", "Bonjour", "ou est ma commande n°4417"]

    assert frustration("Où est ma commande 4417", recent_customer_texts=earlier) is not None


@pytest.mark.parametrize(
    "earlier",
    [
        ["Where is my order 4417?"],  # sent twice: could be a double tap
        ["Do you ship to Belgium?", "And to Switzerland?"],
        [],
    ],
)
def test_a_message_sent_once_or_twice_is_not_a_repeat(earlier):
    assert frustration("Where is my order 4417", recent_customer_texts=earlier) is None


def test_short_answers_repeated_are_not_frustration():
    assert frustration("yes", recent_customer_texts=["yes", "yes", "yes"]) is None
    assert frustration("oui merci", recent_customer_texts=["oui merci", "oui merci"]) is None


def test_a_repeat_adds_to_the_strength_of_other_cues():
    earlier = ["This is ridiculous, where is my order?"] * 2

    alone = frustration("This is ridiculous, where is my order?")
    repeated = frustration("This is ridiculous, where is my order?", recent_customer_texts=earlier)

    assert alone is not None and repeated is not None
    assert repeated.strength > alone.strength


# --- Repeated requests for a person -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "texts",
    [
        ["I want to talk to a human", "Where is my order?", "human please"],
        ["agent", "agent"],
        ["human human human"],
        ["Can I speak to a real person?", "A REAL PERSON PLEASE"],
        ["Je veux parler à un conseiller", "un conseiller svp"],
        ["Est-ce que je peux avoir un humain ?", "Passez-moi un conseiller"],
    ],
)
def test_asking_for_a_person_twice_or_more(texts):
    signal = repeated_person_requests(texts)

    assert signal is not None
    assert signal.name == "repeated_person_requests"


@pytest.mark.parametrize(
    "texts",
    [
        ["I want to talk to a human"],
        ["Pouvez-vous me conseiller une lampe ?", "Et me conseiller une ampoule pour elle ?"],
        ["My travel agent booked it", "An agent from DHL called me"],
        ["Was it human error?", "Is there a human-readable manual?"],
        ["I don't want to talk to a human", "No need for a human, thanks"],
        ["Je ne veux pas parler à un conseiller", "Pas besoin de conseiller"],
        ["Where is my order?", "Thanks!"],
    ],
)
def test_one_request_or_other_uses_of_the_words_are_not_repeated_requests(texts):
    assert repeated_person_requests(texts) is None


def test_more_requests_for_a_person_are_stronger():
    two = repeated_person_requests(["human", "human"])
    three = repeated_person_requests(["human", "human", "human"])

    assert two is not None and three is not None
    assert two.strength < three.strength


# --- Sensitive topics -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("My husband passed away last month, can I cancel his order?", "bereavement"),
        ("Ma mère est décédée, je voudrais résilier son abonnement", "bereavement"),
        ("I need the lamp before my dad's funeral", "bereavement"),
        ("Suite au décès de mon père, que faire de sa commande ?", "bereavement"),
        ("J'ai perdu mon mari en mars", "bereavement"),
        ("I want to file a complaint about the delivery", "complaint_dispute"),
        ("I'll do a chargeback with my bank", "complaint_dispute"),
        ("I want to dispute this charge", "complaint_dispute"),
        ("Je souhaite faire une réclamation", "complaint_dispute"),
        ("Je conteste ce prélèvement", "complaint_dispute"),
        ("My lawyer will hear about this", "legal_threat"),
        ("If this isn't fixed I'll sue you", "legal_threat"),
        ("I'm taking legal action", "legal_threat"),
        ("Je vais contacter mon avocat", "legal_threat"),
        ("Je vais porter plainte", "legal_threat"),
        ("On se verra au tribunal", "legal_threat"),
        ("Ceci est une mise en demeure", "legal_threat"),
        ("I'd like a quote, my budget is 1 200 €", "large_purchase"),
        ("I'm ready to spend €1,200 on lighting", "large_purchase"),
        ("Around 1200 euros for the whole office", "large_purchase"),
        ("Our budget is about 2k", "large_purchase"),
        ("Can I place a bulk order of 50 lamps?", "large_purchase"),
        ("C'est pour une commande professionnelle", "large_purchase"),
        ("Je voudrais un devis pour 100 lampes", "large_purchase"),
        ("My account was hacked", "account_security"),
        ("Someone logged into my account last night", "account_security"),
        ("Please change my email address to x@example.com", "account_security"),
        ("I need to update my bank details", "account_security"),
        ("I forgot my password", "account_security"),  # a person checks it really is the customer asking
        ("Mon compte a été piraté", "account_security"),
        ("Je veux changer mon adresse e-mail", "account_security"),
        ("Merci de modifier mon RIB", "account_security"),
        ("C'est une usurpation d'identité", "account_security"),
        ("I'm disabled and can't carry it upstairs", "vulnerability"),
        ("I'm elderly and live alone", "vulnerability"),
        ("Sorry, I can't read well", "vulnerability"),
        ("I'm in hospital until Friday", "vulnerability"),
        ("I'm struggling to pay this month", "vulnerability"),
        ("I feel suicidal", "vulnerability"),
        ("Je suis une personne âgée", "vulnerability"),
        ("Je suis handicapé", "vulnerability"),
        ("Je suis hospitalisée jusqu'à lundi", "vulnerability"),
        ("J'ai des difficultés financières", "vulnerability"),
    ],
)
def test_sensitive_topics(text, name):
    signal = sensitive_topic(text)

    assert signal is not None
    assert signal.name == name
    assert signal.evidence


@pytest.mark.parametrize(
    "text",
    [
        "The lamp died after a week",
        "L'ampoule est morte",
        "Ma fille est morte de rire en voyant la lampe",
        "I lost my son's order number",
        "My son passed his exam, the lamp was a gift",
        "No complaints, great lamp",
        "Aucune réclamation, la lampe est parfaite",
        "Je ne veux pas contester, juste comprendre le prélèvement",
        "I'm not going to sue anyone, just curious",
        "Sue from your team was very helpful",
        "La lampe existe-t-elle en vert avocat ?",
        "Le câble est trop court",
        "My order of 2 lamps for €120",
        "Order #10234 for 45 €",
        "Is the 1000 lumen bulb compatible?",
        "Do you sell 100 watt bulbs?",
        "La lampe coûte 89,90 €",
        "I paid €999.99",
        "What is the default password for the wifi lamp app?",
        "How do I change my email notifications?",
        "Je voudrais changer mon adresse de livraison",
        "Le mot de passe du wifi de la lampe est-il sur la boîte ?",
        "Is this lamp bright enough for elderly readers?",
        "Bluetooth is disabled on my phone",
        "Please deliver to the hospital reception",
        "J'ai hâte d'en finir avec cette commande",
        "Pouvez-vous me conseiller une lampe de chevet ?",
    ],
)
def test_not_sensitive(text):
    assert sensitive_topic(text) is None


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("I'm going to kill myself, and my lawyer will hear of this", "vulnerability"),
        ("My husband died and I will sue you for this", "legal_threat"),
        ("Someone hacked my account, I'll take you to court", "legal_threat"),
        ("My account was hacked after my mother passed away", "account_security"),
        ("I want to file a complaint, my mother passed away", "bereavement"),
        ("I'm in hospital and I want to file a complaint", "vulnerability"),
        ("I want a chargeback for my €1,500 order", "complaint_dispute"),
        ("Je vais porter plainte pour ma commande de 2 000 €", "legal_threat"),
    ],
)
def test_the_most_serious_topic_wins(text, name):
    signal = sensitive_topic(text)

    assert signal is not None
    assert signal.name == name


def test_self_harm_is_the_strongest_sensitive_signal_even_when_denied():
    signal = sensitive_topic("I'm not suicidal but this is driving me mad")

    assert signal is not None
    assert signal.name == "vulnerability"
    assert signal.strength == 1.0


def test_evidence_is_the_customers_own_words_with_their_accents():
    signal = sensitive_topic("Ma mère est décédée")

    assert signal is not None
    assert signal.evidence == "décédée"


# --- The AI's low confidence ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "outcomes",
    [
        [True, True],
        [False, True, True],
        [True, False, True, True],
        [True, True, True],
        [False, False, False, True, True],
    ],
)
def test_two_abstentions_in_a_row_at_the_end(outcomes):
    signal = low_confidence_streak(outcomes)

    assert signal is not None
    assert signal.name == "low_confidence_streak"


@pytest.mark.parametrize(
    "outcomes",
    [
        [],
        [True],
        [True, False],
        [True, True, False],
        [True, False, True],
    ],
)
def test_no_streak_of_abstentions_at_the_end(outcomes):
    assert low_confidence_streak(outcomes) is None


def test_a_longer_streak_is_stronger():
    two = low_confidence_streak([True, True])
    four = low_confidence_streak([True, True, True, True])

    assert two is not None and four is not None
    assert two.strength < four.strength


# --- All signals together ---------------------------------------------------------------------------------------


def test_signals_detect_combines_every_detector():
    signals = signals_detect(
        "THIS IS UNACCEPTABLE, I want to talk to a human, my lawyer is ready",
        recent_customer_texts=["Can I speak to a real person?"],
        recent_ai_abstained=[False, True, True],
    )

    assert [signal.name for signal in signals] == [
        "explicit_request",
        "legal_threat",
        "frustration",
        "repeated_person_requests",
        "low_confidence_streak",
    ]
    assert signals[0] == Signal(name="explicit_request", strength=1.0, evidence="talk to a human")


def test_signals_detect_on_a_calm_question_finds_nothing():
    assert signals_detect("Quelle ampoule pour la lampe Nova ?", recent_ai_abstained=[True, False]) == []


def test_signals_detect_on_a_french_conversation():
    signals = signals_detect(
        "Ça fait 3 fois que je demande, je veux parler à un conseiller !!!",
        recent_customer_texts=["Ma commande n'est pas arrivée", "un conseiller svp"],
    )

    names = {signal.name for signal in signals}
    assert names == {"explicit_request", "frustration", "repeated_person_requests"}
