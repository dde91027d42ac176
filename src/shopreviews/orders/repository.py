"""Every query on orders and review requests; always by shop."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, case, delete, func, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from shopreviews.kit.jobs import JobStatus
from shopreviews.orders.models import Order, ReviewRequest, ShopifyDelivery


@dataclass(frozen=True)
class OrderFilter:
    status: int | None = None
    sent_from: datetime | None = None
    sent_to: datetime | None = None
    created_from: datetime | None = None
    created_to: datetime | None = None
    ascending: bool = False


async def request_with_order(
    session: AsyncSession, request_id: int, *, for_update: bool = False
) -> tuple[ReviewRequest, Order] | None:
    """A review request and its order by request id. The one lookup not filtered by shop: it
    serves the worker and the signed links of emails, whose id tells the shop.

    `for_update` locks the order row, then the request row: the order intake locks in the same
    order (the order, then its request), so the two never deadlock on PostgreSQL."""
    if for_update:
        order_pk = select(ReviewRequest.order_pk).where(ReviewRequest.id == request_id)
        order = (
            await session.execute(
                select(Order).where(Order.id == order_pk.scalar_subquery()).with_for_update()
            )
        ).scalar_one_or_none()
        request = (
            await session.execute(
                select(ReviewRequest).where(ReviewRequest.id == request_id).with_for_update()
            )
        ).scalar_one_or_none()
        return None if order is None or request is None else (request, order)
    query = (
        select(ReviewRequest, Order)
        .join(Order, Order.id == ReviewRequest.order_pk)
        .where(ReviewRequest.id == request_id)
    )
    row = (await session.execute(query)).first()
    return None if row is None else (row[0], row[1])


class OrderRepository:
    def __init__(self, session: AsyncSession, shop_id: str) -> None:
        self.session = session
        self.shop_id = shop_id

    async def get(self, order_id: str, *, for_update: bool = False) -> Order | None:
        query = select(Order).where(Order.shop_id == self.shop_id, Order.order_id == order_id)
        if for_update:
            query = query.with_for_update()
        return (await self.session.execute(query)).scalar_one_or_none()

    async def get_by_pk(self, pk: int, *, for_update: bool = False) -> Order | None:
        query = select(Order).where(Order.shop_id == self.shop_id, Order.id == pk)
        if for_update:
            query = query.with_for_update()
        return (await self.session.execute(query)).scalar_one_or_none()

    async def add(self, order: Order) -> Order:
        self.session.add(order)
        await self.session.flush()
        return order

    def _conditions(self, flt: OrderFilter) -> list[ColumnElement[bool]]:
        conditions: list[ColumnElement[bool]] = [Order.shop_id == self.shop_id]
        if flt.status is not None:
            conditions.append(Order.status == flt.status)
        if flt.sent_from is not None or flt.sent_to is not None:
            conditions.append(Order.sent_at.is_not(None))
        if flt.sent_from is not None:
            conditions.append(Order.sent_at >= flt.sent_from)
        if flt.sent_to is not None:
            conditions.append(Order.sent_at <= flt.sent_to)
        if flt.created_from is not None:
            conditions.append(Order.created_at >= flt.created_from)
        if flt.created_to is not None:
            conditions.append(Order.created_at <= flt.created_to)
        return conditions

    async def count(self, flt: OrderFilter) -> int:
        query = select(func.count(Order.id)).where(*self._conditions(flt))
        return int((await self.session.execute(query)).scalar_one())

    async def page(self, flt: OrderFilter, *, offset: int, limit: int) -> Sequence[Order]:
        order_by = (
            (Order.created_at.asc(), Order.id.asc())
            if flt.ascending
            else (Order.created_at.desc(), Order.id.desc())
        )
        query = (
            select(Order)
            .where(*self._conditions(flt))
            .order_by(*order_by)
            .offset(offset)
            .limit(limit)
        )
        return (await self.session.execute(query)).scalars().all()

    async def products_bought_by(self, email: str) -> list[list[dict[str, object]]]:
        """The product lists of the live (not cancelled) orders placed with this address,
        compared without case."""
        query = select(Order.products).where(
            Order.shop_id == self.shop_id,
            func.lower(Order.customer_email) == email.lower(),
            Order.cancelled_at.is_(None),
        )
        return [list(p or []) for p in (await self.session.execute(query)).scalars()]

    # Review requests ----------------------------------------------------------------------

    async def request_of(self, order_pk: int, *, for_update: bool = False) -> ReviewRequest | None:
        query = select(ReviewRequest).where(
            ReviewRequest.shop_id == self.shop_id, ReviewRequest.order_pk == order_pk
        )
        if for_update:
            query = query.with_for_update()
        return (await self.session.execute(query)).scalar_one_or_none()

    async def add_request(self, request: ReviewRequest) -> None:
        self.session.add(request)
        await self.session.flush()

    async def waiting_requests(self) -> Sequence[tuple[ReviewRequest, Order]]:
        """Pending requests no worker holds right now, with their orders (for re-planning)."""
        query = (
            select(ReviewRequest, Order)
            .join(Order, Order.id == ReviewRequest.order_pk)
            .where(
                ReviewRequest.shop_id == self.shop_id,
                ReviewRequest.status == JobStatus.PENDING,
                ReviewRequest.lease_owner.is_(None),
                ReviewRequest.send_started_at.is_(None),
            )
            .with_for_update()
        )
        return [(r, o) for r, o in (await self.session.execute(query)).all()]

    async def request_funnel(self, start: datetime, end: datetime) -> tuple[int, int, int, int]:
        """Of the orders whose review request went out in [start, end) (ix_orders_shop_sent):
        how many there are, how many emails were opened (a click proves an opening even when
        the pixel was blocked), clicked, and led to a review (Evaluated), whenever that was."""
        opened = or_(ReviewRequest.opened_at.is_not(None), ReviewRequest.clicked_at.is_not(None))
        query = (
            select(
                func.count(Order.id),
                func.count(case((opened, 1))),
                func.count(ReviewRequest.clicked_at),
                func.count(Order.evaluated_at),
            )
            .select_from(Order)
            .outerjoin(ReviewRequest, ReviewRequest.order_pk == Order.id)
            .where(Order.shop_id == self.shop_id, Order.sent_at >= start, Order.sent_at < end)
        )
        sent, opened_n, clicked, reviewed = (await self.session.execute(query)).one()
        return int(sent), int(opened_n), int(clicked), int(reviewed)


class DeliveryRepository:
    """The Shopify delivery ids a shop's intake has acted on."""

    def __init__(self, session: AsyncSession, shop_id: str) -> None:
        self.session = session
        self.shop_id = shop_id

    async def get(self, webhook_id: str) -> ShopifyDelivery | None:
        query = select(ShopifyDelivery).where(
            ShopifyDelivery.shop_id == self.shop_id, ShopifyDelivery.webhook_id == webhook_id
        )
        return (await self.session.execute(query)).scalar_one_or_none()

    async def add(self, webhook_id: str, *, topic: str, order_id: str, now: datetime) -> bool:
        """Record the id; False when it is already recorded. ON CONFLICT DO NOTHING: on
        PostgreSQL the same id inserted by a transaction still open waits for its end, and is
        then taken (committed) or free (rolled back), with no error to recover from."""
        dialect = self.session.get_bind().dialect.name
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        statement = (
            insert(ShopifyDelivery)
            .values(
                shop_id=self.shop_id,
                webhook_id=webhook_id,
                topic=topic,
                order_id=order_id,
                received_at=now,
            )
            .on_conflict_do_nothing(index_elements=["shop_id", "webhook_id"])
        )
        result = await self.session.execute(statement)
        return bool(getattr(result, "rowcount", 0))

    async def purge(self, *, received_before: datetime) -> None:
        await self.session.execute(
            delete(ShopifyDelivery).where(
                ShopifyDelivery.shop_id == self.shop_id,
                ShopifyDelivery.received_at < received_before,
            )
        )
