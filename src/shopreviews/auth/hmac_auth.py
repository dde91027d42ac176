"""HMAC-signed shop requests (docs/api.md, "Authentication")."""

from __future__ import annotations

import re

from shopreviews.kit import outbox, signing
from shopreviews.kit.context import AppContext
from shopreviews.kit.envelope import Unauthenticated
from shopreviews.kit.params import parse_query
from shopreviews.shops import service as shop_service
from shopreviews.shops.service import ShopKey

# ASCII digits only, and fullmatch: `$` would also accept a trailing newline.
_TIMESTAMP = re.compile(r"[0-9]{1,10}")


async def authenticate(
    ctx: AppContext,
    *,
    public_token: str,
    timestamp: str,
    sign: str,
    raw_query: str,
    body: bytes,
) -> ShopKey:
    """The shop whose private token signed this request; code 16 otherwise."""
    if not (public_token and timestamp and sign):
        raise Unauthenticated("Public-Token, Timestamp and Sign headers are required")
    if not _TIMESTAMP.fullmatch(timestamp):
        raise Unauthenticated("Timestamp must be Unix seconds")
    window = ctx.settings.hmac_window_seconds
    if abs(ctx.now() - int(timestamp)) > window:
        raise Unauthenticated(f"Timestamp is more than {window} s from server time")
    shop = await shop_service.key_by_public_token(ctx, public_token)
    if shop is None or not shop.is_active:
        raise Unauthenticated("unknown Public-Token")
    pairs = parse_query(raw_query)
    if any(key == "timestamp" and value != timestamp for key, value in pairs):
        raise Unauthenticated("timestamp query parameter differs from the Timestamp header")
    messages = signing.candidate_messages(pairs, timestamp, body)
    message = signing.signed_message(shop_service.private_token(ctx, shop), sign, messages)
    if message is None:
        raise Unauthenticated("signature does not match")
    if await _issued_for_delivery(ctx, shop.shop_id, timestamp, message):
        raise Unauthenticated(
            "this signature was issued for a webhook delivery and cannot authenticate a request"
        )
    return shop


async def _issued_for_delivery(
    ctx: AppContext, shop_id: str, timestamp: str, message: bytes
) -> bool:
    """Whether `message` is the signed message of a delivery of one of the shop's events.

    Deliveries of shop-owned subscriptions are signed with the private token over the request
    message of a query-less request (docs/api.md, "Delivery headers and signatures"), so every
    receiver holds a signature that would verify as an API request with the delivered body. That
    message is `timestamp=<ts>|<the event's stored body>`, the same bytes at every attempt, so
    comparing with the stored body refuses exactly those, with no record of issued signatures.
    """
    found = signing.parse_delivery_message(timestamp, message)
    if found is None:
        return False
    event_id, body = found
    stored = await outbox.delivery_body(ctx.db.point_reads, shop_id, event_id)
    return stored is not None and stored.encode() == body
