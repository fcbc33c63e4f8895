"""One customer across channels: customers with the same verified email or phone on a site become one, the
older record kept, the newer one pointing at it (`merged_into`) with its conversations moved over."""

from django.db import transaction

from .models import Conversation, ConversationEvent, Customer, Site

# Fields the kept customer takes from the merged one when it has none of its own.
FILLED_FIELDS = ("display_name", "email", "phone", "external_id", "segment")
MAX_CHAIN = 20


def customer_root(customer: Customer) -> Customer:
    """The customer a merged record now lives on (itself when never merged)."""
    seen = 0
    while customer.merged_into_id is not None and seen < MAX_CHAIN:
        customer = Customer.objects.get(pk=customer.merged_into_id)
        seen += 1
    return customer


def _email_norm(email: str) -> str:
    return (email or "").strip().lower()


@transaction.atomic
def customer_merge(*, source: Customer, target: Customer) -> Customer:
    """Make two customers one and return the one kept: the older record, whichever is passed as target.

    The other's conversations move to it, each with a `customers_merged` event; the kept record takes the
    contact details it lacked (verified flags only with the value they verify). Merging again, or a customer
    with itself, changes nothing."""
    source, target = customer_root(source), customer_root(target)
    if source.pk == target.pk:
        return target
    if source.site_id != target.site_id:
        raise ValueError("Customers of different sites are never merged.")
    locked = {c.pk: c for c in Customer.objects.select_for_update().filter(pk__in=[source.pk, target.pk])}
    source, target = locked[source.pk], locked[target.pk]
    if (source.created_at, source.pk) < (target.created_at, target.pk):
        source, target = target, source

    changed = []
    for field in FILLED_FIELDS:
        if not getattr(target, field) and getattr(source, field):
            setattr(target, field, getattr(source, field))
            changed.append(field)
    if source.email_verified and _email_norm(source.email) == _email_norm(target.email):
        target.email_verified = True
        changed.append("email_verified")
    if source.phone_verified and source.phone == target.phone:
        target.phone_verified = True
        changed.append("phone_verified")
    for flag in ("is_identified", "is_vip"):
        if getattr(source, flag) and not getattr(target, flag):
            setattr(target, flag, True)
            changed.append(flag)
    if changed:
        target.save(update_fields=changed)

    from .services import event_record

    moved = list(Conversation.objects.select_for_update().filter(customer=source).order_by("id"))
    for conversation in moved:
        conversation.customer = target
        conversation.save(update_fields=["customer", "updated_at"])
        event_record(
            conversation=conversation,
            kind=ConversationEvent.Kind.CUSTOMERS_MERGED,
            actor_kind=ConversationEvent.ActorKind.SYSTEM,
            data={"from_customer_id": source.pk, "into_customer_id": target.pk, "fields": changed},
        )
    source.merged_into = target
    source.save(update_fields=["merged_into"])
    return target


def _verified_match(site: Site, email: str, phone: str) -> Customer | None:
    customers = Customer.objects.filter(site=site, merged_into__isnull=True).order_by("created_at", "id")
    if email:
        found = customers.filter(email__iexact=email, email_verified=True).first()
        if found is not None:
            return found
    if phone:
        return customers.filter(phone=phone, phone_verified=True).first()
    return None


@transaction.atomic
def customer_for_verified_contact(
    *, site: Site, email: str = "", phone: str = "", defaults: dict | None = None
) -> Customer:
    """The customer on `site` whose email or phone was verified as this one (the oldest, if several), or a new
    customer with this contact marked verified. Only call it with a contact the channel proved (a signed
    identity, a validated SMS webhook, a mail that passed SPF/DKIM)."""
    email, phone = (email or "").strip(), (phone or "").strip()
    if not email and not phone:
        raise ValueError("A verified email or phone is needed.")
    found = _verified_match(site, email, phone)
    if found is not None:
        updates = []
        # Found by one, proven by the other too: record the other once the customer has none.
        if email and not found.email:
            found.email, found.email_verified = email, True
            updates += ["email", "email_verified"]
        if phone and not found.phone:
            found.phone, found.phone_verified = phone, True
            updates += ["phone", "phone_verified"]
        if updates:
            found.save(update_fields=updates)
        return found
    given = dict(defaults or {})
    if "name" in given:
        given.setdefault("display_name", given.pop("name"))
    values = {
        key: value
        for key, value in given.items()
        if key in {"display_name", "locale", "segment", "external_id", "is_identified"}
    }
    return Customer.objects.create(
        site=site,
        email=email,
        email_verified=bool(email),
        phone=phone,
        phone_verified=bool(phone),
        **values,
    )


@transaction.atomic
def customer_contact_verify(*, customer: Customer, email: str = "", phone: str = "") -> Customer:
    """`customer` proved this email or phone (e.g. a signed widget identity): record it as verified and merge
    with the customer already known by it, if any. Returns the customer kept."""
    customer = customer_root(customer)
    email, phone = (email or "").strip(), (phone or "").strip()
    other = _verified_match(customer.site, email, phone)
    customer = Customer.objects.select_for_update().get(pk=customer.pk)
    updates = []
    if email and (_email_norm(customer.email) != _email_norm(email) or not customer.email_verified):
        customer.email, customer.email_verified = email, True
        updates += ["email", "email_verified"]
    if phone and (customer.phone != phone or not customer.phone_verified):
        customer.phone, customer.phone_verified = phone, True
        updates += ["phone", "phone_verified"]
    if updates:
        customer.save(update_fields=updates)
    if other is not None and other.pk != customer.pk:
        return customer_merge(source=customer, target=other)
    return customer
