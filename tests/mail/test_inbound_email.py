"""Email as a channel: inbound-parse webhooks (JSON, SendGrid multipart, Mailgun form), threading by Message-ID,
and replies sent by SMTP to a real server with the AI disclosure in the footer and threading headers."""

import base64
import json

import pytest
from django.test import Client

from cxhub.conversations.merging import customer_for_verified_contact
from cxhub.conversations.models import Conversation, ConversationEvent, Customer, Message
from cxhub.mail.models import Email
from cxhub.mail.tasks import email_send
from tests.conftest import wait_until

from .conftest import INBOUND_SECRET, SUPPORT

pytestmark = pytest.mark.django_db(transaction=True)

URL = f"/api/mail/inbound/{INBOUND_SECRET}/"


def post_json(payload: dict, url: str = URL, **headers):
    return Client().post(url, json.dumps(payload), content_type="application/json", headers=headers)


def new_email(**overrides) -> dict:
    payload = {
        "from": "Ana Lopez <ana@example.org>",
        "to": SUPPORT,
        "subject": "Delivery question",
        "text": "How long does delivery take?",
        "headers": {"Message-Id": "<first@example.org>"},
        "spf": "pass",
        "dkim": "pass",
    }
    payload.update(overrides)
    return payload


def ai_reply_email(smtp_server, count: int = 1):
    wait_until(lambda: len(smtp_server.messages) >= count, timeout=10)
    return smtp_server.messages[count - 1]


def test_an_email_starts_a_conversation_and_the_ai_reply_goes_out_by_smtp_threaded_and_disclosed(site, smtp_server):
    response = post_json(new_email())

    assert response.status_code == 201
    conversation = Conversation.objects.get(public_id=response.json()["conversation_id"])
    assert conversation.channel == Conversation.Channel.EMAIL
    customer = conversation.customer
    assert (customer.email, customer.email_verified, customer.display_name) == ("ana@example.org", True, "Ana Lopez")
    first = conversation.messages.get(author_kind=Message.AuthorKind.CUSTOMER)
    assert first.text == "Delivery question\n\nHow long does delivery take?"

    sent = ai_reply_email(smtp_server)
    assert smtp_server.recipients[0] == ["ana@example.org"]
    assert sent["Subject"] == "Re: Delivery question"
    assert sent["In-Reply-To"] == "<first@example.org>"
    assert sent["References"] == "<first@example.org>"
    assert SUPPORT in sent["From"] and sent["Reply-To"] == SUPPORT
    body = sent.get_content()
    ai_message = conversation.messages.get(author_kind=Message.AuthorKind.AI)
    assert body.startswith(ai_message.text)
    assert "This reply was written by an AI assistant" in body
    outbound = Email.objects.get(direction=Email.Direction.OUTBOUND)
    assert outbound.status == Email.Status.SENT and outbound.message_id == ai_message.pk
    assert sent["Message-ID"].strip() == outbound.header_id  # a long id may be folded onto its own line


def test_a_reply_sent_as_sendgrid_multipart_threads_into_the_same_conversation_without_the_quote(site, smtp_server):
    conversation = Conversation.objects.get(public_id=post_json(new_email()).json()["conversation_id"])
    ours = ai_reply_email(smtp_server)["Message-ID"]
    headers = (
        f"Message-ID: <second@example.org>\r\nIn-Reply-To: {ours}\r\nReferences: <first@example.org> {ours}\r\n"
        "Subject: Re: Re: Delivery question\r\n"
    )

    response = Client().post(
        URL,
        {
            "from": "ana@example.org",
            "to": f"Shop <{SUPPORT}>",
            "subject": "Re: Re: Delivery question",
            "text": "And can I return an item?\n\nOn Mon, Shop wrote:\n> Delivery takes 2–4 business days.\n",
            "headers": headers,
            "SPF": "pass",
            "dkim": "{@example.org : pass}",
        },
    )

    assert response.status_code == 201
    assert response.json()["conversation_id"] == conversation.public_id
    customer_texts = list(
        conversation.messages.filter(author_kind=Message.AuthorKind.CUSTOMER).values_list("text", flat=True)
    )
    assert customer_texts[-1] == "And can I return an item?"
    second = ai_reply_email(smtp_server, 2)
    assert second["Subject"] == "Re: Delivery question"
    assert second["In-Reply-To"] == "<second@example.org>"
    assert "<first@example.org>" in second["References"] and ours in second["References"]
    assert Customer.objects.filter(email="ana@example.org").count() == 1


def test_a_mailgun_form_with_message_headers_threads_by_references(site, smtp_server):
    conversation = Conversation.objects.get(public_id=post_json(new_email()).json()["conversation_id"])
    ours = ai_reply_email(smtp_server)["Message-ID"]

    response = Client().post(
        URL,
        {
            "sender": "ana@example.org",
            "recipient": SUPPORT,
            "subject": "Re: Delivery question",
            "body-plain": "Thanks, and what is your returns policy?",
            "message-headers": json.dumps(
                [["Message-Id", "<third@example.org>"], ["References", ours], ["X-Mailgun-Spf", "Pass"]]
            ),
        },
    )

    assert response.status_code == 201
    assert response.json()["conversation_id"] == conversation.public_id
    assert response.json()["sender_verified"] is False  # no DKIM result: linked by the thread, not verified


