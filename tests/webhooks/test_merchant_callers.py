"""The webhooks service with a merchant caller (the back office's): the owner manages the shop's
own subscriptions, those of its HMAC integration; a staff user is refused every subscription
tool (code 7); the subscriptions the shop's platforms made are listed for the owner alone."""

from __future__ import annotations

import httpx
import pytest

from shopreviews.auth.caller import Caller
from shopreviews.kit.context import AppContext
from shopreviews.kit.envelope import PermissionDenied
from shopreviews.kit.pagination import PageRequest
from shopreviews.webhooks import service as webhook_service
from shopreviews.webhooks.service import WebhookIn
from tests.support.api import bearer, ok
from tests.support.oauth import connect, create_platform
from tests.support.webhooks import ClockedShop

HOOK = "https://93.184.216.34/hooks"


def _merchant(shop_id: str, role: str) -> Caller:
    return Caller(shop_id=shop_id, kind="merchant", merchant_user_id=1, merchant_role=role)


async def test_the_owner_manages_the_shops_own_subscriptions(
    ctx: AppContext, shop: ClockedShop
) -> None:
    owner = _merchant(shop.shop_id, "owner")
    async with ctx.db.session(write=True) as session:
        created = await webhook_service.create(
            ctx, session, owner, WebhookIn(topic="review/created", url=HOOK)
        )
    # The shop's HMAC integration sees the same subscription, and the other way round.
    listed = ok(await shop.get("get_shop_webhooks"))
    assert [w["id"] for w in listed] == [created.id]
    other = ok(await shop.post("create_shop_webhook", {"topic": "review/deleted", "url": HOOK}))
    async with ctx.db.session(write=False) as session:
        mine = await webhook_service.list_subscriptions(session, owner, None)
    assert [w.id for w in mine] == [created.id, other["id"]]


async def test_a_staff_user_is_refused_every_subscription_tool(
    ctx: AppContext, shop: ClockedShop
) -> None:
    staff = _merchant(shop.shop_id, "staff")
    made = ok(await shop.post("create_shop_webhook", {"topic": "review/created", "url": HOOK}))
    webhook_id = int(made["id"])
    async with ctx.db.session(write=True) as session:
        with pytest.raises(PermissionDenied):
            await webhook_service.list_subscriptions(session, staff, None)
        with pytest.raises(PermissionDenied):
            await webhook_service.create(
                ctx, session, staff, WebhookIn(topic="review/updated", url=HOOK)
            )
        with pytest.raises(PermissionDenied):
            await webhook_service.delete(session, staff, webhook_id)
        with pytest.raises(PermissionDenied):
            await webhook_service.send_test(ctx, session, staff, webhook_id)
        with pytest.raises(PermissionDenied):
            await webhook_service.deliveries(
                session, staff, webhook_id=None, event_id=None, page=PageRequest(1, 20)
            )
        with pytest.raises(PermissionDenied):
            await webhook_service.platform_subscriptions(session, staff)
    assert [w["id"] for w in ok(await shop.get("get_shop_webhooks"))] == [made["id"]]


async def test_the_platforms_subscriptions_are_listed_for_the_owner(
    ctx: AppContext, client: httpx.AsyncClient, shop: ClockedShop, other_shop: ClockedShop
) -> None:
    platform = await create_platform(ctx)
    tokens = await connect(ctx, client, shop, platform)
    elsewhere = await connect(ctx, client, other_shop, platform)
    body = {"topic": "review/created", "url": HOOK}
    theirs = ok(
        await client.post(
            "/api/v1/openapi/create_shop_webhook",
            json=body,
            headers=bearer(tokens["access_token"]),
        )
    )
    ok(
        await client.post(
            "/api/v1/openapi/create_shop_webhook",
            json=body,
            headers=bearer(elsewhere["access_token"]),
        )
    )
    ok(await shop.post("create_shop_webhook", body))  # the shop's own: not a platform's
    async with ctx.db.session(write=False) as session:
        found = await webhook_service.platform_subscriptions(
            session, _merchant(shop.shop_id, "owner")
        )
        assert [(s.client_id, s.webhook.id) for s in found] == [(platform.client_id, theirs["id"])]
        as_platform = Caller(shop_id=shop.shop_id, kind="bearer", client_id=platform.client_id)
        with pytest.raises(PermissionDenied):
            await webhook_service.platform_subscriptions(session, as_platform)
