"""The settings and token pages as plain HTTP sees them: owner only, CSRF on every post, bad
input answered on the page (400, never a 500 or the JSON envelope), another shop untouched,
and the Shopify app secret never sent back."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import select

from shopreviews.kit.context import AppContext
from shopreviews.merchants.models import AuditEntry
from tests.backoffice.helpers import (
    Merchant,
    add_merchant,
    csrf_of,
    form_fields,
    shop_settings,
    signed_in_client,
)
from tests.support.api import ShopApi, bearer, create_shop, ok
from tests.support.browser import LiveServer

SECRET = "shpss_" + "9f" * 16
WEB_REVIEWS = {
    "web_reviews": "verified_buyers_only",
    "auto_publish_min_rating": "0",
    "author_display": "initials",
    "reviews_disclosure": "We ask every buyer.",
}
REQUESTS = {
    "review_request_delay_days": "3",
    "review_request_subject": "{customer_name}, how is {order_name}?",
    "review_request_text": "Hello {customer_name},\r\n\r\nThanks from {shop_name}.",
}
# Every post of the owner pages and a body that would change something.
POSTS = {
    "/backoffice/settings/web-reviews": WEB_REVIEWS,
    "/backoffice/settings/review-requests": REQUESTS,
    "/backoffice/settings/review-requests/preview": REQUESTS,
    "/backoffice/settings/origins": {"storefront_origins": "https://shop.example.com"},
    "/backoffice/settings/shopify-secret": {"shopify_app_secret": SECRET},
    "/backoffice/settings/shopify-secret/remove": {"confirm": "yes"},
    "/backoffice/tokens/reveal": {"password": "x" * 12},
    "/backoffice/tokens/rotate": {"password": "x" * 12, "confirm": "yes"},
}
PAGES = (
    "/backoffice/settings",
    "/backoffice/settings/review-requests/preview",
    "/backoffice/settings/review-requests/email",
    "/backoffice/tokens",
)


async def _csrf(http: httpx.AsyncClient) -> str:
    return csrf_of((await http.get("/backoffice/account")).text)


async def test_staff_get_the_403_page_on_every_owner_page_and_post(
    ctx: AppContext, live: LiveServer, store: ShopApi, staff: Merchant
) -> None:
    before = await shop_settings(ctx, store.shop_id)
    async with signed_in_client(live.base_url, staff) as http:
        for path in PAGES:
            answer = await http.get(path)
            assert answer.status_code == 403, path
            assert "Only the shop&#39;s owner can open this page" in answer.text, path
            assert store.private_token not in answer.text and store.public_token not in answer.text
        token = await _csrf(http)
        for path, body in POSTS.items():
            answer = await http.post(path, data={**body, "csrf_token": token})
            assert answer.status_code == 403, path
            assert "Only the shop&#39;s owner" in answer.text, path
            assert store.private_token not in answer.text
    assert await shop_settings(ctx, store.shop_id) == before
    assert ok(await store.get("get_reviews")) is not None  # the private token still works


async def test_a_forged_post_changes_nothing(
    ctx: AppContext, live: LiveServer, store: ShopApi, owner: Merchant
) -> None:
    before = await shop_settings(ctx, store.shop_id)
    async with signed_in_client(live.base_url, owner) as http:
        for path, body in POSTS.items():
            for forged in ({}, {"csrf_token": "0" * 64}):
                answer = await http.post(path, data={**body, **forged})
                assert answer.status_code == 403, path
                assert "did not come from this page" in answer.text, path
                assert store.private_token not in answer.text
    assert await shop_settings(ctx, store.shop_id) == before
    assert ok(await store.get("get_reviews")) is not None  # no new private token


@pytest.mark.parametrize(
    ("path", "body", "field", "message"),
    [
        (
            "/backoffice/settings/web-reviews",
            {**WEB_REVIEWS, "auto_publish_min_rating": "five"},
            "auto_publish_min_rating",
            "The rating must be a whole number from 0 to 5.",
        ),
        (
            "/backoffice/settings/web-reviews",
            {**WEB_REVIEWS, "web_reviews": "everyone"},
            "web_reviews",
            "Who may write reviews must be one of enabled, verified_buyers_only, disabled.",
        ),
        (
            "/backoffice/settings/web-reviews",
            {**WEB_REVIEWS, "reviews_disclosure": "x" * 1001},
            "reviews_disclosure",
            "The notice must be at most 1000 characters.",
        ),
        (
            "/backoffice/settings/review-requests",
            {**REQUESTS, "review_request_delay_days": "366"},
            "review_request_delay_days",
            "The delay must be an integer from 0 to 365.",
        ),
        (
            "/backoffice/settings/review-requests",
            {**REQUESTS, "review_request_delay_days": "-1"},
            "review_request_delay_days",
            "The delay must be a whole number of days from 0 to 365.",
        ),
        (
            "/backoffice/settings/review-requests",
            {**REQUESTS, "review_request_text": "Hi {first_name}!"},
            "review_request_text",
            "Unknown placeholder {first_name}: use {customer_name}, {order_name}, {shop_name}.",
        ),
        (
            "/backoffice/settings/review-requests/preview",
            {**REQUESTS, "review_request_subject": "About {order}"},
            "review_request_subject",
            "Unknown placeholder {order}: use {customer_name}, {order_name}, {shop_name}.",
        ),
        (
            "/backoffice/settings/origins",
            {"storefront_origins": "https://ok.example.com\nhttp://shop.example.com"},
            "storefront_origins",
            "&#39;http://shop.example.com&#39; must use https",
        ),
        (
            "/backoffice/settings/shopify-secret",
            {"shopify_app_secret": "short secret"},
            "shopify_app_secret",
            "The secret must be 16 to 255 printable ASCII characters",
        ),
    ],
)
async def test_bad_input_is_a_message_next_to_its_field_and_changes_nothing(
    ctx: AppContext,
    live: LiveServer,
    store: ShopApi,
    owner: Merchant,
    path: str,
    body: dict[str, str],
    field: str,
    message: str,
) -> None:
    before = await shop_settings(ctx, store.shop_id)
    async with signed_in_client(live.base_url, owner) as http:
        answer = await http.post(path, data={**body, "csrf_token": await _csrf(http)})
    assert answer.status_code == 400
    assert answer.headers["content-type"].startswith("text/html")
    error = answer.text.split(f'id="{field}-error">', 1)[1].split("</p>", 1)[0]
    assert message in error
    assert f'aria-describedby="{field}-error"' in answer.text or (
        f'{field}-error" aria-invalid="true"' in answer.text
    )
    if field not in ("shopify_app_secret", "web_reviews", "auto_publish_min_rating"):  # typed
        kept = body[field].replace("\r\n", "\n").split("\n")[-1]
        assert kept.replace("'", "&#39;")[:20] in answer.text
    assert await shop_settings(ctx, store.shop_id) == before


async def test_saving_each_form_changes_only_its_settings_of_the_own_shop(
    ctx: AppContext, live: LiveServer, api: httpx.AsyncClient, store: ShopApi, owner: Merchant
) -> None:
    neighbour = await create_shop(ctx, api)
    theirs = await shop_settings(ctx, neighbour.shop_id)
    async with signed_in_client(live.base_url, owner) as http:
        token = await _csrf(http)
        for path in ("/backoffice/settings/web-reviews", "/backoffice/settings/review-requests"):
            answer = await http.post(path, data={**POSTS[path], "csrf_token": token})
            assert answer.status_code == 303, answer.text
        origins = "\n https://Shop.Example.com/ \n\nhttps://shop.example.com\nhttp://localhost:3000"
        saved = await http.post(
            "/backoffice/settings/origins",
            data={"storefront_origins": origins, "csrf_token": token},
        )
        assert saved.headers["location"] == "/backoffice/settings?saved=origins#origins"
        page = await http.get(saved.headers["location"])
    assert 'role="status" id="saved">The storefront origins are saved.' in page.text
    assert "https://shop.example.com\nhttp://localhost:3000</textarea>" in page.text
    ours = await shop_settings(ctx, store.shop_id)
    assert ours == {
        **ours,
        "web_reviews": "verified_buyers_only",
        "auto_publish_min_rating": 0,
        "author_display": "initials",
        "reviews_disclosure": "We ask every buyer.",
        "review_request_delay_days": 3,
        "review_request_subject": "{customer_name}, how is {order_name}?",
        "review_request_text": "Hello {customer_name},\n\nThanks from {shop_name}.",
        "storefront_origins": ["https://shop.example.com", "http://localhost:3000"],
    }
    assert await shop_settings(ctx, neighbour.shop_id) == theirs


async def test_the_secret_is_write_only_and_its_changes_are_audited(
    ctx: AppContext, live: LiveServer, store: ShopApi, owner: Merchant
) -> None:
    async with signed_in_client(live.base_url, owner) as http:
        token = await _csrf(http)
        saved = await http.post(
            "/backoffice/settings/shopify-secret",
            data={"shopify_app_secret": SECRET, "csrf_token": token},
        )
        assert saved.status_code == 303
        page = await http.get(saved.headers["location"])
        assert 'id="secret-status">set<' in page.text
        assert SECRET not in page.text and SECRET[6:] not in page.text
        refused = await http.post(
            "/backoffice/settings/shopify-secret",
            data={"shopify_app_secret": SECRET + " x", "csrf_token": token},
        )
        assert refused.status_code == 400 and SECRET not in refused.text
        empty = await http.post(
            "/backoffice/settings/shopify-secret",
            data={"shopify_app_secret": "", "csrf_token": token},
        )
        assert empty.status_code == 400 and "Enter the new secret" in empty.text
        assert (await shop_settings(ctx, store.shop_id))["shopify_app_secret_set"] is True
        unconfirmed = await http.post(
            "/backoffice/settings/shopify-secret/remove", data={"csrf_token": token}
        )
        assert unconfirmed.status_code == 400 and "Tick the box to confirm" in unconfirmed.text
        assert (await shop_settings(ctx, store.shop_id))["shopify_app_secret_set"] is True
        removed = await http.post(
            "/backoffice/settings/shopify-secret/remove",
            data={"csrf_token": token, "confirm": "yes"},
        )
        page = await http.get(removed.headers["location"])
    assert 'id="secret-status">not set<' in page.text
    assert "The Shopify app secret is removed" in page.text
    assert (await shop_settings(ctx, store.shop_id))["shopify_app_secret_set"] is False
    async with ctx.db.session(write=False) as session:
        actions = (
            await session.scalars(
                select(AuditEntry.action)
                .where(AuditEntry.shop_id == store.shop_id)
                .order_by(AuditEntry.id)
            )
        ).all()
    assert actions == ["set_shopify_app_secret", "remove_shopify_app_secret"]


async def test_the_json_settings_endpoint_reads_and_writes_the_wording(
    ctx: AppContext, live: LiveServer, api: httpx.AsyncClient, store: ShopApi, owner: Merchant
) -> None:
    login = ok(
        await api.post(
            "/api/v1/merchant/login", json={"email": owner.email, "password": owner.password}
        )
    )
    headers = bearer(login["token"])
    data = ok(await api.get("/api/v1/merchant/settings", headers=headers))
    assert (data["review_request_subject"], data["review_request_text"]) == ("", "")
    changed = ok(
        await api.post(
            "/api/v1/merchant/settings",
            json={
                "review_request_subject": " Hi {customer_name} ",
                "review_request_text": "A\r\nB",
            },
            headers=headers,
        )
    )
    assert (changed["review_request_subject"], changed["review_request_text"]) == (
        "Hi {customer_name}",
        "A\nB",
    )
    refused = (
        await api.post(
            "/api/v1/merchant/settings",
            json={"review_request_text": "{customer_name} {name}", "review_request_subject": ""},
            headers=headers,
        )
    ).json()
    assert refused["code"] == 3
    assert "unknown placeholder {name}" in refused["message"]
    assert "review_request_text" in refused["message"]
    assert (await shop_settings(ctx, store.shop_id))["review_request_subject"] == (
        "Hi {customer_name}"
    )


async def test_the_tokens_page_never_shows_another_shops_tokens(
    ctx: AppContext, live: LiveServer, api: httpx.AsyncClient, store: ShopApi, owner: Merchant
) -> None:
    neighbour = await create_shop(ctx, api)
    await add_merchant(ctx, neighbour.shop_id, "owner")
    async with signed_in_client(live.base_url, owner) as http:
        page = await http.get("/backoffice/tokens")
        shown = await http.post(
            "/backoffice/tokens/reveal",
            data={
                **form_fields(page.text, "/backoffice/tokens/reveal"),
                "password": owner.password,
            },
        )
    assert shown.status_code == 200
    assert store.public_token in page.text and store.private_token not in page.text
    assert f'id="private-token" class="token">{store.private_token}<' in shown.text
    for text in (page.text, shown.text):
        assert neighbour.public_token not in text and neighbour.private_token not in text
