"""Customer events: recording them (the row and its `customer_event/created` webhook commit
together), listing them for get_customer_events, and the storefront intake's shop and events
(docs/intake.md §4; its request is read by customer_events/intake.py)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from shopreviews.auth.caller import Caller
from shopreviews.customer_events.models import CustomerEvent
from shopreviews.customer_events.os_types import os_type_from_user_agent as os_type_from_user_agent
from shopreviews.customer_events.repository import CustomerEventFilter, CustomerEventRepository
from shopreviews.customer_events.schemas import CustomerEventOut, CustomerEventPage
from shopreviews.events import service as events
from shopreviews.kit.envelope import NotFound
from shopreviews.kit.pagination import PageRequest, fetch_page
from shopreviews.kit.timefmt import rfc3339
from shopreviews.shops import service as shops

# Event types this server emits for emails (docs/intake.md §3.3); all with source EMAIL.
OPEN_EMAIL = "OPEN_EMAIL"
CLICK_EMAIL = "CLICK_EMAIL"
SUBMIT_REVIEW = "SUBMIT_REVIEW"
UNSUBSCRIBE_EMAIL = "UNSUBSCRIBE_EMAIL"
EMAIL = "EMAIL"
STOREFRONT = "STOREFRONT"

# A myshopify domain can only be a host name; anything else cannot name a shop.
_DOMAIN = re.compile(r"^[A-Za-z0-9.-]{1,255}$")


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


# --- get_customer_events --------------------------------------------------------------------


async def list_events(
    session: AsyncSession, caller: Caller, flt: CustomerEventFilter, page: PageRequest
) -> CustomerEventPage:
    repo = CustomerEventRepository(session, caller.shop_id)
    pagination, rows = await fetch_page(
        page, repo.count(flt), lambda offset, limit: repo.page(flt, offset=offset, limit=limit)
    )
    return CustomerEventPage(page=pagination, list=[to_out(r) for r in rows])


# --- storefront intake (docs/intake.md §4) --------------------------------------------------


@dataclass(frozen=True)
class StorefrontShop:
    """The shop a storefront request names, and the origins allowed to send its events: its
    `storefront_origins` and https://<myshopify_domain>, as stored."""

    shop_id: str
    allowed_origins: tuple[str, ...]


async def storefront_shop(session: AsyncSession, domain: str) -> StorefrontShop:
    """The active shop of a myshopify domain (case-insensitive); code 5 otherwise."""
    shop = await shops.by_domain(session, domain) if _DOMAIN.match(domain) else None
    if shop is None or not shop.is_active:
        raise NotFound("no active shop with this domain")
    origins = [o for o in shop.storefront_origins or [] if isinstance(o, str)]
    return StorefrontShop(shop.shop_id, (*origins, "https://" + shop.myshopify_domain))


async def record_storefront(
    session: AsyncSession, shop_id: str, new_events: list[NewEvent], *, now: datetime
) -> int:
    """Store the events (and their webhooks) in the request's one transaction."""
    for new in new_events:
        await record(session, shop_id, new, now=now)
    return len(new_events)


async def record_storefront_submission(
    session: AsyncSession,
    shop_id: str,
    *,
    review_id: str,
    product_id: str,
    customer_email: str,
    user_agent: str,
    now: datetime,
) -> None:
    """The SUBMIT_REVIEW event of a review written on the storefront (docs/storefront.md §3),
    with its webhook, in the caller's transaction."""
    new = NewEvent(
        event_type=SUBMIT_REVIEW,
        event_source=STOREFRONT,
        os_type=os_type_from_user_agent(user_agent),
        customer_email=customer_email,
        product_id=product_id,
        review_id=review_id,
    )
    await record(session, shop_id, new, now=now)


async def storefront_counts(
    session: AsyncSession, shop_id: str, start: datetime, end: datetime
) -> dict[str, int]:
    """The shop's storefront events created in [start, end), per event type."""
    return await CustomerEventRepository(session, shop_id).counts_by_type(STOREFRONT, start, end)
