"""FastAPI dependencies that say who is calling: the Caller of a route.

Bearer tokens belong to oauth and merchant sessions to merchants, both domains above auth: their
checks reach auth as `Authenticators`, built by main.create_app and kept on `app.state`, so auth
imports neither."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Request, Response
from fastapi.security import HTTPBearer
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from shopreviews.auth import hmac_auth
from shopreviews.auth.caller import INVALID_TOKEN, Caller
from shopreviews.kit.context import AppContext
from shopreviews.kit.crypto import same
from shopreviews.kit.dependencies import Ctx, get_ctx, query_params
from shopreviews.kit.envelope import NotFound, PermissionDenied, RateLimited, Unauthenticated
from shopreviews.kit.params import QueryParams
from shopreviews.kit.read_cache import CachedService
from shopreviews.kit.routes import refuses

F = TypeVar("F", bound=Callable[..., Any])
R = TypeVar("R")
A = TypeVar("A", bound=BaseModel)

# A partner API caller: a wrong signature or token (16), a bearer token without the scope or of
# a disabled platform (7), the shop's or grant's rate limit (8, HTTP 429).
API_REFUSALS = (Unauthenticated, PermissionDenied, RateLimited)

# The OpenAPI security schemes of partner API routes (main._openapi puts them on every route
# that depends on api_caller). They are not FastAPI dependencies: each would cost a dependency
# resolution per request, and verification reads the raw headers anyway.
HMAC_SECURITY_SCHEMES: dict[str, dict[str, str]] = {
    "PublicToken": {
        "type": "apiKey",
        "in": "header",
        "name": "Public-Token",
        "description": "The shop's public token",
    },
    "Timestamp": {
        "type": "apiKey",
        "in": "header",
        "name": "Timestamp",
        "description": "Unix seconds; within 900 s of server time",
    },
    "Sign": {
        "type": "apiKey",
        "in": "header",
        "name": "Sign",
        "description": "64 lowercase hex characters: HMAC-SHA256, keyed with the shop's "
        "private token, of the query's key=value pairs plus timestamp=<Timestamp>, sorted by "
        "key and joined with &, then | and the body when there is one",
    },
}
_merchant_bearer = HTTPBearer(
    scheme_name="MerchantSession",
    bearerFormat="JWT",
    auto_error=False,
    description="Merchant session JWT from /api/v1/merchant/login",
)

# Documents the admin endpoints' credential; admin_caller compares the header itself.
_admin_bearer = HTTPBearer(
    scheme_name="AdminToken",
    auto_error=False,
    description="The operator's SHOPREVIEWS_ADMIN_TOKEN",
)


CredentialCheck = Callable[[AppContext, AsyncSession, str], Awaitable[Caller]]


@dataclass(frozen=True)
class Authenticators:
    """The caller behind a credential that a domain above auth owns; each check raises code 16
    (or 7) for a credential it refuses."""

    bearer_token: CredentialCheck  # an OAuth access token (oauth.service)
    merchant_session: CredentialCheck  # a merchant session JWT (merchants.service)


def authenticators(request: Request) -> Authenticators:
    found: Authenticators = request.app.state.authenticators
    return found


def api_caller(scope: str | None) -> Callable[..., Awaitable[Caller]]:
    """Authenticate an API endpoint (HMAC or bearer, docs/api.md "Authentication") and check
    `scope`."""

    @refuses(*API_REFUSALS)
    async def dependency(request: Request) -> Caller:
        return await authenticate_api(request, await get_ctx(request), scope)

    dependency.hmac_signed = True  # type: ignore[attr-defined]  # read by main._openapi
    dependency.scope = scope  # type: ignore[attr-defined]  # docs/api.md's endpoint table
    return dependency


@dataclass(frozen=True)
class CachedRead:
    """An authenticated read whose answer the read cache may hold (kit/read_cache.py)."""

    ctx: AppContext
    caller: Caller
    query: QueryParams

    async def answer(
        self, service: CachedService[AsyncSession, Caller, R, A], request: R
    ) -> Response:
        """`service`'s answer to `request` (the query, parsed): kept bytes, or the service run
        in a read session of its own, which only a miss opens."""

        async def computed() -> A:
            async with self.ctx.db.session(write=False) as session:
                return await service(session, self.caller, request)

        return await self.ctx.read_cache.answer(
            self.caller.shop_id, self.caller.data_version, service.key(request), computed
        )


def cached_read(scope: str) -> Callable[..., Awaitable[CachedRead]]:
    """`api_caller` for the most polled reads. Their routes take this one dependency and no
    Session: resolving four dependencies (one a generator, closed under a shielded scope) cost
    more CPU than a cached answer itself (docs/benchmarks.md)."""

    @refuses(*API_REFUSALS)
    async def dependency(request: Request) -> CachedRead:
        ctx = await get_ctx(request)
        caller = await authenticate_api(request, ctx, scope)
        return CachedRead(ctx, caller, await query_params(request))

    dependency.hmac_signed = True  # type: ignore[attr-defined]  # read by main._openapi
    dependency.scope = scope  # type: ignore[attr-defined]  # docs/api.md's endpoint table
    return dependency


async def authenticate_api(request: Request, ctx: AppContext, scope: str | None) -> Caller:
    """The caller of a partner API request: bearer token or HMAC signature (docs/api.md,
    "Authentication")."""
    headers = request.headers
    authorization = headers.get("authorization", "").strip()
    if authorization:
        # A bearer request, with no fallback to HMAC, even beside HMAC headers.
        async with ctx.db.session(write=False) as session:
            caller = await _bearer(request, ctx, session, authorization)
        caller.require(scope)
        return caller
    shop = await hmac_auth.authenticate(
        ctx,
        public_token=headers.get("public-token", "").strip(),
        timestamp=headers.get("timestamp", "").strip(),
        sign=headers.get("sign", "").strip(),
        raw_query=request.scope.get("query_string", b"").decode("latin-1"),
        body=await request.body(),
    )
    await ctx.limiter.hit(ctx.limiter.per_shop, f"shop:{shop.shop_id}")
    caller = Caller(shop_id=shop.shop_id, kind="hmac", data_version=shop.data_version)
    caller.require(scope)
    return caller


async def _bearer(
    request: Request, ctx: AppContext, session: AsyncSession, authorization: str
) -> Caller:
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token or token != token.strip():
        raise Unauthenticated(
            "Authorization must be 'Bearer <access_token>'",
            headers=INVALID_TOKEN,
        )
    caller = await authenticators(request).bearer_token(ctx, session, token)
    await ctx.limiter.hit(ctx.limiter.per_shop, f"grant:{caller.grant_id}")
    return caller


@refuses(*API_REFUSALS)
async def bearer_caller(request: Request, ctx: Ctx) -> Caller:
    """Endpoints for bearer tokens only (oauth/disconnect)."""
    authorization = request.headers.get("authorization", "").strip()
    if not authorization:
        raise Unauthenticated("a bearer access token is required", headers=INVALID_TOKEN)
    async with ctx.db.session(write=False) as session:
        return await _bearer(request, ctx, session, authorization)


async def authenticate_merchant(request: Request, session: AsyncSession, token: str) -> Caller:
    """A merchant session JWT whose session row is live; code 16 otherwise."""
    if not token:
        raise Unauthenticated("merchant session required")
    check = authenticators(request).merchant_session
    return await check(await get_ctx(request), session, token)


def merchant_token(request: Request) -> str:
    """`Authorization: Bearer <jwt>`, or a bare JWT."""
    value = request.headers.get("authorization", "").strip()
    scheme, _, rest = value.partition(" ")
    return rest.strip() if scheme.lower() == "bearer" else value


@refuses(Unauthenticated)
async def merchant_caller(
    request: Request,
    ctx: Ctx,
    _b: Annotated[object, Depends(_merchant_bearer)] = None,
) -> Caller:
    """A signed-in merchant: `Authorization: Bearer <jwt>` (or a bare JWT). The session row is
    read in a session of its own: the route's session may be a write session, which this read
    must not keep waiting."""
    async with ctx.db.session(write=False) as session:
        return await authenticate_merchant(request, session, merchant_token(request))


@refuses(Unauthenticated, NotFound)
async def admin_caller(
    request: Request, ctx: Ctx, _b: Annotated[object, Depends(_admin_bearer)] = None
) -> None:
    """The operator: `Authorization: Bearer <SHOPREVIEWS_ADMIN_TOKEN>`; code 5 when no admin
    token is configured (the endpoints do not exist), code 16 for a wrong one."""
    expected = ctx.settings.admin_token
    if not expected:
        raise NotFound(f"no endpoint at {request.url.path}")
    scheme, _, token = request.headers.get("authorization", "").strip().partition(" ")
    if scheme.lower() != "bearer" or not same(token.strip(), expected):
        raise Unauthenticated("wrong or missing admin token")


Merchant = Annotated[Caller, Depends(merchant_caller)]
Bearer = Annotated[Caller, Depends(bearer_caller)]
Admin = Depends(admin_caller)
