"""Fixtures of the customer-event tests: shops that sign with the app clock, a clean delivery
queue after every test (customer_event/created webhooks go to the session's receiver process),
and a second app whose storefront rate limit is low."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from shopreviews.kit.context import AppContext
from shopreviews.main import create_app
from shopreviews.settings import Settings
from tests.customer_events.helpers import STOREFRONT_LIMIT
from tests.support.webhooks import ClockedShop, cancel_pending_deliveries, clocked_shop


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
async def limited(settings: Settings) -> AsyncIterator[tuple[AppContext, Any]]:
    """A second app on the same database with rate limits on and a storefront limit of 3 a
    minute (the session app runs with rate limits off)."""
    limited_settings = settings.model_copy(
        update={"rate_limits_enabled": True, "storefront_events_per_minute": STOREFRONT_LIMIT}
    )
    limited_ctx = AppContext.build(limited_settings, public_url="http://testserver")
    yield limited_ctx, create_app(limited_settings, ctx=limited_ctx)
    await limited_ctx.db.dispose()
