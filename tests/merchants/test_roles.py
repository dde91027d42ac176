"""Merchant roles on the JSON merchant endpoints: the owner does everything; a staff user
moderates and replies, and is refused (code 7) the shop's tokens, its settings and its
platforms, with nothing changed. A changed role applies to the session's next request."""

from __future__ import annotations

import uuid

import httpx
import pytest

from shopreviews.kit.context import AppContext
from shopreviews.merchants import service as merchant_service
from tests.support.api import ShopApi, bearer, error, ok
from tests.support.merchants import PASSWORD, login
from tests.support.oauth import connect, create_platform
from tests.support.reviews import create

INFORMATION = "/api/v1/openapi/get_open_api_information"
PRIVATE_TOKEN = "/api/v1/openapi/get_open_api_private_token"
RESET = "/api/v1/openapi/reset_private_token"
SETTINGS = "/api/v1/merchant/settings"
PLATFORMS = "/api/v1/merchant/get_authorized_platforms"
DISCONNECT = "/api/v1/merchant/disconnect_platform"
REVIEWS = "/api/v1/merchant/get_reviews"
MODERATE = "/api/v1/merchant/moderate_review"
AUTHORIZE = "/api/v1/openapi/oauth/authorize"
OWNER_ONLY = "permission denied: this needs the shop owner's role"


async def _user(ctx: AppContext, client: httpx.AsyncClient, shop: ShopApi, role: str) -> str:
    """A signed-in user of `shop` with `role`: their session token."""
    email = f"{role}-{uuid.uuid4().hex[:8]}@example.test"
    async with ctx.db.session(write=True) as session:
        await merchant_service.create_user(
            session, shop_id=shop.shop_id, email=email, password=PASSWORD, role=role
        )
    answer = ok(await login(client, email=email, password=PASSWORD))
    return str(answer["token"])


def _refused(response: httpx.Response) -> None:
    body = error(response, 7, 403)
    assert body["message"].startswith(OWNER_ONLY), body


async def test_staff_are_refused_the_tokens_and_nothing_changes(
    ctx: AppContext, client: httpx.AsyncClient, shop: ShopApi
) -> None:
    staff = await _user(ctx, client, shop, "staff")
    owner = await _user(ctx, client, shop, "owner")
    _refused(await client.get(PRIVATE_TOKEN, headers=bearer(staff)))
    _refused(await client.post(RESET, headers=bearer(staff)))
    # The private token was not replaced: the shop's signed calls still work with it, and the
    # owner reads the same token.
    ok(await shop.get("get_reviews"))
    assert ok(await client.get(PRIVATE_TOKEN, headers=bearer(owner))) == {
        "private_token": shop.private_token
    }
    # The public identifiers are everyone's.
    assert ok(await client.get(INFORMATION, headers=bearer(staff)))["shop_id"] == shop.shop_id


async def test_the_owner_reads_and_resets_the_private_token(
    ctx: AppContext, client: httpx.AsyncClient, shop: ShopApi
) -> None:
    owner = await _user(ctx, client, shop, "owner")
    fresh = ok(await client.post(RESET, headers=bearer(owner)))["private_token"]
    assert fresh != shop.private_token
    assert ok(await client.get(PRIVATE_TOKEN, headers=bearer(owner))) == {"private_token": fresh}
    error(await shop.get("get_reviews"), 16, 401)  # the old token stopped working


async def test_staff_are_refused_the_settings_and_nothing_changes(
    ctx: AppContext, client: httpx.AsyncClient, shop: ShopApi
) -> None:
    staff = await _user(ctx, client, shop, "staff")
    owner = await _user(ctx, client, shop, "owner")
    before = ok(await client.get(SETTINGS, headers=bearer(owner)))
    _refused(await client.get(SETTINGS, headers=bearer(staff)))
    change = {"review_request_delay_days": before["review_request_delay_days"] + 3}
    _refused(await client.post(SETTINGS, json=change, headers=bearer(staff)))
    assert ok(await client.get(SETTINGS, headers=bearer(owner))) == before

    changed = ok(await client.post(SETTINGS, json=change, headers=bearer(owner)))
    assert changed["review_request_delay_days"] == change["review_request_delay_days"]


