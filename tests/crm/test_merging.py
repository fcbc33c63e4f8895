"""One customer across channels: a verified email or phone makes two customers one, with both histories."""

import pytest
from asgiref.sync import sync_to_async
from django.test import Client

from cxhub.conversations.merging import customer_for_verified_contact, customer_merge
from cxhub.conversations.models import Conversation, ConversationEvent, Customer
from cxhub.conversations.services import conversation_get_or_start, identity_hash
from cxhub.conversations.sessions import visitor_session_resolve
from tests import factories
from tests.channels_app.helpers import visitor_connect

pytestmark = pytest.mark.django_db(transaction=True)

ORIGIN = factories.SHOP_ORIGIN


def email_customer(site, address="ada@example.com"):
    """A customer as the email channel creates one, with their conversation."""
    customer = customer_for_verified_contact(site=site, email=address, defaults={"display_name": "Ada"})
    return customer, conversation_get_or_start(customer=customer, channel=Conversation.Channel.EMAIL)


def identify(token, body):
    return Client().post(
        "/api/widget/identify",
        body,
        content_type="application/json",
        headers={"origin": ORIGIN, "authorization": f"Bearer {token}"},
    )


def test_a_widget_customer_who_identifies_with_a_verified_email_joins_the_email_customer():
    site = factories.site_create()
    known, by_email = email_customer(site)
    widget_customer, in_widget, token = factories.visitor_create(site=site)
    user_hash = identity_hash(secret=site.identity_secret, user_id="u-7", email="Ada@Example.com")

    response = identify(token, {"user_id": "u-7", "user_hash": user_hash, "email": "Ada@Example.com"})

    assert response.status_code == 200
    kept = Customer.objects.get(pk=known.pk)  # the older record is kept
    assert set(kept.conversations.values_list("pk", flat=True)) == {by_email.pk, in_widget.pk}
    assert kept.is_identified and kept.external_id == "u-7" and kept.email_verified
    widget_customer.refresh_from_db()
    assert widget_customer.merged_into_id == kept.pk and not widget_customer.conversations.exists()
    merged = ConversationEvent.objects.get(conversation=in_widget, kind="customers_merged")
    assert merged.data["from_customer_id"] == widget_customer.pk and merged.data["into_customer_id"] == kept.pk
    # The widget carries on with the same conversation, now on the customer kept.
    session = visitor_session_resolve(token=token, origin=ORIGIN)
    assert (session.customer.pk, session.conversation.pk) == (kept.pk, in_widget.pk)
    # And a later email from that address lands on the same customer.
    assert customer_for_verified_contact(site=site, email="ada@example.com").pk == kept.pk


def test_the_email_channel_finds_the_customer_the_widget_verified_first():
    site = factories.site_create()
    widget_customer, in_widget, token = factories.visitor_create(site=site)
    user_hash = identity_hash(secret=site.identity_secret, user_id="u-8", email="bob@example.com")
    identify(token, {"user_id": "u-8", "user_hash": user_hash, "email": "bob@example.com"})

    customer, by_email = email_customer(site, "BOB@example.com")

    assert customer.pk == widget_customer.pk
    assert set(customer.conversations.values_list("pk", flat=True)) == {in_widget.pk, by_email.pk}


def test_an_email_that_is_not_signed_verifies_nothing_and_merges_nothing():
    site = factories.site_create()
    known, _ = email_customer(site)
    widget_customer, _, token = factories.visitor_create(site=site)
    signed_without_email = identity_hash(secret=site.identity_secret, user_id="u-9")

    response = identify(token, {"user_id": "u-9", "user_hash": signed_without_email, "email": "ada@example.com"})

    assert response.status_code == 400 and response.json()["code"] == "identity_invalid"
    widget_customer.refresh_from_db()
    assert widget_customer.merged_into_id is None and not widget_customer.is_identified
    assert known.conversations.count() == 1


def test_an_address_typed_in_a_form_is_not_verified_and_is_not_matched():
    site = factories.site_create()
    typed, _, _ = factories.visitor_create(site=site)
    Customer.objects.filter(pk=typed.pk).update(email="ada@example.com")  # e.g. the pre-chat form

    found = customer_for_verified_contact(site=site, email="ada@example.com")

    assert found.pk != typed.pk and found.email_verified
    other_site = factories.site_create()
    assert customer_for_verified_contact(site=other_site, email="ada@example.com").site_id == other_site.pk


def test_a_verified_phone_finds_its_customer_and_a_merge_twice_is_one_merge():
    site = factories.site_create()
    by_phone = customer_for_verified_contact(site=site, phone="+33612345678")
    assert customer_for_verified_contact(site=site, phone="+33612345678").pk == by_phone.pk
    newer, conversation, _ = factories.visitor_create(site=site)

    # Passed the wrong way round: the older record is still the one kept.
    kept = customer_merge(source=by_phone, target=newer)
    again = customer_merge(source=newer, target=by_phone)

    assert kept.pk == again.pk == by_phone.pk
    assert ConversationEvent.objects.filter(conversation=conversation, kind="customers_merged").count() == 1
    assert Customer.objects.get(pk=newer.pk).merged_into_id == by_phone.pk


def test_customers_of_different_sites_are_never_merged():
    one, _, _ = factories.visitor_create(site=factories.site_create())
    two, _, _ = factories.visitor_create(site=factories.site_create())

    with pytest.raises(ValueError):
        customer_merge(source=one, target=two)


async def test_identifying_with_a_signed_email_over_the_socket_merges_too():
    @sync_to_async
    def given():
        site = factories.site_create()
        known, by_email = email_customer(site)
        _, in_widget, token = factories.visitor_create(site=site)
        return site, known, by_email, in_widget, token

    site, known, by_email, in_widget, token = await given()
    visitor = await visitor_connect(token)
    user_hash = identity_hash(secret=site.identity_secret, user_id="u-11", email="ada@example.com")

    await visitor.send(type="identify", user_id="u-11", user_hash=user_hash, email="ada@example.com")
    identified = await visitor.receive_until(lambda f: f["type"] == "identified")
    await visitor.close()

    assert identified["user_id"] == "u-11"
    conversations = await sync_to_async(lambda: set(known.conversations.values_list("pk", flat=True)))()
    assert conversations == {by_email.pk, in_widget.pk}
