"""After a conversation closes or is handed back: summary, CRM update, follow-up task and confirmation email,
each done once however often its task runs, and waiting for a person where replies need approval."""

import pytest
from django.core import mail
from django.test import Client

from cxhub.conversations.models import AutonomyLevel, Conversation, ConversationEvent
from cxhub.conversations.services import conversation_close, transcript_email_request
from cxhub.crm import tasks
from cxhub.crm.models import Activity, Company, Contact, PostWork, PostWorkStep, Task
from cxhub.mail.models import MailInbox
from routing.services import handoff_accept, handoff_request, handoff_return
from tests import factories

from .conftest import conversation_with_customer

pytestmark = pytest.mark.django_db(transaction=True)


def steps_of(conversation) -> dict[str, PostWorkStep]:
    return {s.name: s for s in PostWorkStep.objects.filter(post_work__conversation=conversation)}


def kinds(conversation) -> list[str]:
    return [e.kind for e in ConversationEvent.objects.filter(conversation=conversation, kind__startswith="post_work")]


def test_closing_with_a_follow_up_updates_the_crm_creates_a_task_and_emails_the_customer():
    Company.objects.create(name="Analytical Engines", domain="example.com")
    conversation, _ = conversation_with_customer(policy="always")

    conversation_close(conversation_id=conversation.pk, actor_kind="customer", outcome="follow_up")

    steps = steps_of(conversation)
    assert {name: s.status for name, s in steps.items()} == {
        "summary": "done",
        "crm_update": "done",
        "follow_up_task": "done",
        "confirmation_email": "done",
    }
    contact = Contact.objects.get(customer=conversation.customer)
    assert (contact.name, contact.email, contact.company.name) == (
        "Ada Lovelace",
        "ada@example.com",
        "Analytical Engines",
    )
    activity = Activity.objects.get(contact=contact)
    assert activity.conversation_id == conversation.pk and "Where is my lamp?" in activity.body
    assert activity.idempotency_key == f"cxhub:{conversation.pk}:closed:crm_update"
    task = Task.objects.get(contact=contact)
    assert "Follow up with Ada Lovelace" in task.title and task.due_at is not None
    assert len(mail.outbox) == 1
    sent = mail.outbox[0]
    assert sent.to == ["ada@example.com"] and sent.subject == "Your conversation with Shop"
    assert "Where is my lamp?" in sent.body and "Someone will get back to you" in sent.body
    assert sent.extra_headers["X-Cxhub-Idempotency-Key"] == f"cxhub:{conversation.pk}:closed:confirmation_email"
    assert kinds(conversation) == ["post_work_queued", "post_work_done"]


def test_a_redelivered_task_does_each_step_once():
    conversation, _ = conversation_with_customer(policy="always")
    conversation_close(conversation_id=conversation.pk, actor_kind="agent", outcome="follow_up")
    post_work = PostWork.objects.get(conversation=conversation)

    # The broker hands every task out again, as after a worker crash.
    tasks.post_work_prepare.delay(post_work.pk)
    for step in post_work.steps.all():
        tasks.post_work_step_run.delay(step.pk)
        tasks.post_work_step_run.delay(step.pk)

    assert Activity.objects.count() == 1 and Task.objects.count() == 1 and Contact.objects.count() == 1
    assert len(mail.outbox) == 1
    assert all(s.attempts <= 1 for s in post_work.steps.all())
    assert kinds(conversation) == ["post_work_queued", "post_work_done"]
    # Closing again changes nothing either.
    conversation_close(conversation_id=conversation.pk, actor_kind="agent", outcome="follow_up")
    assert PostWork.objects.count() == 1


def test_the_email_goes_only_when_asked_unless_the_site_always_sends_it():
    quiet, _ = conversation_with_customer(policy="when_asked")
    asked, _ = conversation_with_customer(policy="when_asked", email="grace@example.com")
    never, _ = conversation_with_customer(policy="never", email="alan@example.com")
    transcript_email_request(conversation_id=asked.pk)  # sent now, with what was said so far
    transcript_email_request(conversation_id=never.pk)
    mail.outbox.clear()

    for conversation in (quiet, asked, never):
        conversation_close(conversation_id=conversation.pk, actor_kind="customer", outcome="resolved")

    assert [m.to for m in mail.outbox] == [["grace@example.com"]]
    assert steps_of(quiet)["confirmation_email"].last_error == "the customer did not ask for a transcript"
    assert steps_of(never)["confirmation_email"].status == "skipped"
    assert steps_of(quiet)["follow_up_task"].status == "skipped"  # resolved: nothing to follow up


