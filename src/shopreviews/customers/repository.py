"""Every query on customer records, unsubscribes and exclusions; always by shop."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, Select, delete, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from shopreviews.customers.models import Customer, CustomerExclusion, EmailUnsubscribe


@dataclass(frozen=True)
class ExclusionFilter:
    email: str | None = None  # lower-cased
    customer_id: str | None = None
    sort_by: str = "created-descending"


_EXCLUSION_ORDER = {
    # Ties on created_at are broken by id in the same direction (docs/api.md, "Sorting").
    "created-descending": (CustomerExclusion.created_at.desc(), CustomerExclusion.id.desc()),
    "created-ascending": (CustomerExclusion.created_at.asc(), CustomerExclusion.id.asc()),
}
EXCLUSION_SORTS = tuple(_EXCLUSION_ORDER)


class CustomerRepository:
    def __init__(self, session: AsyncSession, shop_id: str) -> None:
        self.session = session
        self.shop_id = shop_id

    # Customer records -------------------------------------------------------------------

    async def customer_by_id(self, customer_id: str) -> Customer | None:
        query = select(Customer).where(
            Customer.shop_id == self.shop_id, Customer.customer_id == customer_id
        )
        return (await self.session.execute(query)).scalar_one_or_none()

    async def customer_by_email(self, email: str) -> Customer | None:
        query = (
            select(Customer)
            .where(Customer.shop_id == self.shop_id, Customer.email == email)
            .order_by(Customer.updated_at.desc(), Customer.id.desc())
            .limit(1)
        )
        return (await self.session.execute(query)).scalar_one_or_none()

    async def remember_customer(
        self,
        customer_id: str,
        *,
        email: str,
        first_name: str,
        last_name: str,
        phone: str,
        now: datetime,
    ) -> None:
        """Keep the shop's latest details of a customer (non-empty values win)."""
        record = await self.customer_by_id(customer_id)
        if record is None:
            record = Customer(shop_id=self.shop_id, customer_id=customer_id, created_at=now)
            self.session.add(record)
        for name, value in (
            ("email", email),
            ("first_name", first_name),
            ("last_name", last_name),
            ("phone", phone),
        ):
            if value:
                setattr(record, name, value)
        record.updated_at = now
        await self.session.flush()

    # Unsubscribes ------------------------------------------------------------------------

    async def unsubscribe(self, email: str, email_type: str) -> EmailUnsubscribe | None:
        query = select(EmailUnsubscribe).where(
            EmailUnsubscribe.shop_id == self.shop_id,
            EmailUnsubscribe.email == email,
            EmailUnsubscribe.email_type == email_type,
        )
        return (await self.session.execute(query)).scalar_one_or_none()

    async def unsubscribes_of(self, email: str) -> Sequence[EmailUnsubscribe]:
        query = select(EmailUnsubscribe).where(
            EmailUnsubscribe.shop_id == self.shop_id, EmailUnsubscribe.email == email
        )
        return (await self.session.execute(query)).scalars().all()

    async def remove_customer_unsubscribes(self, email: str) -> int:
        """Only the preference page of an email calls this: a customer reverses their own
        unsubscribes; records made by a merchant or a platform stay."""
        result = await self.session.execute(
            delete(EmailUnsubscribe).where(
                EmailUnsubscribe.shop_id == self.shop_id,
                EmailUnsubscribe.email == email.lower(),
                EmailUnsubscribe.origin == "customer",
            )
        )
        return int(result.rowcount)  # type: ignore[attr-defined]

    async def is_unsubscribed(self, email: str, email_type: str) -> bool:
        """The suppression rule: a record for this type or for `all` stops the email."""
        if not email:
            return False
        query = select(func.count(EmailUnsubscribe.id)).where(
            EmailUnsubscribe.shop_id == self.shop_id,
            EmailUnsubscribe.email == email.lower(),
            EmailUnsubscribe.email_type.in_((email_type, "all")),
        )
        return bool((await self.session.execute(query)).scalar_one())

    async def count_unsubscribes(self, origin: str, start: datetime, end: datetime) -> int:
        """Unsubscribes of one origin recorded in [start, end), of any email type. The shop's
        rows are found by the unique index's shop_id prefix: a shop has few of them."""
        query = select(func.count(EmailUnsubscribe.id)).where(
            EmailUnsubscribe.shop_id == self.shop_id,
            EmailUnsubscribe.origin == origin,
            EmailUnsubscribe.created_at >= start,
            EmailUnsubscribe.created_at < end,
        )
        return int((await self.session.execute(query)).scalar_one())

    # Exclusions --------------------------------------------------------------------------

    def _exclusions(self) -> Select[CustomerExclusion]:
        return select(CustomerExclusion).where(CustomerExclusion.shop_id == self.shop_id)

    async def exclusion_by_customer(
        self, customer_id: str, *, for_update: bool = False
    ) -> CustomerExclusion | None:
        query = self._exclusions().where(CustomerExclusion.customer_id == customer_id)
        if for_update:
            query = query.with_for_update()
        return (await self.session.execute(query)).scalar_one_or_none()

    async def exclusion_by_email(
        self, email: str, *, for_update: bool = False
    ) -> CustomerExclusion | None:
        query = self._exclusions().where(CustomerExclusion.email == email.lower())
        if for_update:
            query = query.with_for_update()
        return (await self.session.execute(query)).scalar_one_or_none()

    def _exclusion_conditions(self, flt: ExclusionFilter) -> list[ColumnElement[bool]]:
        conditions = [CustomerExclusion.shop_id == self.shop_id]
        if flt.email is not None:
            conditions.append(CustomerExclusion.email == flt.email.lower())
        if flt.customer_id is not None:
            conditions.append(CustomerExclusion.customer_id == flt.customer_id)
        return conditions

    async def count_exclusions(self, flt: ExclusionFilter) -> int:
        query = select(func.count(CustomerExclusion.id)).where(*self._exclusion_conditions(flt))
        return int((await self.session.execute(query)).scalar_one())

    async def exclusions_page(
        self, flt: ExclusionFilter, *, offset: int, limit: int
    ) -> Sequence[CustomerExclusion]:
        query = (
            select(CustomerExclusion)
            .where(*self._exclusion_conditions(flt))
            .order_by(*_EXCLUSION_ORDER[flt.sort_by])
            .offset(offset)
            .limit(limit)
        )
        return (await self.session.execute(query)).scalars().all()

    async def remove_exclusion(self, exclusion: CustomerExclusion) -> None:
        await self.session.delete(exclusion)
        await self.session.flush()

    # Writes that may meet a unique index -------------------------------------------------

    async def try_add(self, record: EmailUnsubscribe | CustomerExclusion) -> bool:
        """Insert `record` inside a savepoint; False when a unique index refused it (a
        concurrent request inserted the same key first). The transaction stays usable."""
        if record.shop_id != self.shop_id:
            raise ValueError("record of another shop")
        try:
            async with self.session.begin_nested():
                self.session.add(record)
                await self.session.flush()
        except IntegrityError:
            return False
        return True

    async def is_excluded(self, customer_id: str, email: str) -> bool:
        """An order matches an exclusion by its non-empty customer id or email."""
        conditions = []
        if customer_id:
            conditions.append(CustomerExclusion.customer_id == customer_id)
        if email:
            conditions.append(CustomerExclusion.email == email.lower())
        if not conditions:
            return False
        query = select(func.count(CustomerExclusion.id)).where(
            CustomerExclusion.shop_id == self.shop_id, or_(*conditions)
        )
        return bool((await self.session.execute(query)).scalar_one())
