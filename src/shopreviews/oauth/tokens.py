"""Issuing authorization codes and tokens, and reading bearer tokens (docs/api.md,
"Bearer tokens").

Every credential is `<prefix>_` + base64url of 32 random bytes; only its SHA-256 is stored.
"""

from __future__ import annotations

import base64
import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from shopreviews.auth.caller import INVALID_TOKEN, Caller
from shopreviews.auth.scopes import common_scopes, join_scopes
from shopreviews.kit.context import AppContext
from shopreviews.kit.crypto import sha256_hex
from shopreviews.kit.envelope import PermissionDenied, Unauthenticated
from shopreviews.oauth.models import ACCESS, REFRESH, Grant, Token, TokenChain
from shopreviews.oauth.repository import OAuthRepository


def new_credential(prefix: str) -> str:
    return f"{prefix}_" + base64.urlsafe_b64encode(secrets.token_bytes(32)).decode().rstrip("=")


@dataclass(frozen=True)
class IssuedTokens:
    access_token: str
    refresh_token: str  # "" when none was issued (client_credentials)
    scopes: str


async def start_chain(
    ctx: AppContext, session: AsyncSession, grant: Grant, origin: str
) -> TokenChain:
    chain = TokenChain(grant_id=grant.id, origin=origin, created_at=ctx.now_datetime())
    await OAuthRepository(session).add(chain)
    return chain


async def issue(
    ctx: AppContext,
    session: AsyncSession,
    *,
    chain: TokenChain,
    grant: Grant,
    scopes: list[str] | frozenset[str],
    with_refresh: bool,
) -> IssuedTokens:
    """A new access token (and refresh token) in `chain`."""
    repo = OAuthRepository(session)
    now = ctx.now_datetime()
    scope_list = join_scopes(scopes)
    settings = ctx.settings
    lifetimes = [(ACCESS, "at", settings.oauth_access_token_seconds)]
    if with_refresh:
        lifetimes.append((REFRESH, "rt", settings.oauth_refresh_token_seconds))
    issued: dict[str, str] = {}
    for kind, prefix, seconds in lifetimes:
        value = new_credential(prefix)
        await repo.add(
            Token(
                token_sha256=sha256_hex(value),
                kind=kind,
                chain_id=chain.id,
                grant_id=grant.id,
                shop_id=grant.shop_id,
                client_id=grant.client_id,
                scopes=scope_list,
                issued_at=now,
                expires_at=now + timedelta(seconds=seconds),
            )
        )
        issued[kind] = value
    return IssuedTokens(issued[ACCESS], issued.get(REFRESH, ""), scope_list)


def effective_scopes(token: Token, grant: Grant, allowed: str) -> frozenset[str]:
    """What a token may do now: its own scopes, narrowed by the grant's and the platform's
    current ones (a re-approval or an operator change applies at once)."""
    return common_scopes(token.scopes, grant.scopes, allowed)


async def authenticate(ctx: AppContext, session: AsyncSession, presented: str) -> Caller:
    """A bearer caller; code 16 for an unknown, expired or revoked token, an ended grant or a
    disabled shop, code 7 for a disabled platform."""
    found = await OAuthRepository(session).bearer(sha256_hex(presented)) if presented else None
    if found is None:
        raise Unauthenticated("unknown or invalid bearer token", headers=INVALID_TOKEN)
    token, grant, platform, shop = found
    if not token.is_current(ctx.now_datetime()) or not grant.is_active or not shop.is_active:
        raise Unauthenticated("the bearer token has expired or was revoked", headers=INVALID_TOKEN)
    if not platform.is_active:
        raise PermissionDenied(f"platform {platform.client_id} is disabled")
    return Caller(
        shop_id=shop.shop_id,
        kind="bearer",
        scopes=effective_scopes(token, grant, platform.allowed_scopes),
        client_id=platform.client_id,
        grant_id=grant.id,
        data_version=shop.data_version,
    )