def test_a_french_customer_gets_the_email_in_french():
    conversation, _ = conversation_with_customer(policy="always", locale="fr")

    conversation_close(conversation_id=conversation.pk, actor_kind="customer", outcome="resolved")

    assert mail.outbox[0].subject == "Votre conversation avec Shop"
    assert mail.outbox[0].body.startswith("Merci d’avoir contacté Shop.")


def test_a_hand_back_with_a_follow_up_logs_the_activity_and_a_task():
    factories.knowledge_base_create()
    conversation, _ = conversation_with_customer(policy="always")
    agent = factories.agent_create()
    handoff_request(conversation_id=conversation.pk, reason="customer asked for a person")
    handoff_accept(conversation_id=conversation.pk, agent=agent)

    handoff_return(conversation_id=conversation.pk, agent=agent, note="Refund done.", follow_up="confirm")

    post_work = PostWork.objects.get(conversation=conversation)
    assert post_work.trigger.startswith("returned-")
    activity = Activity.objects.get()
    assert activity.kind == "conversation_returned" and activity.subject == "Conversation handed back to the AI"
    assert Task.objects.count() == 1
    assert steps_of(conversation)["confirmation_email"].status == "skipped"  # the conversation goes on
    assert mail.outbox == []


# ---------------------------------------------------------------- approval


def staff_client(agent) -> Client:
    client = Client()
    client.force_login(agent)
    return client


def test_with_approval_nothing_goes_out_until_an_agent_approves_and_their_edits_are_what_is_sent():
    conversation, _ = conversation_with_customer(policy="always")
    Conversation.objects.filter(pk=conversation.pk).update(autonomy_level=AutonomyLevel.AI_WITH_APPROVAL)
    agent = factories.agent_create()
    client = staff_client(agent)

    conversation_close(conversation_id=conversation.pk, actor_kind="customer", outcome="resolved")

    assert Activity.objects.count() == 0 and mail.outbox == []
    listed = client.get(f"/api/staff/conversations/{conversation.pk}/post-work").json()["post_work"][0]
    by_name = {s["name"]: s for s in listed["steps"]}
    assert listed["needs_approval"] is True
    assert {n: s["status"] for n, s in by_name.items()} == {
        "summary": "awaiting_approval",
        "crm_update": "awaiting_approval",
        "follow_up_task": "skipped",
        "confirmation_email": "awaiting_approval",
    }
    assert "Where is my lamp?" in by_name["confirmation_email"]["draft"]["body"]

    # The CRM update carries the summary: it waits for the summary's approval.
    early = client.post(f"/api/staff/post-work/{by_name['crm_update']['id']}/approve", {}, "application/json")
    assert early.status_code == 400 and early.json()["code"] == "summary_first"

    edited = "Customer asked where their lamp is; it ships tomorrow."
    response = client.post(
        f"/api/staff/post-work/{by_name['summary']['id']}/approve", {"text": edited}, "application/json"
    )
    assert response.status_code == 200 and response.json()["status"] == "done"
    assert response.json()["approved_by"] == "Marie Dupont"
    client.post(f"/api/staff/post-work/{by_name['crm_update']['id']}/approve", {}, "application/json")
    assert Activity.objects.get().body == edited
    assert mail.outbox == []

    email_text = "Hello Ada, your lamp ships tomorrow. — Marie"
    client.post(
        f"/api/staff/post-work/{by_name['confirmation_email']['id']}/approve", {"text": email_text}, "application/json"
    )
    assert [m.body for m in mail.outbox] == [email_text]
    assert kinds(conversation) == ["post_work_queued", "post_work_done"]
    again = client.post(f"/api/staff/post-work/{by_name['summary']['id']}/approve", {}, "application/json")
    assert again.status_code == 400 and again.json()["code"] == "not_awaiting_approval"


