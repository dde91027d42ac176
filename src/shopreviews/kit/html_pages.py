"""Server-rendered HTML pages (the consent pages, the pages behind email links): the protective
headers every page answer carries, whatever renders it."""

from __future__ import annotations

import hashlib
import hmac

from starlette.responses import Response

from shopreviews.kit.context import AppContext

PAGE_HEADERS = {
    "Cache-Control": "no-store",
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": "default-src 'self'; frame-ancestors 'none'",
    "Referrer-Policy": "no-referrer",
}


# The merchant's browser session, shared by the consent pages and the back office: one sign-in
# serves both (decision 168).
SESSION_COOKIE = "merchant_session"


def is_secure(ctx: AppContext) -> bool:
    """Whether cookies must be Secure: the service is reached over https."""
    return ctx.public_url.startswith("https://")


def csrf_token(ctx: AppContext, purpose: str, value: str) -> str:
    """A form's CSRF token: an HMAC of the session id (or a sign-in nonce) for one purpose,
    which a page of another site can neither read nor compute."""
    return hmac.new(ctx.session_key, f"csrf:{purpose}:{value}".encode(), hashlib.sha256).hexdigest()


def set_session_cookie(response: Response, ctx: AppContext, token: str) -> None:
    """Sign the browser in with a merchant session token."""
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=ctx.settings.merchant_session_seconds,
        path="/",
        httponly=True,
        secure=is_secure(ctx),
        samesite="lax",
    )
