"""Shopify order webhooks: what each topic does to the order, its review request and the
shop's customer record (docs/intake.md §2.1, §2.3)."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import httpx
import pytest

from shopreviews.customers.models import CustomerExclusion, EmailUnsubscribe
from shopreviews.kit.context import AppContext
from shopreviews.kit.jobs import JobStatus
from shopreviews.orders.models import OrderStatus
from tests.orders.helpers import (
    CUSTOMER_ID,
    DELAY,
    NOW,
    ORDER_FIELDS,
    ORDER_ID,
    at,
    counts,
    customer_rows,
    deliver,
    order_row,
    request_rows,
    set_order,
    set_requests,
    shopify_order,
    signed_get,
    update_shop,
)
from tests.support.api import Clock, ShopApi, ok

# Two fulfilments, the later one listed first: the latest counts, not the last listed.
FULFILMENTS = ["2026-06-09T06:30:00-04:00", "2026-06-08T09:00:00+02:00"]
FULFILLED_AT = at("2026-06-09T10:30:00Z")
SCHEDULED_AT = FULFILLED_AT + DELAY


async def create(client: httpx.AsyncClient, shop: ShopApi, **fields: Any) -> Any:
    return ok(await deliver(client, shop, "orders/create", shopify_order(**fields)))


async def fulfil(client: httpx.AsyncClient, shop: ShopApi, **fields: Any) -> Any:
    fields.setdefault("fulfilled_at", FULFILMENTS)
    return ok(await deliver(client, shop, "orders/fulfilled", shopify_order(**fields)))


async def cancel(client: httpx.AsyncClient, shop: ShopApi, **fields: Any) -> Any:
    fields.setdefault("cancelled_at", "2026-06-10T07:00:00-04:00")
    return ok(await deliver(client, shop, "orders/cancelled", shopify_order(**fields)))


async def listed(shop: ShopApi) -> list[dict[str, Any]]:
    data = ok(await signed_get(shop, ts=NOW))
    assert all(set(item) == ORDER_FIELDS for item in data["list"]), data
    return list(data["list"])


# --- orders/create -----------------------------------------------------------------------


async def test_create_stores_a_waiting_order(
    ctx: AppContext, client: httpx.AsyncClient, shopify_shop: ShopApi
) -> None:
    data = await create(client, shopify_shop)
    assert data == {"order_id": str(ORDER_ID), "status": 1}

    order = await order_row(ctx, shopify_shop)
    assert order.status == OrderStatus.WAITING
    assert order.order_name == "#1001"
    assert order.customer_id == str(CUSTOMER_ID)
    assert order.customer_email == "jane.doe@example.com"  # lower-cased
    assert order.customer_name == "Jane Doe"
    assert order.created_at == at("2026-06-01T14:22:10Z")  # the offset applied
    # Distinct products in order; the line item without a product is skipped.
    assert order.products == [
        {"product_id": "9200305176832", "title": "Linen shirt", "handle": ""},
        {"product_id": "9200305176833", "title": "Wool socks", "handle": ""},
    ]
    assert order.fulfilled_at is None and order.scheduled_at is None
    assert order.sent_at is None and order.cancelled_at is None
    assert await request_rows(ctx, shopify_shop) == []

    assert await listed(shopify_shop) == [
        {
            "order_id": "5512345678901",
            "order_name": "#1001",
            "customer_id": "7712345678901",
            "customer_email": "jane.doe@example.com",
            "customer_name": "Jane Doe",
            "status": 1,
            "scheduled_at": "",
            "sent_at": "",
            "created_at": "2026-06-01T14:22:10Z",
        }
    ]


async def test_the_customer_record_is_remembered_and_kept_up_to_date(
    ctx: AppContext, client: httpx.AsyncClient, shopify_shop: ShopApi
) -> None:
    await create(client, shopify_shop)
    [customer] = await customer_rows(ctx, shopify_shop)
    assert (
        customer.customer_id,
        customer.email,
        customer.first_name,
        customer.last_name,
        customer.phone,
    ) == ("7712345678901", "jane.doe@example.com", "Jane", "Doe", "+15555550123")

    # A later order of the same customer: new values win, missing ones never erase.
    later = {"id": CUSTOMER_ID, "first_name": None, "last_name": "Doe-Smith", "phone": "+1666"}
    await create(client, shopify_shop, order_id=ORDER_ID + 1, customer=later, email=None)
    [customer] = await customer_rows(ctx, shopify_shop)
    assert (customer.email, customer.first_name, customer.last_name, customer.phone) == (
        "jane.doe@example.com",
        "Jane",
        "Doe-Smith",
        "+1666",
    )


async def test_guest_checkout_has_no_customer_id_and_no_customer_record(
    ctx: AppContext, client: httpx.AsyncClient, shopify_shop: ShopApi
) -> None:
    order = shopify_order(email="guest@example.com", customer=None)
    order["customer"] = None
    ok(await deliver(client, shopify_shop, "orders/create", order))
    row = await order_row(ctx, shopify_shop)
    assert (row.customer_id, row.customer_email, row.customer_name) == (
        "",
        "guest@example.com",
        "",
    )
    assert await customer_rows(ctx, shopify_shop) == []


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        (
            {"email": "Order@Example.com", "contact_email": "contact@example.com"},
            "order@example.com",
        ),
        ({"email": None, "contact_email": " Contact@Example.com "}, "contact@example.com"),
        ({"email": "", "contact_email": None}, "customer@example.com"),
        ({"email": "not an address", "contact_email": None}, ""),
        ({"email": "jane\u0000@example.com", "contact_email": None}, ""),
    ],
)
async def test_email_is_the_first_non_empty_of_the_three_fields(
    ctx: AppContext,
    client: httpx.AsyncClient,
    shopify_shop: ShopApi,
    fields: dict[str, Any],
    expected: str,
) -> None:
    customer = {"id": CUSTOMER_ID, "email": "Customer@Example.com", "first_name": "Jane"}
    order = shopify_order(customer=customer)
    order.update(fields)
    ok(await deliver(client, shopify_shop, "orders/create", order))
    assert (await order_row(ctx, shopify_shop)).customer_email == expected


@pytest.mark.parametrize(
    ("fields", "expected"),
    [({"name": None}, "#1001"), ({"name": None, "order_number": None}, ""), ({}, "#1001")],
)
async def test_order_name_falls_back_to_the_order_number(
    ctx: AppContext,
    client: httpx.AsyncClient,
    shopify_shop: ShopApi,
    fields: dict[str, Any],
    expected: str,
) -> None:
    await create(client, shopify_shop, **fields)
    assert (await order_row(ctx, shopify_shop)).order_name == expected


async def test_id_as_a_digit_string_and_domain_in_any_case(
    ctx: AppContext, client: httpx.AsyncClient, shopify_shop: ShopApi
) -> None:
    response = await deliver(
        client,
        shopify_shop,
        "orders/create",
        shopify_order(order_id=f" {ORDER_ID} "),
        headers={"X-Shopify-Shop-Domain": shopify_shop.myshopify_domain.upper()},
    )
    assert ok(response) == {"order_id": str(ORDER_ID), "status": 1}
    await create(client, shopify_shop)  # the integer form is the same order
    assert len(await listed(shopify_shop)) == 1


async def test_text_no_database_can_store_is_dropped_not_refused(
    ctx: AppContext, client: httpx.AsyncClient, shopify_shop: ShopApi
) -> None:
    # Valid JSON that PostgreSQL cannot store (U+0000) or nothing can encode (a lone surrogate).
    body = json.dumps(shopify_order()).replace('"Jane"', '"Ja\\u0000ne"')
    body = body.replace('"#1001"', '"#10\\ud80001"').replace('"Wool socks"', '"Wool\\udfffsocks"')
    response = await deliver(client, shopify_shop, "orders/create", body=body.encode())
    assert ok(response)["status"] == 1
    order = await order_row(ctx, shopify_shop)
    assert (order.order_name, order.customer_name) == ("#1001", "Jane Doe")
    assert order.products[1]["title"] == "Woolsocks"
    [customer] = await customer_rows(ctx, shopify_shop)
    assert customer.first_name == "Jane"


# --- orders/fulfilled ----------------------------------------------------------------------


async def test_fulfilled_schedules_the_request_delay_days_after_the_latest_fulfilment(
    ctx: AppContext, client: httpx.AsyncClient, shopify_shop: ShopApi
) -> None:
    await create(client, shopify_shop)
    assert await fulfil(client, shopify_shop) == {"order_id": str(ORDER_ID), "status": 2}

    order = await order_row(ctx, shopify_shop)
    assert order.status == OrderStatus.SCHEDULED
    assert order.fulfilled_at == FULFILLED_AT
    assert order.scheduled_at == SCHEDULED_AT
    [request] = await request_rows(ctx, shopify_shop)
    assert request.order_pk == order.id
    assert request.run_at == SCHEDULED_AT
    assert request.status == JobStatus.PENDING
    assert (request.attempts, request.lease_owner, request.send_started_at) == (0, None, None)

    [item] = await listed(shopify_shop)
    assert (item["status"], item["scheduled_at"], item["sent_at"]) == (
        2,
        "2026-06-16T10:30:00Z",
        "",
    )


UNTIMED = [{"id": 90, "status": "success"}]  # fulfilments without their own time


@pytest.mark.parametrize(
    ("fields", "fulfilled_at"),
    [
        # No fulfilment time: the order's updated_at.
        (
            {"fulfillments": UNTIMED, "updated_at": "2026-06-09T08:00:00-04:00"},
            "2026-06-09T12:00:00Z",
        ),
        # Neither: now.
        ({"fulfillments": UNTIMED, "updated_at": None}, "2026-06-10T12:00:00Z"),
    ],
)
async def test_fulfilment_time_falls_back_to_updated_at_then_now(
    ctx: AppContext,
    client: httpx.AsyncClient,
    shopify_shop: ShopApi,
    fields: dict[str, Any],
    fulfilled_at: str,
) -> None:
    await fulfil(client, shopify_shop, **fields)
    order = await order_row(ctx, shopify_shop)
    assert order.fulfilled_at == at(fulfilled_at)
    assert order.scheduled_at == at(fulfilled_at) + DELAY


@pytest.mark.parametrize(
    ("delay_days", "fulfilled", "scheduled"),
    [
        (2, "2026-06-09T10:30:00Z", "2026-06-11T10:30:00Z"),
        (0, "2026-06-09T10:30:00Z", "2026-06-10T12:00:00Z"),  # at once: now, not the past
        (7, "2026-06-01T00:00:00Z", "2026-06-10T12:00:00Z"),  # due already: now
    ],
)
async def test_the_shop_delay_applies_and_a_request_is_never_planned_in_the_past(
    ctx: AppContext,
    client: httpx.AsyncClient,
    shopify_shop: ShopApi,
    delay_days: int,
    fulfilled: str,
    scheduled: str,
) -> None:
    await update_shop(ctx, shopify_shop, review_request_delay_days=delay_days)
    assert (await fulfil(client, shopify_shop, fulfilled_at=[fulfilled]))["status"] == 2
    order = await order_row(ctx, shopify_shop)
    [request] = await request_rows(ctx, shopify_shop)
    assert order.scheduled_at == request.run_at == at(scheduled)


async def test_fulfilled_more_than_delay_plus_30_days_ago_is_never_asked_about(
    ctx: AppContext, client: httpx.AsyncClient, shopify_shop: ShopApi
) -> None:
    limit = NOW - DELAY - timedelta(days=30)
    stale = (limit - timedelta(seconds=1)).isoformat()
    assert (await fulfil(client, shopify_shop, fulfilled_at=[stale]))["status"] == 6
    order = await order_row(ctx, shopify_shop)
    assert (order.cancel_reason, order.scheduled_at) == ("too_old", None)
    assert await request_rows(ctx, shopify_shop) == []

    # Exactly at the limit it is still asked about (at once).
    data = await fulfil(
        client, shopify_shop, order_id=ORDER_ID + 1, fulfilled_at=[limit.isoformat()]
    )
    assert data["status"] == 2
    assert (await order_row(ctx, shopify_shop, ORDER_ID + 1)).scheduled_at == NOW


@pytest.mark.parametrize(
    ("email", "customer_email"), [(None, None), ("", ""), ("no-at-sign", None)]
)
async def test_no_usable_email_at_fulfilment_is_cancelled(
    ctx: AppContext,
    client: httpx.AsyncClient,
    shopify_shop: ShopApi,
    email: str | None,
    customer_email: str | None,
) -> None:
    customer = {"id": CUSTOMER_ID, "email": customer_email, "first_name": "Jane"}
    await create(client, shopify_shop, email=email, customer=customer)
    assert (await fulfil(client, shopify_shop, email=email, customer=customer))["status"] == 6
    order = await order_row(ctx, shopify_shop)
    assert (order.customer_email, order.cancel_reason) == ("", "no_email")
    assert await request_rows(ctx, shopify_shop) == []


EMAIL = "jane.doe@example.com"
STOPS: dict[str, tuple[type[CustomerExclusion | EmailUnsubscribe], dict[str, str], str]] = {
    "excluded by customer id": (CustomerExclusion, {"customer_id": str(CUSTOMER_ID)}, "excluded"),
    "excluded by email": (CustomerExclusion, {"email": EMAIL}, "excluded"),
    "unsubscribed from review requests": (
        EmailUnsubscribe,
        {"email": EMAIL, "email_type": "review_request", "origin": "customer"},
        "unsubscribed",
    ),
    "unsubscribed from all": (
        EmailUnsubscribe,
        {"email": EMAIL, "email_type": "all", "origin": "merchant"},
        "unsubscribed",
    ),
}


@pytest.mark.parametrize("case", list(STOPS))
async def test_excluded_or_unsubscribed_customer_gets_no_request(
    ctx: AppContext, client: httpx.AsyncClient, shopify_shop: ShopApi, case: str
) -> None:
    model, values, reason = STOPS[case]
    await create(client, shopify_shop)
    async with ctx.db.session(write=True) as session:  # after the order came in
        session.add(model(shop_id=shopify_shop.shop_id, **values))

    assert (await fulfil(client, shopify_shop))["status"] == 6
    order = await order_row(ctx, shopify_shop)
    assert (order.status, order.cancel_reason, order.scheduled_at) == (6, reason, None)
    assert await request_rows(ctx, shopify_shop) == []


async def test_other_opt_outs_and_other_shops_records_do_not_stop_the_request(
    ctx: AppContext,
    client: httpx.AsyncClient,
    shopify_shop: ShopApi,
    other_shop: ShopApi,
) -> None:
    email = EMAIL
    async with ctx.db.session(write=True) as session:
        session.add_all(
            [
                EmailUnsubscribe(
                    shop_id=shopify_shop.shop_id,
                    email=email,
                    email_type="market_email",
                    origin="customer",
                ),
                EmailUnsubscribe(
                    shop_id=other_shop.shop_id, email=email, email_type="all", origin="customer"
                ),
                CustomerExclusion(
                    shop_id=other_shop.shop_id, customer_id=str(CUSTOMER_ID), email=email
                ),
            ]
        )
    assert (await fulfil(client, shopify_shop))["status"] == 2
    assert len(await request_rows(ctx, shopify_shop)) == 1


# --- replays and out-of-order deliveries ---------------------------------------------------


async def test_replays_are_idempotent(
    ctx: AppContext, client: httpx.AsyncClient, shopify_shop: ShopApi, clock: Clock
) -> None:
    before = await counts(ctx)
    await create(client, shopify_shop)
    await create(client, shopify_shop)
    clock.set((NOW + timedelta(hours=1)).timestamp())
    await fulfil(client, shopify_shop)
    first = await order_row(ctx, shopify_shop)
    assert (first.recorded_at, first.updated_at) == (NOW, NOW + timedelta(hours=1))
    [first_request] = await request_rows(ctx, shopify_shop)

    clock.set((NOW + timedelta(hours=3)).timestamp())  # Shopify retries hours later
    for _ in range(2):
        assert (await fulfil(client, shopify_shop))["status"] == 2
        assert (await create(client, shopify_shop))["status"] == 2

    again = await order_row(ctx, shopify_shop)
    [request] = await request_rows(ctx, shopify_shop)
    assert (request.id, request.run_at) == (first_request.id, SCHEDULED_AT)
    # Nothing changed at all, not even updated_at.
    columns = [c.key for c in again.__table__.columns]
    assert {c: getattr(again, c) for c in columns} == {c: getattr(first, c) for c in columns}
    after = await counts(ctx)
    assert after["orders"] == before["orders"] + 1
    assert after["review_requests"] == before["review_requests"] + 1
    assert after["customers"] == before["customers"] + 1


async def test_fulfilled_before_create_converges(
    ctx: AppContext, client: httpx.AsyncClient, shopify_shop: ShopApi
) -> None:
    assert (await fulfil(client, shopify_shop))["status"] == 2
    assert (await create(client, shopify_shop, name="#1001-late"))["status"] == 2
    order = await order_row(ctx, shopify_shop)
    assert (order.status, order.scheduled_at, order.order_name) == (2, SCHEDULED_AT, "#1001-late")
    [request] = await request_rows(ctx, shopify_shop)
    assert request.status == JobStatus.PENDING


async def test_cancelled_before_create_or_fulfilment_stays_cancelled(
    ctx: AppContext, client: httpx.AsyncClient, shopify_shop: ShopApi
) -> None:
    assert (await cancel(client, shopify_shop))["status"] == 6
    assert (await create(client, shopify_shop))["status"] == 6
    assert (await fulfil(client, shopify_shop))["status"] == 6
    order = await order_row(ctx, shopify_shop)
    assert (order.cancel_reason, order.scheduled_at) == ("cancelled", None)
    assert order.cancelled_at == at("2026-06-10T11:00:00Z")
    assert await request_rows(ctx, shopify_shop) == []


# --- orders/cancelled ----------------------------------------------------------------------


async def test_cancelled_cancels_the_pending_request(
    ctx: AppContext, client: httpx.AsyncClient, shopify_shop: ShopApi
) -> None:
    await create(client, shopify_shop)
    await fulfil(client, shopify_shop)
    assert await cancel(client, shopify_shop) == {"order_id": str(ORDER_ID), "status": 6}

    order = await order_row(ctx, shopify_shop)
    assert (order.status, order.cancel_reason) == (6, "cancelled")
    assert order.cancelled_at == at("2026-06-10T11:00:00Z")
    assert order.scheduled_at == SCHEDULED_AT  # "when the request was planned" stays
    [request] = await request_rows(ctx, shopify_shop)
    assert request.status == JobStatus.CANCELLED
    assert request.last_error == "cancelled: cancelled"

    # A late fulfilment or another cancellation changes nothing.
    assert (await fulfil(client, shopify_shop))["status"] == 6
    assert (await cancel(client, shopify_shop, cancelled_at="2026-06-10T08:00:00Z"))["status"] == 6
    assert (await order_row(ctx, shopify_shop)).cancelled_at == at("2026-06-10T11:00:00Z")
    assert [r.status for r in await request_rows(ctx, shopify_shop)] == [JobStatus.CANCELLED]
    [item] = await listed(shopify_shop)
    assert (item["status"], item["scheduled_at"]) == (6, "2026-06-16T10:30:00Z")


async def test_cancellation_after_evaluated_keeps_5(
    ctx: AppContext, client: httpx.AsyncClient, shopify_shop: ShopApi
) -> None:
    await create(client, shopify_shop)
    await fulfil(client, shopify_shop)
    sent = NOW - timedelta(days=1)
    await set_order(
        ctx, shopify_shop, ORDER_ID, status=OrderStatus.EVALUATED, sent_at=sent, evaluated_at=NOW
    )
    assert (await cancel(client, shopify_shop))["status"] == 5
    order = await order_row(ctx, shopify_shop)
    assert (order.status, order.cancel_reason, order.sent_at) == (5, "", sent)


@pytest.mark.parametrize("status", [OrderStatus.SENT, OrderStatus.OPENED])
async def test_cancellation_after_the_email_went_out_is_final(
    ctx: AppContext, client: httpx.AsyncClient, shopify_shop: ShopApi, status: OrderStatus
) -> None:
    """docs/intake.md §2.1: "a cancellation is final unless the order was already Evaluated"."""
    await create(client, shopify_shop)
    await fulfil(client, shopify_shop)
    sent = NOW - timedelta(hours=1)
    await set_order(ctx, shopify_shop, ORDER_ID, status=status, sent_at=sent)
    await set_requests(ctx, shopify_shop, status=JobStatus.SUCCEEDED)

    assert (await cancel(client, shopify_shop))["status"] == 6
    order = await order_row(ctx, shopify_shop)
    assert (order.status, order.cancel_reason, order.sent_at) == (6, "cancelled", sent)
    [request] = await request_rows(ctx, shopify_shop)
    assert request.status == JobStatus.SUCCEEDED  # the sent email's job is history
    [item] = await listed(shopify_shop)
    assert (item["status"], item["sent_at"]) == (6, "2026-06-10T11:00:00Z")
