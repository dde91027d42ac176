"""Every field of every JSON request body the API documents, sent with the wrong type and as an
oversize string: the refusal names the field in the API's own words, never in Pydantic's
("Input should be a valid string", "String should have at most 300 characters").

The bodies come from the OpenAPI document, so a new endpoint or field is walked too; each
endpoint needs a valid body here to start from, and the test says so when one is missing."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import uuid
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx

from shopreviews.kit.context import AppContext
from tests.support.admin import AdminApi
from tests.support.api import ShopApi, ok
from tests.support.oauth import REDIRECT_URI, create_platform, sign_in

# Pydantic's phrases, which must never reach a client.
PYDANTIC = (
    "Input should",
    "String should",
    "List should",
    "Dictionary should",
    "validation error",
    "Field required",
    "Extra inputs",
    "Value error",
    "instance of",
)
WRONG_OBJECT = {"not": "this"}
WRONG_NUMBER = 12345
OVERSIZE = "x" * 20001
SHOPIFY_SECRET = "shopify-app-secret-0123456789"
# Fields that accept a value of another type on purpose, and why: the walk still checks that
# their answers use no Pydantic words.
LENIENT = {
    # Shopify's order payload is read leniently: a wrong refusal makes Shopify drop the
    # subscription, so fields other than the order's id and time never refuse a delivery.
    **{
        ("/api/v1/integrations/shopify/orders", name): "Shopify's payload"
        for name in (
            "name",
            "order_number",
            "email",
            "contact_email",
            "updated_at",
            "cancelled_at",
            "customer",
            "line_items",
            "fulfillments",
        )
    },
    # The honeypot: any non-empty value gets the answer a person would get.
    ("/api/v1/storefront/shops/{myshopify_domain}/reviews", "website"): "honeypot",
    # An unknown hint is ignored (RFC 7009 section 2.1, RFC 7662 section 2.1).
    ("/api/v1/openapi/oauth_revoke_token", "token_type_hint"): "hint",
    ("/api/v1/openapi/oauth/introspect", "token_type_hint"): "hint",
}


@dataclass
class Callers:
    """What the walk needs to reach each endpoint's validation: credentials of every kind."""

    client: httpx.AsyncClient
    shop: ShopApi
    admin: AdminApi
    merchant_token: str
    review_id: str
    webhook_id: str
    client_creds: dict[str, str]
    skipping_creds: dict[str, str]

    def bases(self) -> dict[str, Callable[[str], dict[str, Any]]]:
        """A valid body for each endpoint, given the field about to be made wrong (a grant
        type judges only the fields it reads, so each OAuth field gets the grant that reads
        it). Fresh ids each time, so a body that succeeds does not make the next one a
        duplicate."""

        def fresh() -> str:
            return uuid.uuid4().hex[:10]

        def token_body(field: str) -> dict[str, Any]:
            if field in ("code", "redirect_uri", "code_verifier"):
                return {
                    **self.client_creds,
                    "grant_type": "authorization_code",
                    "code": "ac_unknown",
                    "redirect_uri": REDIRECT_URI,
                }
            if field in ("shop_id", "myshopify_domain", "scope"):
                return {
                    **self.skipping_creds,
                    "grant_type": "client_credentials",
                    "shop_id": self.shop.shop_id,
                }
            return {**self.client_creds, "grant_type": "refresh_token", "refresh_token": "rt_x"}

        return {
            "/api/v1/openapi/create_review": lambda _: {"rating": 5, "author": "Jane"},
            "/api/v1/openapi/delete_review": lambda _: {"id": "999999999"},
            "/api/v1/openapi/update_review": lambda _: {"id": self.review_id, "title": "t"},
            "/api/v1/storefront/shops/{myshopify_domain}/reviews": lambda _: {
                "product_id": "9200305176832",
                "rating": 5,
                "content": "Soft linen.",
                "author": "Jane",
                "author_email": "jane@example.com",
            },
            "/api/v1/merchant/login": lambda _: {"email": "nobody@example.com", "password": "x"},
            "/api/v1/merchant/settings": lambda _: {},
            "/api/v1/merchant/moderate_review": lambda _: {"id": self.review_id, "is_top": 1},
            "/api/v1/openapi/create_shop_webhook": lambda _: {
                "topic": "review/created",
                "url": f"http://127.0.0.1:9/{fresh()}",
            },
            "/api/v1/openapi/update_shop_webhook": lambda _: {
                "id": self.webhook_id,
                "topic": "review/created",
                "url": "http://127.0.0.1:9/hook",
            },
            "/api/v1/openapi/delete_shop_webhook": lambda _: {"id": "999999999"},
            "/api/v1/openapi/redeliver_webhook_event": lambda _: {"event_id": "0" * 32},
            "/api/v1/openapi/send_test_webhook": lambda _: {"id": "999999999"},
            "/api/v1/openapi/rotate_webhook_secret": lambda _: {"id": "999999999"},
            "/api/v1/openapi/oauth/token": token_body,
            "/api/v1/openapi/oauth_revoke_token": lambda _: {**self.client_creds, "token": "x"},
            "/api/v1/openapi/oauth/introspect": lambda _: {**self.client_creds, "token": "x"},
            "/api/v1/openapi/oauth/cancel": lambda _: {
                **self.client_creds,
                "shop_id": self.shop.shop_id,
            },
            "/api/v1/merchant/disconnect_platform": lambda _: {"client_id": "nobody"},
            "/api/v1/admin/create_platform": lambda _: {
                "client_id": f"p-{fresh()}",
                "name": "Platform",
                "redirect_uris": [REDIRECT_URI],
                "allowed_scopes": "read_reviews",
            },
            "/api/v1/admin/update_platform": lambda _: {
                "client_id": self.client_creds["client_id"]
            },
            "/api/v1/admin/rotate_platform_secret": lambda _: {
                "client_id": "nobody",
                "which": "client_secret",
            },
            "/api/v1/admin/create_shop": lambda _: {
                "shop_id": f"s{fresh()}",
                "myshopify_domain": f"{fresh()}.myshopify.com",
            },
            "/api/v1/admin/create_merchant_user": lambda _: {
                "shop_id": self.shop.shop_id,
                "email": f"{fresh()}@example.com",
                "password": "x" * 12,
            },
            "/api/v1/admin/set_merchant_password": lambda _: {
                "shop_id": self.shop.shop_id,
                "email": "nobody@example.com",
                "password": "x" * 12,
            },
            "/api/v1/admin/set_merchant_role": lambda _: {
                "shop_id": self.shop.shop_id,
                "email": "nobody@example.com",
                "role": "staff",
            },
            "/api/v1/integrations/shopify/orders": lambda _: {
                "id": 1001,
                "created_at": "2026-06-01T14:22:10Z",
            },
            "/api/v1/openapi/email_unsubscribe": lambda _: {
                "email": "jane@example.com",
                "email_type": "all",
            },
            "/api/v1/openapi/create_customer_exclude": lambda _: {"email": "jane@example.com"},
            "/api/v1/openapi/delete_customer_exclude": lambda _: {"email": "nobody@example.com"},
            "/api/v1/storefront/shops/{myshopify_domain}/events": lambda _: {
                "events": [{"event_type": "VIEW_REVIEW"}]
            },
        }

    def sender(self, path: str) -> Callable[[bytes], Awaitable[httpx.Response]]:
        """How `path` is called with its credentials."""
        json_type = {"Content-Type": "application/json"}
        if path.startswith(("/api/v1/openapi/oauth", "/api/v1/openapi/oauth_revoke_token")):
            return lambda raw: self.client.post(path, content=raw, headers=json_type)
        if path.startswith("/api/v1/openapi/"):
            return lambda raw: self.shop.post(path.rsplit("/", 1)[1], raw=raw)
        if path.startswith("/api/v1/admin/"):
            headers = {**self.admin.auth(), **json_type}
            return lambda raw: self.admin.client.post(path, content=raw, headers=headers)
        if path.startswith("/api/v1/merchant/"):
            headers = {"Authorization": f"Bearer {self.merchant_token}", **json_type}
            return lambda raw: self.client.post(path, content=raw, headers=headers)
        if path.startswith("/api/v1/storefront/"):
            url = path.replace("{myshopify_domain}", self.shop.myshopify_domain)
            origin = {"Origin": f"https://{self.shop.myshopify_domain}"}
            return lambda raw: self.client.post(url, content=raw, headers=origin)
        if path == "/api/v1/integrations/shopify/orders":
            return self._shopify
        raise AssertionError(f"{path}: the walk does not know how to call it")

    async def _shopify(self, raw: bytes) -> httpx.Response:
        mac = hmac.new(SHOPIFY_SECRET.encode(), raw, hashlib.sha256).digest()
        headers = {
            "X-Shopify-Shop-Domain": self.shop.myshopify_domain,
            "X-Shopify-Topic": "orders/create",
            "X-Shopify-Hmac-Sha256": base64.b64encode(mac).decode(),
        }
        return await self.client.post(
            "/api/v1/integrations/shopify/orders", content=raw, headers=headers
        )


