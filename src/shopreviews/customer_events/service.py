"""Recording customer events: the row and its `customer_event/created` webhook commit together."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from shopreviews.customer_events.models import CustomerEvent
from shopreviews.customer_events.schemas import CustomerEventOut
from shopreviews.events import service as events
from shopreviews.kit.timefmt import rfc3339

# Event types this server emits for emails (docs/intake.md §3.3); all with source EMAIL.
OPEN_EMAIL = "OPEN_EMAIL"
CLICK_EMAIL = "CLICK_EMAIL"
SUBMIT_REVIEW = "SUBMIT_REVIEW"
UNSUBSCRIBE_EMAIL = "UNSUBSCRIBE_EMAIL"
EMAIL = "EMAIL"
STOREFRONT = "STOREFRONT"


@dataclass(frozen=True)
class NewEvent:
    event_type: str
    event_source: str
    os_type: str
    customer_id: str = ""
    customer_email: str = ""
    product_id: str = ""
    review_id: str = ""
    page_url: str = ""


def to_out(event: CustomerEvent) -> CustomerEventOut:
    return CustomerEventOut(
        id=str(event.id),
        event_type=event.event_type,
        event_source=event.event_source,
        os_type=event.os_type,
        customer_id=event.customer_id,
        customer_email=event.customer_email,
        product_id=event.product_id,
        review_id=event.review_id,
        page_url=event.page_url,
        created_at=rfc3339(event.created_at),
    )


async def record(
    session: AsyncSession, shop_id: str, new: NewEvent, *, now: datetime
) -> CustomerEvent:
    """Store one customer event and queue its webhook, in the caller's transaction."""
    event = CustomerEvent(
        shop_id=shop_id,
        event_type=new.event_type,
        event_source=new.event_source,
        os_type=new.os_type,
        customer_id=new.customer_id,
        customer_email=new.customer_email,
        product_id=new.product_id,
        review_id=new.review_id,
        page_url=new.page_url,
        created_at=now,
    )
    session.add(event)
    await session.flush()
    await events.record(
        session, shop_id, "customer_event/created", to_out(event).model_dump(), now=now
    )
    return event
