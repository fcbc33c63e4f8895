"""The built-in CRM and the post-conversation work are browsable in Django admin."""

import pytest

from cxhub.conversations.services import conversation_close
from cxhub.crm.models import Activity, Contact, PostWork, PostWorkStep, Task

from .conftest import conversation_with_customer

pytestmark = pytest.mark.django_db(transaction=True)


def test_admins_browse_contacts_activities_tasks_and_each_step_with_its_attempts(admin_client):
    conversation, _ = conversation_with_customer(policy="never")
    conversation_close(conversation_id=conversation.pk, actor_kind="customer", outcome="follow_up")
    contact, step = Contact.objects.get(), PostWorkStep.objects.get(name="crm_update")

    pages = {
        "/admin/crm/contact/": "Ada Lovelace",
        f"/admin/crm/contact/{contact.pk}/change/": "Conversation closed (follow_up)",
        "/admin/crm/activity/": "Conversation closed (follow_up)",
        f"/admin/crm/task/{Task.objects.get().pk}/change/": "Follow up with Ada Lovelace",
        f"/admin/crm/postwork/{PostWork.objects.get().pk}/change/": "crm_update",
        "/admin/crm/postworkstep/?status__exact=done": "CRM update",
        f"/admin/crm/postworkstep/{step.pk}/change/": step.idempotency_key,
    }
    for url, expected in pages.items():
        response = admin_client.get(url)
        assert response.status_code == 200, url
        assert expected in response.content.decode(), url
    assert Activity.objects.count() == 1
