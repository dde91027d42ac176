"""Shopify order webhooks (docs/intake.md §2.1): the delivery's checks in their order, its
signature, reading the order, and handing it to the order lifecycle."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from shopreviews.kit.context import AppContext
from shopreviews.kit.email_address import email_problem
from shopreviews.kit.envelope import InvalidArgument, Unauthenticated
from shopreviews.kit.params import parse_external_id
from shopreviews.kit.schemas import unstorable_text
from shopreviews.kit.timefmt import parse_time
from shopreviews.orders import service as order_service
from shopreviews.orders.schemas import OrderReceived
from shopreviews.orders.service import OrderFacts
from shopreviews.shops import service as shops

log = logging.getLogger("shopreviews.orders")
TOPICS = ("orders/create", "orders/fulfilled", "orders/cancelled")
MAX_PRODUCTS = 100
MAX_ID_DIGITS = 64
_WEBHOOK_ID = re.compile(r"^[\x21-\x7e]{1,64}$")


@dataclass(frozen=True)
class Delivery:
    """A webhook delivery: its X-Shopify-* headers as sent (trimmed where Shopify pads them)
    and the body as sent, which the signature covers."""

    shop_domain: str
    topic: str
    hmac_sha256: str
    webhook_id: str
    body: bytes


async def receive(ctx: AppContext, session: AsyncSession, delivery: Delivery) -> OrderReceived:
    """The order of a verified delivery, created or updated; a delivery already acted on is
    acknowledged with the order as it is, and not acted on again."""
    domain = delivery.shop_domain
    shop = await shops.by_domain(session, domain) if domain else None
    refused = "X-Shopify-Hmac-Sha256 does not verify for this shop"
    if shop is None or not shop.is_active:
        raise Unauthenticated(f"no active shop has the domain {domain!r}")
    if shop.shopify_app_secret_encrypted is None:
        raise Unauthenticated("this shop has no Shopify app secret configured")
    secret = ctx.box.open(shop.shopify_app_secret_encrypted)
    if not signature_matches(secret, delivery.body, delivery.hmac_sha256):
        raise Unauthenticated(refused)
    topic = delivery.topic
    if topic not in TOPICS:
        raise InvalidArgument(f"X-Shopify-Topic must be one of {', '.join(TOPICS)}")
    delivery_id = webhook_id(delivery.webhook_id)
    try:
        payload = json.loads(delivery.body)
    except (ValueError, RecursionError):  # UnicodeDecodeError is a ValueError
        raise InvalidArgument("the body is not valid JSON") from None
    now = ctx.now_datetime()
    facts = order_facts(topic, payload, now=now)
    if delivery_id is not None:
        earlier = await order_service.earlier_delivery(
            session, shop, delivery_id, topic=topic, order_id=facts.order_id, now=now
        )
        if earlier is not None:
            # Acknowledged, so Shopify stops retrying; acting again could undo later news.
            log.info(
                "shopify %s for shop %s: webhook %s already received, nothing done",
                topic,
                shop.shop_id,
                delivery_id,
            )
            return OrderReceived(order_id=earlier.order_id, status=earlier.status)
    order = await order_service.receive(session, shop, facts, now=now)
    log.info(
        "shopify %s for shop %s order %s (webhook %s)",
        topic,
        shop.shop_id,
        facts.order_id,
        delivery_id or "-",
    )
    return OrderReceived(order_id=order.order_id, status=order.status)


def webhook_id(header: str) -> str | None:
    """X-Shopify-Webhook-Id (a UUID from Shopify), or None when absent or empty."""
    value = header.strip()
    if not value:
        return None
    if not _WEBHOOK_ID.match(value):
        raise InvalidArgument("X-Shopify-Webhook-Id must be 1 to 64 visible ASCII characters")
    return value


def signature_matches(secret: str, body: bytes, header: str) -> bool:
    """X-Shopify-Hmac-Sha256: base64 HMAC-SHA256 of the raw body, compared in constant time."""
    expected = base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest())
    return hmac.compare_digest(expected, header.strip().encode("ascii", "replace"))


def _text(value: Any, limit: int) -> str:
    """A descriptive text field, cut to `limit`; what no database can store (U+0000, lone
    surrogate escapes such as "\\ud800") is dropped rather than refusing the order."""
    if not isinstance(value, str):
        return ""
    text = value.replace("\x00", "")
    if unstorable_text(text) is not None:
        text = text.encode("utf-8", "ignore").decode("utf-8")
    return text.strip()[:limit]


def _order_id(value: Any) -> str:
    """Shopify's order id: an integer or a digit string (docs/intake.md §2.1)."""
    text = value.strip() if isinstance(value, str) else None
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        text = str(value)
    if text is None or not (text.isascii() and text.isdigit()) or len(text) > MAX_ID_DIGITS:
        raise InvalidArgument(f"id must be an integer or a string of 1 to {MAX_ID_DIGITS} digits")
    return text


