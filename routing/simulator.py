"""The rule simulator admins use: a message and its context in, every signal and rule check out.
It runs the same detection and decision code as live messages and writes nothing."""

from dataclasses import dataclass

from django import forms
from django.utils import timezone

from cxhub.assistant.services import knowledge_base_for_site
from cxhub.conversations.models import Conversation, Site

from .escalation import EscalationDecision
from .rules import RoutingContext, RoutingOutcome, routing_decide, rules_for, topic_fill
from .signals import signals_detect


class SimulationForm(forms.Form):
    text = forms.CharField(label="Customer message", widget=forms.Textarea(attrs={"rows": 3}), max_length=2000)
    earlier = forms.CharField(
        label="Earlier customer messages (one per line)",
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
    )
    ai_unsure_twice = forms.BooleanField(label="The AI was not sure in its last two replies", required=False)
    site = forms.ModelChoiceField(queryset=Site.objects.all(), required=False, empty_label="(any site)")
    channel = forms.ChoiceField(choices=Conversation.Channel.choices, initial="widget")
    locale = forms.ChoiceField(choices=[("en", "English"), ("fr", "Français")])
    identified = forms.BooleanField(label="Customer identified", required=False)
    vip = forms.BooleanField(label="VIP customer", required=False)
    segment = forms.CharField(required=False, max_length=60)
    queue_length = forms.IntegerField(min_value=0, initial=0)
    at = forms.DateTimeField(label="At (empty: now)", required=False)


@dataclass
class Simulation:
    context: RoutingContext
    decision: EscalationDecision
    outcome: RoutingOutcome


def routing_simulate(data: dict) -> Simulation:
    site = data.get("site")
    found = signals_detect(
        data["text"],
        recent_customer_texts=[line for line in (data.get("earlier") or "").splitlines() if line.strip()],
        recent_ai_abstained=[True, True] if data.get("ai_unsure_twice") else [],
    )
    context = RoutingContext(
        text=data["text"],
        site_id=site.pk if site else None,
        channel=data["channel"],
        locale=data["locale"],
        customer_identified=bool(data.get("identified")),
        customer_vip=bool(data.get("vip")),
        customer_segment=data.get("segment") or "",
        signals=found,
        queue_length=data.get("queue_length") or 0,
        now=data.get("at") or timezone.now(),
    )
    rules = rules_for(context.site_id)
    topic_fill(context, knowledge_base_for_site(site), rules)
    decision, outcome = routing_decide(context, rules)
    return Simulation(context, decision, outcome)
