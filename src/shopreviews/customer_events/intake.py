"""Reading a storefront request (docs/intake.md §4): the CORS answer for its Origin, from the
origins the shop allows (the rule itself is kit/storefront_cors.py), and the events of its
body, checked one field at a time."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, get_args
from urllib.parse import urlsplit

from shopreviews.customer_events.os_types import OS_TYPES, os_type_from_user_agent
from shopreviews.customer_events.schemas import StorefrontEventType
from shopreviews.customer_events.service import STOREFRONT, NewEvent, StorefrontShop
from shopreviews.kit import storefront_cors
from shopreviews.kit.email_address import parse_email
from shopreviews.kit.envelope import InvalidArgument
from shopreviews.kit.params import parse_external_id, parse_id
from shopreviews.kit.schemas import unstorable_text

STOREFRONT_EVENT_TYPES: tuple[str, ...] = get_args(StorefrontEventType)
MAX_STOREFRONT_EVENTS = 20
MAX_PAGE_URL = 2048


def cors_headers(shop: StorefrontShop, origin: str) -> dict[str, str]:
    """Headers of answers to a request with this `Origin` (kit/storefront_cors.py)."""
    refusal = "this Origin may not send events to this shop"
    return storefront_cors.cors_headers(shop.allowed_origins, origin, refusal)


def preflight_headers(shop: StorefrontShop, origin: str) -> dict[str, str]:
    """Headers of the OPTIONS answer: the CORS grant for an allowed origin, else none."""
    return storefront_cors.preflight_headers(shop.allowed_origins, origin)


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
