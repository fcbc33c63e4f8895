"""Who gets a waiting conversation: agents' presence and load, automatic assignment, transfers, and the
customer's honest view of the wait."""

import statistics
from collections.abc import Collection
from datetime import UTC, datetime

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Count, Max, Q
from django.utils import timezone

from cxhub.conversations import broadcast, selectors, texts
from cxhub.conversations.models import Conversation, ConversationEvent, Message
from cxhub.conversations.services import (
    ConversationError,
    conversation_lock,
    conversation_publish,
    event_record,
    queue_publish_positions,
    system_message_record,
)

from .models import AgentPresence, Team

CAPACITY_MAX = 50
HANDLING_SAMPLE = 20  # closed conversations the median handling time is taken over
DEFAULT_HANDLING_SECONDS = 300  # per queue position, until there is history
NEVER = datetime.min.replace(tzinfo=UTC)

ONLINE = AgentPresence.Status.ONLINE


def assignment_mode(team: Team | None) -> str:
    """`auto` or `pool`; conversations without a team follow the ASSIGNMENT_WITHOUT_TEAM setting."""
    if team is not None:
        return team.assignment
    return settings.ASSIGNMENT_WITHOUT_TEAM


def _language(locale: str | None) -> str:
    return (locale or "").replace("_", "-").split("-")[0].lower()


def _speaks(teams: list[Team], locale: str | None) -> bool:
    """An agent speaks their teams' languages; no team, or a team open to any language, means any."""
    if not teams or any(not team.languages for team in teams):
        return True
    wanted = _language(locale)
    return not wanted or any(wanted in {_language(str(lang)) for lang in team.languages} for team in teams)


# Reads -------------------------------------------------------------------------------------------


def agent_load(agent) -> int:
    """Open conversations the agent holds."""
    return Conversation.objects.filter(
        status=Conversation.Status.OPEN, owner=Conversation.Owner.AGENT, agent_id=agent.pk
    ).count()


def _loads(agent_ids: Collection[int]) -> dict[int, int]:
    rows = (
        Conversation.objects.filter(
            status=Conversation.Status.OPEN, owner=Conversation.Owner.AGENT, agent_id__in=agent_ids
        )
        .values("agent_id")
        .annotate(load=Count("id"))
    )
    return {row["agent_id"]: row["load"] for row in rows}


def _last_given(agent_ids: Collection[int]) -> dict[int, datetime]:
    """When each agent last got a conversation (took it, was assigned it, or had it transferred to them)."""
    accepted = (
        ConversationEvent.objects.filter(kind=ConversationEvent.Kind.HANDOFF_ACCEPTED, actor_agent_id__in=agent_ids)
        .values("actor_agent_id")
        .annotate(at=Max("created_at"))
    )
    last = {row["actor_agent_id"]: row["at"] for row in accepted}
    transferred = (
        ConversationEvent.objects.filter(
            kind=ConversationEvent.Kind.HANDOFF_TRANSFERRED, data__to_agent_id__in=list(agent_ids)
        )
        .values("data__to_agent_id")
        .annotate(at=Max("created_at"))
    )
    for row in transferred:
        agent_id = row["data__to_agent_id"]
        last[agent_id] = max(last.get(agent_id, NEVER), row["at"])
    return last


def _presence_tracked() -> bool:
    # Until some agent has said whether they are there, nobody claims anyone is or is not available.
    return AgentPresence.objects.exists()


def _online(*, team: Team | None, locale: str | None) -> list[AgentPresence]:
    """Online staff who could take a conversation of this team and language, full or not."""
    presences = (
        AgentPresence.objects.filter(status=ONLINE, agent__is_active=True, agent__is_staff=True)
        .select_related("agent")
        .prefetch_related("agent__teams")
        .order_by("agent_id")
    )
    if team is not None:
        presences = presences.filter(agent__teams=team)
    return [p for p in presences if locale is None or _speaks(list(p.agent.teams.all()), locale)]


def agents_available(*, team: Team | None = None, locale: str | None = None) -> list:
    """ONLINE agents with room, who belong to the team (any staff without one) and speak the language:
    least loaded first, then the one who has waited longest for a conversation."""
    presences = _online(team=team, locale=locale)
    ids = [p.agent_id for p in presences]
    loads, last = _loads(ids), _last_given(ids)
    free = [p for p in presences if loads.get(p.agent_id, 0) < p.capacity]
    free.sort(key=lambda p: (loads.get(p.agent_id, 0), last.get(p.agent_id, NEVER), p.agent_id))
    return [p.agent for p in free]


