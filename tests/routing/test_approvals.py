"""At `ai_with_approval` a person reviews every AI reply: the customer reads nothing the AI drafted until a
person approves or edits it, and a draft nobody reviews in time hands the conversation to a person."""

from datetime import timedelta

import pytest
from django.utils import timezone

from cxhub.assistant.models import AssistantDecision, Draft
from cxhub.assistant.selectors import drafts_pending
from cxhub.assistant.services import assistant_reply
from cxhub.conversations.models import AutonomyLevel, Conversation, ConversationEvent, Message
from cxhub.conversations.services import ConversationError
from routing import tasks
from routing.approvals import draft_approve, draft_edit, draft_expire, draft_reject
from routing.services import autonomy_set, customer_message_handle, handoff_request
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def conversation():
    factories.knowledge_base_create()
    _, conversation, _ = factories.visitor_create(site=factories.site_create())
    autonomy_set(conversation_id=conversation.pk, level=AutonomyLevel.AI_WITH_APPROVAL)
    conversation.refresh_from_db()
    return conversation


@pytest.fixture
def marie():
    return factories.agent_create()


@pytest.fixture
def sam():
    return factories.agent_create(username="sam", first_name="Sam", last_name="Martin")


@pytest.fixture
def ask(conversation, django_capture_on_commit_callbacks):
    counter = iter(range(1, 1000))

    def send(text: str) -> Draft | None:
        """The customer writes; the AI task runs eagerly. Returns the draft it left for review, if any."""
        with django_capture_on_commit_callbacks(execute=True):
            message, _ = customer_message_handle(
                conversation_id=conversation.pk, text=text, client_id=f"c{next(counter)}"
            )
        return Draft.objects.filter(for_message=message).first()

    return send


def messages_after(conversation, seq: int) -> list[Message]:
    return list(conversation.messages.filter(seq__gt=seq).order_by("seq"))


def replies(conversation) -> list[Message]:
    return list(conversation.messages.filter(author_kind__in=[Message.AuthorKind.AI, Message.AuthorKind.HUMAN]))


def event_kinds(conversation) -> list[str]:
    return list(conversation.events.order_by("id").values_list("kind", flat=True))


def test_the_customer_is_told_a_person_reviews_the_replies(conversation):
    last_two = list(conversation.messages.order_by("-seq")[:2])[::-1]

    assert [m.author_kind for m in last_two] == ["system", "system"]
    assert last_two[0].text == "You chose: AI, checked by a person."
    assert last_two[1].text.startswith("A person reviews the assistant’s replies before you see them")


def test_a_french_customer_is_told_in_french():
    _, conversation, _ = factories.visitor_create(site=factories.site_create(), locale="fr")

    autonomy_set(conversation_id=conversation.pk, level=AutonomyLevel.AI_WITH_APPROVAL)

    assert conversation.messages.order_by("-seq").first().text.startswith("Une personne relit les réponses")


def test_other_levels_do_not_say_replies_are_reviewed(conversation):
    autonomy_set(conversation_id=conversation.pk, level=AutonomyLevel.AI_ONLY)

    assert conversation.messages.order_by("-seq").first().text == "You chose: Chat with AI."


def test_the_ai_drafts_and_the_customer_sees_nothing_until_a_person_reviews(conversation, ask):
    seq_before = Conversation.objects.get(pk=conversation.pk).last_seq

    draft = ask("How long does shipping take?")

    assert messages_after(conversation, seq_before)[1:] == []  # only the customer's own message
    assert draft.status == Draft.Status.PENDING
    assert draft.text == "Delivery takes 2–4 business days."
    assert draft.article.slug == "shipping-times"
    expected_deadline = timezone.now() + timedelta(seconds=120)
    assert abs((draft.review_by - expected_deadline).total_seconds()) < 5
    assert draft.decision.kind == AssistantDecision.Kind.DRAFT
    created = conversation.events.get(kind=ConversationEvent.Kind.DRAFT_CREATED)
    assert created.data["draft_id"] == draft.pk and created.data["article_slug"] == "shipping-times"
    assert [d["id"] for d in drafts_pending()] == [draft.pk]


