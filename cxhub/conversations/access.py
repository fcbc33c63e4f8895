"""Which conversations a staff member may see and act on: agents their teams' conversations, the ones
no team was chosen for, and the ones they hold; supervisors (and superusers) all of them."""

from dataclasses import dataclass

from django.db.models import Q, QuerySet

from cxhub.database.prepared import PreparedQuery

from .models import Conversation
from .services import ConversationError

SUPERVISORS_GROUP = "Supervisors"


@dataclass(frozen=True)
class StaffAccess:
    user_id: int
    sees_all: bool
    team_ids: frozenset[int]

    def allows(self, *, team_id: int | None, agent_id: int | None) -> bool:
        return self.sees_all or team_id is None or team_id in self.team_ids or agent_id == self.user_id


def staff_access(user) -> StaffAccess:
    sees_all = user.is_superuser or user.groups.filter(name=SUPERVISORS_GROUP).exists()
    return StaffAccess(user.pk, sees_all, frozenset(user.teams.values_list("id", flat=True)))


def conversations_visible(access: StaffAccess) -> QuerySet[Conversation]:
    conversations = Conversation.objects.all()
    if access.sees_all:
        return conversations
    return conversations.filter(Q(team__isnull=True) | Q(team_id__in=access.team_ids) | Q(agent_id=access.user_id))


# Every staff frame about a conversation asks: its SQL is built once (cxhub/database/prepared.py).
_team_and_agent = PreparedQuery(
    lambda pk: Conversation.objects.filter(pk=pk).values_list("team_id", "agent_id"), pk=int
)


def conversation_check(access: StaffAccess, conversation_id: int) -> None:
    """Refuse a conversation outside the staff member's teams as if it did not exist: no one learns
    what other teams handle by trying ids. The same rule as conversations_visible."""
    found = _team_and_agent(pk=conversation_id)
    if not found or not access.allows(team_id=found[0][0], agent_id=found[0][1]):
        raise ConversationError("conversation_unknown", "No such conversation.")
