"""Every query on customer events; always by shop."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from shopreviews.customer_events.models import CustomerEvent


@dataclass(frozen=True)
class CustomerEventFilter:
    event_type: str | None = None
    os_type: str | None = None
    event_source: str | None = None
    created_from: datetime | None = None
    created_to: datetime | None = None
    ascending: bool = False


class CustomerEventRepository:
    def __init__(self, session: AsyncSession, shop_id: str) -> None:
        self.session = session
        self.shop_id = shop_id

    def _conditions(self, flt: CustomerEventFilter) -> list[ColumnElement[bool]]:
        # shop_id (+ event_type) then created_at: the prefixes of the two indexes of the model,
        # which also give the sort order; os_type and event_source are checked on those rows.
        conditions: list[ColumnElement[bool]] = [CustomerEvent.shop_id == self.shop_id]
        if flt.event_type is not None:
            conditions.append(CustomerEvent.event_type == flt.event_type)
        if flt.os_type is not None:
            conditions.append(CustomerEvent.os_type == flt.os_type)
        if flt.event_source is not None:
            conditions.append(CustomerEvent.event_source == flt.event_source)
        if flt.created_from is not None:
            conditions.append(CustomerEvent.created_at >= flt.created_from)
        if flt.created_to is not None:
            conditions.append(CustomerEvent.created_at <= flt.created_to)
        return conditions

    async def count(self, flt: CustomerEventFilter) -> int:
        query = select(func.count(CustomerEvent.id)).where(*self._conditions(flt))
        return int((await self.session.execute(query)).scalar_one())

    async def page(
        self, flt: CustomerEventFilter, *, offset: int, limit: int
    ) -> Sequence[CustomerEvent]:
        # Ties on created_at are broken by id in the same direction (docs/api.md, "Sorting").
        order_by = (
            (CustomerEvent.created_at.asc(), CustomerEvent.id.asc())
            if flt.ascending
            else (CustomerEvent.created_at.desc(), CustomerEvent.id.desc())
        )
        query = (
            select(CustomerEvent)
            .where(*self._conditions(flt))
            .order_by(*order_by)
            .offset(offset)
            .limit(limit)
        )
        return (await self.session.execute(query)).scalars().all()

    async def counts_by_type(self, source: str, start: datetime, end: datetime) -> dict[str, int]:
        """Events of one source created in [start, end), counted per type in SQL, from
        ix_customer_events_shop_source alone (count(*): the index has no id)."""
        query = (
            select(CustomerEvent.event_type, func.count())
            .where(
                CustomerEvent.shop_id == self.shop_id,
                CustomerEvent.created_at >= start,
                CustomerEvent.created_at < end,
                CustomerEvent.event_source == source,
            )
            .group_by(CustomerEvent.event_type)
        )
        return {event_type: int(n) for event_type, n in await self.session.execute(query)}