def nobody_available(conversation: Conversation) -> bool:
    """Waiting for a person while no one who could take it is online."""
    if conversation.status != Conversation.Status.OPEN or conversation.owner != Conversation.Owner.QUEUE:
        return False
    return _presence_tracked() and not _online(team=conversation.team, locale=conversation.locale)


def median_handling_seconds() -> float:
    """Median time from a person taking a conversation to closing it, over the latest closed ones."""
    recent = (
        Conversation.objects.filter(
            status=Conversation.Status.CLOSED, owner=Conversation.Owner.AGENT, closed_at__isnull=False
        )
        .annotate(taken_at=Max("events__created_at", filter=Q(events__kind=ConversationEvent.Kind.HANDOFF_ACCEPTED)))
        .filter(taken_at__isnull=False)
        .order_by("-closed_at")
        .values_list("taken_at", "closed_at")[:HANDLING_SAMPLE]
    )
    durations = [(closed - taken).total_seconds() for taken, closed in recent if closed >= taken]
    return statistics.median(durations) if durations else DEFAULT_HANDLING_SECONDS


def estimated_wait_seconds(conversation: Conversation) -> int | None:
    """Queue position times the median handling time; None when not waiting or no one who could answer is
    online (an estimate then would be a guess)."""
    position = selectors.queue_position(conversation)
    if position is None or not _online(team=conversation.team, locale=conversation.locale):
        return None
    return round(position * median_handling_seconds())


def _teams_row(agent) -> list[dict]:
    return [{"id": t.pk, "slug": t.slug, "name": t.name} for t in agent.teams.all()]


def agent_row(agent, *, presence: AgentPresence | None = None, load: int | None = None) -> dict:
    """An agent as consoles show them: presence, how many conversations they hold and their teams."""
    if presence is None:
        presence = AgentPresence.objects.filter(agent=agent).first()
    return {
        "id": agent.pk,
        "username": agent.get_username(),
        "name": selectors.agent_display_name(agent),
        "status": presence.status if presence else AgentPresence.Status.OFFLINE,
        "capacity": presence.capacity if presence else AgentPresence._meta.get_field("capacity").default,
        "load": agent_load(agent) if load is None else load,
        "teams": _teams_row(agent),
        "updated_at": presence.updated_at.isoformat() if presence else None,
    }


def agents_list() -> list[dict]:
    """Every active staff member, online first, then by name."""
    agents = list(
        get_user_model()
        .objects.filter(is_active=True, is_staff=True)
        .select_related("presence")
        .prefetch_related("teams")
        .order_by("first_name", "last_name", "username")
    )
    loads = _loads([a.pk for a in agents])
    rows = [
        agent_row(agent, presence=getattr(agent, "presence", None), load=loads.get(agent.pk, 0)) for agent in agents
    ]
    return sorted(rows, key=lambda row: row["status"] != ONLINE)


# Writes ------------------------------------------------------------------------------------------


def _assign_locked(conversation: Conversation, agent) -> bool:
    """Give the queued conversation to the agent if they are online with room. Caller holds the conversation
    lock; the agent's presence row is locked after it (always in that order), so two assignments never
    both take an agent's last free slot."""
    from .services import handoff_accept  # builds on routing services; they import this module when used

    presence = AgentPresence.objects.select_for_update().filter(agent_id=agent.pk).first()
    if presence is None or presence.status != ONLINE or not (agent.is_active and agent.is_staff):
        return False
    load = agent_load(agent)
    if load >= presence.capacity:
        return False
    handoff_accept(
        conversation_id=conversation.pk,
        agent=agent,
        assignment={"by": "assignment", "agent_id": agent.pk, "load": load},
    )
    return True


def _tell_nobody_available(conversation: Conversation) -> None:
    """Once per queueing: no one is there, and the customer can leave an email instead of waiting."""
    if not nobody_available(conversation):
        return
    told = texts.text("nobody_available", conversation.locale)
    if conversation.messages.filter(
        author_kind=Message.AuthorKind.SYSTEM, text=told, created_at__gte=conversation.queued_at
    ).exists():
        return
    system_message_record(conversation=conversation, key="nobody_available")
    conversation_publish(conversation)


