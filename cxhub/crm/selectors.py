"""Reads for the console: a conversation's post-conversation work, and what the CRM holds on a customer."""

from cxhub.conversations.models import Conversation, Customer
from cxhub.conversations.selectors import agent_display_name

from .models import Contact, PostWorkStep


def step_for_staff(step: PostWorkStep) -> dict:
    return {
        "id": step.pk,
        "name": step.name,
        "status": step.status,
        "attempts": step.attempts,
        "last_error": step.last_error,
        "awaiting_approval": step.status == PostWorkStep.Status.AWAITING_APPROVAL,
        "retryable": step.status == PostWorkStep.Status.FAILED,
        "editable": step.status == PostWorkStep.Status.AWAITING_APPROVAL
        and step.name in (PostWorkStep.Name.SUMMARY, PostWorkStep.Name.CONFIRMATION_EMAIL),
        "draft": step.draft,
        "idempotency_key": step.idempotency_key,
        "next_attempt_at": step.next_attempt_at.isoformat() if step.next_attempt_at else None,
        "done_at": step.done_at.isoformat() if step.done_at else None,
        "approved_by": agent_display_name(step.approved_by) if step.approved_by else None,
    }


def post_work_for_conversation(*, conversation: Conversation) -> list[dict]:
    """Newest first: each close or hand-back with its summary and steps."""
    runs = conversation.post_work.order_by("-id").prefetch_related("steps__approved_by")
    return [
        {
            "id": run.pk,
            "trigger": run.trigger,
            "needs_approval": run.needs_approval,
            "summary": run.summary,
            "created_at": run.created_at.isoformat(),
            "finished_at": run.finished_at.isoformat() if run.finished_at else None,
            "steps": [step_for_staff(step) for step in run.steps.all()],
        }
        for run in runs
    ]


def crm_for_customer(*, customer: Customer) -> dict:
    """The built-in CRM's contact for this customer (and for customers merged into it): company, latest
    activities, open and done tasks."""
    customer_ids = [customer.pk, *customer.merged_from.values_list("pk", flat=True)]
    contacts = list(Contact.objects.filter(customer_id__in=customer_ids).select_related("company").order_by("id"))
    contact = next((c for c in contacts if c.customer_id == customer.pk), contacts[0] if contacts else None)
    activities = [
        {
            "id": a.pk,
            "kind": a.kind,
            "subject": a.subject,
            "body": a.body,
            "conversation_id": a.conversation_id,
            "created_at": a.created_at.isoformat(),
        }
        for c in contacts
        for a in c.activities.all()[:20]
    ]
    tasks = [
        {
            "id": t.pk,
            "title": t.title,
            "notes": t.notes,
            "done": t.done,
            "due_at": t.due_at.isoformat() if t.due_at else None,
            "conversation_id": t.conversation_id,
        }
        for c in contacts
        for t in c.tasks.all()[:20]
    ]
    return {
        "customer_id": customer.pk,
        "contact": (
            {
                "id": contact.pk,
                "name": contact.name,
                "email": contact.email,
                "phone": contact.phone,
                "external_id": contact.external_id,
                "company": {"id": contact.company.pk, "name": contact.company.name} if contact.company else None,
            }
            if contact
            else None
        ),
        "activities": sorted(activities, key=lambda a: a["created_at"], reverse=True),
        "tasks": tasks,
    }
