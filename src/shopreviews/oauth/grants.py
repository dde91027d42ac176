"""The grant lifecycle: approval (consent page, JSON authorize, client_credentials) and its end
(disconnect, cancel, merchant, operator), each with its system webhook in the same transaction."""

from __future__ import annotations

from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from shopreviews.auth.scopes import join_scopes
from shopreviews.kit.context import AppContext
from shopreviews.kit.timefmt import rfc3339
from shopreviews.oauth import system_webhooks
from shopreviews.oauth.models import ENDED, Grant
from shopreviews.oauth.repository import OAuthRepository
from shopreviews.platforms.models import Platform
from shopreviews.shops.models import Shop
from shopreviews.webhooks.models import WebhookSubscription

END_TOPICS = {"disconnected": "app/disconnected", "cancelled": "app/cancelled"}


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
    await system_webhooks.record(
        session,
        platform=platform,
        shop=shop,
        topic="app/authorized",
        extra={
            "granted_scopes": grant.scopes,
            "installed_at": rfc3339(grant.installed_at),
            "authorized_at": rfc3339(grant.authorized_at),
            "grant_type": grant_type,
            "reauthorized": int(reauthorized),
        },
        now=now,
    )
    return grant


async def end(
    ctx: AppContext, session: AsyncSession, grant: Grant, *, reason: str, initiated_by: str
) -> None:
    """End the grant in one transaction: tokens revoked, the platform's subscriptions for the
    shop deleted (their pending deliveries with them), and the platform told."""
    shop = await session.get(Shop, grant.shop_id)
    platform = await session.get(Platform, grant.client_id)
    assert shop is not None and platform is not None  # both cascade-delete their grants
    now = ctx.now_datetime()
    grant.status, grant.ended_at, grant.end_reason = ENDED, now, reason
    await OAuthRepository(session).revoke(now, grant_id=grant.id)
    await session.execute(
        delete(WebhookSubscription)
        .where(
            WebhookSubscription.shop_id == shop.shop_id,
            WebhookSubscription.owner_client_id == platform.client_id,
        )
        .execution_options(synchronize_session=False)
    )
    await session.flush()
    await system_webhooks.record(
        session,
        platform=platform,
        shop=shop,
        topic=END_TOPICS[reason],
        extra={"ended_at": rfc3339(now), "initiated_by": initiated_by},
        now=now,
    )
