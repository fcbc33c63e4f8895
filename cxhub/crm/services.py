"""Post-conversation work: scheduled when a conversation closes or is handed back, prepared (summary and drafts),
approved by a person where the site or the conversation's level asks for it, then done step by step by Celery
tasks that may run twice: each step is claimed on its row before it acts, and remembers what it already did."""

import logging
import smtplib
import time
from datetime import timedelta

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.utils import timezone

from cxhub.conversations import selectors as conversation_selectors
from cxhub.conversations.merging import customer_root
from cxhub.conversations.models import AutonomyLevel, Conversation, ConversationEvent, Site
from cxhub.conversations.services import ConversationError, event_record
from cxhub.integrations.services import webhook_retry_delay
from cxhub.mail.services import email_sent_register, sender_address

from . import texts
from .adapters import CrmError, crm_adapter
from .models import PostWork, PostWorkStep

logger = logging.getLogger(__name__)

Step = PostWorkStep.Name
Status = PostWorkStep.Status
TRIGGERS = ("closed", "returned")
# Longer than a task may run (CELERY_TASK_TIME_LIMIT): a duplicate task never acts while the first still does.
ATTEMPT_LEASE_SECONDS = 120
HISTORY_LIMIT = 50
SUMMARY_MAX_CHARS = 4000
EMAIL_MAX_CHARS = 20000
FOLLOW_UP_DUE_DAYS = 1
FINISHED = {Status.DONE, Status.SKIPPED}
# Steps a person approves in sites or conversations where replies need approval.
APPROVED_STEPS = {Step.SUMMARY, Step.CRM_UPDATE, Step.FOLLOW_UP_TASK, Step.CONFIRMATION_EMAIL}


def idempotency_key(*, conversation_id: int, trigger: str, step: str) -> str:
    return f"cxhub:{conversation_id}:{trigger}:{step}"


def _needs_approval(conversation: Conversation) -> bool:
    if conversation.site.post_conversation_approval or conversation.autonomy_level == AutonomyLevel.AI_WITH_APPROVAL:
        return True
    # Handed back from `ai_with_approval`, the level has already moved on; its drafts say where it was.
    return conversation.events.filter(kind=ConversationEvent.Kind.DRAFT_CREATED).exists()


def post_work_schedule(*, conversation_id: int, trigger: str) -> PostWork | None:
    """Record the work after a conversation closed (`closed`) or was handed back (`returned`), and queue it
    for when the caller's transaction commits. Call it inside that transaction, holding the conversation lock.
    Scheduling the same close twice records one PostWork."""
    if trigger not in TRIGGERS:
        raise ValueError(f"trigger must be one of {TRIGGERS}, not {trigger!r}")
    conversation = Conversation.objects.select_related("site").get(pk=conversation_id)
    trigger_key = trigger
    if trigger == "returned":
        returned = conversation.events.filter(kind=ConversationEvent.Kind.HANDOFF_RETURNED).order_by("-id").first()
        trigger_key = f"returned-{returned.pk if returned else 0}"
    post_work, created = PostWork.objects.get_or_create(
        conversation=conversation, trigger=trigger_key, defaults={"needs_approval": _needs_approval(conversation)}
    )
    if not created:
        return post_work
    for name in Step.values:
        PostWorkStep.objects.create(
            post_work=post_work,
            name=name,
            idempotency_key=idempotency_key(conversation_id=conversation.pk, trigger=trigger_key, step=name),
        )
    event_record(
        conversation=conversation,
        kind=ConversationEvent.Kind.POST_WORK_QUEUED,
        actor_kind=ConversationEvent.ActorKind.SYSTEM,
        data={"post_work_id": post_work.pk, "trigger": trigger_key, "needs_approval": post_work.needs_approval},
    )
    from .tasks import post_work_prepare as task

    # robust: a broker outage must not undo the close; the work stays `preparing` and can be replayed.
    transaction.on_commit(lambda: task.delay(post_work.pk), robust=True)
    return post_work


# --- Preparing: the summary and the drafts -----------------------------------------------------------------------