def test_the_site_setting_asks_for_approval_too_and_an_edited_summary_reaches_the_email_draft():
    conversation, _ = conversation_with_customer(policy="always", post_conversation_approval=True)
    agent = factories.agent_create()
    conversation_close(conversation_id=conversation.pk, actor_kind="customer", outcome="resolved")
    steps = steps_of(conversation)

    staff_client(agent).post(
        f"/api/staff/post-work/{steps['summary'].pk}/approve", {"text": "Lamp ships tomorrow."}, "application/json"
    )

    steps["confirmation_email"].refresh_from_db()
    assert "Summary: Lamp ships tomorrow." in steps["confirmation_email"].draft["body"]
    assert steps["confirmation_email"].status == "awaiting_approval"


def test_staff_of_another_team_see_no_post_work_and_cannot_approve():
    from routing.models import Team

    conversation, _ = conversation_with_customer(policy="always", post_conversation_approval=True)
    billing, care = Team.objects.create(name="Billing", slug="billing"), Team.objects.create(name="Care", slug="care")
    Conversation.objects.filter(pk=conversation.pk).update(team=billing)
    sam = factories.agent_create(username="sam", first_name="Sam")
    care.members.add(sam)
    conversation_close(conversation_id=conversation.pk, actor_kind="customer", outcome="resolved")
    step = steps_of(conversation)["summary"]
    client = staff_client(sam)

    assert client.get(f"/api/staff/conversations/{conversation.pk}/post-work").status_code == 404
    assert client.post(f"/api/staff/post-work/{step.pk}/approve", {}, "application/json").status_code == 404
    assert client.get(f"/api/staff/customers/{conversation.customer_id}/crm").status_code == 404
    step.refresh_from_db()
    assert step.status == "awaiting_approval"


def test_the_customer_panel_reads_the_builtin_crm():
    conversation, _ = conversation_with_customer(policy="never")
    conversation_close(conversation_id=conversation.pk, actor_kind="customer", outcome="follow_up")
    client = staff_client(factories.agent_create())

    panel = client.get(f"/api/staff/customers/{conversation.customer_id}/crm").json()

    assert panel["contact"]["email"] == "ada@example.com"
    assert [a["conversation_id"] for a in panel["activities"]] == [conversation.pk]
    assert [t["done"] for t in panel["tasks"]] == [False]


def test_work_whose_task_was_lost_with_the_broker_is_replayed_from_the_admin(admin_client, monkeypatch):
    conversation, _ = conversation_with_customer(policy="never")
    # The broker is down when the close commits: the close still succeeds, and the work waits.
    monkeypatch.setattr(tasks.post_work_prepare, "delay", lambda *a: (_ for _ in ()).throw(ConnectionError("down")))
    conversation_close(conversation_id=conversation.pk, actor_kind="customer", outcome="resolved")
    assert Conversation.objects.get(pk=conversation.pk).status == "closed"
    assert set(PostWorkStep.objects.values_list("status", flat=True)) == {"preparing"}
    monkeypatch.undo()

    response = admin_client.post(
        "/admin/crm/postworkstep/",
        {"action": "retry", "_selected_action": list(PostWorkStep.objects.values_list("pk", flat=True))},
    )

    assert response.status_code == 302
    assert {n: s.status for n, s in steps_of(conversation).items()}["crm_update"] == "done"
    assert Activity.objects.count() == 1 and kinds(conversation) == ["post_work_queued", "post_work_done"]


def test_a_reply_to_the_confirmation_email_comes_back_to_the_same_customer(settings):
    settings.MAIL_INBOUND_SECRET = "inbound-secret"
    conversation, _ = conversation_with_customer(policy="always")
    MailInbox.objects.create(site=conversation.site, address="support@shop.example")
    conversation_close(conversation_id=conversation.pk, actor_kind="customer", outcome="resolved")
    sent = mail.outbox[0]
    assert sent.from_email == "support@shop.example"

    response = Client().post(
        "/api/mail/inbound/inbound-secret/",
        {
            "from": "ada@example.com",
            "to": "support@shop.example",
            "subject": f"Re: {sent.subject}",
            "text": "Thanks, one more question about my lamp.",
            "headers": {"Message-Id": "<reply@example.com>", "In-Reply-To": sent.extra_headers["Message-ID"]},
        },
        content_type="application/json",
    )

    assert response.status_code == 201
    follow_up = Conversation.objects.get(public_id=response.json()["conversation_id"])
    assert follow_up.pk != conversation.pk  # the first one is closed; the thread starts a new one
    assert follow_up.customer_id == conversation.customer_id
