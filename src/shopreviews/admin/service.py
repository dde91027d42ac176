"""Operator administration: platforms, shops and merchant users, as the admin endpoints and
the CLI present them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from shopreviews.admin.schemas import (
    CreateShopIn,
    MerchantRoleIn,
    MerchantUserIn,
    NewMerchantUserIn,
)
from shopreviews.kit.context import AppContext
from shopreviews.kit.pagination import PageRequest, Pagination
from shopreviews.kit.timefmt import rfc3339
from shopreviews.merchants import service as merchant_service
from shopreviews.platforms import service as platforms
from shopreviews.platforms.service import CreatePlatformIn as CreatePlatformIn
from shopreviews.platforms.service import RotatePlatformSecretIn as RotatePlatformSecretIn
from shopreviews.platforms.service import UpdatePlatformIn as UpdatePlatformIn
from shopreviews.shops import service as shop_service
from shopreviews.shops.service import Shop


async def create_platform(
    ctx: AppContext, session: AsyncSession, new: CreatePlatformIn
) -> dict[str, Any]:
    created = await platforms.create(ctx, session, new)
    return {
        "platform": created.platform.as_dict(),
        "client_secret": created.client_secret,
        "system_webhook_secret": created.system_webhook_secret,
    }


async def list_platforms(session: AsyncSession, page: PageRequest) -> dict[str, Any]:
    pagination, rows = await platforms.listing(session, page)
    return {"page": pagination, "list": [p.as_dict() for p in rows]}


async def update_platform(
    ctx: AppContext, session: AsyncSession, change: UpdatePlatformIn
) -> dict[str, Any]:
    return (await platforms.update(ctx, session, change)).as_dict()


async def rotate(
    ctx: AppContext, session: AsyncSession, rotation: RotatePlatformSecretIn
) -> dict[str, str]:
    return await platforms.rotate_secret(ctx, session, rotation.client_id, rotation.which)


def shop_dict(shop: Shop) -> dict[str, str]:
    return {
        "shop_id": shop.shop_id,
        "myshopify_domain": shop.myshopify_domain,
        "name": shop.name,
        "status": shop.status,
        "created_at": rfc3339(shop.created_at),
    }


async def create_shop(ctx: AppContext, session: AsyncSession, new: CreateShopIn) -> dict[str, Any]:
    creds = await shop_service.create(
        ctx, session, shop_id=new.shop_id, domain=new.myshopify_domain, name=new.name or ""
    )
    shop = await shop_service.find(session, creds.shop_id)
    assert shop is not None
    return {
        "shop": shop_dict(shop),
        "public_token": creds.public_token,
        "private_token": creds.private_token,
    }


async def list_shops(session: AsyncSession, page: PageRequest) -> dict[str, Any]:
    total, rows = await shop_service.page(session, page.offset, page.page_size)
    return {"page": Pagination.of(page, total), "list": [shop_dict(s) for s in rows]}


def _merchant_user(shop_id: str, email: str, role: str, created_at: datetime) -> dict[str, str]:
    return {"shop_id": shop_id, "email": email, "role": role, "created_at": rfc3339(created_at)}


async def create_merchant_user(session: AsyncSession, user_in: NewMerchantUserIn) -> dict[str, str]:
    user = await merchant_service.create_user(
        session,
        shop_id=user_in.shop_id,
        email=user_in.email,
        password=user_in.password,
        role=user_in.role,
    )
    return _merchant_user(user.shop_id, user.email, user.role, user.created_at)


async def set_merchant_role(
    ctx: AppContext, session: AsyncSession, change: MerchantRoleIn
) -> dict[str, str]:
    user = await merchant_service.set_role(
        ctx, session, shop_id=change.shop_id, email=change.email, role=change.role
    )
    return _merchant_user(user.shop_id, user.email, user.role, user.created_at)


async def set_merchant_password(
    ctx: AppContext, session: AsyncSession, user_in: MerchantUserIn
) -> None:
    await merchant_service.set_password(
        ctx, session, shop_id=user_in.shop_id, email=user_in.email, password=user_in.password
    )