def _transcript_asked_before(conversation: Conversation, post_work: PostWork) -> bool:
    return conversation.events.filter(
        kind=ConversationEvent.Kind.TRANSCRIPT_REQUESTED, created_at__lte=post_work.created_at
    ).exists()


def _email_wanted(conversation: Conversation, post_work: PostWork) -> tuple[bool, str]:
    if post_work.trigger != "closed":
        return False, "only when the conversation closes"
    policy = conversation.site.post_conversation_email
    if policy == Site.PostConversationEmail.NEVER:
        return False, "the site never sends one"
    if policy == Site.PostConversationEmail.WHEN_ASKED and not _transcript_asked_before(conversation, post_work):
        return False, "the customer did not ask for a transcript"
    if not customer_root(conversation.customer).email:
        return False, "no email address for the customer"
    return True, ""


def _follow_up_wanted(conversation: Conversation, post_work: PostWork) -> bool:
    if post_work.trigger == "closed":
        return conversation.outcome == Conversation.Outcome.FOLLOW_UP
    event_id = int(post_work.trigger.partition("-")[2] or 0)
    returned = conversation.events.filter(pk=event_id).first()
    return bool(returned and returned.data.get("follow_up"))


def email_body(*, conversation: Conversation, summary: str, follow_up: bool) -> str:
    locale = conversation.locale
    parts = [
        texts.text("email_intro", locale, site=conversation.site.name),
        "",
        texts.text("email_summary", locale, summary=summary),
    ]
    if follow_up:
        parts += ["", texts.text("email_follow_up", locale)]
    parts += ["", conversation_selectors.transcript_text(conversation)]
    return "\n".join(parts)


@transaction.atomic
def post_work_prepare(*, post_work_id: int) -> list[int]:
    """Summarise, draft every step, and say which steps are ready to run (their ids). Run again, it drafts
    nothing twice and returns the steps still waiting for their first attempt, so their tasks can be re-sent."""
    post_work = PostWork.objects.select_for_update().select_related("conversation__site").filter(pk=post_work_id)
    post_work = post_work.first()
    if post_work is None:
        return []
    steps = {step.name: step for step in post_work.steps.all()}
    if post_work.prepared_at is None:
        _prepare(post_work, steps)
    ready = [s.pk for s in steps.values() if s.status == Status.PENDING and s.next_attempt_at is None]
    if not ready:
        _finish_check(post_work)
    return ready


def _prepare(post_work: PostWork, steps: dict[str, PostWorkStep]) -> None:
    from cxhub.assistant.copilot import conversation_summary

    conversation = post_work.conversation
    summary = conversation_summary(conversation_id=conversation.pk)["text"][:SUMMARY_MAX_CHARS]
    wait = Status.AWAITING_APPROVAL if post_work.needs_approval else Status.PENDING
    now = timezone.now()
    post_work.summary = summary
    post_work.prepared_at = now
    post_work.save(update_fields=["summary", "prepared_at"])

    step = steps[Step.SUMMARY]
    step.draft = {"text": summary}
    # Recording the summary is all this step does: without approval it is done now.
    step.status = Status.AWAITING_APPROVAL if post_work.needs_approval else Status.DONE
    step.done_at = None if post_work.needs_approval else now

    follow_up = _follow_up_wanted(conversation, post_work)
    step = steps[Step.CRM_UPDATE]
    outcome = conversation.outcome or texts.text("no_outcome", conversation.locale)
    subject_key = "activity_closed" if post_work.trigger == "closed" else "activity_returned"
    step.draft = {
        "kind": "conversation_closed" if post_work.trigger == "closed" else "conversation_returned",
        "subject": texts.text(subject_key, conversation.locale, outcome=outcome),
    }
    step.status = wait

    step = steps[Step.FOLLOW_UP_TASK]
    if follow_up:
        customer = customer_root(conversation.customer)
        step.draft = {
            "title": texts.text(
                "task_title", conversation.locale, customer=str(customer), conversation=conversation.pk
            ),
            "due_at": (now + timedelta(days=FOLLOW_UP_DUE_DAYS)).isoformat(),
        }
        step.status = wait
    else:
        step.status, step.last_error = Status.SKIPPED, "no follow-up asked for"

    step = steps[Step.CONFIRMATION_EMAIL]
    wanted, why_not = _email_wanted(conversation, post_work)
    if wanted:
        step.draft = {
            "to": customer_root(conversation.customer).email,
            "subject": texts.text("email_subject", conversation.locale, site=conversation.site.name),
            "body": email_body(conversation=conversation, summary=summary, follow_up=follow_up),
            "edited": False,
        }
        step.status = wait
    else:
        step.status, step.last_error = Status.SKIPPED, why_not
    for step in steps.values():
        step.save()


