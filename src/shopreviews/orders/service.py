"""Order intake and the review-request lifecycle (docs/intake.md §2.3), and get_orders."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from shopreviews.auth.caller import Caller
from shopreviews.customers import service as customers
from shopreviews.kit import signals
from shopreviews.kit.email_address import Unsendable, recipient
from shopreviews.kit.jobs import JobStatus
from shopreviews.kit.pagination import PageRequest, fetch_page
from shopreviews.kit.timefmt import rfc3339
from shopreviews.kit.unit_of_work import jobs_queued
from shopreviews.orders.models import Order as Order
from shopreviews.orders.models import OrderStatus as OrderStatus
from shopreviews.orders.models import ReviewRequest as ReviewRequest
from shopreviews.orders.repository import DeliveryRepository, OrderFilter, OrderRepository
from shopreviews.orders.repository import request_with_order as request_with_order
from shopreviews.orders.schemas import OrderOut, OrderPage
from shopreviews.shops import service as shops
from shopreviews.shops.service import Shop

# Orders fulfilled longer ago than the delay plus this are never asked about (an import of
# old history, a very late webhook): their customers would not expect an email any more.
STALE_AFTER = timedelta(days=30)
# Shopify retries an unacknowledged delivery 8 times over 4 hours (over 48 hours before
# September 2024); its id is kept well beyond.
DELIVERY_IDS_KEPT = timedelta(days=7)


@dataclass(frozen=True)
class OrderFacts:
    """One order as the shop reported it, whatever the channel (Shopify webhook, import)."""

    order_id: str
    created_at: datetime
    order_name: str = ""
    customer_id: str = ""
    customer_email: str = ""
    first_name: str = ""
    last_name: str = ""
    phone: str = ""
    customer_name: str = ""
    products: list[dict[str, Any]] = field(default_factory=list)
    fulfilled_at: datetime | None = None
    cancelled_at: datetime | None = None


def to_out(order: Order) -> OrderOut:
    return OrderOut(
        order_id=order.order_id,
        order_name=order.order_name,
        customer_id=order.customer_id,
        customer_email=order.customer_email,
        customer_name=order.customer_name,
        status=order.status,
        scheduled_at=rfc3339(order.scheduled_at),
        sent_at=rfc3339(order.sent_at),
        created_at=rfc3339(order.created_at),
    )


async def list_orders(
    session: AsyncSession, caller: Caller, flt: OrderFilter, page: PageRequest
) -> OrderPage:
    repo = OrderRepository(session, caller.shop_id)
    pagination, rows = await fetch_page(
        page, repo.count(flt), lambda offset, limit: repo.page(flt, offset=offset, limit=limit)
    )
    return OrderPage(page=pagination, list=[to_out(o) for o in rows])


@dataclass(frozen=True)
class OrderProductsSeen(signals.Signal):
    """An order named these products: (product_id, title, handle, sku) each, "" when unknown.
    The catalogue fills what it does not know yet (docs/storefront.md)."""

    shop_id: str
    products: tuple[tuple[str, str, str, str], ...]


async def receive(session: AsyncSession, shop: Shop, facts: OrderFacts, *, now: datetime) -> Order:
    """Create or update the order, then apply what happened to it (fulfilled, cancelled)."""
    repo = OrderRepository(session, shop.shop_id)
    order = await _upsert(repo, facts, now=now)
    if facts.products:
        seen = tuple(
            (
                str(p["product_id"]),
                str(p.get("title") or ""),
                str(p.get("handle") or ""),
                str(p.get("sku") or ""),
            )
            for p in facts.products
        )
        await signals.send(session, OrderProductsSeen(shop.shop_id, seen))
    if facts.customer_id:
        await _remember_customer(session, shop.shop_id, facts, now=now)
    if facts.fulfilled_at is not None and order.fulfilled_at is None and facts.cancelled_at:
        order.fulfilled_at = facts.fulfilled_at  # fulfilled, then cancelled (e.g. refunded)
    if facts.cancelled_at is not None:
        await cancel(repo, order, "cancelled", now=now, at=facts.cancelled_at)
    elif facts.fulfilled_at is not None and order.fulfilled_at is None:
        order.fulfilled_at = facts.fulfilled_at
        order.updated_at = now
        await plan(session, shop, order, now=now)
    await session.flush()
    return order


async def earlier_delivery(
    session: AsyncSession, shop: Shop, webhook_id: str, *, topic: str, order_id: str, now: datetime
) -> Order | None:
    """The order an earlier delivery with this X-Shopify-Webhook-Id was about, or None when
    the id is new: it is then recorded, in the transaction that acts on the delivery (so a
    refused delivery leaves no id behind), and ids older than DELIVERY_IDS_KEPT are purged."""
    deliveries = DeliveryRepository(session, shop.shop_id)
    if await deliveries.add(webhook_id, topic=topic, order_id=order_id, now=now):
        await deliveries.purge(received_before=now - DELIVERY_IDS_KEPT)
        return None
    known = await deliveries.get(webhook_id)
    # Taken a statement ago: only the purge of week-old ids could have removed it since, and
    # Shopify's retries end within hours.
    assert known is not None
    order = await OrderRepository(session, shop.shop_id).get(known.order_id)
    # Recorded in the transaction that stored the order; only deleting the shop removes
    # orders, and that removes its delivery ids as well.
    assert order is not None
    return order


async def _upsert(repo: OrderRepository, facts: OrderFacts, *, now: datetime) -> Order:
    order = await repo.get(facts.order_id, for_update=True)
    if order is None:
        try:
            # A savepoint: two deliveries of one new order racing on PostgreSQL; the loser
            # re-reads the winner's row instead of failing.
            async with repo.session.begin_nested():
                order = await repo.add(
                    Order(
                        shop_id=repo.shop_id,
                        order_id=facts.order_id,
                        created_at=facts.created_at,
                        status=OrderStatus.WAITING,
                        recorded_at=now,
                        updated_at=now,
                    )
                )
        except IntegrityError:
            order = await repo.get(facts.order_id, for_update=True)
            assert order is not None
    # Descriptive fields follow the latest report; empty values never erase known ones. A
    # report that changes nothing (a retried webhook, a re-imported file) writes nothing.
    changes: dict[str, Any] = {
        name: getattr(facts, name)
        for name in ("order_name", "customer_id", "customer_email", "customer_name", "products")
        if getattr(facts, name)
    }
    changes["created_at"] = facts.created_at
    changed = False
    for name, value in changes.items():
        if getattr(order, name) != value:
            setattr(order, name, value)
            changed = True
    if changed:
        order.updated_at = now
    return order


async def _remember_customer(
    session: AsyncSession, shop_id: str, facts: OrderFacts, *, now: datetime
) -> None:
    await customers.remember(
        session,
        shop_id,
        facts.customer_id,
        email=facts.customer_email,
        first_name=facts.first_name,
        last_name=facts.last_name,
        phone=facts.phone,
        now=now,
    )


async def plan(session: AsyncSession, shop: Shop, order: Order, *, now: datetime) -> None:
    """A fulfilled, waiting order gets its review request, or is cancelled with the reason."""
    if order.status != OrderStatus.WAITING or order.fulfilled_at is None:
        return
    delay = timedelta(days=shop.review_request_delay_days)
    reason = await stop_reason(session, shop.shop_id, order)
    if reason is None and order.fulfilled_at + delay + STALE_AFTER < now:
        reason = "too_old"
    repo = OrderRepository(session, shop.shop_id)
    if reason is not None:
        await cancel(repo, order, reason, now=now)
        return
    run_at = max(order.fulfilled_at + delay, now)
    order.status = OrderStatus.SCHEDULED
    order.scheduled_at = run_at
    order.updated_at = now
    await repo.add_request(ReviewRequest(shop_id=shop.shop_id, order_pk=order.id, run_at=run_at))
    jobs_queued(session)


async def stop_reason(session: AsyncSession, shop_id: str, order: Order) -> str | None:
    """Why this order's customer must not get a review request, or None."""
    if not order.customer_email:
        return "no_email"
    try:
        recipient(order.customer_email, order.customer_name)
    except Unsendable:
        return "bad_email"  # accepted at intake, but no email can carry it as it is
    if await customers.is_excluded(session, shop_id, order.customer_id, order.customer_email):
        return "excluded"
    if await customers.is_unsubscribed(session, shop_id, order.customer_email, "review_request"):
        return "unsubscribed"
    return None


