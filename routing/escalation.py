"""What escalation signals do until an admin's routing rules say otherwise: hand to a person now,
offer one, or let the AI go on. Every decision names the signals and words behind it."""

from dataclasses import dataclass, field

from .signals import Signal

# Signals where a wrong or cold AI answer costs most: a person takes over at once.
HAND_NOW = {
    "explicit_request",
    "repeated_person_requests",
    "low_confidence_streak",
    "vulnerability",
    "legal_threat",
    "account_security",
    "bereavement",
    "complaint_dispute",
}
# Worth a person's eye, but the customer may well be happy with the AI: offer, don't force.
OFFER = {"large_purchase", "frustration"}
# Strong frustration (several cues at once) is handed over rather than offered.
FRUSTRATION_HAND_AT = 0.6

REASONS = {
    "explicit_request": "customer asked for a person",
    "repeated_person_requests": "customer asked for a person several times",
    "low_confidence_streak": "the AI was not sure twice in a row",
    "vulnerability": "sensitive topic: the customer may be vulnerable",
    "legal_threat": "sensitive topic: legal threat",
    "account_security": "sensitive topic: account security",
    "bereavement": "sensitive topic: bereavement",
    "complaint_dispute": "sensitive topic: complaint or dispute",
    "large_purchase": "large purchase",
    "frustration": "customer seems frustrated",
}


@dataclass
class EscalationDecision:
    action: str  # "hand", "offer" or "none"
    reason: str = ""
    signals: list[Signal] = field(default_factory=list)

    @property
    def signal_names(self) -> list[str]:
        return [s.name for s in self.signals]

    def record(self) -> dict:
        return {
            "action": self.action,
            "reason": self.reason,
            "signals": [
                {"name": s.name, "strength": round(s.strength, 2), "evidence": s.evidence} for s in self.signals
            ],
        }


def escalation_decide(found: list[Signal]) -> EscalationDecision:
    """The strongest action any signal calls for; the reason is the first signal that called for it."""
    hand = [s for s in found if s.name in HAND_NOW or (s.name == "frustration" and s.strength >= FRUSTRATION_HAND_AT)]
    if hand:
        lead = max(hand, key=lambda s: (s.name == "explicit_request", s.strength))
        return EscalationDecision("hand", REASONS.get(lead.name, lead.name), found)
    offer = [s for s in found if s.name in OFFER]
    if offer:
        lead = max(offer, key=lambda s: s.strength)
        return EscalationDecision("offer", REASONS.get(lead.name, lead.name), found)
    return EscalationDecision("none", "", found)
