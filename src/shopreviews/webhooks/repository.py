"""Every query on webhook subscriptions, deliveries and attempts; always by shop and owner."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Select, delete, func, insert, literal, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from shopreviews.kit.jobs import Backlog, JobStatus, backlog
from shopreviews.kit.models import UTCDateTime
from shopreviews.kit.outbox import DomainEvent
from shopreviews.webhooks.models import (
    SHOP_OWNER,
    WebhookAttempt,
    WebhookDelivery,
    WebhookSubscription,
)


class SubscriptionRepository:
    """Subscriptions of one owner: a shop (owner_client_id "") or a platform within a shop."""

    def __init__(self, session: AsyncSession, shop_id: str, owner_client_id: str) -> None:
        self.session = session
        self.shop_id = shop_id
        self.owner = owner_client_id

    def _mine(self) -> Select[WebhookSubscription]:
        return select(WebhookSubscription).where(
            WebhookSubscription.shop_id == self.shop_id,
            WebhookSubscription.owner_client_id == self.owner,
        )

    async def list(self, topic: str | None = None) -> Sequence[WebhookSubscription]:
        query = self._mine().order_by(WebhookSubscription.id)
        if topic is not None:
            query = query.where(WebhookSubscription.topic == topic)
        return (await self.session.execute(query)).scalars().all()

    async def get(self, subscription_id: int) -> WebhookSubscription | None:
        query = self._mine().where(WebhookSubscription.id == subscription_id)
        return (await self.session.execute(query)).scalar_one_or_none()

    async def find(self, topic: str, url_sha256: str) -> WebhookSubscription | None:
        query = self._mine().where(
            WebhookSubscription.topic == topic, WebhookSubscription.url_sha256 == url_sha256
        )
        return (await self.session.execute(query)).scalar_one_or_none()

    async def count(self) -> int:
        query = select(func.count(WebhookSubscription.id)).where(
            WebhookSubscription.shop_id == self.shop_id,
            WebhookSubscription.owner_client_id == self.owner,
        )
        return int((await self.session.execute(query)).scalar_one())

    async def add(self, subscription: WebhookSubscription) -> WebhookSubscription:
        self.session.add(subscription)
        await self.session.flush()
        return subscription

    async def delete(self, subscription: WebhookSubscription) -> None:
        await self.session.delete(subscription)
        await self.session.flush()

    async def delete_all(self) -> None:
        """Every subscription of this owner in the shop (their deliveries cascade)."""
        await self.session.execute(
            delete(WebhookSubscription)
            .where(
                WebhookSubscription.shop_id == self.shop_id,
                WebhookSubscription.owner_client_id == self.owner,
            )
            .execution_options(synchronize_session=False)
        )
        await self.session.flush()


async def platform_owned(session: AsyncSession, shop_id: str) -> Sequence[WebhookSubscription]:
    """Every subscription the shop's platforms made for it (their apps manage them), by
    platform then id."""
    query = (
        select(WebhookSubscription)
        .where(
            WebhookSubscription.shop_id == shop_id,
            WebhookSubscription.owner_client_id != SHOP_OWNER,
        )
        .order_by(WebhookSubscription.owner_client_id, WebhookSubscription.id)
    )
    return (await session.execute(query)).scalars().all()


async def delivery_targets(
    session: AsyncSession, delivery_ids: Sequence[int]
) -> dict[int, tuple[str | None, str | None]]:
    """Each delivery's subscription URL (None for a system webhook or a removed subscription)
    and, for a system webhook, its platform's client_id. Across shops: for the worker's claim."""
    rows = await session.execute(
        select(WebhookDelivery.id, WebhookSubscription.url, WebhookDelivery.system_client_id)
        .outerjoin(WebhookSubscription, WebhookSubscription.id == WebhookDelivery.subscription_id)
        .where(WebhookDelivery.id.in_(delivery_ids))
    )
    return {delivery_id: (url, client_id) for delivery_id, url, client_id in rows}


async def delivery_backlog(session: AsyncSession, now: datetime) -> Backlog:
    """The deliveries waiting to go out, across shops: for the operator's metrics."""
    return await backlog(session, WebhookDelivery, now)