def test_when_the_ai_is_not_sure_the_not_sure_reply_is_the_draft(conversation, ask):
    draft = ask("Do you sell cars?")

    assert draft.article is None
    assert "not sure" in draft.text
    assert drafts_pending()[0]["abstained"] is True
    assert not conversation.messages.filter(author_kind=Message.AuthorKind.AI).exists()


def test_a_redelivered_ai_task_drafts_once(conversation, ask):
    draft = ask("How long does shipping take?")

    assistant_reply(message_id=draft.for_message_id)

    assert Draft.objects.filter(conversation=conversation).count() == 1
    assert not conversation.messages.filter(author_kind=Message.AuthorKind.AI).exists()


def test_the_expiry_is_scheduled_for_the_review_deadline(conversation, ask, monkeypatch):
    scheduled = []
    monkeypatch.setattr(tasks.draft_expire, "apply_async", lambda *a, **kw: scheduled.append((a, kw)))

    draft = ask("How long does shipping take?")

    assert scheduled == [(((draft.pk,), {}), {"countdown": 120})]


def test_approving_sends_the_draft_once_as_ai_drafted_approved_by_a_person(conversation, ask, marie, sam):
    draft = ask("How long does shipping take?")

    draft_approve(draft_id=draft.pk, agent=marie)
    draft_approve(draft_id=draft.pk, agent=marie)  # a resend of the same decision
    with pytest.raises(ConversationError) as refused:
        draft_approve(draft_id=draft.pk, agent=sam)  # a colleague clicked too

    assert refused.value.code == "draft_already_reviewed"
    (reply,) = replies(conversation)
    assert reply.provenance == Message.Provenance.AI_APPROVED
    assert reply.text == "Delivery takes 2–4 business days."
    assert reply.sources == [{"slug": "shipping-times", "title": "How long does delivery take?"}]
    draft.refresh_from_db()
    assert (draft.status, draft.reviewed_by, draft.sent_message) == (Draft.Status.APPROVED, marie, reply)
    assert event_kinds(conversation).count("draft_approved") == 1
    assert drafts_pending() == []


def test_an_edited_draft_is_the_reviewers_message_written_with_ai_help(conversation, ask, marie):
    draft = ask("How long does shipping take?")

    draft_edit(draft_id=draft.pk, agent=marie, text="Delivery takes 2–4 business days; express takes 1 day.")

    (reply,) = replies(conversation)
    assert reply.provenance == Message.Provenance.HUMAN_AI_ASSISTED
    assert reply.author_kind == Message.AuthorKind.HUMAN and reply.author_agent == marie
    assert reply.text == "Delivery takes 2–4 business days; express takes 1 day."
    assert reply.sources == []
    draft.refresh_from_db()
    assert draft.status == Draft.Status.EDITED
    edited = conversation.events.get(kind=ConversationEvent.Kind.DRAFT_EDITED)
    assert 0.5 < edited.data["similarity"] < 1


def test_an_edit_that_only_changes_spacing_is_an_approval(conversation, ask, marie):
    draft = ask("How long does shipping take?")

    draft_edit(draft_id=draft.pk, agent=marie, text="  Delivery takes 2–4   business days. ")

    (reply,) = replies(conversation)
    assert reply.provenance == Message.Provenance.AI_APPROVED and reply.author_kind == Message.AuthorKind.AI
    assert reply.text == "Delivery takes 2–4 business days."


def test_rejecting_sends_nothing_and_queues_for_a_person_with_the_reason(conversation, ask, marie):
    draft = ask("How long does shipping take?")
    seq_before = Conversation.objects.get(pk=conversation.pk).last_seq

    draft_reject(draft_id=draft.pk, agent=marie, reason="wrong article")

    conversation.refresh_from_db()
    assert conversation.owner == Conversation.Owner.QUEUE
    assert conversation.escalation_reason == "AI draft rejected: wrong article"
    after = messages_after(conversation, seq_before)
    assert [m.author_kind for m in after] == ["system"] and "Connecting you with a person" in after[0].text
    draft.refresh_from_db()
    assert (draft.status, draft.reject_reason) == (Draft.Status.REJECTED, "wrong article")
    handoff = conversation.events.get(kind=ConversationEvent.Kind.HANDOFF_REQUESTED)
    assert handoff.data["signals"] == ["draft_rejected"]


