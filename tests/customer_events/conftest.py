"""Fixtures of the customer-event tests: those of tests/webhooks (imported by name: shops that
sign with the app clock, the real webhook receiver, the queue clean-up) and a second app whose
storefront rate limit is low."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from shopreviews.kit.context import AppContext
from shopreviews.main import create_app
from shopreviews.settings import Settings
from tests.webhooks.conftest import (  # noqa: F401 - fixtures, found by pytest by name
    _quiet_queue,
    other_shop,
    receiver,
    receiver_process,
    shop,
)

STOREFRONT_LIMIT = 3


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


def client_at(app: Any, ip: str) -> httpx.AsyncClient:
    """A client of `app` whose TCP peer address is `ip`."""
    transport = httpx.ASGITransport(app=app, client=(ip, 40000))
    return httpx.AsyncClient(transport=transport, base_url="http://testserver")
