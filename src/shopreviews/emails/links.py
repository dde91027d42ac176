"""The signed links of the emails: review requests (docs/intake.md §3.2) and web review
confirmations (docs/storefront.md "Web reviews").

token = <id> "." base64url(HMAC-SHA256(K, purpose "\\n" id))[:22]

One token per row and purpose, so a pixel URL cannot unsubscribe, an unsubscribe URL cannot
post a review, and a review request's id cannot confirm anything (the confirmation's id is
another table's, signed for "confirm" only). 22 base64url characters keep 132 bits of the MAC.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re

from shopreviews.kit.context import AppContext

PURPOSES = ("open", "review", "unsubscribe", "confirm")
_TOKEN = re.compile(r"^([1-9][0-9]{0,18})\.([A-Za-z0-9_-]{22})$")


def _mac(key: bytes, purpose: str, request_id: int) -> str:
    digest = hmac.new(key, f"{purpose}\n{request_id}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode()[:22]


def make_token(ctx: AppContext, purpose: str, request_id: int) -> str:
    if not ctx.link_key or purpose not in PURPOSES:
        raise ValueError("email links need the server key and a known purpose")
    return f"{request_id}.{_mac(ctx.link_key, purpose, request_id)}"


def read_token(ctx: AppContext, purpose: str, token: str) -> int | None:
    """The request id of a genuine token of this purpose; None for anything else."""
    match = _TOKEN.match(token)
    if match is None or not ctx.link_key:
        return None
    request_id = int(match.group(1))
    expected = _mac(ctx.link_key, purpose, request_id)
    return request_id if hmac.compare_digest(expected, match.group(2)) else None


def links(ctx: AppContext, request_id: int) -> dict[str, str]:
    base = ctx.public_url.rstrip("/")
    return {
        "pixel": f"{base}/email/open/{make_token(ctx, 'open', request_id)}.gif",
        "review": f"{base}/email/review/{make_token(ctx, 'review', request_id)}",
        "unsubscribe": f"{base}/email/unsubscribe/{make_token(ctx, 'unsubscribe', request_id)}",
    }


def confirm_link(ctx: AppContext, confirmation_id: int) -> str:
    """The link of a web review confirmation email."""
    base = ctx.public_url.rstrip("/")
    return f"{base}/email/confirm/{make_token(ctx, 'confirm', confirmation_id)}"
