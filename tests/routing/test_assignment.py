"""Queues and assignment: who gets a waiting customer, in what order, transfers, and honest waiting."""

from datetime import timedelta

import pytest
from django.test import Client

from cxhub.conversations.models import Conversation, ConversationEvent, Message
from cxhub.conversations.selectors import conversation_state_for_visitor, handoff_card, inbox_list, queue_position
from cxhub.conversations.services import ConversationError
from routing.assignment import (
    agents_available,
    conversation_assign,
    conversation_transfer,
    estimated_wait_seconds,
    presence_set,
)
from routing.models import AgentPresence, Team
from routing.services import conversation_close_by_agent, handoff_accept, handoff_request, handoff_return
from tests import factories

pytestmark = pytest.mark.django_db

NOBODY_EN = "No one is available right now. Leave your email and a person will reply by email."


@pytest.fixture
def site():
    return factories.site_create()


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """Run a service and what it left for after the commit (assignment, broadcasts), as production does."""

    def run(service, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return service(**kwargs)

    return run


@pytest.fixture
def agent(committed):
    def create(username: str, *, status: str = "online", capacity: int = 3, teams: tuple[Team, ...] = ()):
        user = factories.agent_create(username=username, first_name=username.capitalize(), last_name="Agent")
        for team in teams:
            team.members.add(user)
        committed(presence_set, agent=user, status=status, capacity=capacity)
        return user

    return create


@pytest.fixture
def waiting(site, committed):
    """A customer asks for a person; returns the conversation as it stands after assignment ran."""

    def create(*, locale: str = "en", team: Team | None = None, priority: int = 0) -> Conversation:
        _, conversation, _ = factories.visitor_create(site=site, locale=locale)
        Conversation.objects.filter(pk=conversation.pk).update(team=team, priority=priority)
        committed(handoff_request, conversation_id=conversation.pk, reason="customer asked for a person")
        conversation.refresh_from_db()
        return conversation

    return create


def team_create(slug: str, *, assignment: str = "auto", languages: tuple[str, ...] = (), skills=()) -> Team:
    return Team.objects.create(
        name=slug.capitalize(), slug=slug, assignment=assignment, languages=list(languages), skills=list(skills)
    )


def texts_of(conversation: Conversation) -> list[str]:
    return list(conversation.messages.order_by("seq").values_list("text", flat=True))


def test_a_waiting_customer_goes_to_the_least_loaded_online_agent_and_is_told_who_joined(agent, waiting, site):
    marie, sam = agent("marie"), agent("sam")
    _, busy, _ = factories.visitor_create(site=site)
    handoff_accept(conversation_id=busy.pk, agent=marie)  # marie already holds one

    conversation = waiting()

    assert conversation.owner == Conversation.Owner.AGENT and conversation.agent_id == sam.pk
    accepted = conversation.events.get(kind=ConversationEvent.Kind.HANDOFF_ACCEPTED)
    assert accepted.actor_kind == "system"
    assert {k: accepted.data[k] for k in ("by", "agent_id", "load")} == {
        "by": "assignment",
        "agent_id": sam.pk,
        "load": 0,
    }
    assert texts_of(conversation)[-2:] == [
        "Connecting you with a person… You are number 1 in the queue.",
        "Sam Agent joined the conversation.",
    ]


def test_with_equal_loads_the_agent_idle_longest_gets_the_next_customer(agent, waiting, committed):
    marie, sam = agent("marie"), agent("sam")
    first = waiting()
    assert first.agent_id == marie.pk
    committed(conversation_close_by_agent, conversation_id=first.pk, agent=marie)

    second = waiting()

    assert second.agent_id == sam.pk  # both hold nothing; marie was given one more recently


def test_a_conversation_transferred_to_an_agent_counts_as_given_to_them(agent, waiting, committed):
    marie, sam = agent("marie"), agent("sam")
    first, second = waiting(), waiting()
    assert (first.agent_id, second.agent_id) == (marie.pk, sam.pk)
    committed(conversation_transfer, conversation_id=second.pk, agent=sam, to_agent=marie)
    for held in (first, second):
        committed(conversation_close_by_agent, conversation_id=held.pk, agent=marie)

    third = waiting()

    assert third.agent_id == sam.pk  # marie was handed one after sam's last


def test_a_full_agent_is_skipped_and_when_everyone_is_full_the_customer_waits_for_a_free_slot(
    agent, waiting, committed
):
    marie = agent("marie", capacity=1)
    sam = agent("sam", capacity=1)
    held_by_marie = waiting()
    held_by_sam = waiting()
    assert {held_by_marie.agent_id, held_by_sam.agent_id} == {marie.pk, sam.pk}

    queued = waiting()

    assert queued.owner == Conversation.Owner.QUEUE and queued.agent is None
    assert not conversation_state_for_visitor(queued)["nobody_available"]  # people are there, just busy
    closer = held_by_marie.agent
    committed(conversation_close_by_agent, conversation_id=held_by_marie.pk, agent=closer)
    queued.refresh_from_db()
    assert queued.owner == Conversation.Owner.AGENT and queued.agent_id == closer.pk


def test_handing_back_to_the_ai_frees_a_slot_for_the_next_customer(agent, waiting, committed):
    marie = agent("marie", capacity=1)
    held = waiting()
    queued = waiting()
    assert queued.owner == Conversation.Owner.QUEUE

    committed(handoff_return, conversation_id=held.pk, agent=marie)

    queued.refresh_from_db()
    assert queued.agent_id == marie.pk


def test_raising_capacity_gives_the_agent_waiting_customers(agent, waiting, committed):
    marie = agent("marie", capacity=0)
    queued = waiting()
    assert queued.owner == Conversation.Owner.QUEUE

    committed(presence_set, agent=marie, status="online", capacity=1)

    queued.refresh_from_db()
    assert queued.agent_id == marie.pk


def test_away_and_offline_agents_are_never_assigned_and_keep_what_they_hold(agent, waiting, committed):
    marie = agent("marie")
    held = waiting()
    assert held.agent_id == marie.pk
    committed(presence_set, agent=marie, status="away")
    agent("sam", status="offline")

    queued = waiting()

    held.refresh_from_db()
    assert held.agent_id == marie.pk and held.owner == Conversation.Owner.AGENT
    assert queued.owner == Conversation.Owner.QUEUE
    assert agents_available() == []
    assert conversation_assign(conversation_id=queued.pk) is None


def test_a_pool_team_conversation_stays_in_the_queue_for_agents_to_pick(agent, waiting):
    support = team_create("support", assignment="pool")
    agent("marie", teams=(support,))

    queued = waiting(team=support)

    assert queued.owner == Conversation.Owner.QUEUE
    state = conversation_state_for_visitor(queued)
    assert state["queue_position"] == 1 and state["nobody_available"] is False
    assert NOBODY_EN not in texts_of(queued)


def test_a_team_conversation_goes_only_to_that_teams_members(agent, waiting):
    billing = team_create("billing", skills=("refunds", "invoices"))
    agent("marie")  # idle, but not in billing
    sam = agent("sam", teams=(billing,))
    waiting(team=billing)  # sam holds one now

    second = waiting(team=billing)

    assert second.agent_id == sam.pk


def test_a_customer_is_only_given_to_an_agent_who_speaks_their_language(agent, waiting):
    english = team_create("english-desk", languages=("en",))
    french = team_create("french-desk", languages=("fr",))
    agent("marie", teams=(english,))
    sam = agent("sam", teams=(french,))
    waiting(locale="fr")  # sam holds one now, marie none

    french_customer = waiting(locale="fr-CA")
    english_customer = waiting(locale="en")

    assert french_customer.agent_id == sam.pk
    assert english_customer.agent.username == "marie"


def test_the_queue_serves_higher_priority_first_then_the_longest_waiting(agent, waiting, committed):
    marie = agent("marie", status="offline", capacity=1)
    oldest = waiting()
    urgent = waiting(priority=5)
    newest = waiting()

    assert [queue_position(c) for c in (urgent, oldest, newest)] == [1, 2, 3]
    assert [row["id"] for row in inbox_list()[:3]] == [urgent.pk, oldest.pk, newest.pk]

    committed(presence_set, agent=marie, status="online")
    urgent.refresh_from_db()
    assert urgent.agent_id == marie.pk
    oldest.refresh_from_db()
    assert queue_position(oldest) == 1


def test_an_agent_transfers_to_an_online_colleague_with_a_note_the_colleague_sees(agent, waiting, committed):
    marie = agent("marie")
    conversation = waiting()
    sam = agent("sam")

    committed(
        conversation_transfer,
        conversation_id=conversation.pk,
        agent=marie,
        to_agent=sam,
        note="Refund approved, needs the IBAN.",
    )

    conversation.refresh_from_db()
    assert conversation.agent_id == sam.pk and conversation.owner == Conversation.Owner.AGENT
    assert texts_of(conversation)[-1] == "Sam Agent joined the conversation."
    transfer = handoff_card(conversation)["transfers"][0]
    assert transfer["from_agent"] == "Marie Agent" and transfer["to_agent"] == "Sam Agent"
    assert transfer["note"] == "Refund approved, needs the IBAN." and transfer["to_team_id"] is None


def test_a_transfer_to_someone_away_full_or_by_a_non_owner_is_refused(agent, waiting):
    marie = agent("marie")
    conversation = waiting()
    away = agent("sam", status="away")
    full = agent("lea", capacity=0)

    for colleague in (away, full):
        with pytest.raises(ConversationError) as refused:
            conversation_transfer(conversation_id=conversation.pk, agent=marie, to_agent=colleague)
        assert refused.value.code == "agent_unavailable"
    with pytest.raises(ConversationError) as not_owner:
        conversation_transfer(conversation_id=conversation.pk, agent=away, to_agent=full)
    assert not_owner.value.code == "not_owner"
    conversation.refresh_from_db()
    assert conversation.agent_id == marie.pk
    assert not conversation.events.filter(kind=ConversationEvent.Kind.HANDOFF_TRANSFERRED).exists()


def test_a_transfer_to_an_auto_team_requeues_and_assigns_someone_else_in_it(agent, waiting, committed):
    billing = team_create("billing")
    marie = agent("marie", teams=(billing,))
    conversation = waiting()
    assert conversation.agent_id == marie.pk
    sam = agent("sam", teams=(billing,))
    committed(presence_set, agent=sam, status="online", capacity=5)

    committed(conversation_transfer, conversation_id=conversation.pk, agent=marie, to_team=billing, note="VAT question")

    conversation.refresh_from_db()
    assert conversation.team_id == billing.pk and conversation.agent_id == sam.pk
    assert texts_of(conversation)[-2:] == [
        "Connecting you with a person… You are number 1 in the queue.",
        "Sam Agent joined the conversation.",
    ]
    transfer = handoff_card(conversation)["transfers"][0]
    assert transfer["to_team"] == "Billing" and transfer["note"] == "VAT question"


def test_a_transfer_to_a_pool_team_waits_in_that_teams_queue(agent, waiting, committed):
    experts = team_create("experts", assignment="pool")
    marie = agent("marie", teams=(experts,))
    conversation = waiting()

    committed(conversation_transfer, conversation_id=conversation.pk, agent=marie, to_team=experts, note="")

    conversation.refresh_from_db()
    assert conversation.owner == Conversation.Owner.QUEUE and conversation.team_id == experts.pk
    assert conversation_state_for_visitor(conversation)["queue_position"] == 1


def test_when_no_one_is_online_the_customer_is_told_once_and_the_state_says_so(agent, waiting, committed):
    agent("marie", status="offline")

    queued = waiting()
    committed(conversation_assign, conversation_id=queued.pk)  # a second attempt says nothing again

    assert texts_of(queued).count(NOBODY_EN) == 1
    state = conversation_state_for_visitor(queued)
    assert state["nobody_available"] is True and state["estimated_wait_seconds"] is None


def test_a_french_customer_is_told_in_french(agent, waiting):
    agent("marie", status="away")

    queued = waiting(locale="fr")

    assert texts_of(queued)[-1] == (
        "Personne n’est disponible pour le moment. Laissez votre adresse e-mail et une personne "
        "vous répondra par e-mail."
    )


def test_before_anyone_sets_a_presence_nobody_claims_who_is_available(waiting):
    queued = waiting()

    assert NOBODY_EN not in texts_of(queued)
    state = conversation_state_for_visitor(queued)
    assert state["nobody_available"] is False and state["estimated_wait_seconds"] is None
    assert queued.owner == Conversation.Owner.QUEUE


def test_the_estimated_wait_is_the_position_times_five_minutes_without_history(agent, waiting):
    agent("marie", capacity=0)  # online, but cannot take anyone yet

    first, second = waiting(), waiting()

    assert estimated_wait_seconds(first) == 300
    assert conversation_state_for_visitor(second)["estimated_wait_seconds"] == 600


def test_the_estimated_wait_uses_the_median_handling_time_of_recent_closed_conversations(
    agent, waiting, site, committed
):
    marie = agent("marie", capacity=0)
    for minutes in (1, 2, 10):
        _, handled, _ = factories.visitor_create(site=site)
        handoff_accept(conversation_id=handled.pk, agent=marie)
        conversation_close_by_agent(conversation_id=handled.pk, agent=marie)
        handled.refresh_from_db()
        handled.events.filter(kind=ConversationEvent.Kind.HANDOFF_ACCEPTED).update(
            created_at=handled.closed_at - timedelta(minutes=minutes)
        )

    first, second = waiting(), waiting()

    assert estimated_wait_seconds(first) == 120
    assert estimated_wait_seconds(second) == 240


def test_presence_must_be_a_known_status_and_a_sensible_capacity():
    marie = factories.agent_create()

    for status, capacity, code in [("busy", None, "presence_invalid"), ("online", -1, "capacity_invalid")]:
        with pytest.raises(ConversationError) as refused:
            presence_set(agent=marie, status=status, capacity=capacity)
        assert refused.value.code == code
    assert not AgentPresence.objects.exists()


def test_the_staff_api_lists_agents_with_presence_load_capacity_and_teams(agent, waiting):
    billing = team_create("billing")
    marie = agent("marie", capacity=4, teams=(billing,))
    agent("sam", status="offline")
    waiting()
    client = Client()
    client.force_login(marie)

    agents = client.get("/api/staff/agents").json()["agents"]

    by_name = {row["username"]: row for row in agents}
    assert by_name["marie"]["status"] == "online" and by_name["marie"]["load"] == 1
    assert by_name["marie"]["capacity"] == 4
    assert by_name["marie"]["teams"] == [{"id": billing.pk, "slug": "billing", "name": "Billing"}]
    assert by_name["sam"]["status"] == "offline" and by_name["sam"]["load"] == 0
    outsider = Client()
    outsider.force_login(factories.agent_create(username="bob", staff=False))
    assert outsider.get("/api/staff/agents").status_code == 403


def test_assigning_twice_changes_nothing(agent, waiting, committed):
    marie = agent("marie")
    conversation = waiting()

    assert committed(conversation_assign, conversation_id=conversation.pk) is None

    assert conversation.events.filter(kind=ConversationEvent.Kind.HANDOFF_ACCEPTED).count() == 1
    assert Message.objects.filter(conversation=conversation, text__contains="joined").count() == 1
    assert conversation.agent_id == marie.pk
