"""At most once (docs/intake.md §3.1): a real `shopreviews worker` process killed with SIGKILL
while it sends through a slow SMTP server, then a fresh worker once the 5-minute leases have run
out. No customer gets two emails; a request interrupted mid-send is recorded as sent and never
sent again; everything else is sent exactly once. And an order cancelled while its email is on
the wire."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from shopreviews.kit.context import AppContext
from shopreviews.settings import Settings
from tests.emails.helpers import (
    DAY,
    LEASE_SECONDS,
    Clock,
    Customer,
    EmailShop,
    SmtpServer,
    address,
    forms,
    fulfilled_order,
    iso,
    links_of,
    message_id,
    path_of,
    requests,
    run_worker,
    shopify_order,
)
from tests.support.api import TEST_SECRET_KEY

ORDERS = 12  # more than a worker's 10 slots: some are still unclaimed at the kill


@pytest.fixture
def worker_process(
    settings: Settings, tmp_path: Path
) -> Iterator[Callable[[int], subprocess.Popen[bytes]]]:
    """Starts `shopreviews worker` on the test database, sending through 127.0.0.1:<port>."""
    started: list[subprocess.Popen[bytes]] = []
    log = (tmp_path / "worker.log").open("ab")

    def start(port: int) -> subprocess.Popen[bytes]:
        env = {
            **os.environ,
            "SHOPREVIEWS_DATABASE_URL": settings.database_url,
            "SHOPREVIEWS_SECRET_KEY": TEST_SECRET_KEY,
            "SHOPREVIEWS_PUBLIC_URL": "http://testserver",
            "SHOPREVIEWS_SMTP_HOST": "127.0.0.1",
            "SHOPREVIEWS_SMTP_PORT": str(port),
            "SHOPREVIEWS_SMTP_SECURITY": "none",
            "SHOPREVIEWS_SMTP_FROM": "ShopReviews <reviews@shopreviews.test>",
            "SHOPREVIEWS_LOG_LEVEL": "WARNING",
        }
        proc = subprocess.Popen(
            [sys.executable, "-m", "shopreviews.cli", "worker"],
            cwd=tmp_path,  # no .env, no key file of the checkout
            env=env,
            stdout=log,
            stderr=log,
        )
        started.append(proc)
        return proc

    yield start
    for proc in started:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    log.close()


async def _wait_for(what: str, check: Callable[[], bool], seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting for {what}")
        await asyncio.sleep(0.02)


async def test_a_killed_worker_process_never_sends_twice(
    email_ctx: AppContext,
    shop: EmailShop,
    clock: Clock,
    start_smtp: Callable[..., SmtpServer],
    ctx_for: Callable[[int], AppContext],
    worker_process: Callable[[int], subprocess.Popen[bytes]],
) -> None:
    slow = start_smtp("slow", delay=0.4)  # takes one message at a time, 0.4 s each
    customers = [Customer(address(f"restart{n}")) for n in range(ORDERS)]
    # The worker process runs on real time: fulfilled in the real past, so the requests are due.
    clock.set(time.time())
    for customer in customers:
        answer = await fulfilled_order(
            shop, customer, created=clock.now - 9 * DAY, fulfilled=clock.now - 8 * DAY
        )
        assert answer["status"] == 2
    emails = {c.email for c in customers}

    doomed = worker_process(slow.port)
    await _wait_for("the first email", lambda: len(slow.messages(emails)) >= 1)
    doomed.send_signal(signal.SIGKILL)
    doomed.wait()

    at_kill = await requests(email_ctx, shop.shop_id)
    assert len(at_kill) == ORDERS
    in_flight = {
        order_id
        for order_id, row in at_kill.items()
        if row.status == "pending" and row.send_started_at is not None
    }
    assert in_flight, "the kill interrupted no send"
    assert len(slow.messages(emails)) < ORDERS

    # A fresh worker, once the dead worker's leases have run out.
    clock.set(time.time() + LEASE_SECONDS + 1)
    await run_worker(ctx_for(slow.port))

    rows = await requests(email_ctx, shop.shop_id)
    messages = slow.messages(emails)
    by_id = Counter(message_id(m) for m in messages)
    interrupted = {o for o, row in rows.items() if "interrupted" in row.last_error}
    lost = set()
    for order_id, row in rows.items():
        assert (row.status, row.order_status, row.lease_owner) == ("succeeded", 3, None)
        if order_id in interrupted:
            # Started by the dead worker and never finished: recorded as sent, not resent.
            assert row.send_started_at == at_kill[order_id].send_started_at
            assert row.attempts == at_kill[order_id].attempts == 1
            assert by_id[row.message_id] <= 1  # it may have reached the server before the kill
            if by_id[row.message_id] == 0:
                lost.add(order_id)
        else:
            assert by_id[row.message_id] == 1, order_id
            assert row.last_error == ""
    assert interrupted == in_flight  # exactly the sends the kill cut short
    assert set(by_id) <= {row.message_id for row in rows.values()}  # no stray message
    for customer in customers:
        assert len(slow.messages(customer.email)) <= 1
    assert len(messages) == ORDERS - len(lost)
    assert ORDERS - len(interrupted) <= len(messages) <= ORDERS

    orders = await shop.orders()
    for order_id, row in rows.items():
        assert orders[order_id]["status"] == 3
        assert orders[order_id]["sent_at"] != ""
        if order_id in interrupted:
            assert row.send_started_at is not None
            assert orders[order_id]["sent_at"] == iso(row.send_started_at.timestamp())

    # Nothing is left to do, and nothing more is ever sent.
    clock.advance(DAY)
    assert await run_worker(ctx_for(slow.port)) == 0
    assert len(slow.messages(emails)) == len(messages)


async def test_an_order_cancelled_while_its_email_is_sent(
    email_client: httpx.AsyncClient,
    shop: EmailShop,
    clock: Clock,
    start_smtp: Callable[..., SmtpServer],
    ctx_for: Callable[[int], AppContext],
) -> None:
    """orders/cancelled arrives during the SMTP conversation: the email still goes out once,
    and the order says so (Cancelled, with the time it was sent)."""
    slow = start_smtp("slow", delay=1.0)
    ctx = ctx_for(slow.port)
    customer = Customer(address())
    answer = await fulfilled_order(
        shop, customer, created=clock.now - 8 * DAY, fulfilled=clock.now - 7 * DAY
    )
    order_id = answer["order_id"]
    sending = asyncio.create_task(run_worker(ctx))

    async def started() -> bool:
        return (await requests(ctx, shop.shop_id))[order_id].send_started_at is not None

    deadline = time.monotonic() + 30
    while not await started():
        assert time.monotonic() < deadline and not sending.done()
        await asyncio.sleep(0.02)
    order = shopify_order(order_id, customer, created=clock.now - 8 * DAY)
    order["cancelled_at"] = iso(clock.now)
    cancelled = await shop.order_webhook("orders/cancelled", order)
    assert cancelled.json()["data"] == {"order_id": order_id, "status": 6}
    await sending

    [message] = slow.messages(customer.email)
    row = (await requests(ctx, shop.shop_id))[order_id]
    assert (row.status, row.attempts, row.order_status) == ("succeeded", 1, 6)
    listed = await shop.order(order_id)
    assert (listed["status"], listed["sent_at"]) == (6, iso(clock.now))

    # The customer may still review it; the order stays Cancelled (5 only from 2, 3 or 4).
    review = path_of(links_of(message).review)
    [form] = forms((await email_client.get(review)).text)
    posted = await email_client.post(review, data={**form["fields"], "rating": "4"})
    assert posted.status_code == 303
    [stored] = await shop.reviews()
    assert (stored["order_id"], stored["source"]) == (order_id, "Email request")
    assert (await shop.order(order_id))["status"] == 6
    clock.advance(DAY)
    await run_worker(ctx)
    assert len(slow.messages(customer.email)) == 1
