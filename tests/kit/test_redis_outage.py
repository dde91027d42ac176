"""A Redis outage costs the rate limits' precision, never the service (docs/operations.md).

A real redis-server process, started by the test on a free port and stopped mid-test. Two apps
on the test database with that Redis stand for two API processes: with Redis they share every
count; without it each counts on its own, and requests keep being answered.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import shutil
import socket
import subprocess
import time
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest

from shopreviews.settings import Settings
from tests.support.api import ShopApi, error, ok
from tests.support.limited_app import LimitedApp
from tests.support.merchants import create_user, login, new_email

FAILURES = 3  # wrong passwords allowed per account and address in 15 minutes
WRONG = "wrong horse battery staple"


class SignInApp(LimitedApp):
    async def login(self, address: str, email: str, password: str) -> httpx.Response:
        return await login(self.at(address), email=email, password=password)


def assert_wrong_password(response: httpx.Response) -> None:
    assert error(response, 16, 401)["message"] == "unauthenticated: wrong email or password"


def assert_rate_limited(response: httpx.Response) -> None:
    assert error(response, 8, 429)["message"].startswith("rate limit exceeded; retry after ")


class RedisServer:
    """redis-server on a loopback port of its own, keeping nothing on disk."""

    def __init__(self) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            pytest.skip("redis-server is not installed (apt-get install redis-server)")
        self.binary = binary
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = sock.getsockname()[1]
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [
                *(self.binary, "--port", str(self.port), "--bind", "127.0.0.1"),
                *("--save", "", "--appendonly", "no"),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2) as sock:
                    sock.sendall(b"PING\r\n")
                    if sock.recv(16).startswith(b"+PONG"):
                        return
            except OSError:
                time.sleep(0.05)
        raise AssertionError("redis-server did not start")

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(10)
            self.proc = None

    def stored_keys(self) -> list[str]:
        with socket.create_connection(("127.0.0.1", self.port), timeout=2) as sock:
            sock.sendall(b"KEYS *\r\n")
            reply = sock.recv(65536).decode()
        return [line for line in reply.split("\r\n") if line and line[0] not in "*$"]


@pytest.fixture
def redis() -> Iterator[RedisServer]:
    server = RedisServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
async def processes(settings: Settings, redis: RedisServer) -> AsyncIterator[list[SignInApp]]:
    apps = [
        SignInApp(settings, redis_url=redis.url, signin_failures_per_15min=FAILURES)
        for _ in range(2)
    ]
    yield apps
    for app in apps:
        await app.close()


async def wrong_passwords(app: SignInApp, email: str, count: int) -> None:
    for _ in range(count):
        assert_wrong_password(await app.login("203.0.113.7", email, WRONG))


async def until(what: str, condition: object) -> None:
    deadline = time.monotonic() + 30
    while not condition():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting for {what}")
        await asyncio.sleep(0.05)


async def test_limits_fall_back_per_process_and_come_back_shared(
    ctx: object,
    shop: ShopApi,
    redis: RedisServer,
    processes: list[SignInApp],
    caplog: pytest.LogCaptureFixture,
) -> None:
    first, second = processes
    caplog.set_level(logging.WARNING, logger="shopreviews.ratelimit")

    # Redis up: the two processes share the count of one account's failures.
    email = new_email()
    await create_user(ctx, shop.shop_id, email)  # type: ignore[arg-type]
    await wrong_passwords(first, email, 2)
    await wrong_passwords(second, email, 1)
    assert_rate_limited(await first.login("203.0.113.7", email, WRONG))
    assert any(key.startswith("LIMITS:") for key in redis.stored_keys())

    redis.stop()
    # Signed API requests keep answering, on either process, many times over.
    for app in processes:
        api = dataclasses.replace(shop, client=app.at("198.51.100.1"))
        for _ in range(5):
            assert ok(await api.get("get_reviews", {"page": 1, "page_size": 1}))["list"] == []
    # Sign-in failures are still limited, now per process: each allows its own FAILURES.
    outage_email = new_email()
    await create_user(ctx, shop.shop_id, outage_email)  # type: ignore[arg-type]
    for app in processes:
        await wrong_passwords(app, outage_email, FAILURES)
        assert_rate_limited(await app.login("203.0.113.7", outage_email, WRONG))
    for app in processes:
        counters = app.ctx.limiter.counters
        assert not counters.redis_reachable
        assert counters.fallback_decisions > 10
    # The process still says it is ready, and why its limits are per process now.
    ready = await first.at("10.0.0.9").get("/readyz")
    assert ready.status_code == 200, ready.text
    assert ready.json()["checks"]["redis"]["status"] == "failing"
    assert ready.json()["checks"]["database"]["status"] == "ok"
    scraped = (await first.at("10.0.0.9").get("/metrics")).text
    assert "\nshopreviews_redis_up 0.0\n" in scraped
    assert _fallbacks(scraped) >= first.ctx.limiter.counters.fallback_decisions
    # One warning per process for the loss, not one per request.
    lost = [r for r in caplog.records if "Redis is unreachable" in r.getMessage()]
    assert len(lost) == 2, [r.getMessage() for r in lost]

    redis.start()
    for app in processes:
        await until("Redis back", lambda app=app: app.ctx.limiter.counters.redis_reachable)
    back = [r for r in caplog.records if "Redis answers again" in r.getMessage()]
    assert len(back) == 2
    ready = await first.at("10.0.0.9").get("/readyz")
    assert ready.json()["checks"]["redis"] == {"status": "ok", "detail": "answered"}
    assert "\nshopreviews_redis_up 1.0\n" in (await first.at("10.0.0.9").get("/metrics")).text
    # Shared again: failures at both processes add up to one count.
    after_email = new_email()
    await create_user(ctx, shop.shop_id, after_email)  # type: ignore[arg-type]
    await wrong_passwords(first, after_email, 1)
    await wrong_passwords(second, after_email, 2)
    assert_rate_limited(await first.login("203.0.113.7", after_email, WRONG))
    # Nothing else was logged about Redis on the way.
    assert len([r for r in caplog.records if r.name == "shopreviews.ratelimit"]) == 4


def _fallbacks(scraped: str) -> float:
    (line,) = [
        line
        for line in scraped.splitlines()
        if line.startswith("shopreviews_ratelimit_fallback_decisions_total ")
    ]
    return float(line.split()[1])
