"""Fixtures of the order tests."""

from __future__ import annotations

import pytest

from shopreviews.kit.context import AppContext
from tests.conftest import Clock, ShopApi
from tests.orders.helpers import NOW, set_secret
from tests.test_cli import (  # noqa: F401 - fixtures of test_import_cli.py, found by name
    cli,
    postgres,
)


@pytest.fixture
async def shopify_shop(ctx: AppContext, shop: ShopApi, clock: Clock) -> ShopApi:
    """`shop` with its Shopify app secret set, and the application clock pinned to NOW."""
    clock.set(NOW.timestamp())
    await set_secret(ctx, shop)
    return shop
