"""Webhook deliveries as the tests see them: the receiver process (tests/support/receiver.py)
and its control API, shops that sign at the app clock, subscribing, running the worker, reading
the delivery tables, and independent signature checks (written here from the spec, not imported
from the code under test)."""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import json
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, fields
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import Any

import httpx
from sqlalchemy import select, update

from shopreviews.events import service as events
from shopreviews.kit.context import AppContext
from shopreviews.kit.jobs import JobStatus
from shopreviews.kit.outbox import DomainEvent
from shopreviews.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookSubscription
from shopreviews.worker import running_worker
from tests.support import signer
from tests.support.api import ShopApi, create_shop, ok

REPO = Path(__file__).resolve().parents[2]

# Every header of spec webhooks.md "Delivery headers", lower-cased as the receiver logs them.
HEADERS = {
    "content-type",
    "user-agent",
    "open-trustoo-webhook-public-token",
    "open-trustoo-webhook-timestamp",
    "open-trustoo-webhook-sign",
    "open-trustoo-webhook-requestid",
    "open-trustoo-webhook-topic",
    "webhook-id",
    "webhook-timestamp",
    "webhook-signature",
}


@dataclass
class Received:
    """One request the receiver got."""

    headers: dict[str, str]
    body: bytes
    received_at: float
    response_bytes_written: int | None

    @property
    def payload(self) -> dict[str, Any]:
        value: dict[str, Any] = json.loads(self.body)
        return value


def start_receiver(host: str) -> tuple[subprocess.Popen[str], int]:
    """A receiver process listening on `host` (a loopback address) and its port."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.support.receiver", "--host", host],
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


def stop_receiver(proc: subprocess.Popen[str]) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    if proc.stdout is not None:
        proc.stdout.close()


class Receiver:
    """Control of a running tests.support.receiver process."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.http = httpx.AsyncClient(base_url=base, trust_env=False, timeout=30)

    async def __aenter__(self) -> Receiver:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.http.aclose()

    @staticmethod
    def new_path() -> str:
        return "/" + uuid.uuid4().hex

    def url(self, path: str) -> str:
        return self.base + path

    async def script(self, path: str, responses: list[list[Any]]) -> None:
        response = await self.http.post("/_script", json={"path": path, "responses": responses})
        assert response.status_code == 200

    async def slow(self, path: str, seconds: float) -> None:
        response = await self.http.post("/_slow", json={"path": path, "seconds": seconds})
        assert response.status_code == 200

    async def log(self, path: str) -> list[Received]:
        response = await self.http.get("/_log", params={"path": path})
        assert response.status_code == 200
        return [
            Received(
                headers=entry["headers"],
                body=base64.b64decode(entry["body_b64"]),
                received_at=entry["received_at"],
                response_bytes_written=entry["response_bytes_written"],
            )
            for entry in response.json()
        ]


@dataclass
class ClockedShop(ShopApi):
    """A ShopApi that signs with the app clock, so calls work however far a test moved it."""

    ctx: AppContext | None = None

    @classmethod
    def of(cls, base: ShopApi, ctx: AppContext) -> ClockedShop:
        values = {f.name: getattr(base, f.name) for f in fields(ShopApi)}
        return cls(**values, ctx=ctx)

    def on(self, client: httpx.AsyncClient, ctx: AppContext) -> ClockedShop:
        """The same shop calling another app (e.g. one with other settings)."""
        values = {f.name: getattr(self, f.name) for f in fields(ShopApi)}
        return ClockedShop(**{**values, "client": client}, ctx=ctx)

    def headers(
        self, pairs: list[tuple[str, str]], body: bytes = b"", ts: str | None = None
    ) -> dict[str, str]:
        assert self.ctx is not None
        return super().headers(pairs, body, ts or str(self.ctx.now()))

    async def send(
        self,
        method: str,
        name: str,
        body: Any = None,
        params: list[tuple[str, str]] | None = None,
    ) -> httpx.Response:
        """Any method, with an optional JSON body and query, signed over both."""
        pairs = list(params or [])
        data = json.dumps(body).encode() if body is not None else b""
        query = signer.encode_query(pairs)
        headers = self.headers(pairs, data)
        if data:
            headers["Content-Type"] = "application/json"
        return await self.client.request(
            method,
            f"/api/v1/openapi/{name}" + (f"?{query}" if query else ""),
            content=data or None,
            headers=headers,
        )


async def clocked_shop(ctx: AppContext, client: httpx.AsyncClient) -> ClockedShop:
    """A new shop of the session's app that signs with the app clock."""
    return ClockedShop.of(await create_shop(ctx, client), ctx)


async def subscribe(
    shop: ShopApi, receiver: Receiver, topic: str = "review/created", path: str | None = None
) -> dict[str, Any]:
    """create_shop_webhook at a fresh receiver path; the data gains "path"."""
    path = path or receiver.new_path()
    data: dict[str, Any] = ok(
        await shop.post("create_shop_webhook", {"topic": topic, "url": receiver.url(path)})
    )
    return {**data, "path": path}


async def cancel_pending_deliveries(ctx: AppContext) -> None:
    """Cancel every pending delivery: each test drives the one shared queue itself, so what a
    test leaves pending must not be claimed (and counted) by the next test's worker."""
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


async def run_once(ctx: AppContext) -> int:
    """One pass of a fresh worker (claims what is due at the app clock)."""
    async with running_worker(ctx) as worker:
        return await worker.run_once()


