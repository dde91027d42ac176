"""The grant lifecycle: approval (consent page, JSON authorize, client_credentials) and its end
(disconnect, cancel, merchant, operator), each announced by a signal in the same transaction
(oauth/signals.py): the webhooks domain sends the system webhook and, when a grant ends, removes
the platform's subscriptions for the shop."""

from __future__ import annotations

from typing import Literal

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from shopreviews.auth.scopes import join_scopes
from shopreviews.kit import signals
from shopreviews.kit.context import AppContext
from shopreviews.oauth.models import ENDED, Grant
from shopreviews.oauth.repository import OAuthRepository
from shopreviews.oauth.signals import GrantApproved, GrantEnded
from shopreviews.platforms.service import Platform
from shopreviews.shops.service import Shop


async def approve(
    ctx: AppContext,
    session: AsyncSession,
    *,
    shop: Shop,
    platform: Platform,
    scopes: list[str],
    grant_type: str,
) -> Grant:
    """Create the shop's active grant for the platform, or replace its scopes (re-approval)."""
    repo = OAuthRepository(session)
    now = ctx.now_datetime()
    grant = await repo.active_grant(shop.shop_id, platform.client_id, lock=True)
    reauthorized = grant is not None
    if grant is None:
        try:
            # A savepoint: two approvals racing for the same pair meet the partial unique
            # index; the loser re-approves the winner's grant instead of failing.
            async with session.begin_nested():
                grant = Grant(
                    shop_id=shop.shop_id,
                    client_id=platform.client_id,
                    scopes=join_scopes(scopes),
                    installed_at=now,
                    authorized_at=now,
                )
                await repo.add(grant)
        except IntegrityError:
            grant = await repo.active_grant(shop.shop_id, platform.client_id, lock=True)
            assert grant is not None
            reauthorized = True
    if reauthorized:
        grant.scopes = join_scopes(scopes)
        grant.authorized_at = now
        await session.flush()
    await signals.send(
        session,
        GrantApproved(
            shop_id=shop.shop_id,
            client_id=platform.client_id,
            granted_scopes=grant.scopes,
            installed_at=grant.installed_at,
            authorized_at=grant.authorized_at,
            grant_type=grant_type,
            reauthorized=reauthorized,
            now=now,
        ),
    )
    return grant


async def end(
    ctx: AppContext,
    session: AsyncSession,
    grant: Grant,
    *,
    reason: Literal["disconnected", "cancelled"],
    initiated_by: str,
) -> None:
    """End the grant in one transaction: tokens revoked, then `GrantEnded` (the platform's
    subscriptions for the shop deleted, their pending deliveries with them, and the platform
    told)."""
    now = ctx.now_datetime()
    grant.status, grant.ended_at, grant.end_reason = ENDED, now, reason
    await OAuthRepository(session).revoke(now, grant_id=grant.id)
    await session.flush()
    await signals.send(
        session,
        GrantEnded(
            shop_id=grant.shop_id,
            client_id=grant.client_id,
            reason=reason,
            initiated_by=initiated_by,
            ended_at=now,
        ),
    )
