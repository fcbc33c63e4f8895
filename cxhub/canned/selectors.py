"""Canned responses an agent may use, with the conversation's variables filled in."""

import re

from django.db.models import Q

from cxhub.conversations.access import StaffAccess
from cxhub.conversations.models import Conversation
from cxhub.conversations.selectors import agent_display_name

from .models import CannedResponse

VARIABLE = re.compile(r"\{([^{}\s]{1,40})\}")
VARIABLES = (
    "customer_name",
    "customer_first_name",
    "customer_email",
    "agent_name",
    "agent_first_name",
    "site_name",
    "conversation_ref",
)


def canned_variables(*, conversation: Conversation | None, agent) -> dict[str, str]:
    """Values for each variable; empty when unknown (an anonymous visitor has no name)."""
    values = dict.fromkeys(VARIABLES, "")
    if agent is not None:
        values["agent_name"] = agent_display_name(agent)
        values["agent_first_name"] = agent.first_name or agent.get_username()
    if conversation is not None:
        customer = conversation.customer
        name = customer.display_name.strip()
        values["customer_name"] = name
        values["customer_first_name"] = name.split()[0] if name else ""
        values["customer_email"] = customer.email
        values["site_name"] = conversation.site.name
        # A short reference the customer can quote back; the public id is the one already shown to them.
        values["conversation_ref"] = conversation.public_id[:8].upper()
    return values


def canned_render(text: str, values: dict[str, str]) -> tuple[str, list[str]]:
    """The text with every {variable} replaced. Unknown or empty ones become nothing and are listed, so the
    console warns the agent instead of a raw brace reaching the customer."""
    missing: list[str] = []

    def fill(match: re.Match) -> str:
        name = match.group(1)
        value = values.get(name, "")
        if not value and name not in missing:
            missing.append(name)
        return value

    rendered = VARIABLE.sub(fill, text)
    # Tidy what an empty variable leaves behind ("Hi ," -> "Hi,").
    rendered = re.sub(r"[ \t]+([,.!?])", r"\1", rendered)
    rendered = re.sub(r"[ \t]{2,}", " ", rendered)
    return rendered, missing


def canned_for_agent(*, access: StaffAccess, agent, conversation: Conversation | None) -> list[dict]:
    """Active responses for the agent's teams and for everyone; the conversation's language first."""
    responses = CannedResponse.objects.filter(is_active=True)
    if not access.sees_all:
        responses = responses.filter(Q(team__isnull=True) | Q(team_id__in=access.team_ids))
    locale = conversation.locale if conversation is not None else ""
    values = canned_variables(conversation=conversation, agent=agent)

    def order(response: CannedResponse) -> tuple:
        return (0 if response.locale == locale else 1 if response.locale == "" else 2, response.shortcut, response.pk)

    rows = []
    for response in sorted(responses, key=order):
        rendered, missing = canned_render(response.text, values)
        rows.append(
            {
                "id": response.pk,
                "shortcut": response.shortcut,
                "title": response.title,
                "locale": response.locale,
                "text": response.text,
                "rendered": rendered,
                "missing": missing,
            }
        )
    return rows
