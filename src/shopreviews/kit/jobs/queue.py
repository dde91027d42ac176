"""Claiming, leasing and finishing job rows.

A job is a row of any table that has the JobMixin columns. A worker claims due rows by setting
a lease (owner + expiry) in one short transaction; PostgreSQL claims with FOR UPDATE SKIP LOCKED,
so concurrent workers never claim the same row, and SQLite claims under its single write lock.
A worker that dies simply lets its leases expire, and the rows become due again. Finishing is
fenced on the lease owner, so a worker whose lease was taken over cannot overwrite the result.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, Generic, TypeVar

from sqlalchemy import Index, Integer, String, Text, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, declared_attr, mapped_column

from shopreviews.kit.models import UTCDateTime


class JobStatus(StrEnum):
    PENDING = "pending"  # due at run_at (possibly leased by a worker right now)
    SUCCEEDED = "succeeded"
    DEAD = "dead"  # retries exhausted; an operator can requeue it
    CANCELLED = "cancelled"


class JobMixin:
    status: Mapped[str] = mapped_column(String(16), default=JobStatus.PENDING)
    run_at: Mapped[datetime] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    lease_owner: Mapped[str | None] = mapped_column(String(64), nullable=True)
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_error: Mapped[str] = mapped_column(Text, default="")

    @declared_attr.directive
    def __table_args__(cls) -> tuple[Any, ...]:
        # The claim query: due pending rows in run_at order.
        return (Index(f"ix_{cls.__tablename__}_due", "status", "run_at"),)  # type: ignore[attr-defined]


J = TypeVar("J", bound=JobMixin)


class JobQueue(Generic[J]):
    """Claim and finish rows of one job table."""

    def __init__(self, model: type[J], *, lease: timedelta) -> None:
        self.model = model
        self.lease = lease

    async def claim(
        self, session: AsyncSession, *, owner: str, now: datetime, limit: int
    ) -> list[J]:
        """Lease up to `limit` due rows to `owner`; the caller commits at once."""
        m: Any = self.model
        query = (
            select(m)
            .where(
                m.status == JobStatus.PENDING,
                m.run_at <= now,
                or_(m.lease_until.is_(None), m.lease_until <= now),
            )
            .order_by(m.run_at, m.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        rows = list((await session.execute(query)).scalars())
        for row in rows:
            row.lease_owner = owner
            row.lease_until = now + self.lease
        await session.flush()
        return rows

    async def finish(
        self, session: AsyncSession, job_id: int, *, owner: str, values: dict[str, Any]
    ) -> bool:
        """Write the outcome of an attempt, only if `owner` still holds the lease."""
        m: Any = self.model
        result = await session.execute(
            update(m)
            .where(m.id == job_id, m.lease_owner == owner, m.status == JobStatus.PENDING)
            .values(lease_owner=None, lease_until=None, **values)
            .execution_options(synchronize_session=False)
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]
