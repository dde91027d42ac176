"""Webhook signatures (docs/api.md, "Delivery headers and
signatures"): the Standard Webhooks secrets and
signatures of subscriptions and platforms, and the Trustoo delivery signature."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

from shopreviews.kit.signing import hmac_hex

SECRET_PREFIX = "whsec_"  # noqa: S105 - a format prefix, not a secret


def new_secret() -> str:
    """A Standard Webhooks secret: whsec_ + base64 of 32 random bytes."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def trustoo_sign(key: str, timestamp: str, body: bytes) -> str:
    """Open-Trustoo-Webhook-Sign: the request-signing algorithm with no query string."""
    return hmac_hex(key, b"timestamp=" + timestamp.encode() + b"|" + body)


def standard_signature(secret: str, webhook_id: str, timestamp: str, body: bytes) -> str:
    """One `v1,<base64>` Standard Webhooks signature."""
    key = base64.b64decode(secret.removeprefix(SECRET_PREFIX))
    message = f"{webhook_id}.{timestamp}.".encode() + body
    digest = hmac.new(key, message, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def standard_signatures(
    secrets_newest_first: list[str], webhook_id: str, timestamp: str, body: bytes
) -> str:
    """The webhook-signature header: space-separated signatures, the newest secret's first."""
    return " ".join(
        standard_signature(s, webhook_id, timestamp, body) for s in secrets_newest_first
    )