@transaction.atomic
def conversation_assign(*, conversation_id: int, exclude_agent_ids: Collection[int] = ()):
    """A queued conversation of an `auto` team (or without a team) goes to the least-loaded available agent
    of that team and language; a `pool` team's stays for agents to pick. Returns the agent, or None.

    Safe to call any number of times: it does nothing unless the conversation is still waiting. When no
    one who could take it is online, the customer is told so, once per queueing."""
    conversation = conversation_lock(conversation_id)
    if conversation.status != Conversation.Status.OPEN or conversation.owner != Conversation.Owner.QUEUE:
        return None
    team = conversation.team
    if assignment_mode(team) == Team.Assignment.AUTO:
        for agent in agents_available(team=team, locale=conversation.locale):
            if agent.pk not in exclude_agent_ids and _assign_locked(conversation, agent):
                return agent
    _tell_nobody_available(conversation)
    return None


def _next_waiting_for(agent, *, exclude_conversation_ids: Collection[int]) -> int | None:
    """The waiting conversation this agent should get next: highest priority, then longest waiting, among
    the `auto` queues they serve (their teams', and the team-less one) in a language they speak."""
    teams = list(agent.teams.all())
    scope = Q(team_id__in=[t.pk for t in teams if t.assignment == Team.Assignment.AUTO])
    if assignment_mode(None) == Team.Assignment.AUTO:
        scope |= Q(team__isnull=True)
    waiting = (
        Conversation.objects.filter(scope, status=Conversation.Status.OPEN, owner=Conversation.Owner.QUEUE)
        .exclude(pk__in=exclude_conversation_ids)
        .order_by("-priority", "queued_at", "id")
        .values_list("pk", "locale")[:500]
    )
    return next((pk for pk, locale in waiting if _speaks(teams, locale)), None)


def agent_assign_next(*, agent, exclude_conversation_ids: Collection[int] = ()) -> list[int]:
    """An agent came online or has room again: give them waiting conversations until they are full.
    Returns the ids assigned."""
    assigned: list[int] = []
    for _ in range(CAPACITY_MAX):
        presence = AgentPresence.objects.filter(agent_id=agent.pk, status=ONLINE).first()
        if presence is None or agent_load(agent) >= presence.capacity:
            break
        candidate = _next_waiting_for(agent, exclude_conversation_ids=[*exclude_conversation_ids, *assigned])
        if candidate is None:
            break
        with transaction.atomic():
            conversation = conversation_lock(candidate)
            if conversation.status != Conversation.Status.OPEN or conversation.owner != Conversation.Owner.QUEUE:
                continue  # someone took it meanwhile: look again
            if not _assign_locked(conversation, agent):
                break
        assigned.append(candidate)
    return assigned


def _publish_waiting() -> None:
    """Who is online changed: every waiting customer's estimate and "nobody available" follow."""
    waiting = Conversation.objects.filter(
        status=Conversation.Status.OPEN, owner=Conversation.Owner.QUEUE
    ).select_related("customer", "agent", "team")
    for conversation in waiting:
        conversation_publish(conversation)


def presence_set(*, agent, status: object, capacity: object = None) -> AgentPresence:
    """An agent goes online, away or offline, or changes how many conversations they hold at once.

    Going away or offline keeps what they hold and stops new assignments; coming online (or raising
    capacity) gives them the oldest highest-priority conversations waiting for them."""
    if status not in AgentPresence.Status.values:
        choices = ", ".join(AgentPresence.Status.values)
        raise ConversationError("presence_invalid", f"Unknown presence. Choose one of: {choices}.")
    if capacity is not None and (
        not isinstance(capacity, int) or isinstance(capacity, bool) or not 0 <= capacity <= CAPACITY_MAX
    ):
        raise ConversationError("capacity_invalid", f"Capacity must be a whole number from 0 to {CAPACITY_MAX}.")
    with transaction.atomic():
        presence, created = AgentPresence.objects.select_for_update().get_or_create(agent=agent)
        status_changed = created or presence.status != status
        presence.status = status
        if capacity is not None:
            presence.capacity = capacity
        presence.save()
        broadcast.presence_changed(agent_row=agent_row(agent, presence=presence))
        if status_changed:
            _publish_waiting()
    if status == ONLINE:
        transaction.on_commit(lambda: agent_assign_next(agent=agent), robust=True)
    return presence