def _time(value: Any, field: str) -> datetime:
    try:
        return parse_time(value)
    except ValueError as exc:
        raise InvalidArgument(f"{field} {exc}") from None


def order_facts(topic: str, order: Any, *, now: datetime) -> OrderFacts:
    """The facts of a Shopify order object; code 3 naming the field when it is unusable."""
    if not isinstance(order, dict):
        raise InvalidArgument("the body must be a JSON object (a Shopify order)")
    if order.get("id") is None:
        raise InvalidArgument("id is required")
    order_id = _order_id(order["id"])
    if order.get("created_at") is None:
        raise InvalidArgument("created_at is required")
    created_at = _time(order["created_at"], "created_at")
    _check_topic(topic, order)
    customer = order.get("customer") if isinstance(order.get("customer"), dict) else {}
    assert isinstance(customer, dict)
    customer_id = ""
    if customer.get("id") is not None:
        customer_id = parse_external_id(customer["id"], "customer.id")
    email = ""
    for candidate in (order.get("email"), order.get("contact_email"), customer.get("email")):
        if isinstance(candidate, str) and candidate.strip():
            email = candidate.strip()
            break
    if email and (email_problem(email) or unstorable_text(email)):
        email = ""  # Shopify allows orders without a usable address; they get no request
    first, last = _text(customer.get("first_name"), 255), _text(customer.get("last_name"), 255)
    name = _text(order.get("name"), 64)
    if not name and isinstance(order.get("order_number"), int | str):
        name = f"#{order['order_number']}"[:64]
    fulfilled_at = cancelled_at = None
    if topic == "orders/fulfilled":
        fulfilled_at = _fulfilment_time(order) or now
    elif topic == "orders/cancelled":
        cancelled_at = _time(order["cancelled_at"], "cancelled_at")
    return OrderFacts(
        order_id=order_id,
        created_at=created_at,
        order_name=name,
        customer_id=customer_id,
        customer_email=email.lower(),
        first_name=first,
        last_name=last,
        phone=_text(customer.get("phone"), 64),
        customer_name=f"{first} {last}".strip()[:255],
        products=_products(order.get("line_items")),
        fulfilled_at=fulfilled_at,
        cancelled_at=cancelled_at,
    )


def _check_topic(topic: str, order: dict[str, Any]) -> None:
    """Refuse a topic the order contradicts. The HMAC covers the body, not X-Shopify-Topic, so
    a captured orders/create body could otherwise be replayed as orders/fulfilled (a review
    request for an order never shipped) or orders/cancelled (its request cancelled). Only
    clear contradictions: Shopify sends an order as it stands, and orders/create may well
    carry fulfilments (a point-of-sale order)."""
    if topic == "orders/cancelled" and not order.get("cancelled_at"):
        problem = "cancelled_at is not set"
    elif topic == "orders/fulfilled" and not _fulfilments(order):
        problem = "it has no fulfillments"
    else:
        return
    raise InvalidArgument(f"X-Shopify-Topic {topic} contradicts the body: {problem}")


def _fulfilments(order: dict[str, Any]) -> list[dict[str, Any]]:
    fulfillments = order.get("fulfillments")
    items = fulfillments if isinstance(fulfillments, list) else []
    return [item for item in items if isinstance(item, dict)]


def _fulfilment_time(order: dict[str, Any]) -> datetime | None:
    times = [
        _time(item["created_at"], "fulfillments[].created_at")
        for item in _fulfilments(order)
        if item.get("created_at")
    ]
    if times:
        return max(times)
    if order.get("updated_at"):
        return _time(order["updated_at"], "updated_at")
    return None


def _products(line_items: Any) -> list[dict[str, Any]]:
    """Distinct products of the order, in order; items without a product id are skipped."""
    products: list[dict[str, Any]] = []
    seen: set[str] = set()
    for item in line_items if isinstance(line_items, list) else []:
        if not isinstance(item, dict) or item.get("product_id") is None:
            continue
        try:
            product_id = parse_external_id(item["product_id"], "line_items[].product_id")
        except InvalidArgument:
            continue
        if product_id in seen or len(products) >= MAX_PRODUCTS:
            continue
        seen.add(product_id)
        product = {"product_id": product_id, "title": _text(item.get("title"), 255), "handle": ""}
        sku = _text(item.get("sku"), 64)
        if sku:
            product["sku"] = sku  # fills the catalogue's sku (docs/storefront.md)
        products.append(product)
    return products