async def mark_request_sent(session: AsyncSession, shop_id: str, order: Order) -> None:
    """Record the order's review request as already sent (the demo's older orders)."""
    request = await OrderRepository(session, shop_id).request_of(order.id)
    if request is not None:
        request.status = JobStatus.SUCCEEDED
    order.sent_at = order.scheduled_at


async def cancel_request(
    session: AsyncSession, shop_id: str, order: Order, reason: str, *, now: datetime
) -> None:
    """`cancel` for a caller outside orders (the review-request job)."""
    await cancel(OrderRepository(session, shop_id), order, reason, now=now)


async def cancel(
    repo: OrderRepository,
    order: Order,
    reason: str,
    *,
    now: datetime,
    at: datetime | None = None,
) -> None:
    """Status 6 and no pending request. An Evaluated order keeps its status (the review
    exists); a Sent or Opened one only becomes 6 when the order itself was cancelled."""
    if reason == "cancelled" and order.cancelled_at is None:
        order.cancelled_at = at or now
        order.updated_at = now
    if order.status in (OrderStatus.EVALUATED, OrderStatus.CANCELLED):
        return
    if order.status in (OrderStatus.SENT, OrderStatus.OPENED) and reason != "cancelled":
        return  # the email is out; a later exclusion or unsubscribe changes nothing
    # A cancelled order is final unless Evaluated (docs/intake.md §2.1, §2.3), also after its
    # email went out: sent_at stays, so the send is still visible to get_orders.
    order.status = OrderStatus.CANCELLED
    order.cancel_reason = reason
    order.updated_at = now
    request = await repo.request_of(order.id, for_update=True)
    if request is not None and request.status == JobStatus.PENDING:
        request.status = JobStatus.CANCELLED
        request.lease_owner = None
        request.lease_until = None
        request.last_error = f"cancelled: {reason}"


