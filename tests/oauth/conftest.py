"""Fixtures of the OAuth tests: a clean delivery queue after every test. System and platform
webhooks go to the session's receiver process, and every test drives the one shared delivery
queue itself, so nothing a test leaves pending may be claimed by the next test's worker."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from shopreviews.kit.context import AppContext
from tests.support.webhooks import cancel_pending_deliveries


@pytest.fixture(autouse=True)
async def _quiet_queue(ctx: AppContext) -> AsyncIterator[None]:
    yield
    await cancel_pending_deliveries(ctx)
