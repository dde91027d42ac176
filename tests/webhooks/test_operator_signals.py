"""What an operator sees of webhook deliveries (docs/operations.md): one warning per failed
attempt naming the subscription, shop, event, attempt, what went wrong and when the next
attempt is (or that it was the last); the outcome counters; the queue's backlog gauges."""

from __future__ import annotations

import io
import json
import logging
import socket
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from shopreviews.kit.context import AppContext
from shopreviews.kit.logging import build_formatter
from shopreviews.settings import Settings
from shopreviews.webhooks import delivery
from tests.support.api import Clock, ok
from tests.support.metrics import Scrape, scrape
from tests.support.reviews import create as create_review
from tests.support.webhooks import (
    ClockedShop,
    Receiver,
    cancel_pending_deliveries,
    deliveries,
    run_once,
    stored_events,
    subscribe,
)

OUTCOMES = "shopreviews_webhook_delivery_outcomes_total"
DISABLED = "shopreviews_webhook_subscriptions_disabled_total"
QUEUE = {"queue": "webhook_deliveries"}


@pytest.fixture
def webhook_log() -> Iterator[io.StringIO]:
    """What the webhooks logger writes, as JSON lines."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(build_formatter(Settings(log_format="json")))
    logger = logging.getLogger("shopreviews.webhooks")
    logger.addHandler(handler)
    try:
        yield stream
    finally:
        logger.removeHandler(handler)


def _records(stream: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def _failures(stream: io.StringIO) -> list[dict[str, Any]]:
    return [r for r in _records(stream) if r["event"].startswith("webhook delivery ")]


def rfc3339(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _outcomes(scraped: Scrape) -> dict[str, float]:
    return {o: scraped.value(OUTCOMES, outcome=o) for o in ("delivered", "retry", "dead")}


def _delta(after: Scrape, before: Scrape) -> dict[str, float]:
    return {k: v - _outcomes(before)[k] for k, v in _outcomes(after).items()}


async def test_a_failed_attempt_is_one_warning_that_says_when_the_next_one_is(
    ctx: AppContext,
    client: httpx.AsyncClient,
    shop: ClockedShop,
    receiver: Receiver,
    clock: Clock,
    webhook_log: io.StringIO,
) -> None:
    start = int(time.time())
    clock.set(start)
    hook = await subscribe(shop, receiver)
    await receiver.script(hook["path"], [[503, {}], [201, {}]])
    await create_review(shop)
    before = await scrape(client)
    await run_once(ctx)
    failed = await scrape(client)
    clock.set(start + 180)
    await run_once(ctx)
    after = await scrape(client)

    (row,) = await deliveries(ctx, shop.shop_id)
    (event,) = await stored_events(ctx, shop.shop_id)
    (record,) = _failures(webhook_log)  # the success logs nothing
    assert record["level"] == "warning" and record["logger"] == "shopreviews.webhooks"
    assert record["event"] == (
        f"webhook delivery {row.id} (subscription {hook['id']}, shop {shop.shop_id}, "
        f"review/created event {event.event_id}) failed on attempt 1: HTTP 503; "
        f"next attempt at {rfc3339(start + 180)}"
    )
    assert {k: record[k] for k in ("subscription_id", "shop_id", "topic", "event_id")} == {
        "subscription_id": int(hook["id"]),
        "shop_id": shop.shop_id,
        "topic": "review/created",
        "event_id": event.event_id,
    }
    assert (record["attempt"], record["status_code"], record["error"]) == (1, 503, "HTTP 503")
    assert (record["next_attempt_at"], record["last_attempt"]) == (rfc3339(start + 180), False)
    assert "platform" not in record  # a subscription's delivery, not a system webhook

    assert _delta(failed, before) == {"delivered": 0, "retry": 1, "dead": 0}
    assert _delta(after, before) == {"delivered": 1, "retry": 1, "dead": 0}


async def test_the_last_attempt_says_so_and_why_the_subscription_was_disabled(
    ctx: AppContext,
    client: httpx.AsyncClient,
    shop: ClockedShop,
    receiver: Receiver,
    webhook_log: io.StringIO,
) -> None:
    hook = await subscribe(shop, receiver)
    await receiver.script(hook["path"], [[410, {}]])
    await create_review(shop)
    before = await scrape(client)
    await run_once(ctx)
    after = await scrape(client)

    (record,) = _failures(webhook_log)
    assert record["event"].endswith(
        "failed on attempt 1: HTTP 410; it was the last attempt "
        "(subscription disabled: the receiver answered 410 Gone)"
    )
    assert record["last_attempt"] is True and "next_attempt_at" not in record
    # The subscription's own line, beside it.
    assert any(
        r["event"] == f"webhook {hook['id']} of shop {shop.shop_id} disabled: gone"
        for r in _records(webhook_log)
    )
    assert _delta(after, before) == {"delivered": 0, "retry": 0, "dead": 1}
    assert after.value(DISABLED, reason="gone") - before.value(DISABLED, reason="gone") == 1
    assert after.value(DISABLED, reason="failing") == before.value(DISABLED, reason="failing")


async def test_a_refused_connection_is_named(
    ctx: AppContext, shop: ClockedShop, webhook_log: io.StringIO
) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"http://127.0.0.1:{port}/nobody"
    ok(await shop.post("create_shop_webhook", {"topic": "review/created", "url": url}))
    await create_review(shop)
    await run_once(ctx)
    (record,) = _failures(webhook_log)
    assert record["error"].startswith("ConnectError") and "status_code" not in record
    assert "failed on attempt 1: ConnectError" in record["event"]


async def test_a_timeout_is_named(
    ctx: AppContext,
    shop: ClockedShop,
    receiver: Receiver,
    webhook_log: io.StringIO,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(delivery, "TOTAL_TIMEOUT", 0.5)  # not 15 s of the test's time
    hook = await subscribe(shop, receiver)
    await receiver.slow(hook["path"], 2)
    await create_review(shop)
    await run_once(ctx)
    (record,) = _failures(webhook_log)
    assert record["error"].startswith("timed out after")


async def test_a_target_the_ssrf_guard_blocks_is_named(
    ctx: AppContext,
    strict: tuple[AppContext, httpx.AsyncClient],
    shop: ClockedShop,
    receiver: Receiver,
    webhook_log: io.StringIO,
) -> None:
    """Registered while private targets were allowed; a worker that refuses them says why."""
    strict_ctx, _ = strict
    path = receiver.new_path()
    port = receiver.base.rsplit(":", 1)[1]
    url = f"https://127.0.0.1:{port}{path}"
    ok(await shop.post("create_shop_webhook", {"topic": "review/created", "url": url}))
    await create_review(shop)
    await run_once(strict_ctx)
    (record,) = _failures(webhook_log)
    assert record["error"].startswith(
        "url refused: url host 127.0.0.1 resolves to 127.0.0.1, which is not a public address"
    )
    assert await receiver.log(path) == []


async def test_the_backlog_gauges_read_the_queue_at_scrape_time(
    ctx: AppContext,
    client: httpx.AsyncClient,
    shop: ClockedShop,
    receiver: Receiver,
    clock: Clock,
) -> None:
    await cancel_pending_deliveries(ctx)  # whatever another test file of this worker left
    start = int(time.time())
    clock.set(start)
    failing = await subscribe(shop, receiver)
    await subscribe(shop, receiver)
    await receiver.script(failing["path"], [[500, {}]])
    empty = await scrape(client)
    assert [
        empty.value(f"shopreviews_queue_{name}", **QUEUE)
        for name in ("pending_jobs", "due_jobs", "oldest_due_age_seconds")
    ] == [0, 0, 0]

    await create_review(shop)  # one delivery per subscription, due at once
    clock.set(start + 90)
    waiting = await scrape(client)
    assert waiting.value("shopreviews_queue_pending_jobs", **QUEUE) == 2
    assert waiting.value("shopreviews_queue_due_jobs", **QUEUE) == 2
    assert waiting.value("shopreviews_queue_oldest_due_age_seconds", **QUEUE) == 90

    await run_once(ctx)  # one delivered; the other fails and waits 3 minutes for its retry
    retrying = await scrape(client)
    assert retrying.value("shopreviews_queue_pending_jobs", **QUEUE) == 1
    assert retrying.value("shopreviews_queue_due_jobs", **QUEUE) == 0
    assert retrying.value("shopreviews_queue_oldest_due_age_seconds", **QUEUE) == 0

    clock.set(start + 90 + 180 + 45)
    late = await scrape(client)
    assert late.value("shopreviews_queue_due_jobs", **QUEUE) == 1
    assert late.value("shopreviews_queue_oldest_due_age_seconds", **QUEUE) == 45