async def run_until_idle(ctx: AppContext) -> int:
    """Worker passes until nothing is due at the app clock; returns how many jobs ran."""
    total = 0
    async with running_worker(ctx) as worker:
        for _ in range(1000):
            ran = await worker.run_once()
            if not ran:
                return total
            total += ran
    raise AssertionError("the worker never went idle")


@dataclass
class DeliveryRow:
    id: int
    subscription_id: int
    event_id: str
    topic: str
    status: str
    attempts: int
    run_at: datetime
    first_attempt_at: datetime | None
    lease_owner: str | None
    last_error: str


async def deliveries(ctx: AppContext, shop_id: str) -> list[DeliveryRow]:
    """The shop's delivery rows, oldest first (read directly, to see what the API hides)."""
    async with ctx.db.session(write=False) as session:
        rows = await session.execute(
            select(WebhookDelivery, DomainEvent)
            .join(DomainEvent, DomainEvent.id == WebhookDelivery.event_pk)
            .where(WebhookDelivery.shop_id == shop_id)
            .order_by(WebhookDelivery.id)
        )
        return [
            DeliveryRow(
                id=d.id,
                subscription_id=d.subscription_id,
                event_id=e.event_id,
                topic=e.topic,
                status=d.status,
                attempts=d.attempts,
                run_at=d.run_at,
                first_attempt_at=d.first_attempt_at,
                lease_owner=d.lease_owner,
                last_error=d.last_error,
            )
            for d, e in rows.all()
        ]


async def attempt_rows(ctx: AppContext, delivery_id: int) -> list[tuple[int, int | None, bool]]:
    """(attempt, status_code, succeeded) of one delivery, in attempt order."""
    async with ctx.db.session(write=False) as session:
        rows = await session.execute(
            select(WebhookAttempt.attempt, WebhookAttempt.status_code, WebhookAttempt.succeeded)
            .where(WebhookAttempt.delivery_id == delivery_id)
            .order_by(WebhookAttempt.id)
        )
        return [(a, c, bool(s)) for a, c, s in rows.all()]


@dataclass
class EventRow:
    event_id: str
    topic: str
    sequence: int
    body: str


async def stored_events(ctx: AppContext, shop_id: str) -> list[EventRow]:
    async with ctx.db.session(write=False) as session:
        rows = await session.execute(
            select(DomainEvent.event_id, DomainEvent.topic, DomainEvent.sequence, DomainEvent.body)
            .where(DomainEvent.shop_id == shop_id)
            .order_by(DomainEvent.id)
        )
        return [EventRow(*row) for row in rows.all()]


async def subscription_state(ctx: AppContext, subscription_id: int) -> tuple[str, str]:
    async with ctx.db.session(write=False) as session:
        sub = await session.get(WebhookSubscription, subscription_id)
        assert sub is not None
        return sub.status, sub.disabled_reason


def trustoo_signature(private_token: str, timestamp: str, body: bytes) -> str:
    """Open-Trustoo-Webhook-Sign from the spec: hex HMAC-SHA256 of 'timestamp=<ts>|<body>'."""
    message = b"timestamp=" + timestamp.encode() + b"|" + body
    return hmac.new(private_token.encode(), message, hashlib.sha256).hexdigest()


def standard_signature(secret: str, webhook_id: str, timestamp: str, body: bytes) -> str:
    """One Standard Webhooks signature from the spec: v1,<base64 HMAC-SHA256>."""
    key = base64.b64decode(secret.removeprefix("whsec_"))
    message = f"{webhook_id}.{timestamp}.".encode() + body
    return "v1," + base64.b64encode(hmac.new(key, message, hashlib.sha256).digest()).decode()


def check_headers(
    received: Received, shop: ClockedShop, secret: str, *, timestamp: int | None = None
) -> None:
    """Every header of the spec, both signatures checked independently of the code."""
    headers, body = received.headers, received.body
    missing = HEADERS - set(headers)
    assert not missing, sorted(missing)
    payload = received.payload
    assert headers["content-type"] == "application/json"
    assert headers["user-agent"] == "ShopReviews-Webhooks/1"
    assert headers["open-trustoo-webhook-public-token"] == shop.public_token
    stamp = headers["open-trustoo-webhook-timestamp"]
    assert stamp.isdigit() and headers["webhook-timestamp"] == stamp
    if timestamp is not None:
        assert stamp == str(timestamp)
    assert headers["open-trustoo-webhook-requestid"] == payload["event_id"]
    assert headers["webhook-id"] == payload["event_id"]
    assert headers["open-trustoo-webhook-topic"] == payload["topic"]
    assert headers["open-trustoo-webhook-sign"] == trustoo_signature(
        shop.private_token, stamp, body
    )
    assert headers["webhook-signature"] == standard_signature(
        secret, payload["event_id"], stamp, body
    )


@contextlib.asynccontextmanager
async def loopback_receiver() -> AsyncIterator[Receiver]:
    """A receiver process of its own on a free loopback port (so a destination of its own)."""
    proc, port = start_receiver("127.0.0.1")
    try:
        async with Receiver(f"http://127.0.0.1:{port}") as running:
            yield running
    finally:
        stop_receiver(proc)


async def record_events(ctx: AppContext, shop_id: str, count: int) -> None:
    """`count` review/created events, fanned out to the shop's subscriptions, in one commit
    (at the app clock, in whole seconds as the API records them: due at once)."""
    now = ctx.now_datetime()
    async with ctx.db.session(write=True) as session:
        for n in range(count):
            item = {**events.sample_item("review/created", now), "id": str(n + 1)}
            await events.record(session, shop_id, "review/created", item, now=now)
