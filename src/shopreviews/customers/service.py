"""Unsubscribe and exclusion rules (docs/api.md, "Orders, customer events and
customers").

Both creates are idempotent and race-safe: the unique indexes decide between concurrent
requests, and the loser answers the winner's record instead of failing.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from shopreviews.auth.caller import Caller
from shopreviews.customers.models import (
    Customer,
    CustomerExclusion,
    EmailUnsubscribe,
    UnsubscribeOrigin,
)
from shopreviews.customers.repository import CustomerRepository, ExclusionFilter
from shopreviews.customers.schemas import (
    CustomerExclusionOut,
    CustomerExclusionPage,
    ExclusionIn,
    ExclusionKeyIn,
    UnsubscribeIn,
    UnsubscribeOut,
)
from shopreviews.kit.envelope import NotFound
from shopreviews.kit.pagination import PageRequest, fetch_page
from shopreviews.kit.timefmt import rfc3339

# A refused insert means another request won the race; its row is then visible, so one retry
# settles it. A few more cover an exclusion whose filled-in values raced too.
MAX_ATTEMPTS = 4


class ConcurrentWriteError(RuntimeError):
    """The unique indexes kept refusing an insert whose conflicting row could not be read."""


def origin_of(caller: Caller) -> UnsubscribeOrigin:
    """Bearer calls act for a platform; HMAC calls (and the back office) for the merchant."""
    return UnsubscribeOrigin.PLATFORM if caller.kind == "bearer" else UnsubscribeOrigin.MERCHANT


def unsubscribe_out(record: EmailUnsubscribe) -> UnsubscribeOut:
    return UnsubscribeOut(
        email=record.email, email_type=record.email_type, created_at=rfc3339(record.created_at)
    )


def exclusion_out(record: CustomerExclusion) -> CustomerExclusionOut:
    return CustomerExclusionOut(
        customer_id=record.customer_id,
        first_name=record.first_name,
        last_name=record.last_name,
        email=record.email,
        phone=record.phone,
        created_at=rfc3339(record.created_at),
        updated_at=rfc3339(record.updated_at),
    )


async def unsubscribe(
    session: AsyncSession, caller: Caller, body: UnsubscribeIn, *, now: datetime
) -> UnsubscribeOut:
    """Record the opt-out; an existing record (any origin, customer's included) is kept as it
    is, so a repeated call never changes who unsubscribed or when."""
    repo = CustomerRepository(session, caller.shop_id)
    for _ in range(MAX_ATTEMPTS):
        existing = await repo.unsubscribe(body.email, body.email_type)
        if existing is not None:
            return unsubscribe_out(existing)
        record = EmailUnsubscribe(
            shop_id=caller.shop_id,
            email=body.email,
            email_type=body.email_type,
            origin=origin_of(caller).value,
            created_at=now,
        )
        if await repo.try_add(record):
            return unsubscribe_out(record)
    raise ConcurrentWriteError("email_unsubscribe: insert refused but no record found")


async def _existing_exclusion(
    repo: CustomerRepository, customer_id: str | None, email: str | None
) -> CustomerExclusion | None:
    """The idempotency rule of create_customer_exclude: the exclusion of the given customer_id,
    else of the email."""
    if customer_id is not None:
        found = await repo.exclusion_by_customer(customer_id)
        if found is not None:
            return found
    if email is not None:
        return await repo.exclusion_by_email(email)
    return None


async def _customer_record(
    repo: CustomerRepository, customer_id: str | None, email: str | None
) -> Customer | None:
    """The shop's customer record found by customer_id, else by email."""
    if customer_id is not None:
        found = await repo.customer_by_id(customer_id)
        if found is not None:
            return found
    if email is not None:
        return await repo.customer_by_email(email)
    return None


async def _new_exclusion(
    repo: CustomerRepository, body: ExclusionIn, *, now: datetime
) -> CustomerExclusion:
    """The given values, with the missing ones filled from the customer record.

    A filled-in customer_id or email that another exclusion already holds is left empty: the
    answer always carries what the caller gave (so it can be found and deleted by that), and
    the customer stays excluded through the other record anyway (decision in docs/decisions.md).
    """
    customer = await _customer_record(repo, body.customer_id, body.email)
    customer_id = body.customer_id or ""
    email = body.email or ""
    first_name = last_name = phone = ""
    if customer is not None:
        if not customer_id and customer.customer_id:
            taken = await repo.exclusion_by_customer(customer.customer_id)
            customer_id = "" if taken is not None else customer.customer_id
        if not email and customer.email:
            taken = await repo.exclusion_by_email(customer.email)
            email = "" if taken is not None else customer.email.lower()
        first_name, last_name, phone = customer.first_name, customer.last_name, customer.phone
    return CustomerExclusion(
        shop_id=repo.shop_id,
        customer_id=customer_id,
        email=email,
        first_name=first_name,
        last_name=last_name,
        phone=phone,
        created_at=now,
        updated_at=now,
    )


async def create_exclusion(
    session: AsyncSession, caller: Caller, body: ExclusionIn, *, now: datetime
) -> CustomerExclusionOut:
    repo = CustomerRepository(session, caller.shop_id)
    for _ in range(MAX_ATTEMPTS):
        existing = await _existing_exclusion(repo, body.customer_id, body.email)
        if existing is not None:
            return exclusion_out(existing)
        record = await _new_exclusion(repo, body, now=now)
        if await repo.try_add(record):
            return exclusion_out(record)
        # A concurrent create won on a given value (found next round, returned unchanged) or
        # on a filled-in one (left empty next round).
    raise ConcurrentWriteError("create_customer_exclude: insert refused but no record found")


async def delete_exclusion(
    session: AsyncSession, caller: Caller, body: ExclusionKeyIn
) -> CustomerExclusionOut:
    """Remove one exclusion; unsubscribe records are never touched here."""
    repo = CustomerRepository(session, caller.shop_id)
    if body.customer_id is not None:
        record = await repo.exclusion_by_customer(body.customer_id, for_update=True)
        described = f"customer_id {body.customer_id}"
    else:
        assert body.email is not None
        record = await repo.exclusion_by_email(body.email, for_update=True)
        described = f"email {body.email}"
    if record is None:
        raise NotFound(f"no exclusion with {described}")
    out = exclusion_out(record)
    await repo.remove_exclusion(record)
    return out


async def list_exclusions(
    session: AsyncSession, caller: Caller, flt: ExclusionFilter, page: PageRequest
) -> CustomerExclusionPage:
    repo = CustomerRepository(session, caller.shop_id)
    pagination, rows = await fetch_page(
        page,
        repo.count_exclusions(flt),
        lambda offset, limit: repo.exclusions_page(flt, offset=offset, limit=limit),
    )
    return CustomerExclusionPage(page=pagination, list=[exclusion_out(r) for r in rows])


# --- for other domains (orders, emails) -----------------------------------------------------


async def remember(
    session: AsyncSession,
    shop_id: str,
    customer_id: str,
    *,
    email: str,
    first_name: str,
    last_name: str,
    phone: str,
    now: datetime,
) -> None:
    """Update the shop's customer record, unless it already says all this (a replay or a
    re-import writes nothing). In a savepoint: two orders of one new customer arriving at
    once on PostgreSQL both insert the record; the loser then updates the winner's."""
    customers = CustomerRepository(session, shop_id)
    details = {"email": email, "first_name": first_name, "last_name": last_name, "phone": phone}
    known = await customers.customer_by_id(customer_id)
    if known is not None and all(
        not value or getattr(known, name) == value for name, value in details.items()
    ):
        return
    try:
        async with session.begin_nested():
            await customers.remember_customer(customer_id, now=now, **details)
    except IntegrityError:
        await customers.remember_customer(customer_id, now=now, **details)


async def is_excluded(session: AsyncSession, shop_id: str, customer_id: str, email: str) -> bool:
    return await CustomerRepository(session, shop_id).is_excluded(customer_id, email)


async def is_unsubscribed(session: AsyncSession, shop_id: str, email: str, email_type: str) -> bool:
    return await CustomerRepository(session, shop_id).is_unsubscribed(email, email_type)


async def unsubscribed_types(session: AsyncSession, shop_id: str, email: str) -> dict[str, str]:
    """email_type -> origin of every unsubscribe of `email`."""
    records = await CustomerRepository(session, shop_id).unsubscribes_of(email)
    return {r.email_type: r.origin for r in records}


async def unsubscribe_by_customer(
    session: AsyncSession, shop_id: str, email: str, email_type: str, *, now: datetime
) -> bool:
    """The customer's own unsubscribe (origin customer), from an email's preference page.
    True when it is new; a repeat, or a concurrent request that was first (a double click,
    the mail client's one-click), keeps the first record and gives False."""
    repo = CustomerRepository(session, shop_id)
    if await repo.unsubscribe(email, email_type) is not None:
        return False
    record = EmailUnsubscribe(
        shop_id=shop_id,
        email=email,
        email_type=email_type,
        origin=UnsubscribeOrigin.CUSTOMER,
        created_at=now,
    )
    return await repo.try_add(record)


async def resubscribe_customer(session: AsyncSession, shop_id: str, email: str) -> None:
    """Remove the customer's own unsubscribes of `email`; a merchant's or platform's stay."""
    await CustomerRepository(session, shop_id).remove_customer_unsubscribes(email)


async def customer_unsubscribes_between(
    session: AsyncSession, shop_id: str, start: datetime, end: datetime
) -> int:
    """Customers' own unsubscribes (an email's link or its preference page) in [start, end)."""
    return await CustomerRepository(session, shop_id).count_unsubscribes(
        UnsubscribeOrigin.CUSTOMER, start, end
    )
