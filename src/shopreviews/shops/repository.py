"""Every query on shops."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import NamedTuple

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from shopreviews.kit.point_reads import PointReader
from shopreviews.shops.models import Shop


class ShopKey(NamedTuple):
    """What checking a signed request needs of its shop (no ORM object: read on every call)."""

    shop_id: str
    status: str
    private_token_encrypted: str
    data_version: int

    @property
    def is_active(self) -> bool:
        return self.status == "active"


# Every HMAC request looks its shop up, on the driver directly (kit/point_reads.py): the
# statement is built once, of the table's columns.
_shops = Shop.__table__.c
_KEY_BY_PUBLIC_TOKEN = select(
    _shops.shop_id, _shops.status, _shops.private_token_encrypted, _shops.data_version
).where(_shops.public_token == bindparam("token"))


class PublicShopRow(NamedTuple):
    shop_id: str
    myshopify_domain: str
    name: str
    status: str
    data_version: int
    author_display: str
    reviews_disclosure: str
    updated_at: datetime


_PUBLIC_BY_DOMAIN = select(
    _shops.shop_id,
    _shops.myshopify_domain,
    _shops.name,
    _shops.status,
    _shops.data_version,
    _shops.author_display,
    _shops.reviews_disclosure,
    _shops.updated_at,
).where(_shops.myshopify_domain == bindparam("domain"))


async def key_by_public_token(reader: PointReader, public_token: str) -> ShopKey | None:
    row = await reader.one(_KEY_BY_PUBLIC_TOKEN, {"token": public_token})
    return None if row is None else ShopKey(*row)


class ShopRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, shop_id: str, *, lock: bool = False) -> Shop | None:
        return await self.session.get(Shop, shop_id, with_for_update=lock)

    async def by_domain(self, domain: str) -> Shop | None:
        result = await self.session.execute(
            select(Shop).where(func.lower(Shop.myshopify_domain) == domain.lower())
        )
        return result.scalar_one_or_none()

    async def public_by_domain(self, domain: str) -> PublicShopRow | None:
        """What the storefront's public answers need of the shop of a myshopify domain (stored
        in lower case: shops.service.create), by its unique index."""
        row = await self.session.execute(_PUBLIC_BY_DOMAIN, {"domain": domain.lower()})
        found = row.one_or_none()
        return None if found is None else PublicShopRow(*found)

    async def add(self, shop: Shop) -> Shop:
        self.session.add(shop)
        await self.session.flush()
        return shop

    async def list(self) -> list[Shop]:
        result = await self.session.execute(select(Shop).order_by(Shop.shop_id))
        return list(result.scalars())

    async def page(self, offset: int, limit: int) -> tuple[int, Sequence[Shop]]:
        total = int((await self.session.execute(select(func.count(Shop.shop_id)))).scalar_one())
        rows = await self.session.execute(
            select(Shop).order_by(Shop.created_at, Shop.shop_id).offset(offset).limit(limit)
        )
        return total, rows.scalars().all()

    async def next_event_sequence(self, shop_id: str) -> tuple[int, str]:
        """Increment the shop's event counter; (the new sequence, the shop's domain). The row
        lock it takes is held until commit, so sequence order is commit order within a shop."""
        result = await self.session.execute(
            update(Shop)
            .where(Shop.shop_id == shop_id)
            .values(event_sequence=Shop.event_sequence + 1)
            .returning(Shop.event_sequence, Shop.myshopify_domain)
            .execution_options(synchronize_session=False)
        )
        sequence, domain = result.one()
        return int(sequence), str(domain)