# --- Approving, retrying ----------------------------------------------------------------------------------------


def _text_clean(text: object, limit: int) -> str:
    if not isinstance(text, str) or not text.strip():
        raise ConversationError("text_invalid", "The text must not be empty.")
    if len(text) > limit:
        raise ConversationError("text_too_long", f"The text is limited to {limit} characters.")
    return text.strip()


@transaction.atomic
def post_work_step_approve(*, step_id: int, agent, text: object = None) -> PostWorkStep:
    """A person lets a drafted step go out, as drafted or with their own words (summary and email only).
    The CRM update and the email carry the summary, so the summary is approved first."""
    step = PostWorkStep.objects.select_for_update().select_related("post_work__conversation__site").get(pk=step_id)
    if step.status != Status.AWAITING_APPROVAL:
        raise ConversationError("not_awaiting_approval", "This step is not waiting for approval.")
    post_work = step.post_work
    if text is not None and step.name not in (Step.SUMMARY, Step.CONFIRMATION_EMAIL):
        raise ConversationError("text_not_editable", "Only the summary and the email text can be edited.")
    summary_step = post_work.steps.get(name=Step.SUMMARY)
    if step.name != Step.SUMMARY and summary_step.status == Status.AWAITING_APPROVAL:
        raise ConversationError("summary_first", "Approve the summary first: this step carries it.")
    now = timezone.now()
    step.approved_by, step.approved_at = agent, now
    if step.name == Step.SUMMARY:
        if text is not None:
            post_work.summary = _text_clean(text, SUMMARY_MAX_CHARS)
            post_work.save(update_fields=["summary"])
            step.draft = {**step.draft, "text": post_work.summary, "edited": True}
            _email_redraft(post_work)
        step.status, step.done_at = Status.DONE, now
        step.save()
        _finish_check(post_work)
        return step
    if text is not None:
        step.draft = {**step.draft, "body": _text_clean(text, EMAIL_MAX_CHARS), "edited": True}
    step.status = Status.PENDING
    step.save()
    from .tasks import post_work_step_run

    transaction.on_commit(lambda: post_work_step_run.delay(step.pk), robust=True)
    return step


def _email_redraft(post_work: PostWork) -> None:
    """The summary changed: an email nobody edited yet carries the new one."""
    email = post_work.steps.filter(name=Step.CONFIRMATION_EMAIL, status=Status.AWAITING_APPROVAL).first()
    if email is None or email.draft.get("edited"):
        return
    conversation = post_work.conversation
    follow_up = post_work.steps.filter(name=Step.FOLLOW_UP_TASK).exclude(status=Status.SKIPPED).exists()
    email.draft = {
        **email.draft,
        "body": email_body(conversation=conversation, summary=post_work.summary, follow_up=follow_up),
    }
    email.save(update_fields=["draft", "updated_at"])


def retryable_steps():
    """Failed for good (the dead letters), or pending and never tried, or never prepared (their task was lost,
    say queued while the broker was down)."""
    from django.db.models import Q

    return Q(status__in=[Status.FAILED, Status.PREPARING]) | Q(status=Status.PENDING, next_attempt_at__isnull=True)