def transfer_target(*, agent_id: object = None, team_id: object = None) -> tuple:
    """The (agent, team) a transfer names by id: exactly one of them."""

    def valid_id(value: object) -> bool:
        return isinstance(value, int) and not isinstance(value, bool)

    if (agent_id is None) == (team_id is None):
        raise ConversationError("transfer_invalid", "Transfer to one agent or to one team.")
    if agent_id is not None:
        agent = get_user_model().objects.filter(pk=agent_id, is_staff=True).first() if valid_id(agent_id) else None
        if agent is None:
            raise ConversationError("agent_unknown", "No such agent.")
        return agent, None
    team = Team.objects.filter(pk=team_id).first() if valid_id(team_id) else None
    if team is None:
        raise ConversationError("team_unknown", "No such team.")
    return None, team


def conversation_transfer(
    *, conversation_id: int, agent, to_agent=None, to_team: Team | None = None, note: str = ""
) -> Conversation:
    """The agent holding a conversation passes it on, with a note the next person sees on the handoff card:
    to a colleague who is online with room (they hold it now and the customer is told they joined), or to a
    team (back to the queue with that team, then assigned at once if the team assigns automatically)."""
    if (to_agent is None) == (to_team is None):
        raise ConversationError("transfer_invalid", "Transfer to one agent or to one team.")
    note = (note if isinstance(note, str) else "").strip()[:1000]
    with transaction.atomic():
        conversation = conversation_lock(conversation_id)
        if conversation.status == Conversation.Status.CLOSED:
            raise ConversationError("conversation_closed", "This conversation is closed.")
        if conversation.owner != Conversation.Owner.AGENT or conversation.agent_id != agent.pk:
            raise ConversationError("not_owner", "Only the agent who has the conversation can transfer it.")
        data = {
            "from_agent_id": agent.pk,
            "from_agent": selectors.agent_display_name(agent),
            "to_agent_id": None,
            "to_agent": "",
            "to_team_id": None,
            "to_team": "",
            "note": note,
        }
        if to_agent is not None:
            _transfer_to_agent(conversation, to_agent=to_agent, data=data)
        else:
            _transfer_to_team(conversation, to_team=to_team, data=data)
        event_record(
            conversation=conversation,
            kind=ConversationEvent.Kind.HANDOFF_TRANSFERRED,
            actor_kind=ConversationEvent.ActorKind.HUMAN,
            agent=agent,
            data=data,
        )
        if to_agent is not None:
            system_message_record(
                conversation=conversation, key="agent_joined", name=selectors.agent_display_name(to_agent)
            )
        else:
            system_message_record(
                conversation=conversation, key="queued", position=selectors.queue_position(conversation)
            )
        conversation_publish(conversation)
        if to_team is not None:
            queue_publish_positions(after=conversation)
            # Someone else in the team, not the agent who just passed it on.
            transaction.on_commit(
                lambda: conversation_assign(conversation_id=conversation.pk, exclude_agent_ids={agent.pk}),
                robust=True,
            )
        transaction.on_commit(
            lambda: agent_assign_next(agent=agent, exclude_conversation_ids={conversation.pk}), robust=True
        )
    return conversation


def _transfer_to_agent(conversation: Conversation, *, to_agent, data: dict) -> None:
    if to_agent.pk == conversation.agent_id:
        raise ConversationError("transfer_invalid", "You already have this conversation.")
    presence = AgentPresence.objects.select_for_update().filter(agent_id=to_agent.pk).first()
    load = agent_load(to_agent)
    if (
        presence is None
        or presence.status != ONLINE
        or load >= presence.capacity
        or not (to_agent.is_active and to_agent.is_staff)
    ):
        raise ConversationError("agent_unavailable", "That agent is not online or has no room for another chat.")
    conversation.agent = to_agent
    conversation.save(update_fields=["agent", "updated_at"])
    data.update(to_agent_id=to_agent.pk, to_agent=selectors.agent_display_name(to_agent), load=load)


def _transfer_to_team(conversation: Conversation, *, to_team: Team, data: dict) -> None:
    conversation.owner = Conversation.Owner.QUEUE
    conversation.agent = None
    conversation.team = to_team
    conversation.queued_at = timezone.now()
    conversation.save(update_fields=["owner", "agent", "team", "queued_at", "updated_at"])
    data.update(to_team_id=to_team.pk, to_team=to_team.name)
