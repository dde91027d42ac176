"""Customer events: recording them (the row and its `customer_event/created` webhook commit
together), listing them for get_customer_events, and the storefront intake rules."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, get_args
from urllib.parse import urlsplit

from sqlalchemy.ext.asyncio import AsyncSession

from shopreviews.auth.caller import Caller
from shopreviews.customer_events.models import CustomerEvent
from shopreviews.customer_events.os_types import OS_TYPES, os_type_from_user_agent
from shopreviews.customer_events.repository import CustomerEventFilter, CustomerEventRepository
from shopreviews.customer_events.schemas import (
    CustomerEventOut,
    CustomerEventPage,
    StorefrontEventType,
)
from shopreviews.events import service as events
from shopreviews.kit.email_address import parse_email
from shopreviews.kit.envelope import InvalidArgument, NotFound, PermissionDenied
from shopreviews.kit.pagination import PageRequest, fetch_page
from shopreviews.kit.params import (
    QueryParams,
    created_sort_ascending,
    parse_external_id,
    parse_id,
    time_bounds,
)
from shopreviews.kit.schemas import unstorable_text
from shopreviews.kit.timefmt import rfc3339
from shopreviews.shops.models import Shop
from shopreviews.shops.repository import ShopRepository

# Event types this server emits for emails (docs/intake.md §3.3); all with source EMAIL.
OPEN_EMAIL = "OPEN_EMAIL"
CLICK_EMAIL = "CLICK_EMAIL"
SUBMIT_REVIEW = "SUBMIT_REVIEW"
UNSUBSCRIBE_EMAIL = "UNSUBSCRIBE_EMAIL"
EMAIL = "EMAIL"
STOREFRONT = "STOREFRONT"

STOREFRONT_EVENT_TYPES: tuple[str, ...] = get_args(StorefrontEventType)
MAX_STOREFRONT_EVENTS = 20
MAX_PAGE_URL = 2048
# get_customer_events filters: the lists are open, so any well-formed code is accepted.
_CODE = re.compile(r"^[A-Za-z0-9_]{1,64}$")
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


def event_filter(query: QueryParams) -> CustomerEventFilter:
    codes: dict[str, str | None] = {}
    for name in ("event_type", "os_type", "event_source"):
        value = query.scalar(name)
        if value is not None and not _CODE.match(value):
            raise InvalidArgument(f"{name} must be 1 to 64 characters of A-Z, a-z, 0-9 and _")
        codes[name] = None if value is None else value.upper()
    created_from, created_to = time_bounds(query, "start_time", "end_time")
    return CustomerEventFilter(
        event_type=codes["event_type"],
        os_type=codes["os_type"],
        event_source=codes["event_source"],
        created_from=created_from,
        created_to=created_to,
        ascending=created_sort_ascending(query),
    )


async def list_events(
    session: AsyncSession, caller: Caller, flt: CustomerEventFilter, page: PageRequest
) -> CustomerEventPage:
    repo = CustomerEventRepository(session, caller.shop_id)
    pagination, rows = await fetch_page(
        page, repo.count(flt), lambda offset, limit: repo.page(flt, offset=offset, limit=limit)
    )
    return CustomerEventPage(page=pagination, list=[to_out(r) for r in rows])


# --- storefront intake (docs/intake.md §4) --------------------------------------------------


async def storefront_shop(session: AsyncSession, domain: str) -> Shop:
    """The active shop of a myshopify domain (case-insensitive); code 5 otherwise."""
    shop = await ShopRepository(session).by_domain(domain) if _DOMAIN.match(domain) else None
    if shop is None or not shop.is_active:
        raise NotFound("not found: no active shop with this domain")
    return shop


def _origin_key(origin: str) -> str:
    """An origin in comparable form: lower-case, no trailing slash, no default port."""
    key = origin.strip().lower().rstrip("/")
    for scheme, port in (("https://", ":443"), ("http://", ":80")):
        if key.startswith(scheme) and key.endswith(port):
            key = key.removesuffix(port)
    return key


def origin_allowed(shop: Shop, origin: str) -> bool:
    """The shop's `storefront_origins` and `https://<myshopify_domain>` are allowed."""
    allowed = {_origin_key(o) for o in shop.storefront_origins or [] if isinstance(o, str)}
    allowed.add(_origin_key("https://" + shop.myshopify_domain))
    return _origin_key(origin) in allowed


def cors_headers(shop: Shop, origin: str) -> dict[str, str]:
    """Headers of answers to a request with this `Origin` ("" when none was sent); a
    disallowed origin is code 7 (no headers: the browser then hides the answer)."""
    if not origin:
        return {}  # a server-side caller: no CORS involved
    if not origin_allowed(shop, origin):
        raise PermissionDenied("permission denied: this Origin may not send events to this shop")
    return {"Access-Control-Allow-Origin": origin, "Vary": "Origin"}