def test_a_draft_not_reviewed_in_time_goes_to_a_person_never_to_the_customer(conversation, ask):
    draft = ask("How long does shipping take?")
    seq_before = Conversation.objects.get(pk=conversation.pk).last_seq
    Draft.objects.filter(pk=draft.pk).update(review_by=timezone.now() - timedelta(seconds=1))

    tasks.draft_expire.delay(draft.pk)
    tasks.draft_expire.delay(draft.pk)  # the broker may deliver twice

    conversation.refresh_from_db()
    assert conversation.owner == Conversation.Owner.QUEUE
    assert conversation.escalation_reason == "AI draft not reviewed in time"
    assert [m.author_kind for m in messages_after(conversation, seq_before)] == ["system"]
    assert Draft.objects.get(pk=draft.pk).status == Draft.Status.EXPIRED
    kinds = event_kinds(conversation)
    assert kinds.count("draft_expired") == 1 and kinds.count("handoff_requested") == 1


def test_expiry_before_the_deadline_changes_nothing(conversation, ask):
    draft = ask("How long does shipping take?")

    draft_expire(draft_id=draft.pk)

    conversation.refresh_from_db()
    assert conversation.owner == Conversation.Owner.AI
    assert Draft.objects.get(pk=draft.pk).status == Draft.Status.PENDING


def test_expiry_after_approval_changes_nothing(conversation, ask, marie):
    draft = ask("How long does shipping take?")
    draft_approve(draft_id=draft.pk, agent=marie)
    Draft.objects.filter(pk=draft.pk).update(review_by=timezone.now() - timedelta(seconds=1))

    draft_expire(draft_id=draft.pk)

    conversation.refresh_from_db()
    assert conversation.owner == Conversation.Owner.AI
    assert Draft.objects.get(pk=draft.pk).status == Draft.Status.APPROVED
    assert "draft_expired" not in event_kinds(conversation)


def test_expiry_of_an_unknown_draft_is_a_no_op():
    assert draft_expire(draft_id=999_999) is None


def test_a_draft_cannot_be_sent_once_a_person_has_the_conversation(conversation, ask, marie):
    draft = ask("How long does shipping take?")
    handoff_request(conversation_id=conversation.pk, reason="customer pressed “Talk to a person”")

    with pytest.raises(ConversationError) as refused:
        draft_approve(draft_id=draft.pk, agent=marie)

    assert refused.value.code == "draft_outdated"
    assert not conversation.messages.filter(author_kind=Message.AuthorKind.AI).exists()
    assert drafts_pending() == []


def test_rejecting_a_draft_of_a_conversation_already_queued_does_not_queue_it_twice(conversation, ask, marie):
    draft = ask("How long does shipping take?")
    handoff_request(conversation_id=conversation.pk, reason="customer pressed “Talk to a person”")

    draft_reject(draft_id=draft.pk, agent=marie, reason="")

    assert event_kinds(conversation).count("handoff_requested") == 1
    rejected = conversation.events.get(kind=ConversationEvent.Kind.DRAFT_REJECTED)
    assert rejected.data["handed_to_person"] is False


@pytest.mark.parametrize(
    ("draft_id", "code"), [("1", "draft_invalid"), (True, "draft_invalid"), (999_999, "draft_unknown")]
)
def test_bad_draft_ids_are_refused(marie, draft_id, code):
    with pytest.raises(ConversationError) as refused:
        draft_approve(draft_id=draft_id, agent=marie)

    assert refused.value.code == code


def test_an_empty_edit_is_refused_and_the_draft_stays_pending(conversation, ask, marie):
    draft = ask("How long does shipping take?")

    with pytest.raises(ConversationError) as refused:
        draft_edit(draft_id=draft.pk, agent=marie, text="   ")

    assert refused.value.code == "message_empty"
    assert Draft.objects.get(pk=draft.pk).status == Draft.Status.PENDING
