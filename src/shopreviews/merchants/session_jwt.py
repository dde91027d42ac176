"""Merchant session JWTs (HS256; docs/api.md, "Merchant sessions and the
operator token")."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from typing import Any

import jwt

from shopreviews.kit.context import AppContext
from shopreviews.kit.envelope import Unauthenticated

AUDIENCE = "merchant"


def issue(ctx: AppContext, *, user_id: int, shop_id: str) -> tuple[str, str, datetime]:
    """A new session JWT; returns (jwt, sid, expires_at)."""
    now = ctx.now()
    sid = secrets.token_hex(16)
    exp = now + ctx.settings.merchant_session_seconds
    claims = {
        "iss": ctx.public_url,
        "aud": AUDIENCE,
        "sub": str(user_id),
        "shop_id": shop_id,
        "sid": sid,
        "iat": now,
        "exp": exp,
    }
    token = jwt.encode(claims, ctx.session_key, algorithm="HS256")
    return token, sid, datetime.fromtimestamp(exp, UTC)


def decode(ctx: AppContext, token: str) -> dict[str, Any]:
    """Verified claims; code 16 for any other algorithm, issuer, audience or an expired token."""
    try:
        claims: dict[str, Any] = jwt.decode(
            token,
            ctx.session_key,
            algorithms=["HS256"],
            audience=AUDIENCE,
            issuer=ctx.public_url,
            # Expiry is checked below against the application clock (which tests can pin).
            options={
                "require": ["exp", "iat", "sub", "sid", "shop_id"],
                "verify_exp": False,
                "verify_iat": False,
            },
        )
    except jwt.PyJWTError as exc:
        raise Unauthenticated("invalid or expired merchant session") from exc
    if int(claims["exp"]) <= ctx.now():  # expired from exp on (RFC 7519 §4.1.4)
        raise Unauthenticated("invalid or expired merchant session")
    return claims