def json_bodies(doc: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """Each POST path with a JSON body, and the properties of that body."""
    schemas = doc["components"]["schemas"]
    for path, item in doc["paths"].items():
        body = item.get("post", {}).get("requestBody")
        if body is None or "application/json" not in body["content"]:
            continue  # no body, or a form alone (the standard OAuth endpoints)
        schema = body["content"]["application/json"]["schema"]
        named = next(b for b in schema.get("anyOf", [schema]) if b.get("type") != "null")
        yield path, schemas[named["$ref"].rsplit("/", 1)[1]]["properties"]


def wrong_type(prop: dict[str, Any]) -> Any:
    """A value of a type the field does not take: a number where it takes objects (or a
    $ref to one), an object otherwise."""
    text = json.dumps(prop)
    return WRONG_NUMBER if '"object"' in text or "$ref" in text else WRONG_OBJECT


async def callers(
    ctx: AppContext, client: httpx.AsyncClient, shop: ShopApi, admin: AdminApi
) -> Callers:
    merchant = await sign_in(ctx, client, shop)
    settings = await client.post(
        "/api/v1/merchant/settings",
        json={"shopify_app_secret": SHOPIFY_SECRET},
        headers={"Authorization": f"Bearer {merchant.token}"},
    )
    ok(settings)
    review = ok(await shop.post("create_review", {"rating": 5, "author": "Jane"}))
    hook = ok(
        await shop.post(
            "create_shop_webhook", {"topic": "review/created", "url": "http://127.0.0.1:9/hook"}
        )
    )
    platform = await create_platform(ctx)
    skipping = await create_platform(ctx, skip_shop_oauth=1)
    return Callers(
        client,
        shop,
        admin,
        merchant.token,
        review["id"],
        hook["id"],
        platform.client(),
        skipping.client(),
    )


async def test_every_body_field_is_refused_in_the_apis_words(
    app: Any, ctx: AppContext, client: httpx.AsyncClient, shop: ShopApi, admin: AdminApi
) -> None:
    walk = await callers(ctx, client, shop, admin)
    bases = walk.bases()
    bodies = dict(json_bodies(app.openapi()))
    assert not set(bodies) - set(bases), "give these endpoints a valid body in bases()"
    problems: list[str] = []
    for path, properties in bodies.items():
        send = walk.sender(path)
        for field, prop in properties.items():
            for value in (wrong_type(prop), OVERSIZE):
                raw = json.dumps({**bases[path](field), field: value}).encode()
                answer = (await send(raw)).json()
                message = answer["message"]
                shown = f"{path} {field}={str(value)[:12]}: code {answer['code']}, {message!r}"
                if any(phrase in message for phrase in PYDANTIC):
                    problems.append(f"Pydantic's words: {shown}")
                refused = answer["code"] == 3
                must_refuse = value is not OVERSIZE and (path, field) not in LENIENT
                if must_refuse and not refused:
                    problems.append(f"not refused: {shown}")
                if refused and field not in message:
                    problems.append(f"field not named: {shown}")
    assert not problems, "\n".join(problems)
