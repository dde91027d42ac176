"""SMTP failures (docs/intake.md §3.1): "try later" answers and connection failures are retried
after 1, 5, 30, 120 and 360 minutes; a permanent refusal (5xx) or the sixth failure ends the
request (status 6). Each test's SMTP server is a process of its own."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from shopreviews.kit.context import AppContext
from tests.emails.helpers import (
    DAY,
    Clock,
    Customer,
    EmailShop,
    SmtpServer,
    address,
    fulfilled_order,
    iso,
    message_id,
    requests,
    run_worker,
)
from tests.support.programs import free_port


def _at(ts: float) -> datetime:
    return datetime.fromtimestamp(ts, UTC)


async def _due_order(shop: EmailShop, clock: Clock, customer: Customer) -> str:
    answer = await fulfilled_order(
        shop, customer, created=clock.now - 8 * DAY, fulfilled=clock.now - 7 * DAY
    )
    assert answer["status"] == 2
    order_id: str = answer["order_id"]
    return order_id


async def test_a_temporary_refusal_is_retried_until_the_server_accepts(
    shop: EmailShop,
    clock: Clock,
    start_smtp: Callable[..., SmtpServer],
    ctx_for: Callable[[int], AppContext],
) -> None:
    refusing = start_smtp("refusing", refuse=["greylisted:451"])
    ctx = ctx_for(refusing.port)
    customer, other = Customer(address("greylisted")), Customer(address("welcome"))
    order_id = await _due_order(shop, clock, customer)
    other_id = await _due_order(shop, clock, other)

    first_try = clock.now
    await run_worker(ctx)
    assert refusing.messages(customer.email) == []
    assert len(refusing.messages(other.email)) == 1  # one refusal does not hold the others
    row = (await requests(ctx, shop.shop_id))[order_id]
    assert (row.status, row.attempts, row.send_started_at, row.lease_owner) == (
        "pending",
        1,
        None,
        None,
    )
    assert row.run_at == _at(first_try) + timedelta(minutes=1)
    assert "451" in row.last_error and "greylisted" in row.last_error
    order = await shop.order(order_id)
    assert (order["status"], order["sent_at"]) == (2, "")

    # Not before the minute is over.
    clock.advance(59)
    await run_worker(ctx)
    assert (await requests(ctx, shop.shop_id))[order_id].attempts == 1

    # The relay accepts the address now (the same host and port, restarted without the rule).
    refusing.stop()
    accepting = start_smtp("accepting", port=refusing.port)
    clock.advance(1)
    await run_worker(ctx)
    [message] = accepting.messages(customer.email)
    row = (await requests(ctx, shop.shop_id))[order_id]
    assert (row.status, row.attempts, row.last_error) == ("succeeded", 2, "")
    assert message_id(message) == row.message_id
    order = await shop.order(order_id)
    assert (order["status"], order["sent_at"]) == (3, iso(clock.now))
    assert accepting.messages(other.email) == []  # not sent twice
    assert (await shop.order(other_id))["status"] == 3


async def test_a_permanent_refusal_ends_the_request(
    shop: EmailShop,
    clock: Clock,
    start_smtp: Callable[..., SmtpServer],
    ctx_for: Callable[[int], AppContext],
) -> None:
    refusing = start_smtp("refusing", refuse=["nosuchuser:550"])
    ctx = ctx_for(refusing.port)
    customer = Customer(address("nosuchuser"))
    order_id = await _due_order(shop, clock, customer)
    await run_worker(ctx)
    row = (await requests(ctx, shop.shop_id))[order_id]
    assert (row.status, row.attempts, row.order_status, row.cancel_reason) == (
        "dead",
        1,
        6,
        "send_failed",
    )
    assert "550" in row.last_error and row.send_started_at is None
    order = await shop.order(order_id)
    assert (order["status"], order["sent_at"]) == (6, "")

    # Never retried.
    for _ in range(3):
        clock.advance(DAY)
        assert await run_worker(ctx) == 0
    assert (await requests(ctx, shop.shop_id))[order_id].attempts == 1
    assert refusing.files() == []


async def test_the_sixth_failure_ends_the_request(
    shop: EmailShop, clock: Clock, ctx_for: Callable[[int], AppContext]
) -> None:
    """No server listens on the port: every attempt is a connection failure ("try later")."""
    ctx = ctx_for(free_port())
    order_id = await _due_order(shop, clock, Customer(address()))
    waits = [1, 5, 30, 120, 360]  # minutes before attempts 2..6
    for attempt in range(1, 7):
        attempted_at = clock.now
        assert await run_worker(ctx) == 1
        row = (await requests(ctx, shop.shop_id))[order_id]
        assert row.attempts == attempt
        assert row.send_started_at is None and row.lease_owner is None
        assert row.last_error
        if attempt < 6:
            assert row.status == "pending" and row.order_status == 2
            assert row.run_at == _at(attempted_at) + timedelta(minutes=waits[attempt - 1])
            clock.advance(waits[attempt - 1] * 60 - 1)
            assert await run_worker(ctx) == 0  # not a second early
            clock.advance(1)
    assert (row.status, row.order_status, row.cancel_reason) == ("dead", 6, "send_failed")
    clock.advance(DAY)
    assert await run_worker(ctx) == 0
