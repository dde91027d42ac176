"""A field whose value is looked up among its allowed values (a mapping, a set, a list of
choices) refuses an object or an array with code 3 naming the field. A JSON object or array is
unhashable in Python: looked up in a dict or set before its type was checked, it raised
TypeError and answered 500 (a media item's `type` did)."""

from __future__ import annotations

import copy
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from shopreviews.kit.context import AppContext
from tests.support.admin import AdminApi
from tests.support.api import ShopApi, create_shop, error, ok
from tests.support.oauth import create_platform, sign_in

MEDIA = {"url": "https://cdn.example.com/a.jpg"}
REVIEW = {"product_id": "0", "rating": 1, "author": "A", "content": "x", "media": [MEDIA]}
TOKEN = {"grant_type": "client_credentials", "shop_id": "SHOP", "scope": "read_reviews"}
EVENTS = {"events": [{"event_type": "VIEW_REVIEW", "os_type": "IOS"}]}
# (who calls, path, a body the endpoint accepts, the field made an object or an array)
FIELDS: list[tuple[str, str, dict[str, Any], tuple[str | int, ...]]] = [
    ("hmac", "create_review", REVIEW, ("media", 0, "type")),
    ("hmac", "create_review", REVIEW, ("media", 0, "is_published")),
    ("hmac", "create_review", REVIEW, ("rating",)),
    ("hmac", "create_review", REVIEW, ("is_published",)),
    ("hmac", "create_review", REVIEW, ("product_id",)),
    ("hmac", "create_review", {**REVIEW, "reply": {"content": "r"}}, ("reply", "reply_at")),
    ("hmac", "update_review", {"id": "REVIEW", "title": "t"}, ("is_top",)),
    ("hmac", "email_unsubscribe", {"email": "a@example.com", "email_type": "all"}, ("email_type",)),
    ("hmac", "create_shop_webhook", {"topic": "review/created", "url": "URL"}, ("topic",)),
    ("merchant", "/api/v1/merchant/settings", {"web_reviews": "enabled"}, ("web_reviews",)),
    ("merchant", "/api/v1/merchant/settings", {"author_display": "full"}, ("author_display",)),
    ("admin", "update_platform", {"client_id": "CLIENT", "status": "active"}, ("status",)),
    ("client", "/api/v1/openapi/oauth/token", TOKEN, ("grant_type",)),
    ("client", "/api/v1/openapi/oauth/token", TOKEN, ("scope",)),
    ("storefront", "events", EVENTS, ("events", 0, "event_type")),
    ("storefront", "events", EVENTS, ("events", 0, "os_type")),
]  # fmt: skip


def field_name(at: tuple[str | int, ...]) -> str:
    """The field as a client names it: media[0].type."""
    name = ""
    for step in at:
        name += f"[{step}]" if isinstance(step, int) else f".{step}" if name else step
    return name


@dataclass
class Callers:
    client: httpx.AsyncClient
    admin: AdminApi
    shop: ShopApi
    merchant_token: str
    client_id: str
    client_secret: str
    review_id: str

    def names(self) -> dict[str, str]:
        return {
            "REVIEW": self.review_id,
            "CLIENT": self.client_id,
            "SHOP": self.shop.shop_id,
            "URL": f"http://127.0.0.1:9/{uuid.uuid4().hex}",  # a subscription of its own
        }

    async def send(self, kind: str, path: str, body: dict[str, Any]) -> httpx.Response:
        if kind == "hmac":
            return await self.shop.post(path, body)
        if kind == "merchant":
            auth = {"Authorization": f"Bearer {self.merchant_token}"}
            return await self.client.post(path, json=body, headers=auth)
        if kind == "admin":
            return await self.admin.post(path, body)
        if kind == "client":
            credentials = {"client_id": self.client_id, "client_secret": self.client_secret}
            return await self.client.post(path, json={**credentials, **body})
        url = f"/api/v1/storefront/shops/{self.shop.myshopify_domain}/{path}"
        return await self.client.post(url, json=body)


@pytest.fixture(scope="module")
async def callers(
    ctx: AppContext, client: httpx.AsyncClient, admin: AdminApi
) -> AsyncIterator[Callers]:
    shop = await create_shop(ctx, client)
    merchant = await sign_in(ctx, client, shop)
    platform = await create_platform(ctx, client_id=f"p-{uuid.uuid4().hex[:12]}", skip_shop_oauth=1)
    review = ok(await shop.post("create_review", {"rating": 5, "author": "Jane"}))
    yield Callers(
        client,
        admin,
        shop,
        merchant.token,
        platform.client_id,
        platform.client_secret,
        review["id"],
    )


def replaced(body: Any, at: tuple[str | int, ...], value: Any) -> Any:
    body = copy.deepcopy(body)
    node = body
    for step in at[:-1]:
        node = node[step]
    node[at[-1]] = value
    return body


def filled(value: Any, names: dict[str, str]) -> Any:
    if isinstance(value, dict):
        return {k: filled(v, names) for k, v in value.items()}
    if isinstance(value, list):
        return [filled(v, names) for v in value]
    return names.get(value, value) if isinstance(value, str) else value


@pytest.mark.parametrize("value", [{}, []], ids=["object", "array"])
@pytest.mark.parametrize(
    ("kind", "path", "body", "at"), FIELDS, ids=[f"{f[1]}:{field_name(f[3])}" for f in FIELDS]
)
async def test_an_object_or_array_is_refused_naming_the_field(
    callers: Callers,
    kind: str,
    path: str,
    body: dict[str, Any],
    at: tuple[str | int, ...],
    value: Any,
) -> None:
    base = filled(body, callers.names())
    ok(await callers.send(kind, path, base))  # the body as given is accepted
    answer = await callers.send(kind, path, replaced(base, at, value))
    message = error(answer, 3, 400)["message"]
    assert field_name(at) in message, message
