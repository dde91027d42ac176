"""The order service below the routes: concurrent deliveries, re-planning after a delay
change, and which stop reasons may still change an order whose email went out."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from shopreviews.kit.context import AppContext
from shopreviews.kit.jobs import JobStatus
from shopreviews.orders import service as order_service
from shopreviews.orders.models import OrderStatus
from shopreviews.orders.repository import OrderRepository
from shopreviews.orders.service import OrderFacts
from shopreviews.shops.repository import ShopRepository
from tests.orders.helpers import (
    DELAY,
    NOW,
    customer_rows,
    order_row,
    request_rows,
    set_order,
    set_requests,
    update_shop,
)
from tests.support.api import ShopApi

FULFILLED = NOW - timedelta(days=1)


def facts(order_id: str, **fields: object) -> OrderFacts:
    values: dict[str, object] = {
        "order_id": order_id,
        "created_at": NOW - timedelta(days=3),
        "customer_id": "c-1",
        "customer_email": "jane@example.com",
        "first_name": "Jane",
        **fields,
    }
    return OrderFacts(**values)  # type: ignore[arg-type]


async def receive(ctx: AppContext, shop: ShopApi, report: OrderFacts) -> int:
    async with ctx.db.session(write=True) as session:
        record = await ShopRepository(session).get(shop.shop_id)
        assert record is not None
        order = await order_service.receive(session, record, report, now=NOW)
        return order.status


async def test_concurrent_deliveries_converge(ctx: AppContext, shop: ShopApi) -> None:
    """On PostgreSQL these race for the same new order and the same new customer record;
    every delivery succeeds and one row of each is left."""
    statuses = await asyncio.gather(
        receive(ctx, shop, facts("o-1")),
        receive(ctx, shop, facts("o-1", fulfilled_at=FULFILLED)),
        receive(ctx, shop, facts("o-2", phone="+1555")),
        receive(ctx, shop, facts("o-3", last_name="Doe")),
    )
    assert sorted(statuses)[-1] == OrderStatus.SCHEDULED
    order = await order_row(ctx, shop, "o-1")
    assert (order.status, order.scheduled_at) == (OrderStatus.SCHEDULED, FULFILLED + DELAY)
    assert len(await request_rows(ctx, shop)) == 1
    [customer] = await customer_rows(ctx, shop)
    assert (customer.customer_id, customer.first_name, customer.last_name, customer.phone) == (
        "c-1",
        "Jane",
        "Doe",
        "+1555",
    )


async def test_replan_moves_only_requests_not_yet_being_sent(
    ctx: AppContext, shop: ShopApi
) -> None:
    for order_id in ("waiting", "leased", "sending", "sent"):
        await receive(ctx, shop, facts(order_id, fulfilled_at=FULFILLED))
    requests = {r.order_pk: r for r in await request_rows(ctx, shop)}
    pks = {o: (await order_row(ctx, shop, o)).id for o in ("leased", "sending", "sent")}
    async with ctx.db.session(write=True) as session:
        for pk, values in (
            (pks["leased"], {"lease_owner": "worker-1", "lease_until": NOW}),
            (pks["sending"], {"send_started_at": NOW}),
            (pks["sent"], {"status": JobStatus.SUCCEEDED}),
        ):
            request = await session.merge(requests[pk])
            for name, value in values.items():
                setattr(request, name, value)

    await update_shop(ctx, shop, review_request_delay_days=3)
    later = NOW + timedelta(hours=1)
    async with ctx.db.session(write=True) as session:
        record = await ShopRepository(session).get(shop.shop_id)
        assert record is not None
        assert await order_service.replan(session, record, now=later) == 1
        # Again with nothing to change: nothing moves.
        assert await order_service.replan(session, record, now=later) == 0

    moved = await order_row(ctx, shop, "waiting")
    assert moved.scheduled_at == FULFILLED + timedelta(days=3)
    runs = {r.order_pk: r.run_at for r in await request_rows(ctx, shop)}
    assert runs[moved.id] == moved.scheduled_at
    for pk in pks.values():
        assert runs[pk] == FULFILLED + DELAY

    # A delay of 0 days: at once, never in the past.
    await update_shop(ctx, shop, review_request_delay_days=0)
    async with ctx.db.session(write=True) as session:
        record = await ShopRepository(session).get(shop.shop_id)
        assert record is not None
        assert await order_service.replan(session, record, now=later) == 1
    assert (await order_row(ctx, shop, "waiting")).scheduled_at == later


async def test_only_a_cancelled_order_changes_an_order_whose_email_went_out(
    ctx: AppContext, shop: ShopApi
) -> None:
    await receive(ctx, shop, facts("o-1", fulfilled_at=FULFILLED))
    await set_order(ctx, shop, "o-1", status=OrderStatus.SENT, sent_at=NOW)
    await set_requests(ctx, shop, status=JobStatus.SUCCEEDED)
    for reason in ("excluded", "unsubscribed", "no_email"):
        async with ctx.db.session(write=True) as session:
            repo = OrderRepository(session, shop.shop_id)
            order = await repo.get("o-1", for_update=True)
            assert order is not None
            await order_service.cancel(repo, order, reason, now=NOW)
        assert (await order_row(ctx, shop, "o-1")).status == OrderStatus.SENT

    await receive(ctx, shop, facts("o-1", cancelled_at=NOW))
    order = await order_row(ctx, shop, "o-1")
    assert (order.status, order.cancel_reason, order.sent_at) == (6, "cancelled", NOW)
    [request] = await request_rows(ctx, shop)
    assert request.status == JobStatus.SUCCEEDED
