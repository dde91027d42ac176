"""Fixtures of the OAuth tests: a clean delivery queue after every test. System and platform
webhooks go to the session's receiver process, and every test drives the one shared delivery
queue itself, so nothing a test leaves pending may be claimed by the next test's worker. And
platform rows damaged on purpose, repaired after the test."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import select, update

from shopreviews.kit.context import AppContext
from shopreviews.platforms.models import Platform
from tests.oauth.helpers import Damage
from tests.support.webhooks import cancel_pending_deliveries


@pytest.fixture(autouse=True)
async def _quiet_queue(ctx: AppContext) -> AsyncIterator[None]:
    yield
    await cancel_pending_deliveries(ctx)


@pytest.fixture
async def damage(ctx: AppContext) -> AsyncIterator[Damage]:
    """Writes platform columns directly, as a restore or a hand edit would: `await
    damage(client_id, redirect_uris=5)`. Each row gets its values back after the test, so no
    later test of the worker (the operator's platform list) meets it."""
    originals: list[tuple[str, dict[str, Any]]] = []

    async def write(client_id: str, **values: Any) -> None:
        async with ctx.db.session(write=True) as session:
            columns = [getattr(Platform, name) for name in values]
            found = await session.execute(select(*columns).where(Platform.client_id == client_id))
            row = found.one()
            originals.append((client_id, dict(zip(values, row, strict=True))))
            await session.execute(
                update(Platform).where(Platform.client_id == client_id).values(**values)
            )

    yield write
    async with ctx.db.session(write=True) as session:
        for client_id, values in reversed(originals):
            await session.execute(
                update(Platform).where(Platform.client_id == client_id).values(**values)
            )
