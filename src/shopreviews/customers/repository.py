"""Every query on customer records, unsubscribes and exclusions; always by shop."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Select, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from shopreviews.customers.models import Customer, CustomerExclusion, EmailUnsubscribe


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

    # Exclusions --------------------------------------------------------------------------

    def _exclusions(self) -> Select[CustomerExclusion]:
        return select(CustomerExclusion).where(CustomerExclusion.shop_id == self.shop_id)

    async def exclusion_by_customer(self, customer_id: str) -> CustomerExclusion | None:
        query = self._exclusions().where(CustomerExclusion.customer_id == customer_id)
        return (await self.session.execute(query)).scalar_one_or_none()

    async def exclusion_by_email(self, email: str) -> CustomerExclusion | None:
        query = self._exclusions().where(CustomerExclusion.email == email.lower())
        return (await self.session.execute(query)).scalar_one_or_none()

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
