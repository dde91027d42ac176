"""Fixtures of the order tests."""

from __future__ import annotations

import pytest

from shopreviews.kit.context import AppContext
from tests.orders.helpers import NOW, set_secret
from tests.support.api import Clock, ShopApi


@pytest.fixture
async def shopify_shop(ctx: AppContext, shop: ShopApi, clock: Clock) -> ShopApi:
    """`shop` with its Shopify app secret set, and the application clock pinned to NOW."""
    clock.set(NOW.timestamp())
    await set_secret(ctx, shop)
    return shop