async def test_staff_are_refused_the_platforms_and_the_platform_keeps_its_access(
    ctx: AppContext, client: httpx.AsyncClient, shop: ShopApi
) -> None:
    platform = await create_platform(ctx)
    tokens = await connect(ctx, client, shop, platform)
    staff = await _user(ctx, client, shop, "staff")
    owner = await _user(ctx, client, shop, "owner")

    _refused(await client.get(PLATFORMS, headers=bearer(staff)))
    body = {"client_id": platform.client_id}
    _refused(await client.post(DISCONNECT, json=body, headers=bearer(staff)))
    listed = ok(await client.get(PLATFORMS, headers=bearer(owner)))
    assert [p["client_id"] for p in listed] == [platform.client_id]
    platform_call = await client.get(
        "/api/v1/openapi/get_reviews", headers=bearer(tokens["access_token"])
    )
    ok(platform_call)

    assert ok(await client.post(DISCONNECT, json=body, headers=bearer(owner))) == {}
    assert ok(await client.get(PLATFORMS, headers=bearer(owner))) == []
    error(
        await client.get("/api/v1/openapi/get_reviews", headers=bearer(tokens["access_token"])),
        16,
        401,
    )


@pytest.mark.parametrize("role", ["staff", "owner"])
async def test_both_roles_moderate_reply_and_sign_out(
    ctx: AppContext, client: httpx.AsyncClient, shop: ShopApi, role: str
) -> None:
    review = await create(shop, rating=4)
    token = await _user(ctx, client, shop, role)
    listed = ok(await client.get(REVIEWS, headers=bearer(token)))
    assert [r["id"] for r in listed["list"]] == [review["id"]]
    reply = {"id": review["id"], "is_published": 0, "reply": {"content": f"Thanks ({role})"}}
    moderated = ok(await client.post(MODERATE, json=reply, headers=bearer(token)))
    assert moderated["is_published"] == 0
    assert moderated["reply"]["content"] == f"Thanks ({role})"
    seen = ok(await shop.get("get_review", {"id": review["id"]}))
    assert seen["is_published"] == 0 and seen["reply"]["content"] == f"Thanks ({role})"

    assert ok(await client.post("/api/v1/merchant/logout", headers=bearer(token))) == {}
    error(await client.get(INFORMATION, headers=bearer(token)), 16, 401)


async def test_a_changed_role_applies_to_the_next_request(
    ctx: AppContext, client: httpx.AsyncClient, shop: ShopApi
) -> None:
    email = f"owner-{uuid.uuid4().hex[:8]}@example.test"
    async with ctx.db.session(write=True) as session:
        await merchant_service.create_user(
            session, shop_id=shop.shop_id, email=email, password=PASSWORD
        )
    token = ok(await login(client, email=email, password=PASSWORD))["token"]
    ok(await client.get(SETTINGS, headers=bearer(token)))

    for role, allowed in (("staff", False), ("owner", True)):
        async with ctx.db.session(write=True) as session:
            row = await merchant_service.set_role(
                ctx, session, shop_id=shop.shop_id, email=email.upper(), role=role
            )
        assert (row.email, row.role) == (email, role)
        answer = await client.get(SETTINGS, headers=bearer(token))  # the same session
        if allowed:
            ok(answer)
        else:
            _refused(answer)


async def test_staff_cannot_connect_a_platform_but_the_owner_can(
    ctx: AppContext, client: httpx.AsyncClient, shop: ShopApi
) -> None:
    platform = await create_platform(ctx)
    staff = await _user(ctx, client, shop, "staff")
    params = {"client_id": platform.client_id, "redirect_uri": platform.redirect_uris[0]}
    refused = await client.get(
        AUTHORIZE, params=params, headers={"Authorization": f"Bearer {staff}"}
    )
    body = error(refused, 7, 403)
    assert body["data"]["error"] == "access_denied", body
    assert "only the shop's owner can connect an app" in body["message"]
    # The consent page says so before the staff user can press Approve.
    page = await client.get(
        "/oauth/authorize",
        params={**params, "response_type": "code"},
        cookies={"merchant_session": staff},
    )
    assert page.status_code == 403
    assert "Only the shop&#39;s owner can connect an app" in page.text
    assert 'value="approve"' not in page.text
    owner = await _user(ctx, client, shop, "owner")
    approved = ok(
        await client.get(AUTHORIZE, params=params, headers={"Authorization": f"Bearer {owner}"})
    )
    assert approved["code"]
