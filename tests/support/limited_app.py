"""A second app on the test session's database with rate limits on.

The shared test app has rate limits off. Each caller of this one is an httpx client whose ASGI
transport carries its own client address, so callers at different addresses can be played at
once.
"""

from __future__ import annotations

import asyncio
from typing import Any

import httpx

from shopreviews.kit.context import AppContext
from shopreviews.main import create_app
from shopreviews.settings import Settings


class LimitedApp:
    """An app on the session's database with rate limits on (and optional other limits)."""

    def __init__(self, settings: Settings, **limits: Any) -> None:
        self.settings = settings.model_copy(update={"rate_limits_enabled": True, **limits})
        self.ctx = AppContext.build(self.settings, public_url="http://testserver")
        self.app = create_app(self.settings, ctx=self.ctx)
        self._clients: dict[str, httpx.AsyncClient] = {}

    def at(self, address: str) -> httpx.AsyncClient:
        """A client whose requests come from `address`."""
        if address not in self._clients:
            transport = httpx.ASGITransport(app=self.app, client=(address, 40000))
            self._clients[address] = httpx.AsyncClient(
                transport=transport, base_url="http://testserver"
            )
        return self._clients[address]

    async def warm_pool(self) -> None:
        """Open the connection pool up front: a cold pool opens connections one request at a
        time, which would spread a burst out and hide a race between concurrent requests."""
        size = self.settings.db_pool_size
        connections = await asyncio.gather(*(self.ctx.db.engine.connect() for _ in range(size)))
        for connection in connections:
            await connection.close()

    async def close(self) -> None:
        for http in self._clients.values():
            await http.aclose()
        await self.ctx.db.dispose()
