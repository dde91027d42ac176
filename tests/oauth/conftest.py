"""Fixtures of the OAuth tests: the operator's admin API (a second app on the same database with
SHOPREVIEWS_ADMIN_TOKEN set) and the real webhook receiver of tests/webhooks.

The receiver fixtures and the queue clean-up are the ones of tests/webhooks, imported by name:
every test drives the one shared delivery queue itself, so nothing a test leaves pending may be
claimed by the next test's worker.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from shopreviews.kit.context import AppContext
from shopreviews.main import create_app
from shopreviews.settings import Settings
from tests.webhooks.conftest import (  # noqa: F401 - fixtures, found by pytest by name
    _quiet_queue,
    receiver,
    receiver_process,
)

ADMIN_TOKEN = "admin-token-for-tests-0123456789abcdef"
ADMIN_PREFIX = "/api/v1/admin/"


@dataclass
class AdminApi:
    """The admin endpoints of an app whose admin token is ADMIN_TOKEN."""

    ctx: AppContext
    client: httpx.AsyncClient
    token: str = ADMIN_TOKEN

    def auth(self, token: str | None = None) -> dict[str, str]:
        return {"Authorization": f"Bearer {token or self.token}"}

    async def post(self, name: str, body: Any, *, token: str | None = None) -> httpx.Response:
        return await self.client.post(ADMIN_PREFIX + name, json=body, headers=self.auth(token))

    async def get(
        self, name: str, params: dict[str, Any] | None = None, *, token: str | None = None
    ) -> httpx.Response:
        return await self.client.get(ADMIN_PREFIX + name, params=params, headers=self.auth(token))


@pytest.fixture(scope="session")
async def admin(settings: Settings) -> AsyncIterator[AdminApi]:
    """The admin API: a second app with an admin token on the session's database."""
    admin_settings = settings.model_copy(update={"admin_token": ADMIN_TOKEN})
    admin_ctx = AppContext.build(admin_settings, public_url="http://testserver")
    app: Any = create_app(admin_settings, ctx=admin_ctx)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield AdminApi(admin_ctx, http)
    await admin_ctx.db.dispose()