async def delivery_by_id(session: AsyncSession, delivery_id: int) -> WebhookDelivery | None:
    """A delivery by id, whatever its shop: the worker's job id tells the shop."""
    return await session.get(WebhookDelivery, delivery_id)


async def delivery_statuses(session: AsyncSession, delivery_ids: Sequence[int]) -> dict[int, str]:
    """The status of each delivery named that exists, whatever its shop (the operator's)."""
    rows = await session.execute(
        select(WebhookDelivery.id, WebhookDelivery.status).where(
            WebhookDelivery.id.in_(delivery_ids)
        )
    )
    return {delivery_id: status for delivery_id, status in rows}


async def requeue_dead(
    session: AsyncSession, delivery_ids: Sequence[int] | None, now: datetime
) -> list[int]:
    """Make dead deliveries (those named, or every one) due now with a fresh schedule; their
    ids. Earlier attempts stay in the log."""
    stmt = update(WebhookDelivery).where(WebhookDelivery.status == JobStatus.DEAD)
    if delivery_ids is not None:
        stmt = stmt.where(WebhookDelivery.id.in_(delivery_ids))
    result = await session.execute(
        stmt.values(
            status=JobStatus.PENDING,
            run_at=now,
            first_attempt_at=None,
            attempts=0,
            lease_owner=None,
            lease_until=None,
            updated_at=now,
        )
        .returning(WebhookDelivery.id)
        .execution_options(synchronize_session=False)
    )
    return sorted(int(delivery_id) for delivery_id in result.scalars())


async def subscription_by_id(
    session: AsyncSession, subscription_id: int
) -> WebhookSubscription | None:
    """A delivery's subscription, read fresh at every attempt by the worker."""
    return await session.get(WebhookSubscription, subscription_id)