@transaction.atomic
def post_work_steps_retry(*, step_ids: list[int]) -> int:
    """Try failed steps again from a fresh count of attempts, with the same idempotency key, so a CRM that got
    the update before still stores it once. Done steps are never redone. Returns how many were queued."""
    from .tasks import post_work_prepare, post_work_step_run

    steps = list(PostWorkStep.objects.select_for_update().filter(retryable_steps(), pk__in=step_ids))
    retried_at = timezone.now().isoformat()
    for post_work_id in {step.post_work_id for step in steps if step.status == Status.PREPARING}:
        transaction.on_commit(lambda pk=post_work_id: post_work_prepare.delay(pk), robust=True)
    for step in steps:
        if step.status == Status.PREPARING:
            continue
        step.status = Status.PENDING
        step.attempts = 0
        step.next_attempt_at = None
        step.history = [*step.history, {"retried_at": retried_at}][-HISTORY_LIMIT:]
        step.save(update_fields=["status", "attempts", "next_attempt_at", "history", "updated_at"])
        transaction.on_commit(lambda pk=step.pk: post_work_step_run.delay(pk), robust=True)
    return len(steps)


# --- Doing a step -----------------------------------------------------------------------------------------------


def _customer_payload(conversation: Conversation) -> dict:
    customer = customer_root(conversation.customer)
    return {
        "id": customer.pk,
        "site_id": customer.site_id,
        "name": customer.display_name,
        "email": customer.email,
        "phone": customer.phone,
        "external_id": customer.external_id,
    }


def _conversation_payload(conversation: Conversation) -> dict:
    return {
        "id": conversation.pk,
        "public_id": conversation.public_id,
        "channel": conversation.channel,
        "outcome": conversation.outcome,
        "closed_at": conversation.closed_at.isoformat() if conversation.closed_at else None,
    }


def _remember(step: PostWorkStep, part: str, value: dict) -> None:
    """Keep what a part of the step already did, before the next part runs: a retry starts after it."""
    step.result = {**step.result, part: value}
    PostWorkStep.objects.filter(pk=step.pk).update(result=step.result)


def _crm_update(step: PostWorkStep, conversation: Conversation) -> None:
    adapter = crm_adapter()
    customer = _customer_payload(conversation)
    if "contact" not in step.result:
        key = f"{step.idempotency_key}:contact"
        _remember(step, "contact", adapter.contact_upsert(idempotency_key=key, customer=customer))
    if "activity" not in step.result:
        answer = adapter.activity_log(
            idempotency_key=step.idempotency_key,
            customer=customer,
            conversation=_conversation_payload(conversation),
            kind=step.draft.get("kind", "conversation"),
            subject=step.draft.get("subject", ""),
            body=step.post_work.summary,
        )
        _remember(step, "activity", answer)


def _follow_up_task(step: PostWorkStep, conversation: Conversation) -> None:
    answer = crm_adapter().task_create(
        idempotency_key=step.idempotency_key,
        customer=_customer_payload(conversation),
        conversation=_conversation_payload(conversation),
        title=step.draft.get("title", ""),
        notes=step.post_work.summary,
        due_at=step.draft.get("due_at"),
    )
    _remember(step, "task", answer)


def _confirmation_email(step: PostWorkStep, conversation: Conversation) -> None:
    draft = step.draft
    local = step.idempotency_key.replace(":", ".").replace("_", "-")
    message = EmailMessage(
        subject=draft["subject"],
        body=draft["body"],
        from_email=sender_address(conversation.site),
        to=[draft["to"]],
        # The same Message-ID on a resend lets a mail system drop the copy.
        headers={"Message-ID": f"<{local}@cxhub>", "X-Cxhub-Idempotency-Key": step.idempotency_key},
    )
    try:
        message.send()
    except (smtplib.SMTPRecipientsRefused, smtplib.SMTPSenderRefused) as error:
        raise CrmError(f"{type(error).__name__}: {error}", retryable=False) from error
    except smtplib.SMTPResponseException as error:
        raise CrmError(f"SMTP {error.smtp_code}: {error.smtp_error!r}", retryable=error.smtp_code < 500) from error
    except (smtplib.SMTPException, OSError) as error:
        raise CrmError(f"{type(error).__name__}: {error}", retryable=True) from error
    email_sent_register(
        conversation=conversation,
        header_id=message.extra_headers["Message-ID"],
        address=draft["to"],
        subject=draft["subject"],
        body=draft["body"],
    )
    _remember(step, "email", {"to": draft["to"], "message_id": message.extra_headers["Message-ID"]})


