"""Helpers of the OAuth tests only (platforms, sign-in and the grant steps are in
tests/support/oauth.py)."""

from __future__ import annotations

import base64
import hashlib
import secrets
from collections.abc import Awaitable, Callable
from typing import Any

import httpx

# The `damage` fixture (conftest.py): writes a platform's columns as given, repaired afterwards.
Damage = Callable[..., Awaitable[None]]


def pkce_pair() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).decode()
    return verifier, challenge.rstrip("=")


def assert_oauth_error(body: dict[str, Any], error: str) -> str:
    """`data` is exactly {error, error_description}; message is "<error>: <description>"."""
    data = body["data"]
    assert set(data) == {"error", "error_description"}, body
    assert data["error"] == error, body
    description = data["error_description"]
    assert isinstance(description, str) and description, body
    assert body["message"] == f"{error}: {description}", body
    return str(description)


def assert_no_store(response: httpx.Response) -> None:
    """Token-endpoint answers are never cached (RFC 6749 §5.1)."""
    assert response.headers["cache-control"] == "no-store", response.headers
    assert response.headers["pragma"] == "no-cache", response.headers