def test_the_same_email_delivered_twice_is_stored_once(site, smtp_server):
    first = post_json(new_email())
    again = post_json(new_email())

    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["duplicate"] is True
    assert Message.objects.filter(author_kind=Message.AuthorKind.CUSTOMER).count() == 1


def test_without_the_secret_nothing_is_stored_and_basic_auth_works_too(site, smtp_server):
    wrong = post_json(new_email(), url="/api/mail/inbound/not-the-secret/")
    missing = post_json(new_email(), url="/api/mail/inbound/")

    assert (wrong.status_code, missing.status_code) == (403, 403)
    assert wrong.json()["code"] == "secret_invalid"
    assert not Email.objects.exists() and not Message.objects.exists()

    token = base64.b64encode(f"inbound:{INBOUND_SECRET}".encode()).decode()
    accepted = post_json(new_email(), url="/api/mail/inbound/", Authorization=f"Basic {token}")
    assert accepted.status_code == 201


def test_mail_to_an_address_no_site_receives_at_is_refused_clearly(site, smtp_server):
    response = post_json(new_email(to="someone-else@elsewhere.example"))

    assert response.status_code == 422
    assert response.json()["code"] == "recipient_unknown"
    assert not Message.objects.exists()


def test_a_long_email_is_shortened_with_a_notice_and_kept_whole(site, smtp_server, settings):
    text = "Hello,\n" + "my lamp flickers when the dimmer is low. " * 200

    response = post_json(new_email(text=text))

    assert response.status_code == 201 and response.json()["truncated"] is True
    message = Message.objects.get(author_kind=Message.AuthorKind.CUSTOMER)
    assert len(message.text) <= settings.MESSAGE_MAX_CHARS
    assert message.text.endswith("[This email was shortened here; the full text is kept with the conversation.]")
    assert Email.objects.get(direction=Email.Direction.INBOUND).body == text.strip()


def test_an_unverified_sender_never_joins_the_verified_customer_with_that_address(site, smtp_server):
    known = customer_for_verified_contact(site=site, email="ana@example.org")

    response = post_json(new_email(spf="fail", dkim="none"))

    conversation = Conversation.objects.get(public_id=response.json()["conversation_id"])
    assert conversation.customer_id != known.pk
    assert conversation.customer.email_verified is False
    assert not known.conversations.exists()


def test_a_verified_sender_is_the_customer_already_known_by_that_address(site, smtp_server):
    known = customer_for_verified_contact(site=site, email="ana@example.org")

    response = post_json(new_email(**{"from": "ANA@example.org"}))

    assert Conversation.objects.get(public_id=response.json()["conversation_id"]).customer_id == known.pk


def test_an_smtp_server_that_is_down_is_retried_then_shown_as_failed_and_never_sent_twice(site, smtp_server, settings):
    settings.EMAIL_PORT = 1  # nothing listens there

    post_json(new_email())

    outbound = Email.objects.get(direction=Email.Direction.OUTBOUND)
    assert outbound.status == Email.Status.DEAD and outbound.attempts == settings.CHANNEL_SEND_MAX_ATTEMPTS
    failed = ConversationEvent.objects.get(kind=ConversationEvent.Kind.POST_WORK_FAILED)
    assert failed.data["work"] == "email_send" and failed.data["email_id"] == outbound.pk
    assert "How long" not in json.dumps(failed.data)  # the words stay out of the failure record

    settings.EMAIL_PORT = smtp_server.port
    from cxhub.mail.services import email_resend

    assert email_resend(email_id=outbound.pk) is True
    wait_until(lambda: Email.objects.get(pk=outbound.pk).status == Email.Status.SENT, timeout=10)
    email_send.delay(outbound.pk)  # a redelivered task
    assert len(smtp_server.messages) == 1


def test_an_email_too_large_to_read_is_refused_with_413_and_a_clear_code(site, smtp_server, settings):
    response = post_json(new_email(text="x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 10)))

    assert response.status_code == 413 and response.json()["code"] == "email_too_large"
    assert not Message.objects.exists()


def test_at_ai_with_approval_nothing_is_emailed_until_a_person_approves_and_the_footer_says_so(site, smtp_server):
    from cxhub.assistant.models import Draft
    from routing.approvals import draft_approve
    from routing.services import autonomy_set
    from tests import factories

    response = post_json(new_email())
    conversation = Conversation.objects.get(public_id=response.json()["conversation_id"])
    ours = ai_reply_email(smtp_server)["Message-ID"]
    autonomy_set(conversation_id=conversation.pk, level="ai_with_approval")

    post_json(new_email(text="What is your returns policy?", headers={"Message-Id": "<r@x.org>", "In-Reply-To": ours}))

    draft = Draft.objects.get(conversation=conversation)
    assert len(smtp_server.messages) == 1  # the draft waits for a person
    draft_approve(draft_id=draft.pk, agent=factories.agent_create())
    approved = ai_reply_email(smtp_server, 2).get_content()
    assert approved.startswith(draft.text)
    assert "drafted by an AI assistant and checked by a person" in approved
