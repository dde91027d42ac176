"""Shop records and their API tokens."""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from shopreviews.context import AppContext
from shopreviews.kit.crypto import new_shop_token
from shopreviews.kit.envelope import AlreadyExists, InvalidArgument, NotFound
from shopreviews.kit.models import utcnow
from shopreviews.kit.params import SHOP_ID
from shopreviews.shops.models import Shop
from shopreviews.shops.repository import ShopRepository

_DOMAIN = re.compile(
    r"^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)+$"
)


@dataclass(frozen=True)
class ShopCredentials:
    shop_id: str
    myshopify_domain: str
    name: str
    public_token: str
    private_token: str


async def create(
    ctx: AppContext, session: AsyncSession, *, shop_id: str, domain: str, name: str = ""
) -> ShopCredentials:
    shop_id = shop_id.strip()
    domain = domain.strip().lower()
    if not SHOP_ID.match(shop_id):
        raise InvalidArgument("shop_id must match ^[A-Za-z0-9_-]{1,64}$")
    if not _DOMAIN.match(domain):
        raise InvalidArgument("myshopify_domain must be a host name such as example.myshopify.com")
    repo = ShopRepository(session)
    if await repo.get(shop_id) is not None:
        raise AlreadyExists(f"shop {shop_id} already exists")
    if await repo.by_domain(domain) is not None:
        raise AlreadyExists(f"a shop with domain {domain} already exists")
    public_token, private_token = new_shop_token(), new_shop_token()
    await repo.add(
        Shop(
            shop_id=shop_id,
            myshopify_domain=domain,
            name=name.strip() or domain.split(".")[0],
            public_token=public_token,
            private_token_encrypted=ctx.box.seal(private_token),
        )
    )
    return ShopCredentials(
        shop_id, domain, name.strip() or domain.split(".")[0], public_token, private_token
    )


def private_token(ctx: AppContext, shop: Shop) -> str:
    return ctx.box.open(shop.private_token_encrypted)


async def reset_private_token(ctx: AppContext, session: AsyncSession, shop_id: str) -> str:
    """A new private token; the old one fails from the moment this commits."""
    shop = await ShopRepository(session).get(shop_id)
    if shop is None:
        raise NotFound("shop not found")
    token = new_shop_token()
    shop.private_token_encrypted = ctx.box.seal(token)
    shop.updated_at = utcnow()
    await session.flush()
    return token
