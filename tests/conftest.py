"""The fixtures of every test, and how the suite runs: in parallel by default (pytest-xdist).

One app per session on SQLite (default) or PostgreSQL, the shops of a test, the webhook
receiver process, the admin API, and the operator CLI on fresh databases of its own.

Set SHOPREVIEWS_TEST_DATABASE_URL=postgresql+asyncpg://... to run the suite on PostgreSQL.
The schema is built by the real migrations. Each test creates its own shops, so tests never
see each other's data (the same tenancy rule the product relies on). Every pytest-xdist worker
is a session of its own: its own database, app, receiver and job queue.
"""

from __future__ import annotations

import os
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings

from shopreviews.kit.context import AppContext
from shopreviews.main import create_app
from shopreviews.settings import Settings
from shopreviews.wiring import connect_domains
from tests.support.admin import ADMIN_TOKEN, AdminApi
from tests.support.api import TEST_SECRET_KEY, Clock, ShopApi, create_shop
from tests.support.cli import Cli, ConsoleScript
from tests.support.databases import (
    FreshDatabases,
    PostgresServer,
    configured_url,
    migrate_to_head,
    on_postgres,
    sqlite_url,
)
from tests.support.webhooks import Receiver, start_receiver, stop_receiver

# Shared machines and CI runners are slow at times: judge properties, not speed.
hypothesis_settings.register_profile(
    "shopreviews",
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
hypothesis_settings.load_profile("shopreviews")

# How pytest-xdist shares the tests out when the command line does not say (README.md, CI):
# whole test files per worker, so a module's fixtures are built once.
DISTRIBUTION = "loadfile"
# Workers per CPU. Much of the suite waits rather than computes (servers starting, timeouts
# running out, subprocesses, the browser), so one worker per CPU leaves the CPUs half idle:
# on 2 CPUs, 4 workers ran the suite in 258 s against 365 s with 2 on SQLite (decision 137).
WORKERS_PER_CPU = 2
POSTGRES_POOL_SIZE = 5


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    # Some tests call services without building an app: connect the domains as every process
    # does when it is assembled (shopreviews/wiring.py).
    connect_domains()


@pytest.hookimpl(tryfirst=True)
def pytest_cmdline_main(config: pytest.Config) -> None:
    """The suite runs in parallel by default: WORKERS_PER_CPU pytest-xdist workers per CPU, the
    tests shared out as DISTRIBUTION says. `-n N` and `--dist` on the command line win; `-n 0`
    or `-p no:xdist` run it serially. (Not `addopts = "-n auto"`: with xdist off, pytest would
    refuse the option.) It must run before xdist's own hook, which turns these options into
    workers: both are tryfirst, and of two tryfirst hooks the later registered (this conftest,
    after the installed plugins) runs first. Without tryfirst it ran after xdist's, and the
    suite ran serially without a word (tests/test_suite_layout.py now checks)."""
    if not config.pluginmanager.hasplugin("xdist") or hasattr(config, "workerinput"):
        return  # xdist is off, or this is one of its workers
    if config.option.numprocesses is None:
        config.option.numprocesses = WORKERS_PER_CPU * (os.cpu_count() or 1)
    if config.option.numprocesses != 0 and config.option.dist == "no":
        config.option.dist = DISTRIBUTION


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    url = configured_url() or sqlite_url(tmp_path_factory.mktemp("db") / "test.db")
    if not on_postgres(url):
        migrate_to_head(url)
        yield url
        return
    # A database of its own per run, so concurrent runs (CI, several developers, the workers
    # of one run) never meet.
    server = PostgresServer(url)
    name = server.create("shopreviews_test")
    try:
        migrate_to_head(server.url(name))
        yield server.url(name)
    finally:
        server.drop(name)


@pytest.fixture(scope="session")
def settings(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return Settings(
        database_url=database_url,
        secret_key=TEST_SECRET_KEY,
        public_url="http://testserver",
        media_dir=tmp_path_factory.mktemp("media"),
        rate_limits_enabled=False,
        # Tests drive the worker themselves (worker.run_once) under a controlled clock.
        run_worker=False,
        webhook_allow_private_targets=True,
        # PostgreSQL's connections are the server's, shared by every worker of the suite
        # (100 by default): each worker's pool stays small enough for all of them to fit.
        **({"db_pool_size": POSTGRES_POOL_SIZE} if on_postgres(database_url) else {}),
    )


@pytest.fixture(scope="session")
async def ctx(settings: Settings) -> AsyncIterator[AppContext]:
    context = AppContext.build(settings, public_url="http://testserver")
    yield context
    await context.db.dispose()


@pytest.fixture(scope="session")
def app(settings: Settings, ctx: AppContext) -> Any:
    return create_app(settings, ctx=ctx)


@pytest.fixture(scope="session")
async def client(app: Any) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http


@pytest.fixture
def clock(ctx: AppContext) -> Iterator[Clock]:
    """Pin the application clock; restored after the test."""
    pinned = Clock(ctx)
    yield pinned
    ctx.clock = time.time


@pytest.fixture
async def shop(ctx: AppContext, client: httpx.AsyncClient) -> ShopApi:
    return await create_shop(ctx, client)


@pytest.fixture
async def other_shop(ctx: AppContext, client: httpx.AsyncClient) -> ShopApi:
    return await create_shop(ctx, client)


@pytest.fixture(scope="session")
def receiver_process() -> Iterator[tuple[str, int]]:
    """The webhook receiver process of the session (tests/support/receiver.py)."""
    proc, port = start_receiver("127.0.0.1")
    yield "127.0.0.1", port
    stop_receiver(proc)


@pytest.fixture(scope="session")
async def receiver(receiver_process: tuple[str, int]) -> AsyncIterator[Receiver]:
    host, port = receiver_process
    async with Receiver(f"http://{host}:{port}") as running:
        yield running


@pytest.fixture(scope="session")
async def admin(settings: Settings) -> AsyncIterator[AdminApi]:
    """The admin API: a second app with an admin token on the session's database."""
    admin_settings = settings.model_copy(update={"admin_token": ADMIN_TOKEN})
    admin_ctx = AppContext.build(admin_settings, public_url="http://testserver")
    app: Any = create_app(admin_settings, ctx=admin_ctx)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield AdminApi(admin_ctx, http)
    await admin_ctx.db.dispose()


@pytest.fixture(scope="session")
def fresh_databases(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FreshDatabases]:
    databases = FreshDatabases(configured_url(), tmp_path_factory.mktemp("fresh"))
    yield databases
    databases.close()


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    """The working directory of a test's commands: where the key file and .env are."""
    path = tmp_path / "work"
    path.mkdir()
    return path


@pytest.fixture
def cli(workdir: Path, tmp_path: Path, fresh_databases: FreshDatabases) -> Cli:
    """Operator commands in a fresh working directory, on a fresh migrated database."""
    return Cli(cwd=workdir, database_url=fresh_databases.migrated(tmp_path))


@pytest.fixture
def session_cli(workdir: Path, settings: Settings) -> Cli:
    """Operator commands on the session's database, with its key: for the tests whose command
    acts on a shop, platform or delivery the session's app then serves."""
    return Cli(
        cwd=workdir,
        database_url=settings.database_url,
        extra_env={"SHOPREVIEWS_SECRET_KEY": TEST_SECRET_KEY},
    )


@pytest.fixture
def cli_on_empty_database(workdir: Path, tmp_path: Path, fresh_databases: FreshDatabases) -> Cli:
    """Operator commands on a database no migration has run on yet."""
    return Cli(cwd=workdir, database_url=fresh_databases.empty(tmp_path))


@pytest.fixture
def offline_cli(tmp_path: Path) -> Cli:
    """For commands that never open the database (sign)."""
    return Cli(cwd=tmp_path, database_url=sqlite_url(tmp_path / "unused.db"))


@pytest.fixture
def console(workdir: Path, tmp_path: Path, fresh_databases: FreshDatabases) -> ConsoleScript:
    """The installed console script, each command in a subprocess, on a fresh migrated
    database."""
    return ConsoleScript(cwd=workdir, database_url=fresh_databases.migrated(tmp_path))
