"""Platforms and their grants as the tests make them: a platform created by the operator, a
merchant signed in, and the authorize → token steps of the OAuth flow."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx

from shopreviews.kit.context import AppContext
from shopreviews.merchants import service as merchant_service
from shopreviews.platforms import service as platform_service
from shopreviews.platforms.schemas import CreatePlatformIn, UpdatePlatformIn
from tests.support.api import ShopApi, ok

API = "/api/v1/openapi"
TOKEN_PATH = "/api/v1/openapi/oauth/token"
PASSWORD = "merchant password 123"
REDIRECT_URI = "https://app.example.test/oauth/callback"


@dataclass
class PlatformCreds:
    client_id: str
    client_secret: str
    system_webhook_secret: str
    redirect_uris: list[str]
    allowed_scopes: str

    def client(self, **extra: Any) -> dict[str, Any]:
        return {"client_id": self.client_id, "client_secret": self.client_secret, **extra}


async def create_platform(
    ctx: AppContext,
    *,
    redirect_uris: list[str] | None = None,
    allowed_scopes: str = "read_reviews,write_reviews,read_orders,read_customer_events",
    webhook_url: str = "",
    skip_shop_oauth: int = 0,
    client_id: str | None = None,
    client_secret: str | None = None,
) -> PlatformCreds:
    client_id = client_id or "p-" + uuid.uuid4().hex[:12]
    uris = redirect_uris or [REDIRECT_URI]
    async with ctx.db.session(write=True) as session:
        created = await platform_service.create(
            ctx,
            session,
            CreatePlatformIn.model_validate(
                {
                    "client_id": client_id,
                    "name": f"Platform {client_id}",
                    "redirect_uris": uris,
                    "allowed_scopes": allowed_scopes,
                    "webhook_url": webhook_url,
                    "skip_shop_oauth": skip_shop_oauth,
                    "client_secret": client_secret,
                }
            ),
        )
    return PlatformCreds(
        client_id,
        created.client_secret,
        created.system_webhook_secret,
        uris,
        created.platform.allowed_scopes,
    )


@dataclass
class Merchant:
    email: str
    token: str
    shop: ShopApi
    cookies: dict[str, str] = field(default_factory=dict)


async def sign_in(ctx: AppContext, client: httpx.AsyncClient, shop: ShopApi) -> Merchant:
    """A merchant user of `shop`, signed in (session JWT)."""
    email = f"owner-{uuid.uuid4().hex[:8]}@example.test"
    async with ctx.db.session(write=True) as session:
        await merchant_service.create_user(
            session, shop_id=shop.shop_id, email=email, password=PASSWORD
        )
    data = ok(
        await client.post("/api/v1/merchant/login", json={"email": email, "password": PASSWORD})
    )
    return Merchant(email, data["token"], shop)


async def authorize_code(
    client: httpx.AsyncClient,
    merchant: Merchant,
    platform: PlatformCreds,
    *,
    scope: str | None = None,
    state: str | None = None,
    code_challenge: str | None = None,
    redirect_uri: str | None = None,
) -> str:
    """Approve through the JSON authorize endpoint; returns the authorization code."""
    params = {
        "client_id": platform.client_id,
        "redirect_uri": redirect_uri or platform.redirect_uris[0],
    }
    if scope is not None:
        params["scope"] = scope
    if state is not None:
        params["state"] = state
    if code_challenge is not None:
        params["code_challenge"] = code_challenge
        params["code_challenge_method"] = "S256"
    data = ok(
        await client.get(
            "/api/v1/openapi/oauth/authorize",
            params=params,
            headers={"Authorization": f"Bearer {merchant.token}"},
        )
    )
    query = parse_qs(urlsplit(data["redirect_url"]).query)
    assert query["code"] == [data["code"]]
    return str(data["code"])


async def exchange(
    client: httpx.AsyncClient,
    platform: PlatformCreds,
    code: str,
    *,
    verifier: str | None = None,
    redirect_uri: str | None = None,
) -> httpx.Response:
    body = platform.client(
        grant_type="authorization_code",
        code=code,
        redirect_uri=redirect_uri or platform.redirect_uris[0],
    )
    if verifier is not None:
        body["code_verifier"] = verifier
    return await client.post(TOKEN_PATH, data=body)  # form-encoded, as RFC 6749 clients do


async def refresh(
    client: httpx.AsyncClient, platform: PlatformCreds, refresh_token: str, **extra: Any
) -> httpx.Response:
    return await client.post(
        TOKEN_PATH,
        json=platform.client(grant_type="refresh_token", refresh_token=refresh_token, **extra),
    )


async def connect(
    ctx: AppContext,
    client: httpx.AsyncClient,
    shop: ShopApi,
    platform: PlatformCreds,
    *,
    scope: str | None = None,
) -> dict[str, Any]:
    """A shop that authorized `platform`: the token answer (access and refresh token)."""
    merchant = await sign_in(ctx, client, shop)
    code = await authorize_code(client, merchant, platform, scope=scope)
    return dict(ok(await exchange(client, platform, code)))


async def update_platform(ctx: AppContext, client_id: str, **fields: Any) -> None:
    """The operator changes a platform (status, allowed_scopes, ...) through the service."""
    async with ctx.db.session(write=True) as session:
        change = UpdatePlatformIn.model_validate({"client_id": client_id, **fields})
        await platform_service.update(ctx, session, change)


async def client_credentials(
    client: httpx.AsyncClient, platform: PlatformCreds, **extra: Any
) -> httpx.Response:
    return await client.post(
        TOKEN_PATH, json=platform.client(grant_type="client_credentials", **extra)
    )
