"""Group names live with the domain's broadcaster; consumers import them from here."""

from cxhub.conversations.broadcast import (
    STAFF_INBOX_GROUP,
    STAFF_SUPERVISORS_GROUP,
    staff_agent_group,
    staff_conversation_group,
    widget_group,
)

__all__ = [
    "STAFF_INBOX_GROUP",
    "STAFF_SUPERVISORS_GROUP",
    "staff_agent_group",
    "staff_conversation_group",
    "widget_group",
]
