"""Fixtures of the web review tests: shops that sign with the app clock, a clean delivery queue
after every test (review/created and customer_event/created webhooks go to the session's
receiver process), a second app with rate limits on and a web review limit of LIMIT an hour,
and an S3-compatible server for the photo tests on the s3 backend."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest

from shopreviews.kit.context import AppContext
from shopreviews.main import create_app
from shopreviews.settings import Settings
from tests.support.moto import running_moto
from tests.support.webhooks import ClockedShop, cancel_pending_deliveries, clocked_shop
from tests.web_reviews.helpers import LIMIT


@pytest.fixture
async def shop(ctx: AppContext, client: httpx.AsyncClient) -> ClockedShop:
    """A shop whose signed calls use the app's clock (tests pin it)."""
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
    """A second app on the same database with rate limits on: LIMIT web reviews an hour."""
    limited_settings = settings.model_copy(
        update={"rate_limits_enabled": True, "storefront_reviews_per_hour": LIMIT}
    )
    limited_ctx = AppContext.build(limited_settings, public_url="http://testserver")
    yield limited_ctx, create_app(limited_settings, ctx=limited_ctx)
    await limited_ctx.db.dispose()


@pytest.fixture(scope="session")
def moto_endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real S3-compatible server (tests/support/moto.py), started by the first test that
    needs it."""
    with running_moto(tmp_path_factory.mktemp("moto") / "server.log") as endpoint:
        yield endpoint
