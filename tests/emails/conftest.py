"""Fixtures of the email tests: a real SMTP server process, an app whose settings send through
it (SHOPREVIEWS_SMTP_* pointing at that process, on the suite's database), a clock that pins
that app, and a queue with nothing left over from earlier tests (webhooks go to the session's
receiver process, a fixture of tests/conftest.py).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from shopreviews.kit.context import AppContext
from shopreviews.main import create_app
from shopreviews.settings import Settings
from tests.emails.helpers import (
    Clock,
    EmailShop,
    SmtpServer,
    cancel_pending_jobs,
    new_shop,
    smtp_settings,
)


@pytest.fixture(scope="session")
def smtp(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SmtpServer]:
    """The SMTP server of the session: accepts every message at once."""
    server = SmtpServer(tmp_path_factory.mktemp("smtp") / "maildir")
    yield server
    server.stop()


@pytest.fixture(scope="session")
async def email_ctx(settings: Settings, smtp: SmtpServer) -> AsyncIterator[AppContext]:
    context = AppContext.build(smtp_settings(settings, smtp.port), public_url="http://testserver")
    yield context
    await context.db.dispose()


@pytest.fixture(scope="session")
async def email_client(email_ctx: AppContext) -> AsyncIterator[httpx.AsyncClient]:
    app: Any = create_app(email_ctx.settings, ctx=email_ctx)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http


@pytest.fixture
def clock(email_ctx: AppContext) -> Iterator[Clock]:
    pinned = Clock(email_ctx)
    yield pinned
    pinned.restore()


@pytest.fixture
async def shop(email_ctx: AppContext, email_client: httpx.AsyncClient) -> EmailShop:
    return await new_shop(email_ctx, email_client)


@pytest.fixture
def start_smtp(tmp_path: Path) -> Iterator[Callable[..., SmtpServer]]:
    """Starts SMTP servers of the test's own (maildir in tmp_path); killed after the test."""
    started: list[SmtpServer] = []

    def start(name: str = "maildir", **options: Any) -> SmtpServer:
        server = SmtpServer(tmp_path / name, **options)
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


@pytest.fixture
async def ctx_for(settings: Settings, clock: Clock) -> AsyncIterator[Callable[[int], AppContext]]:
    """An app context sending through the SMTP server on this port (same database and key,
    pinned to the test's clock): a worker of an operator whose relay is elsewhere."""
    built: list[AppContext] = []

    def build(port: int) -> AppContext:
        context = AppContext.build(smtp_settings(settings, port), public_url="http://testserver")
        clock.attach(context)
        built.append(context)
        return context

    yield build
    for context in built:
        await context.db.dispose()


@pytest.fixture(autouse=True)
async def _quiet_queue(email_ctx: AppContext) -> AsyncIterator[None]:
    """Every test drives the one shared job queue itself (the clock moves by days): requests
    and deliveries other tests left pending must not be claimed, sent or counted here, and
    nothing this test leaves may reach the next one."""
    await cancel_pending_jobs(email_ctx, "left over before an email test")
    yield
    await cancel_pending_jobs(email_ctx, "left over by an email test")
