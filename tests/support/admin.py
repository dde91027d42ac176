"""The operator's admin API as the tests call it (the `admin` fixture: a second app on the
session's database whose admin token is ADMIN_TOKEN)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx

from shopreviews.kit.context import AppContext

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
