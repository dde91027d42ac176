"""Claiming, leasing and finishing job rows.

A job is a row of any table that has the JobMixin columns. A worker claims due rows by setting
a lease (owner + expiry) in one short transaction; PostgreSQL claims with FOR UPDATE SKIP LOCKED,
so concurrent workers never claim the same row, and SQLite claims under its single write lock.
A worker that dies simply lets its leases expire, and the rows become due again. Finishing is
fenced on the lease owner, so a worker whose lease was taken over cannot overwrite the result;
every outcome (`Succeeded`, `RetryAt`, `Dead`, `Cancelled`) is written by `finish` and no handler
writes the status or lease columns itself.

A queue whose jobs go somewhere (webhook deliveries go to a host) can say where (`Destinations`):
the worker then bounds the slots one destination holds, so a receiver that hangs holds a few
slots and never all of them. The claim takes the worker's part as a filter (`where`, jobs it
leaves out) and a choice among the locked rows (`admit`); rows it does not admit are not leased.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection, Hashable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, Generic, Protocol, TypeVar

from sqlalchemy import ColumnElement, Index, Integer, String, Text, func, or_, select, update
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


@dataclass(frozen=True)
class Succeeded:
    """Done; `note` says anything worth keeping (recorded as last_error)."""

    note: str = ""


@dataclass(frozen=True)
class RetryAt:
    """This attempt failed; the job is due again at `at`."""

    at: datetime
    error: str


@dataclass(frozen=True)
class Dead:
    """Failed for good; an operator can requeue it."""

    error: str


@dataclass(frozen=True)
class Cancelled:
    """Nothing to do any more, for `reason`."""

    reason: str


Outcome = Succeeded | RetryAt | Dead | Cancelled


def _columns(outcome: Outcome) -> dict[str, Any]:
    match outcome:
        case Succeeded(note):
            return {"status": JobStatus.SUCCEEDED, "last_error": note}
        case RetryAt(at, error):
            return {"status": JobStatus.PENDING, "run_at": at, "last_error": error}
        case Dead(error):
            return {"status": JobStatus.DEAD, "last_error": error}
        case Cancelled(reason):
            return {"status": JobStatus.CANCELLED, "last_error": reason}


@dataclass(frozen=True)
class Destination:
    """Where a job goes, e.g. "https://example.com:443" (`key`), and the group of jobs a claim
    can leave out by a filter, e.g. one subscription's deliveries (`group`)."""

    key: str
    group: Hashable


@dataclass(frozen=True)
class Backlog:
    """A queue's pending jobs at `now`: how many, how many of them are due (waiting for a
    worker, or running), and how long the oldest due one has been due."""

    pending: int
    due: int
    oldest_due_seconds: float


class Destinations(Protocol):
    """Where the jobs of a queue go, for a worker that bounds the slots one destination holds."""

    async def of(self, session: AsyncSession, jobs: Sequence[Any]) -> dict[int, Destination]:
        """The destination of each job, by job id, as of now."""
        ...

    def excluding(self, groups: Collection[Hashable]) -> ColumnElement[bool]:
        """A claim filter that leaves out the jobs of these groups."""
        ...


class JobQueue(Generic[J]):
    """Claim and finish rows of one job table."""

    def __init__(
        self, model: type[J], *, lease: timedelta, destinations: Destinations | None = None
    ) -> None:
        self.model = model
        self.lease = lease
        self.destinations = destinations

    async def claim(
        self,
        session: AsyncSession,
        *,
        owner: str,
        now: datetime,
        limit: int,
        where: ColumnElement[bool] | None = None,
        admit: Callable[[list[J]], Awaitable[list[J]]] | None = None,
    ) -> list[J]:
        """Lease up to `limit` due rows to `owner`; the caller commits at once. `where` narrows
        the due rows; `admit` picks, among the rows found (and locked), the ones to lease: the
        others stay due, unleased, at their place in the queue."""
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
        if where is not None:
            query = query.where(where)
        rows = list((await session.execute(query)).scalars())
        if admit is not None:
            rows = await admit(rows)
        for row in rows:
            row.lease_owner = owner
            row.lease_until = now + self.lease
        await session.flush()
        return rows

    def next_due(self, now: datetime) -> Any:
        """A scalar subquery: when the earliest pending, unleased row of this table is due
        (NULL: none is). Rows leased to a worker that died come back when their lease runs out,
        which the worker's poll interval bounds."""
        m: Any = self.model
        return (
            select(func.min(m.run_at))
            .where(
                m.status == JobStatus.PENDING,
                or_(m.lease_until.is_(None), m.lease_until <= now),
            )
            .scalar_subquery()
        )

    async def finish(
        self,
        session: AsyncSession,
        job_id: int,
        *,
        owner: str,
        outcome: Outcome,
        also: Mapping[str, Any] | None = None,
        over_cancelled: bool = False,
    ) -> bool:
        """Write the outcome of an attempt (and the table's own columns in `also`), only if
        `owner` still holds the lease of the pending job; False, writing nothing, otherwise.
        `over_cancelled` also finishes a job cancelled while the attempt ran (cancelling drops
        the lease): for an attempt whose effect cannot be taken back, such as an email sent."""
        m: Any = self.model
        held = (m.lease_owner == owner) & (m.status == JobStatus.PENDING)
        if over_cancelled:
            held = held | ((m.status == JobStatus.CANCELLED) & m.lease_owner.is_(None))
        result = await session.execute(
            update(m)
            .where(m.id == job_id, held)
            .values(lease_owner=None, lease_until=None, **(also or {}), **_columns(outcome))
            .execution_options(synchronize_session=False)
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]


async def backlog(session: AsyncSession, model: type[JobMixin], now: datetime) -> Backlog:
    """The pending jobs of a job table at `now`, in one query over the claim's index
    (status, run_at)."""
    m: Any = model
    pending, due, oldest = (
        await session.execute(
            select(func.count(), func.count().filter(m.run_at <= now), func.min(m.run_at))
            .select_from(m)
            .where(m.status == JobStatus.PENDING)
        )
    ).one()
    # The oldest pending job is the oldest due one, when any is due.
    waited = (now - oldest).total_seconds() if due else 0.0
    return Backlog(pending=int(pending), due=int(due), oldest_due_seconds=max(waited, 0.0))
