"""Helpers of the unsubscribe and exclusion tests: platform tokens, customer records, rows."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

import httpx
from sqlalchemy import select

from shopreviews.customers.models import CustomerExclusion, EmailUnsubscribe
from shopreviews.customers.repository import CustomerRepository
from shopreviews.kit.context import AppContext
from tests.support.api import ShopApi, bearer, ok
from tests.support.oauth import API, PlatformCreds, client_credentials

EXCLUSION_FIELDS = {
    "customer_id",
    "first_name",
    "last_name",
    "email",
    "phone",
    "created_at",
    "updated_at",
}
PLATFORM_SCOPES = "read_reviews,read_customers,write_customers"


async def platform_token(
    client: httpx.AsyncClient, platform: PlatformCreds, shop: ShopApi, scope: str
) -> dict[str, str]:
    """Bearer headers of `platform` acting for `shop` with exactly `scope` (client_credentials:
    no merchant sign-in, so no argon2 hash per token). One token per shop: a second issue
    would replace the grant's scopes."""
    data = ok(await client_credentials(client, platform, shop_id=shop.shop_id, scope=scope))
    assert data["scope"] == scope
    return bearer(data["access_token"])


async def bearer_post(
    client: httpx.AsyncClient, headers: dict[str, str], name: str, body: Any
) -> httpx.Response:
    return await client.post(f"{API}/{name}", json=body, headers=headers)


async def bearer_get(
    client: httpx.AsyncClient, headers: dict[str, str], name: str, params: Any = None
) -> httpx.Response:
    return await client.get(f"{API}/{name}", params=params, headers=headers)


async def remember(ctx: AppContext, shop: ShopApi, customer_id: str, **fields: str) -> None:
    """A customer record of `shop`, as order intake keeps it."""
    values = {"email": "", "first_name": "", "last_name": "", "phone": "", **fields}
    async with ctx.db.session(write=True) as session:
        await CustomerRepository(session, shop.shop_id).remember_customer(
            customer_id, now=ctx.now_datetime(), **values
        )


async def add_customer_unsubscribe(
    ctx: AppContext, shop: ShopApi, email: str, email_type: str, created_at: int
) -> None:
    """An opt-out the customer made through an email's preference page (origin customer)."""
    async with ctx.db.session(write=True) as session:
        session.add(
            EmailUnsubscribe(
                shop_id=shop.shop_id,
                email=email,
                email_type=email_type,
                origin="customer",
                created_at=_at(created_at),
            )
        )


async def unsubscribe_rows(ctx: AppContext, shop: ShopApi) -> list[tuple[str, str, str]]:
    """(email, email_type, origin) of every unsubscribe record of `shop`, sorted."""
    async with ctx.db.session(write=False) as session:
        rows = await session.execute(
            select(EmailUnsubscribe.email, EmailUnsubscribe.email_type, EmailUnsubscribe.origin)
            .where(EmailUnsubscribe.shop_id == shop.shop_id)
            .order_by(EmailUnsubscribe.email, EmailUnsubscribe.email_type)
        )
        return [tuple(r) for r in rows.all()]  # type: ignore[misc]


async def exclusion_rows(ctx: AppContext, shop: ShopApi) -> list[tuple[str, str]]:
    """(customer_id, email) of every exclusion of `shop`, sorted."""
    async with ctx.db.session(write=False) as session:
        rows = await session.execute(
            select(CustomerExclusion.customer_id, CustomerExclusion.email)
            .where(CustomerExclusion.shop_id == shop.shop_id)
            .order_by(CustomerExclusion.id)
        )
        return sorted(tuple(r) for r in rows.all())  # type: ignore[misc]


def _at(ts: int) -> datetime:
    return datetime.fromtimestamp(ts, UTC)


def rfc3339(ts: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ts))


async def exclude(shop: ShopApi, **body: Any) -> dict[str, Any]:
    data = ok(await shop.post("create_customer_exclude", body))
    assert set(data) == EXCLUSION_FIELDS, data
    assert all(isinstance(v, str) for v in data.values()), data
    return dict(data)


async def excludes(shop: ShopApi, params: Any = None) -> dict[str, Any]:
    return dict(ok(await shop.get("get_customer_excludes", params)))
