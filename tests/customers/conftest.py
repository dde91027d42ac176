"""Fixtures of the unsubscribe and exclusion tests."""

from __future__ import annotations

import pytest

from shopreviews.kit.context import AppContext
from tests.customers.helpers import PLATFORM_SCOPES
from tests.support.oauth import PlatformCreds, create_platform


@pytest.fixture(scope="module")
async def platform(ctx: AppContext) -> PlatformCreds:
    """A platform allowed the customer scopes that may use client_credentials (bearer tokens
    for any shop without a merchant sign-in)."""
    return await create_platform(ctx, allowed_scopes=PLATFORM_SCOPES, skip_shop_oauth=1)