RUNNERS = {
    Step.CRM_UPDATE: _crm_update,
    Step.FOLLOW_UP_TASK: _follow_up_task,
    Step.CONFIRMATION_EMAIL: _confirmation_email,
}


def post_work_step_attempt(*, step_id: int) -> float | None:
    """Do a step once if it is due. Returns the seconds after which to try again, or None when nothing is left
    to do: done, failed for good, waiting for approval, or another task claimed this attempt.

    Safe to run twice at once: the attempt is claimed with a compare-and-set on the row."""
    step = PostWorkStep.objects.select_related("post_work__conversation__site", "post_work__conversation__customer")
    step = step.filter(pk=step_id).first()
    if step is None or step.status not in (Status.PENDING, Status.RETRYING, Status.RUNNING):
        return None
    now = timezone.now()
    if step.next_attempt_at is not None and step.next_attempt_at > now:
        return (step.next_attempt_at - now).total_seconds()
    attempt = step.attempts + 1
    claimed = PostWorkStep.objects.filter(
        pk=step.pk, status=step.status, attempts=step.attempts, next_attempt_at=step.next_attempt_at
    ).update(status=Status.RUNNING, attempts=attempt, next_attempt_at=now + timedelta(seconds=ATTEMPT_LEASE_SECONDS))
    if not claimed:
        return None

    conversation = step.post_work.conversation
    started = time.perf_counter()
    error: CrmError | None = None
    try:
        RUNNERS[step.name](step, conversation)
    except CrmError as failure:
        error = failure
    except Exception as failure:  # unexpected: worth a bounded number of tries, and shown to staff
        logger.exception("post-work step %s failed", step.idempotency_key)
        error = CrmError(f"{type(failure).__name__}: {failure}", retryable=True)
    finished = timezone.now()
    retry_in = None
    if error is None:
        status = Status.DONE
    elif error.retryable and attempt < settings.WEBHOOK_MAX_ATTEMPTS:
        status = Status.RETRYING
        retry_in = webhook_retry_delay(attempt)
        if error.retry_after is not None:
            retry_in = min(max(retry_in, error.retry_after), settings.WEBHOOK_RETRY_MAX_SECONDS)
    else:
        status = Status.FAILED
    message = error.message[:500] if error else ""
    entry = {
        "attempt": attempt,
        "at": finished.isoformat(),
        "error": message[:300],
        "ms": round((time.perf_counter() - started) * 1000, 1),
    }
    with transaction.atomic():
        # Guarded by the attempt number: a retry an admin started meanwhile owns the step now.
        updated = PostWorkStep.objects.filter(pk=step.pk, attempts=attempt).update(
            status=status,
            last_error=message,
            next_attempt_at=finished + timedelta(seconds=retry_in) if retry_in is not None else None,
            done_at=finished if status == Status.DONE else None,
            history=[*step.history, entry][-HISTORY_LIMIT:],
            updated_at=finished,
        )
        if updated and status == Status.FAILED:
            logger.warning("post-work step %s failed for good: %s", step.idempotency_key, message)
            event_record(
                conversation=conversation,
                kind=ConversationEvent.Kind.POST_WORK_FAILED,
                actor_kind=ConversationEvent.ActorKind.SYSTEM,
                data={"post_work_id": step.post_work_id, "step": step.name, "step_id": step.pk, "error": message},
            )
        if updated and status == Status.DONE:
            _finish_check(step.post_work)
    return retry_in


def _finish_check(post_work: PostWork) -> None:
    """Every step done or not needed: the work is finished, said once on the conversation."""
    statuses = dict(post_work.steps.values_list("name", "status"))
    if not statuses or any(status not in FINISHED for status in statuses.values()):
        return
    if not PostWork.objects.filter(pk=post_work.pk, finished_at__isnull=True).update(finished_at=timezone.now()):
        return
    event_record(
        conversation=post_work.conversation,
        kind=ConversationEvent.Kind.POST_WORK_DONE,
        actor_kind=ConversationEvent.ActorKind.SYSTEM,
        data={"post_work_id": post_work.pk, "trigger": post_work.trigger, "steps": statuses},
    )
