"""FastAPI dependencies: the app context, the request's database session, and the Caller."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Request
from fastapi.security import APIKeyHeader, HTTPBearer
from sqlalchemy.ext.asyncio import AsyncSession

from shopreviews.auth import hmac_auth, merchant_session
from shopreviews.auth.caller import Caller
from shopreviews.context import AppContext
from shopreviews.kit.envelope import Unauthenticated
from shopreviews.kit.params import QueryParams
from shopreviews.merchants.repository import MerchantRepository

F = TypeVar("F", bound=Callable[..., Any])
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})

# Declared for the OpenAPI document only (security schemes); verification reads raw headers.
_public_token = APIKeyHeader(
    name="Public-Token",
    scheme_name="PublicToken",
    auto_error=False,
    description="The shop's public token",
)
_timestamp = APIKeyHeader(
    name="Timestamp",
    scheme_name="Timestamp",
    auto_error=False,
    description="Unix seconds; within 900 s of server time",
)
_sign = APIKeyHeader(
    name="Sign",
    scheme_name="Sign",
    auto_error=False,
    description="Lowercase hex HMAC-SHA256 of the canonical message, keyed "
    "with the private token (README §4.3)",
)
_merchant_bearer = HTTPBearer(
    scheme_name="MerchantSession",
    bearerFormat="JWT",
    auto_error=False,
    description="Merchant session JWT from /api/v1/merchant/login",
)


def get_ctx(request: Request) -> AppContext:
    ctx: AppContext = request.app.state.ctx
    return ctx


Ctx = Annotated[AppContext, Depends(get_ctx)]


def writes(endpoint: F) -> F:
    """Marks a GET route that writes (e.g. an audit entry), so it gets a write transaction."""
    endpoint.writes = True  # type: ignore[attr-defined]
    return endpoint


async def db_session(request: Request, ctx: Ctx) -> AsyncIterator[AsyncSession]:
    """One session per request, committed once after the route returns (before the response).

    Reads run in a read transaction; POST/PUT/DELETE and @writes routes take the write path.
    """
    write = request.method in WRITE_METHODS or getattr(
        request.scope.get("endpoint"), "writes", False
    )
    async with ctx.db.session(write=write) as session:
        yield session


Session = Annotated[AsyncSession, Depends(db_session, scope="function")]


def query_params(request: Request) -> QueryParams:
    return QueryParams.from_raw(request.scope.get("query_string", b"").decode("latin-1"))


Query = Annotated[QueryParams, Depends(query_params)]


def api_caller(scope: str | None) -> Callable[..., Awaitable[Caller]]:
    """Authenticate an API endpoint (HMAC or bearer, README §4.2) and check `scope`."""

    async def dependency(
        request: Request,
        ctx: Ctx,
        session: Session,
        _p: Annotated[str | None, Depends(_public_token)] = None,
        _t: Annotated[str | None, Depends(_timestamp)] = None,
        _s: Annotated[str | None, Depends(_sign)] = None,
    ) -> Caller:
        headers = request.headers
        authorization = headers.get("authorization", "").strip()
        if authorization:
            # OAuth access tokens are not issued yet: every bearer request is unauthenticated,
            # and there is no fallback to HMAC (README §4.2 rule 1).
            raise Unauthenticated(
                "unauthenticated: unknown or invalid bearer token",
                headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
            )
        shop = await hmac_auth.authenticate(
            ctx,
            session,
            public_token=headers.get("public-token", "").strip(),
            timestamp=headers.get("timestamp", "").strip(),
            sign=headers.get("sign", "").strip(),
            raw_query=request.scope.get("query_string", b"").decode("latin-1"),
            body=await request.body(),
        )
        await ctx.limiter.hit(ctx.limiter.per_shop, f"shop:{shop.shop_id}")
        caller = Caller(shop_id=shop.shop_id, kind="hmac")
        caller.require(scope)
        return caller

    return dependency


async def merchant_caller(
    request: Request,
    ctx: Ctx,
    session: Session,
    _b: Annotated[object, Depends(_merchant_bearer)] = None,
) -> Caller:
    """A signed-in merchant: `Authorization: Bearer <jwt>` (or a bare JWT)."""
    value = request.headers.get("authorization", "").strip()
    scheme, _, rest = value.partition(" ")
    token = rest.strip() if scheme.lower() == "bearer" else value
    if not token:
        raise Unauthenticated("unauthenticated: merchant session required")
    claims = merchant_session.decode(ctx, token)
    record = await MerchantRepository(session).get_session(str(claims["sid"]))
    if (
        record is None
        or record.ended_at is not None
        or record.expires_at.timestamp() <= ctx.now()
        or str(record.user_id) != str(claims["sub"])
        or record.shop_id != claims["shop_id"]
    ):
        raise Unauthenticated("unauthenticated: invalid or expired merchant session")
    return Caller(
        shop_id=record.shop_id,
        kind="merchant",
        merchant_user_id=record.user_id,
        session_id=record.sid,
    )


ShopCaller = Callable[..., Awaitable[Caller]]
Merchant = Annotated[Caller, Depends(merchant_caller)]
