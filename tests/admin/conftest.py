"""Fixtures of the admin API tests: a clean delivery queue after every test. A platform's
grants queue system webhooks (app/authorized, app/tokens_revoked, ...), and every test drives
the one shared delivery queue itself, so nothing a test leaves pending may be claimed by the
next test's worker."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from shopreviews.kit.context import AppContext
from tests.support.webhooks import cancel_pending_deliveries


@pytest.fixture(autouse=True)
async def _quiet_queue(ctx: AppContext) -> AsyncIterator[None]:
    yield
    await cancel_pending_deliveries(ctx)