class DeliveryRepository:
    def __init__(self, session: AsyncSession, shop_id: str) -> None:
        self.session = session
        self.shop_id = shop_id

    async def fan_out_to_shop(self, event: DomainEvent, now: datetime) -> None:
        """One pending delivery per enabled shop-owned subscription of the event's topic."""
        matching = select(
            literal(self.shop_id),
            literal(event.id),
            WebhookSubscription.id,
            literal(JobStatus.PENDING.value),
            literal(now, UTCDateTime()),
            literal(0),
            literal(""),
            literal(now, UTCDateTime()),
            literal(now, UTCDateTime()),
        ).where(
            WebhookSubscription.shop_id == self.shop_id,
            WebhookSubscription.topic == event.topic,
            WebhookSubscription.status == "enabled",
            WebhookSubscription.owner_client_id == SHOP_OWNER,
        )
        await self.session.execute(
            insert(WebhookDelivery).from_select(
                [
                    "shop_id",
                    "event_pk",
                    "subscription_id",
                    "status",
                    "run_at",
                    "attempts",
                    "last_error",
                    "created_at",
                    "updated_at",
                ],
                matching,
            )
        )

    async def platform_subscriptions(self, topic: str) -> list[tuple[int, str]]:
        """(id, owner client_id) of the enabled platform-owned subscriptions of `topic`."""
        rows = await self.session.execute(
            select(WebhookSubscription.id, WebhookSubscription.owner_client_id)
            .where(
                WebhookSubscription.shop_id == self.shop_id,
                WebhookSubscription.topic == topic,
                WebhookSubscription.status == "enabled",
                WebhookSubscription.owner_client_id != SHOP_OWNER,
            )
            .order_by(WebhookSubscription.id)
        )
        return [(sub_id, client_id) for sub_id, client_id in rows]

    async def add(
        self,
        event_pk: int,
        subscription_id: int | None,
        now: datetime,
        *,
        system_client_id: str | None = None,
    ) -> WebhookDelivery:
        """A pending delivery to a subscription, or (system_client_id) to a platform's
        webhook_url."""
        delivery = WebhookDelivery(
            shop_id=self.shop_id,
            event_pk=event_pk,
            subscription_id=subscription_id,
            system_client_id=system_client_id,
            status=JobStatus.PENDING,
            run_at=now,
            attempts=0,
            last_error="",
            created_at=now,
            updated_at=now,
        )
        self.session.add(delivery)
        await self.session.flush()
        return delivery

    async def cancel_pending(
        self, subscription_id: int, *, reason: str, topic: str | None = None
    ) -> None:
        stmt = update(WebhookDelivery).where(
            WebhookDelivery.shop_id == self.shop_id,
            WebhookDelivery.subscription_id == subscription_id,
            WebhookDelivery.status == JobStatus.PENDING,
        )
        if topic is not None:
            events_of_topic = select(DomainEvent.id).where(
                DomainEvent.shop_id == self.shop_id, DomainEvent.topic == topic
            )
            stmt = stmt.where(WebhookDelivery.event_pk.in_(events_of_topic))
        await self.session.execute(
            stmt.values(
                status=JobStatus.CANCELLED, last_error=reason, lease_owner=None, lease_until=None
            ).execution_options(synchronize_session=False)
        )

    async def listing(
        self, *, subscription_ids: list[int], event_id: str | None, offset: int, limit: int
    ) -> tuple[int, list[tuple[WebhookDelivery, DomainEvent]]]:
        conditions = [
            WebhookDelivery.shop_id == self.shop_id,
            WebhookDelivery.subscription_id.in_(subscription_ids),
        ]
        if event_id is not None:
            conditions.append(DomainEvent.event_id == event_id)
        base = (
            select(WebhookDelivery, DomainEvent)
            .join(DomainEvent, DomainEvent.id == WebhookDelivery.event_pk)
            .where(*conditions)
        )
        count = select(func.count()).select_from(base.subquery())
        total = int((await self.session.execute(count)).scalar_one())
        rows = await self.session.execute(
            base.order_by(WebhookDelivery.id.desc()).offset(offset).limit(limit)
        )
        return total, [(d, e) for d, e in rows]

    async def attempts(self, delivery_ids: list[int]) -> dict[int, list[WebhookAttempt]]:
        if not delivery_ids:
            return {}
        rows = await self.session.execute(
            select(WebhookAttempt)
            .where(
                WebhookAttempt.shop_id == self.shop_id, WebhookAttempt.delivery_id.in_(delivery_ids)
            )
            .order_by(WebhookAttempt.delivery_id, WebhookAttempt.attempt)
        )
        grouped: dict[int, list[WebhookAttempt]] = {}
        for attempt in rows.scalars():
            grouped.setdefault(attempt.delivery_id, []).append(attempt)
        return grouped

    async def event(self, event_id: str) -> DomainEvent | None:
        query = select(DomainEvent).where(
            DomainEvent.shop_id == self.shop_id, DomainEvent.event_id == event_id
        )
        return (await self.session.execute(query)).scalar_one_or_none()


async def lock_for_attempt(
    session: AsyncSession, delivery_id: int
) -> tuple[WebhookSubscription | None, WebhookDelivery] | None:
    """The delivery and its subscription (None for a platform's webhook_url), locked to record
    an attempt; None when the delivery was removed with its subscription.

    The subscription is locked before the delivery (the order every writer of both uses): two
    failed attempts of one subscription finishing at once (PostgreSQL) are then recorded one
    after the other, and the second sees what the first committed (the subscription disabled,
    its own delivery cancelled), so a subscription is disabled, and its owner told, once."""
    subscription_id = (
        await session.execute(
            select(WebhookDelivery.subscription_id).where(WebhookDelivery.id == delivery_id)
        )
    ).first()
    if subscription_id is None:
        return None
    sub = (
        await session.get(
            WebhookSubscription,
            subscription_id[0],
            with_for_update={"key_share": True},
            populate_existing=True,
        )
        if subscription_id[0] is not None
        else None
    )
    delivery = await session.get(
        WebhookDelivery, delivery_id, with_for_update={"key_share": True}, populate_existing=True
    )
    return None if delivery is None else (sub, delivery)
