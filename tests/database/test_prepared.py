"""PreparedQuery: the same results as the queryset it was built from, its SQL built once, and a query whose values
do not reach the SQL as parameters refused when first built."""

import threading

import pytest
from django.db import connection, transaction
from django.db.transaction import TransactionManagementError
from django.test.utils import CaptureQueriesContext

from cxhub.conversations.models import Conversation, ConversationEvent
from cxhub.conversations.services import event_record
from cxhub.database.prepared import PreparedQuery
from routing import services as routing
from tests import factories

pytestmark = pytest.mark.django_db


def conversation_with_agent():
    _, conversation, _ = factories.visitor_create(site=factories.site_create())
    agent = factories.agent_create()
    routing.handoff_accept(conversation_id=conversation.pk, agent=agent)
    return Conversation.objects.get(pk=conversation.pk), agent


def test_model_rows_come_back_as_the_queryset_gives_them_with_their_related_rows():
    conversation, agent = conversation_with_agent()
    prepared = PreparedQuery(lambda pk: Conversation.objects.select_related("customer", "agent").filter(pk=pk), pk=int)
    [found] = prepared(pk=conversation.pk)
    expected = Conversation.objects.select_related("customer", "agent").get(pk=conversation.pk)

    fields = [f.attname for f in Conversation._meta.concrete_fields]
    assert [getattr(found, name) for name in fields] == [getattr(expected, name) for name in fields]
    assert found.created_at.tzinfo is not None  # converted as the ORM converts it, not SQLite's text
    with CaptureQueriesContext(connection) as queries:
        customer, found_agent = found.customer, found.agent
    assert customer.public_id == expected.customer.public_id and found_agent.username == agent.username
    assert len(queries) == 0  # the related rows came with it
    assert found._state.adding is False and found._state.db == "default"  # saves as an update
    assert prepared(pk=conversation.pk + 1000) == []


def test_values_lists_come_back_converted_flat_or_not():
    conversation, _ = conversation_with_agent()
    for seq in (3, 7):
        event_record(
            conversation=conversation,
            kind=ConversationEvent.Kind.HANDOFF_RETURNED,
            actor_kind=ConversationEvent.ActorKind.SYSTEM,
            data={"boundary_seq": seq},
        )
    pairs = PreparedQuery(
        lambda conversation_id, kind: (
            ConversationEvent.objects.filter(conversation_id=conversation_id, kind=kind)
            .order_by("-id")
            .values_list("kind", "data__boundary_seq")
        ),
        conversation_id=int,
        kind=str,
    )
    assert pairs(conversation_id=conversation.pk, kind="handoff_returned") == [
        ("handoff_returned", 7),
        ("handoff_returned", 3),
    ]
    assert pairs(conversation_id=conversation.pk, kind="ai_answered") == []

    flat = PreparedQuery(
        lambda conversation_id: (
            ConversationEvent.objects.filter(conversation_id=conversation_id)
            .order_by("id")
            .values_list("kind", flat=True)
        ),
        conversation_id=int,
    )
    assert flat(conversation_id=conversation.pk) == list(
        conversation.events.order_by("id").values_list("kind", flat=True)
    )


@pytest.mark.django_db(transaction=True)  # the other thread reads what this one committed
def test_the_sql_is_built_once_per_connection_and_each_run_binds_its_own_values():
    first, _ = conversation_with_agent()
    _, second, _ = factories.visitor_create(site=factories.site_create())
    built = []

    def build(pk):
        built.append(threading.get_ident())
        return Conversation.objects.filter(pk=pk)

    prepared = PreparedQuery(build, pk=int)
    assert [c.pk for c in prepared(pk=first.pk)] == [first.pk]
    assert [c.pk for c in prepared(pk=second.pk)] == [second.pk]
    assert len(built) == 1

    # Another thread has its own connection, so its own build; its rows are as good.
    other = []
    thread = threading.Thread(target=lambda: other.append([c.pk for c in prepared(pk=second.pk)]))
    thread.start()
    thread.join()
    assert other == [[second.pk]]
    assert len(built) == 2 and built[0] != built[1]


def test_a_value_the_orm_does_not_pass_as_a_parameter_is_refused_when_built():
    prepared = PreparedQuery(lambda pk: Conversation.objects.filter(pk=pk + 1), pk=int)
    with pytest.raises(ValueError, match="pk"):
        prepared(pk=1)


def test_values_are_converted_as_the_orm_converts_them():
    conversation, _ = conversation_with_agent()
    prepared = PreparedQuery(lambda pk: Conversation.objects.filter(pk=pk), pk=int)
    assert [c.pk for c in prepared(pk=str(conversation.pk))] == [conversation.pk]
    with pytest.raises(ValueError):
        prepared(pk="not a number")


@pytest.mark.skipif(not connection.features.has_select_for_update, reason="the database locks no rows")
@pytest.mark.django_db(transaction=True)  # outside the test's own transaction
def test_locking_rows_outside_a_transaction_is_refused_as_the_orm_refuses_it():
    conversation, _ = conversation_with_agent()
    locked = PreparedQuery(lambda pk: Conversation.objects.select_for_update().filter(pk=pk), pk=int)
    with transaction.atomic():
        assert [c.pk for c in locked(pk=conversation.pk)] == [conversation.pk]
    with pytest.raises(TransactionManagementError):
        locked(pk=conversation.pk)