async def replan(session: AsyncSession, shop: Shop, *, now: datetime) -> int:
    """After a delay change: move every request not yet being sent to fulfilment + the new
    delay (not before now). Returns how many moved."""
    delay = timedelta(days=shop.review_request_delay_days)
    moved = 0
    for request, order in await OrderRepository(session, shop.shop_id).waiting_requests():
        if order.fulfilled_at is None:
            continue
        run_at = max(order.fulfilled_at + delay, now)
        if run_at != request.run_at:
            request.run_at = run_at
            order.scheduled_at = run_at
            order.updated_at = now
            moved += 1
    await session.flush()
    if moved:
        jobs_queued(session)
    return moved


async def on_review_delay_changed(session: AsyncSession, change: shops.ReviewDelayChanged) -> None:
    """Receiver (wiring.py): a shop's new delay re-plans its waiting review requests."""
    shop = await shops.find(session, change.shop_id)
    assert shop is not None  # sent in the transaction that changed the shop
    await replan(session, shop, now=change.now)


async def bought(session: AsyncSession, shop_id: str, email: str, product_id: str) -> bool:
    """Whether `email` has a (not cancelled) order of the shop containing `product_id`; for the
    store ("0"), any such order (web reviews, docs/storefront.md)."""
    if not email:
        return False
    orders = await OrderRepository(session, shop_id).products_bought_by(email)
    if product_id == "0":
        return bool(orders)
    return any(str(p.get("product_id")) == product_id for products in orders for p in products)


@dataclass(frozen=True)
class RequestFunnel:
    """The review requests sent in a period and what became of them (docs/back-office.md)."""

    sent: int
    opened: int
    clicked: int
    reviewed: int


async def request_funnel(
    session: AsyncSession, shop_id: str, start: datetime, end: datetime
) -> RequestFunnel:
    """The requests sent in [start, end): opened, clicked and reviewed whenever that was."""
    sent, opened, clicked, reviewed = await OrderRepository(session, shop_id).request_funnel(
        start, end
    )
    return RequestFunnel(sent=sent, opened=opened, clicked=clicked, reviewed=reviewed)