def preflight_headers(shop: Shop, origin: str) -> dict[str, str]:
    """Headers of the OPTIONS answer: the CORS grant for an allowed origin, else none."""
    if not origin or not origin_allowed(shop, origin):
        return {}
    return {
        "Access-Control-Allow-Origin": origin,
        "Access-Control-Allow-Methods": "POST",
        "Access-Control-Allow-Headers": "Content-Type",
        "Access-Control-Max-Age": "600",
        "Vary": "Origin",
    }


def parse_storefront_body(body: bytes, user_agent: str) -> list[NewEvent]:
    """Every event of the body, or code 3 naming the first bad `events[i].field`."""
    try:
        data = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise InvalidArgument("body is not valid JSON") from None
    if not isinstance(data, dict):
        raise InvalidArgument("body must be a JSON object")
    items = data.get("events")
    if items is None:
        raise InvalidArgument("events is required")
    if not isinstance(items, list) or not 1 <= len(items) <= MAX_STOREFRONT_EVENTS:
        raise InvalidArgument(f"events must be an array of 1 to {MAX_STOREFRONT_EVENTS} events")
    default_os = os_type_from_user_agent(user_agent)
    return [_storefront_event(item, f"events[{i}]", default_os) for i, item in enumerate(items)]


def _given(item: dict[str, Any], name: str) -> Any:
    """A field's value; None when absent, null or an empty string (all mean "not given")."""
    value = item.get(name)
    if isinstance(value, str) and not value.strip():
        return None
    return value


def _text(value: Any, field: str) -> str:
    if not isinstance(value, str):
        raise InvalidArgument(f"{field} must be a string")
    problem = unstorable_text(value)
    if problem is not None:
        raise InvalidArgument(f"{field}: {problem}")
    return value.strip()


def _one_of(value: Any, field: str, allowed: Sequence[str]) -> str:
    text = value.strip() if isinstance(value, str) else ""
    if text not in allowed:
        raise InvalidArgument(f"{field} must be one of {', '.join(allowed)}")
    return text


def _page_url(value: Any, field: str) -> str:
    url = _text(value, field)
    if len(url) > MAX_PAGE_URL:
        raise InvalidArgument(f"{field} must be at most {MAX_PAGE_URL} characters")
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number 0-65535
        valid = parts.scheme.lower() in ("http", "https") and bool(parts.hostname)
    except ValueError:  # e.g. an unclosed "[" of an IPv6 host, or a bad port
        valid = False
    if not valid or any(c.isspace() or not c.isprintable() for c in url):
        raise InvalidArgument(f"{field} must be an http or https URL")
    return url


def _storefront_event(item: Any, at: str, default_os: str) -> NewEvent:
    if not isinstance(item, dict):
        raise InvalidArgument(f"{at} must be an object")
    event_type = _given(item, "event_type")
    if event_type is None:
        raise InvalidArgument(f"{at}.event_type is required")
    os_type = _given(item, "os_type")
    product_id = _given(item, "product_id")
    customer_id = _given(item, "customer_id")
    review_id = _given(item, "review_id")
    email = _given(item, "customer_email")
    page_url = _given(item, "page_url")
    return NewEvent(
        event_type=_one_of(event_type, f"{at}.event_type", STOREFRONT_EVENT_TYPES),
        # A storefront cannot claim another source (EMAIL, ADMIN): whatever the body says.
        event_source=STOREFRONT,
        os_type=default_os if os_type is None else _one_of(os_type, f"{at}.os_type", OS_TYPES),
        product_id="" if product_id is None else parse_external_id(product_id, f"{at}.product_id"),
        customer_id=""
        if customer_id is None
        else parse_external_id(customer_id, f"{at}.customer_id"),
        # Not looked up: an unknown (or foreign) id is stored as given, and says nothing.
        review_id="" if review_id is None else str(parse_id(review_id, f"{at}.review_id")),
        customer_email=""
        if email is None
        else parse_email(_text(email, f"{at}.customer_email"), f"{at}.customer_email"),
        page_url="" if page_url is None else _page_url(page_url, f"{at}.page_url"),
    )


async def record_storefront(
    session: AsyncSession, shop_id: str, new_events: list[NewEvent], *, now: datetime
) -> int:
    """Store the events (and their webhooks) in the request's one transaction."""
    for new in new_events:
        await record(session, shop_id, new, now=now)
    return len(new_events)
