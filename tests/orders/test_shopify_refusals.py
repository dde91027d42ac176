"""Shopify order webhooks that are refused: code 16 for anything not signed by the shop's
secret, code 3 for bodies and topics that cannot be read; nothing is stored either way
(docs/intake.md §2.1)."""

from __future__ import annotations

import hmac
import json
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest

from shopreviews.kit.context import AppContext
from tests.orders.helpers import (
    SECRET,
    counts,
    deliver,
    set_secret,
    shopify_hmac,
    shopify_order,
    update_shop,
)
from tests.support.api import ShopApi, error

BODY = json.dumps(shopify_order(fulfilled_at=["2026-06-09T10:30:00Z"])).encode()
Send = Callable[[httpx.AsyncClient, ShopApi], Awaitable[httpx.Response]]


def _forged(**kw: Any) -> Send:
    async def send(client: httpx.AsyncClient, shop: ShopApi) -> httpx.Response:
        return await deliver(client, shop, "orders/fulfilled", body=BODY, **kw)

    return send


def _one_byte_changed() -> Send:
    async def send(client: httpx.AsyncClient, shop: ShopApi) -> httpx.Response:
        signature = shopify_hmac(SECRET, BODY)
        changed = BODY.replace(b'"#1001"', b'"#1002"')
        assert len(changed) == len(BODY) and changed != BODY
        return await deliver(
            client,
            shop,
            "orders/fulfilled",
            body=changed,
            headers={"X-Shopify-Hmac-Sha256": signature},
        )

    return send


HMAC_REFUSALS: dict[str, Send] = {
    "wrong secret": _forged(secret=SECRET + "x"),
    "body changed by one byte": _one_byte_changed(),
    "missing header": _forged(drop=("X-Shopify-Hmac-Sha256",)),
    "empty header": _forged(headers={"X-Shopify-Hmac-Sha256": ""}),
    "garbage base64": _forged(headers={"X-Shopify-Hmac-Sha256": "%%%not base64%%%"}),
    "hex instead of base64": _forged(
        headers={"X-Shopify-Hmac-Sha256": hmac.new(SECRET.encode(), BODY, "sha256").hexdigest()}
    ),
}


@pytest.mark.parametrize("case", list(HMAC_REFUSALS))
async def test_a_body_not_signed_with_the_shop_secret_is_refused_without_trace(
    ctx: AppContext, client: httpx.AsyncClient, shop: ShopApi, case: str
) -> None:
    await set_secret(ctx, shop)
    before = await counts(ctx)
    body = error(await HMAC_REFUSALS[case](client, shop), 16, 401)
    assert "X-Shopify-Hmac-Sha256" in body["message"], body
    assert body["data"] is None
    assert await counts(ctx) == before


async def test_unknown_or_missing_shop_domain_is_refused(
    ctx: AppContext, client: httpx.AsyncClient, shop: ShopApi
) -> None:
    await set_secret(ctx, shop)
    before = await counts(ctx)
    unknown = "nobody-here.myshopify.com"
    body = error(
        await deliver(
            client,
            shop,
            "orders/create",
            body=BODY,
            headers={"X-Shopify-Shop-Domain": unknown},
        ),
        16,
        401,
    )
    assert unknown in body["message"]
    missing = error(
        await deliver(client, shop, "orders/create", body=BODY, drop=("X-Shopify-Shop-Domain",)),
        16,
        401,
    )
    assert "domain" in missing["message"]
    assert await counts(ctx) == before


async def test_shop_without_a_secret_is_refused(
    ctx: AppContext, client: httpx.AsyncClient, shop: ShopApi
) -> None:
    before = await counts(ctx)
    body = error(await deliver(client, shop, "orders/create", body=BODY), 16, 401)
    assert "no Shopify app secret" in body["message"]
    # Removing the secret again refuses as well (docs/intake.md §1: "" removes it).
    await set_secret(ctx, shop)
    await set_secret(ctx, shop, None)
    error(await deliver(client, shop, "orders/create", body=BODY), 16, 401)
    assert await counts(ctx) == before


