"""Fixtures of the email tests: a real SMTP server process, an app whose settings send through
it (SHOPREVIEWS_SMTP_* pointing at that process, on the suite's database), a clock that pins
that app, and a queue with nothing left over from earlier tests.

The receiver fixtures of tests/webhooks are imported by name (a real HTTP receiver process).
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import update

from shopreviews.kit.context import AppContext
from shopreviews.kit.jobs import JobStatus
from shopreviews.main import create_app
from shopreviews.orders.models import ReviewRequest
from shopreviews.settings import Settings
from shopreviews.webhooks.models import WebhookDelivery
from tests.emails.helpers import EmailShop, SmtpServer, new_shop
from tests.webhooks.conftest import (  # noqa: F401 - fixtures, found by pytest by name
    receiver,
    receiver_process,
)


def smtp_settings(settings: Settings, port: int) -> Settings:
    return settings.model_copy(
        update={
            "smtp_host": "127.0.0.1",
            "smtp_port": port,
            "smtp_security": "none",
            "smtp_from": "ShopReviews <reviews@shopreviews.test>",
            "smtp_timeout_seconds": 30.0,
        }
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


class Clock:
    """Pins the email app's clock (and any context attached) to one moment."""

    def __init__(self, *contexts: AppContext) -> None:
        self.now = float(int(time.time()))
        self.contexts: list[AppContext] = []
        for context in contexts:
            self.attach(context)

    def attach(self, context: AppContext) -> None:
        context.clock = lambda: self.now
        self.contexts.append(context)

    def set(self, ts: float) -> None:
        self.now = float(ts)

    def advance(self, seconds: float) -> None:
        self.now += seconds

    def restore(self) -> None:
        for context in self.contexts:
            context.clock = time.time


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


async def _cancel_pending(ctx: AppContext, why: str) -> None:
    async with ctx.db.session(write=True) as session:
        for model in (ReviewRequest, WebhookDelivery):
            await session.execute(
                update(model)
                .where(model.status == JobStatus.PENDING)
                .values(
                    status=JobStatus.CANCELLED, lease_owner=None, lease_until=None, last_error=why
                )
                .execution_options(synchronize_session=False)
            )


@pytest.fixture(autouse=True)
async def _quiet_queue(email_ctx: AppContext) -> AsyncIterator[None]:
    """Every test drives the one shared job queue itself (the clock moves by days): requests
    and deliveries other tests left pending must not be claimed, sent or counted here, and
    nothing this test leaves may reach the next one."""
    await _cancel_pending(email_ctx, "left over before an email test")
    yield
    await _cancel_pending(email_ctx, "left over by an email test")
