"""Who may use the webhooks pages and with what: staff users get the 403 page on every GET and
POST, a POST without this session's CSRF token is refused, another shop's (or a platform's)
subscription and another shop's event answer like unknown ones and change nothing, and bad
input is a 400 page that says what to correct (never a 500, never the JSON envelope). The SSRF
guard applies as on the API."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest

from shopreviews.kit.context import AppContext
from shopreviews.settings import Settings
from tests.backoffice.helpers import Merchant, add_merchant, csrf_of, signed_in_client
from tests.support.api import ShopApi, bearer, create_shop, ok
from tests.support.browser import LiveServer, live_server
from tests.support.oauth import connect, create_platform
from tests.support.webhooks import cancel_pending_deliveries

OWNER_ONLY = "Only the shop&#39;s owner can open this page"
NOT_THIS_PAGE = "This form has expired or did not come from this page. Reload it."
NO_WEBHOOK = "There is no such webhook in this shop."
PUBLIC_HOOK = "https://93.184.216.34/hooks/reviews"


@pytest.fixture(autouse=True)
async def _quiet_queue(ctx: AppContext) -> AsyncIterator[None]:
    yield
    await cancel_pending_deliveries(ctx)


@pytest.fixture(scope="module")
def strict_live(settings: Settings) -> Iterator[LiveServer]:
    """The app with SHOPREVIEWS_WEBHOOK_ALLOW_PRIVATE_TARGETS off, as in production."""
    with live_server(settings.model_copy(update={"webhook_allow_private_targets": False})) as s:
        yield s


async def _subscribe(shop: ShopApi, topic: str = "review/created") -> dict[str, Any]:
    created: dict[str, Any] = ok(
        await shop.post("create_shop_webhook", {"topic": topic, "url": PUBLIC_HOOK})
    )
    return created


async def _listed(shop: ShopApi) -> list[dict[str, Any]]:
    return list(ok(await shop.get("get_shop_webhooks")))


async def _deliveries(shop: ShopApi) -> list[dict[str, Any]]:
    return list(ok(await shop.get("get_webhook_deliveries", {"page_size": 100}))["list"])


def _posts(webhook_id: str, event_id: str) -> list[tuple[str, dict[str, str]]]:
    """Every form of the webhooks pages, with valid fields (the CSRF token is added)."""
    return [
        ("/backoffice/webhooks", {"topic": "review/updated", "url": PUBLIC_HOOK + "/2"}),
        (f"/backoffice/webhooks/{webhook_id}/test", {}),
        (f"/backoffice/webhooks/{webhook_id}/redeliver", {"event_id": event_id}),
        (f"/backoffice/webhooks/{webhook_id}/enable", {}),
        (f"/backoffice/webhooks/{webhook_id}/delete", {}),
    ]


async def _token(client: httpx.AsyncClient, path: str = "/backoffice/account") -> str:
    return csrf_of((await client.get(path)).text)


async def test_staff_are_refused_every_page_and_form(
    live: LiveServer, store: ShopApi, staff: Merchant
) -> None:
    webhook = await _subscribe(store)
    event_id = ok(await store.post("send_test_webhook", {"id": webhook["id"]}))["event_id"]
    before = await _deliveries(store)
    async with signed_in_client(live.base_url, staff) as client:
        for path in (
            "/backoffice/webhooks",
            f"/backoffice/webhooks/{webhook['id']}",
            f"/backoffice/webhooks/{webhook['id']}/delete",
        ):
            answer = await client.get(path)
            assert answer.status_code == 403, path
            assert OWNER_ONLY in answer.text, path
            assert "text/html" in answer.headers["content-type"]
        token = await _token(client)
        for path, fields in _posts(webhook["id"], event_id):
            answer = await client.post(path, data={**fields, "csrf_token": token})
            assert answer.status_code == 403, path
            assert OWNER_ONLY in answer.text, path
    assert await _listed(store) == [{k: v for k, v in webhook.items() if k != "secret"}]
    assert await _deliveries(store) == before


async def test_a_post_without_this_sessions_token_is_refused_and_changes_nothing(
    live: LiveServer, ctx: AppContext, store: ShopApi, owner: Merchant
) -> None:
    webhook = await _subscribe(store)
    event_id = ok(await store.post("send_test_webhook", {"id": webhook["id"]}))["event_id"]
    before = await _deliveries(store)
    other = await add_merchant(ctx, store.shop_id, "owner")
    async with signed_in_client(live.base_url, other) as elsewhere:
        foreign_token = await _token(elsewhere)  # valid, but for another session
    async with signed_in_client(live.base_url, owner) as client:
        for path, fields in _posts(webhook["id"], event_id):
            for token in (None, "", "0" * 64, foreign_token):
                sent = fields if token is None else {**fields, "csrf_token": token}
                answer = await client.post(path, data=sent)
                assert answer.status_code == 403, (path, token)
                assert NOT_THIS_PAGE in answer.text, (path, token)
    assert len(await _listed(store)) == 1
    assert await _deliveries(store) == before


async def test_another_shops_or_a_platforms_subscription_is_unknown(
    live: LiveServer, ctx: AppContext, api: httpx.AsyncClient, store: ShopApi, owner: Merchant
) -> None:
    other_shop = await create_shop(ctx, api)
    foreign = await _subscribe(other_shop)
    foreign_event = ok(await other_shop.post("send_test_webhook", {"id": foreign["id"]}))
    platform = await create_platform(ctx)
    tokens = await connect(ctx, api, store, platform)
    platforms = ok(
        await api.post(
            "/api/v1/openapi/create_shop_webhook",
            json={"topic": "review/created", "url": PUBLIC_HOOK},
            headers=bearer(tokens["access_token"]),
        )
    )
    mine = await _subscribe(store)
    foreign_before = await _deliveries(other_shop)
    async with signed_in_client(live.base_url, owner) as client:
        token = await _token(client)
        for webhook_id in (foreign["id"], platforms["id"], "999999999999", "abc", "0", "9" * 30):
            for path in (
                f"/backoffice/webhooks/{webhook_id}",
                f"/backoffice/webhooks/{webhook_id}/delete",
            ):
                answer = await client.get(path)
                assert answer.status_code == 404, path
                assert NO_WEBHOOK in answer.text
            for path, fields in _posts(webhook_id, foreign_event["event_id"])[1:]:
                answer = await client.post(path, data={**fields, "csrf_token": token})
                assert answer.status_code == 404, path
                assert NO_WEBHOOK in answer.text
        # Another shop's event, redelivered to a webhook of this shop: unknown too.
        answer = await client.post(
            f"/backoffice/webhooks/{mine['id']}/redeliver",
            data={"event_id": foreign_event["event_id"], "csrf_token": token},
        )
        assert answer.status_code == 400
        assert "That event is not known to this shop" in answer.text
    assert len(await _listed(other_shop)) == 1
    assert await _deliveries(other_shop) == foreign_before
    assert await _deliveries(store) == []
    answer = await api.get(
        "/api/v1/openapi/get_shop_webhooks", headers=bearer(tokens["access_token"])
    )
    assert [w["id"] for w in ok(answer)] == [platforms["id"]]


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"topic": "review/created", "url": ""}, "Enter the URL that should receive the events."),
        ({"topic": "order/created", "url": PUBLIC_HOOK}, "Choose a topic from the list."),
        ({"url": PUBLIC_HOOK}, "Choose a topic from the list."),
        (
            {"topic": "review/created", "url": "ftp://93.184.216.34/x"},
            "The URL was refused: url must use https.",
        ),
        (
            {"topic": "review/created", "url": "https://user:pw@93.184.216.34/x"},
            "The URL was refused: url must not contain user information.",
        ),
        (
            {"topic": "review/created", "url": "https://no-such-host.invalid/x"},
            "The URL was refused: url host no-such-host.invalid does not resolve.",
        ),
    ],
)
async def test_bad_input_is_a_400_page_saying_what_to_correct(
    live: LiveServer, store: ShopApi, owner: Merchant, fields: dict[str, str], message: str
) -> None:
    async with signed_in_client(live.base_url, owner) as client:
        token = await _token(client, "/backoffice/webhooks")
        answer = await client.post("/backoffice/webhooks", data={**fields, "csrf_token": token})
    assert answer.status_code == 400
    assert "text/html" in answer.headers["content-type"]
    assert f'<p class="error" id="error" role="alert">{message}</p>' in answer.text
    assert await _listed(store) == []


async def test_a_duplicate_and_a_bad_page_number_are_400_pages(
    live: LiveServer, store: ShopApi, owner: Merchant
) -> None:
    webhook = await _subscribe(store)
    async with signed_in_client(live.base_url, owner) as client:
        token = await _token(client, "/backoffice/webhooks")
        fields = {"topic": "review/created", "url": PUBLIC_HOOK, "csrf_token": token}
        answer = await client.post("/backoffice/webhooks", data=fields)
        assert answer.status_code == 400
        assert "This shop already has a webhook for review/created at this URL." in answer.text
        for page in ("0", "x", "-1", "10000001"):
            answer = await client.get(f"/backoffice/webhooks/{webhook['id']}?page={page}")
            assert answer.status_code == 400, page
            assert "The page must be a whole number from 1 to 1000000." in answer.text
    assert len(await _listed(store)) == 1


async def test_the_ssrf_guard_refuses_private_targets_with_its_reason(
    strict_live: LiveServer, ctx: AppContext, api: httpx.AsyncClient
) -> None:
    store = await create_shop(ctx, api)
    owner = await add_merchant(ctx, store.shop_id, "owner")
    async with signed_in_client(strict_live.base_url, owner) as client:
        token = await _token(client, "/backoffice/webhooks")
        for url, reason in (
            (
                "https://127.0.0.1/hooks",
                "url host 127.0.0.1 resolves to 127.0.0.1, which is not a public address; "
                "set SHOPREVIEWS_WEBHOOK_ALLOW_PRIVATE_TARGETS=true to allow private targets",
            ),
            (
                "http://localhost:9/hooks",
                "url must use https; set SHOPREVIEWS_WEBHOOK_ALLOW_PRIVATE_TARGETS=true to "
                "allow http to loopback hosts",
            ),
        ):
            fields = {"topic": "review/created", "url": url, "csrf_token": token}
            answer = await client.post("/backoffice/webhooks", data=fields)
            assert answer.status_code == 400, url
            assert f"The URL was refused: {reason}." in answer.text, answer.text
    assert ok(await store.get("get_shop_webhooks")) == []
