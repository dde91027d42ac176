"""Shops of the test session and their signed calls, and the envelope checks every test makes.

The session's app and database are the fixtures of tests/conftest.py. Each test creates its own
shops, so tests never see each other's data (the same tenancy rule the product relies on).
"""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass
from typing import Any

import httpx

from shopreviews.kit.context import AppContext
from shopreviews.shops import service as shop_service
from tests.support import signer

TEST_SECRET_KEY = "test-secret-key-" + "x" * 32


class Clock:
    """Pins the application clock of a context (the `clock` fixture restores it)."""

    def __init__(self, ctx: AppContext) -> None:
        self.ctx = ctx

    def set(self, ts: float) -> None:
        self.ctx.clock = lambda: ts


@dataclass
class ShopApi:
    """A shop's credentials plus signed-request helpers (signed by tests/support/signer.py)."""

    client: httpx.AsyncClient
    shop_id: str
    myshopify_domain: str
    public_token: str
    private_token: str

    def headers(
        self, pairs: list[tuple[str, str]], body: bytes = b"", ts: str | None = None
    ) -> dict[str, str]:
        ts = ts or str(int(time.time()))
        return {
            "Public-Token": self.public_token,
            "Timestamp": ts,
            "Sign": signer.sign(self.private_token, ts, pairs, body),
        }

    async def get(
        self, name: str, params: list[tuple[str, str]] | dict[str, Any] | None = None, **kw: Any
    ) -> httpx.Response:
        pairs = list(params.items()) if isinstance(params, dict) else list(params or [])
        pairs = [(k, str(v)) for k, v in pairs]
        query = signer.encode_query(pairs)
        url = f"/api/v1/openapi/{name}" + (f"?{query}" if query else "")
        return await self.client.get(url, headers=self.headers(pairs), **kw)

    async def post(
        self, name: str, body: Any = None, *, raw: bytes | None = None, **kw: Any
    ) -> httpx.Response:
        data = raw if raw is not None else json.dumps(body if body is not None else {}).encode()
        headers = {"Content-Type": "application/json", **self.headers([], data)}
        return await self.client.post(
            f"/api/v1/openapi/{name}", content=data, headers=headers, **kw
        )


async def create_shop(ctx: AppContext, client: httpx.AsyncClient) -> ShopApi:
    shop_id = "t" + uuid.uuid4().hex[:12]
    async with ctx.db.session(write=True) as session:
        creds = await shop_service.create(
            ctx, session, shop_id=shop_id, domain=f"{shop_id}.myshopify.com"
        )
    return ShopApi(
        client, creds.shop_id, creds.myshopify_domain, creds.public_token, creds.private_token
    )


def ok(response: httpx.Response) -> Any:
    """Assert a success envelope and return its data."""
    body = response.json()
    assert response.status_code == 200, body
    assert body["code"] == 0 and body["message"] == "success", body
    return body["data"]


def error(response: httpx.Response, code: int, status: int) -> dict[str, Any]:
    """Assert an error envelope with this code and HTTP status; return the body."""
    body = response.json()
    assert response.status_code == status, body
    assert body["code"] == code, body
    assert set(body) >= {"code", "message", "time", "request_id", "data"}
    assert len(body["request_id"]) == 32
    assert response.headers["x-request-id"] == body["request_id"]
    return body


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
