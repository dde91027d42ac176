"""Webhook test fixtures: the real receiver process, shops that sign with the app clock, a
second app with private targets refused, and a clean delivery queue after every test."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import update

from shopreviews.kit.context import AppContext
from shopreviews.kit.jobs import JobStatus
from shopreviews.main import create_app
from shopreviews.settings import Settings
from shopreviews.webhooks.models import WebhookDelivery
from tests.conftest import create_shop
from tests.webhooks.helpers import ClockedShop, Receiver

REPO = Path(__file__).resolve().parents[2]


def _start_receiver(host: str) -> tuple[subprocess.Popen[str], int]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.webhooks.receiver", "--host", host],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    if not line.startswith("PORT "):
        proc.kill()
        raise RuntimeError(f"the receiver did not start: {line!r}")
    return proc, int(line.split()[1])


def _stop(proc: subprocess.Popen[str]) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    if proc.stdout is not None:
        proc.stdout.close()


@pytest.fixture(scope="session")
def receiver_process() -> Iterator[tuple[str, int]]:
    proc, port = _start_receiver("127.0.0.1")
    yield "127.0.0.1", port
    _stop(proc)


@pytest.fixture(scope="session")
async def receiver(receiver_process: tuple[str, int]) -> AsyncIterator[Receiver]:
    host, port = receiver_process
    async with Receiver(f"http://{host}:{port}") as running:
        yield running


@pytest.fixture(scope="session")
async def receiver6() -> AsyncIterator[Receiver]:
    """The receiver listening on the IPv6 loopback address only."""
    proc, port = _start_receiver("::1")
    try:
        async with Receiver(f"http://[::1]:{port}") as running:
            yield running
    finally:
        _stop(proc)


@pytest.fixture
async def shop(ctx: AppContext, client: httpx.AsyncClient) -> ClockedShop:
    return ClockedShop.of(await create_shop(ctx, client), ctx)


@pytest.fixture
async def other_shop(ctx: AppContext, client: httpx.AsyncClient) -> ClockedShop:
    return ClockedShop.of(await create_shop(ctx, client), ctx)


@pytest.fixture(autouse=True)
async def _quiet_queue(ctx: AppContext) -> AsyncIterator[None]:
    """Cancel whatever a test leaves pending: every test drives the one shared queue itself, so
    a leftover retry must not be claimed (and counted) by the next test's worker."""
    yield
    async with ctx.db.session(write=True) as session:
        await session.execute(
            update(WebhookDelivery)
            .where(WebhookDelivery.status == JobStatus.PENDING)
            .values(
                status=JobStatus.CANCELLED,
                last_error="left over by a test",
                lease_owner=None,
                lease_until=None,
            )
        )


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
