"""The back office's questions to the other domains: who is signed in, signing in and out.
Each page area (reviews, insights, settings, integrations) has its own service module."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from shopreviews.auth.caller import Caller
from shopreviews.kit.context import AppContext
from shopreviews.merchants import service as merchant_service
from shopreviews.merchants.service import LoginIn, LoginOut
from shopreviews.shops import service as shop_service


@dataclass(frozen=True)
class Who:
    email: str
    shop_domain: str
    shop_name: str


async def who(session: AsyncSession, caller: Caller) -> Who | None:
    """The signed-in user's address and shop; None when either is gone."""
    email = await merchant_service.user_email(session, caller)
    shop = await shop_service.find(session, caller.shop_id)
    if email is None or shop is None or not shop.is_active:
        return None
    return Who(email=email, shop_domain=shop.myshopify_domain, shop_name=shop.name)


async def sign_in(
    ctx: AppContext,
    session: AsyncSession,
    *,
    email: str,
    password: str,
    shop_domain: str | None,
    ip: str,
) -> LoginOut:
    """The merchant sign-in of the JSON endpoint, with its rate limits and answers."""
    body = LoginIn(email=email, password=password, myshopify_domain=shop_domain or None)
    return await merchant_service.login(ctx, session, body, ip=ip)


async def sign_out(ctx: AppContext, session: AsyncSession, caller: Caller) -> None:
    await merchant_service.logout(ctx, session, caller)
