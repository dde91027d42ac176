"""Webhook test fixtures: shops that sign with the app clock, the receiver on the IPv6 loopback
address, a second app with private targets refused, and a clean delivery queue after every test
(the session's receiver process is a fixture of tests/conftest.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from shopreviews.kit.context import AppContext
from shopreviews.main import create_app
from shopreviews.settings import Settings
from tests.support.webhooks import (
    ClockedShop,
    Receiver,
    cancel_pending_deliveries,
    clocked_shop,
    start_receiver,
    stop_receiver,
)


@pytest.fixture(scope="session")
async def receiver6() -> AsyncIterator[Receiver]:
    """The receiver listening on the IPv6 loopback address only."""
    proc, port = start_receiver("::1")
    try:
        async with Receiver(f"http://[::1]:{port}") as running:
            yield running
    finally:
        stop_receiver(proc)


@pytest.fixture
async def shop(ctx: AppContext, client: httpx.AsyncClient) -> ClockedShop:
    return await clocked_shop(ctx, client)


@pytest.fixture
async def other_shop(ctx: AppContext, client: httpx.AsyncClient) -> ClockedShop:
    return await clocked_shop(ctx, client)


@pytest.fixture(autouse=True)
async def _quiet_queue(ctx: AppContext) -> AsyncIterator[None]:
    yield
    await cancel_pending_deliveries(ctx)


@pytest.fixture(scope="session")
async def strict(settings: Settings) -> AsyncIterator[tuple[AppContext, httpx.AsyncClient]]:
    """A second app on the same database with SHOPREVIEWS_WEBHOOK_ALLOW_PRIVATE_TARGETS off."""
    strict_settings = settings.model_copy(update={"webhook_allow_private_targets": False})
    strict_ctx = AppContext.build(strict_settings, public_url="http://testserver")
    app: Any = create_app(strict_settings, ctx=strict_ctx)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield strict_ctx, http
    await strict_ctx.db.dispose()
