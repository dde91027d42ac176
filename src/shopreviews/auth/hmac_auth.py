"""HMAC-signed shop requests (spec README §4.2-4.4)."""

from __future__ import annotations

import re

from shopreviews.context import AppContext
from shopreviews.kit import signing
from shopreviews.kit.envelope import Unauthenticated
from shopreviews.kit.params import parse_query
from shopreviews.shops import service as shop_service
from shopreviews.shops.repository import ShopKey, key_by_public_token

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
        raise Unauthenticated(
            "unauthenticated: Public-Token, Timestamp and Sign headers are required"
        )
    if not _TIMESTAMP.fullmatch(timestamp):
        raise Unauthenticated("unauthenticated: Timestamp must be Unix seconds")
    window = ctx.settings.hmac_window_seconds
    if abs(ctx.now() - int(timestamp)) > window:
        raise Unauthenticated(
            f"unauthenticated: Timestamp is more than {window} s from server time"
        )
    shop = await key_by_public_token(ctx.db.point_reads, public_token)
    if shop is None or not shop.is_active:
        raise Unauthenticated("unauthenticated: unknown Public-Token")
    pairs = parse_query(raw_query)
    if any(key == "timestamp" and value != timestamp for key, value in pairs):
        raise Unauthenticated(
            "unauthenticated: timestamp query parameter differs from the Timestamp header"
        )
    messages = signing.candidate_messages(pairs, timestamp, body)
    if not signing.verify(shop_service.private_token(ctx, shop), sign, messages):
        raise Unauthenticated("unauthenticated: signature does not match")
    return shop
