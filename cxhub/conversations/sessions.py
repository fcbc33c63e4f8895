"""Resolving a visitor's token and origin to the one conversation they may see."""

from dataclasses import dataclass

from .models import Conversation, Customer, Site
from .services import OriginRefused, conversation_get_or_start, site_origin_allowed
from .visitor_tokens import InvalidVisitorToken, visitor_token_read


@dataclass
class VisitorSession:
    customer: Customer
    conversation: Conversation


def visitor_session_resolve(*, token: str | None, origin: str | None, check_origin: bool = True) -> VisitorSession:
    """Raises InvalidVisitorToken or OriginRefused; never trusts an id the client sends."""
    identity = visitor_token_read(token or "")
    customer = (
        Customer.objects.select_related("site")
        .filter(site_id=identity.site_id, public_id=identity.customer_public_id)
        .first()
    )
    if customer is None:
        raise InvalidVisitorToken("token_invalid")
    if customer.merged_into_id is not None:
        # Merged by a verified email or phone: the visitor continues as the customer kept, with their history.
        from .merging import customer_root

        customer = customer_root(customer)
    site: Site = customer.site
    if check_origin and not site_origin_allowed(site=site, origin=origin):
        raise OriginRefused(origin)
    return VisitorSession(customer=customer, conversation=conversation_get_or_start(customer=customer))