async def test_disabled_shop_is_refused(
    ctx: AppContext, client: httpx.AsyncClient, shop: ShopApi
) -> None:
    await set_secret(ctx, shop)
    await update_shop(ctx, shop, status="disabled")
    before = await counts(ctx)
    body = error(await deliver(client, shop, "orders/create", body=BODY), 16, 401)
    assert shop.myshopify_domain in body["message"]
    assert await counts(ctx) == before


async def test_one_shops_secret_does_not_open_another_shop(
    ctx: AppContext, client: httpx.AsyncClient, shop: ShopApi, other_shop: ShopApi
) -> None:
    await set_secret(ctx, shop, SECRET)
    await set_secret(ctx, other_shop, "another-shop-secret-0123456789")
    before = await counts(ctx)
    # Shop A's domain, signed with shop B's secret.
    response = await deliver(
        client, shop, "orders/create", body=BODY, secret="another-shop-secret-0123456789"
    )
    error(response, 16, 401)
    assert await counts(ctx) == before


BAD_BODIES: dict[str, tuple[bytes, str]] = {
    "malformed JSON": (b'{"id": 1, "created_at": ', "not valid JSON"),
    "not UTF-8": (b'{"id": 1, "name": "\xff"}', "not valid UTF-8"),
    "JSON array": (b"[" + BODY + b"]", "JSON object"),
    "JSON string": (b'"order"', "JSON object"),
    "too deeply nested": (b"[" * 100_000 + b"]" * 100_000, "not valid JSON"),
    "missing id": (json.dumps(shopify_order(id=None)).encode(), "id is required"),
    "id not digits": (json.dumps(shopify_order(order_id="A-1001")).encode(), "id must be"),
    "negative id": (json.dumps(shopify_order(order_id=-5)).encode(), "id must be"),
    "id as a float": (json.dumps(shopify_order(order_id=1.5)).encode(), "id must be"),
    "id as a boolean": (json.dumps(shopify_order(order_id=True)).encode(), "id must be"),
    "missing created_at": (
        json.dumps(shopify_order(created_at=None)).encode(),
        "created_at is required",
    ),
    "bad created_at": (
        json.dumps(shopify_order(created_at="June 1st, 2026")).encode(),
        "created_at must be",
    ),
    "bad fulfilment time": (
        json.dumps(shopify_order(fulfilled_at=["yesterday"])).encode(),
        "fulfillments[].created_at must be",
    ),
}


@pytest.mark.parametrize("case", list(BAD_BODIES))
async def test_an_unreadable_order_is_code_3_naming_the_problem(
    ctx: AppContext, client: httpx.AsyncClient, shop: ShopApi, case: str
) -> None:
    await set_secret(ctx, shop)
    raw, named = BAD_BODIES[case]
    before = await counts(ctx)
    body = error(await deliver(client, shop, "orders/fulfilled", body=raw), 3, 400)
    assert named in body["message"], body
    assert await counts(ctx) == before


@pytest.mark.parametrize("topic", ["orders/updated", "orders/paid", "ORDERS/CREATE", None])
async def test_an_unsupported_topic_is_code_3(
    ctx: AppContext, client: httpx.AsyncClient, shop: ShopApi, topic: str | None
) -> None:
    await set_secret(ctx, shop)
    before = await counts(ctx)
    drop = ("X-Shopify-Topic",) if topic is None else ()
    response = await deliver(client, shop, topic or "", body=BODY, drop=drop)
    body = error(response, 3, 400)
    assert "X-Shopify-Topic" in body["message"] and "orders/fulfilled" in body["message"]
    assert await counts(ctx) == before


async def test_the_signature_is_checked_before_the_body_is_read(
    ctx: AppContext, client: httpx.AsyncClient, shop: ShopApi
) -> None:
    """An unsigned body that is not even JSON is an authentication failure, not code 3."""
    await set_secret(ctx, shop)
    response = await deliver(
        client,
        shop,
        "orders/create",
        body=b"not json",
        headers={"X-Shopify-Hmac-Sha256": "AAAA"},
    )
    error(response, 16, 401)
