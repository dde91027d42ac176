"""GET /metrics of one process (kit/observability/metrics.py): requests by route template, the
read cache, the database pool, the optional bearer token, and no tenant's data in any label.
The metrics are the process's, shared by every app a test makes: tests compare before and
after."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from pydantic import SecretStr

from shopreviews.kit.context import AppContext
from shopreviews.kit.db import POOL_OVERFLOW, Database
from shopreviews.kit.observability.metrics import DURATION_BUCKETS
from shopreviews.main import create_app
from shopreviews.settings import Settings
from tests.support.api import ShopApi, ok
from tests.support.metrics import Scrape, scrape

REQUESTS = "shopreviews_http_requests_total"
DURATION = "shopreviews_http_request_duration_seconds"
TOKEN = "scrape-" + "t" * 32


def _requests(scraped: Scrape, route: str, method: str = "GET", status: str = "200") -> float:
    return scraped.value(REQUESTS, route=route, method=method, status=status)


async def test_requests_are_counted_by_route_template_method_and_status(
    client: httpx.AsyncClient, shop: ShopApi
) -> None:
    created = ok(await shop.post("create_review", {"rating": 5, "author": "A", "product_id": "p"}))
    before = await scrape(client)
    for _ in range(3):
        ok(await shop.get("get_review", {"id": created["id"]}))
    assert (await shop.get("get_review", {"id": "abc"})).status_code == 400
    # The older spelling of the prefix is counted under the route that answers it.
    legacy = await client.get("/api/v1/open_api/get_review")
    assert legacy.status_code == 401
    assert (await client.post("/api/v1/openapi/get_review")).status_code == 405
    after = await scrape(client)

    route = "/api/v1/openapi/get_review"
    assert _requests(after, route) - _requests(before, route) == 3
    assert _requests(after, route, status="400") - _requests(before, route, status="400") == 1
    assert _requests(after, route, status="401") - _requests(before, route, status="401") == 1
    assert _requests(after, route, "POST", "405") - _requests(before, route, "POST", "405") == 1
    # The latency histogram has the same labels and the API's buckets, 5 ms to 10 s.
    labels = {"route": route, "method": "GET", "status": "200"}
    count = after.value(f"{DURATION}_count", **labels) - before.value(f"{DURATION}_count", **labels)
    assert count == 3
    buckets = {
        dict(found)["le"]
        for found in after.matching(f"{DURATION}_bucket")
        if dict(found)["route"] == route
    }
    assert buckets == {str(b) for b in DURATION_BUCKETS} | {"+Inf"}
    assert after.value(f"{DURATION}_bucket", **labels, le="+Inf") >= 3


async def test_paths_no_route_serves_share_one_label(client: httpx.AsyncClient) -> None:
    before = await scrape(client)
    for path in ("/no-such-page", "/api/v1/openapi/nope", "/x/y/z?q=1", "/wp-login.php"):
        assert (await client.get(path)).status_code == 404
    after = await scrape(client)

    assert (
        _requests(after, "unmatched", status="404") - _requests(before, "unmatched", status="404")
        == 4
    )
    routes = after.label_values(REQUESTS, "route")
    assert not {"/no-such-page", "/api/v1/openapi/nope", "/x/y/z", "/wp-login.php"} & routes
    # Every label value is a route's template (or "unmatched"), never a path as sent.
    assert all(route == "unmatched" or route.startswith("/") for route in routes)


async def test_unknown_methods_are_counted_as_other(client: httpx.AsyncClient) -> None:
    before = await scrape(client)
    assert (await client.request("PROPFIND", "/api/v1/openapi/get_review")).status_code == 405
    after = await scrape(client)
    route = "/api/v1/openapi/get_review"
    assert _requests(after, route, "other", "405") - _requests(before, route, "other", "405") == 1
    assert "PROPFIND" not in after.label_values(REQUESTS, "method")


async def test_no_shop_appears_in_the_metrics(client: httpx.AsyncClient, shop: ShopApi) -> None:
    ok(await shop.post("create_review", {"rating": 4, "author": "B", "product_id": "p-9"}))
    ok(await shop.get("get_rating", {"product_id": "p-9"}))
    public = f"/api/v1/storefront/shops/{shop.myshopify_domain}/rating"
    await client.get(public, params={"product_id": "p-9"})
    scraped = await scrape(client)

    assert "/api/v1/storefront/shops/{myshopify_domain}/rating" in scraped.label_values(
        REQUESTS, "route"
    )
    for secret in (shop.shop_id, shop.myshopify_domain, shop.public_token, "p-9"):
        assert secret not in scraped.text


async def test_read_cache_hits_and_misses(client: httpx.AsyncClient, shop: ShopApi) -> None:
    ok(await shop.post("create_review", {"rating": 3, "author": "C", "product_id": "p-c"}))
    before = await scrape(client)
    ok(await shop.get("get_rating", {"product_id": "p-c"}))  # read, then kept
    ok(await shop.get("get_rating", {"product_id": "p-c"}))  # answered from memory
    ok(await shop.get("get_rating", {"product_id": "p-c"}))
    after = await scrape(client)

    lookups = "shopreviews_read_cache_lookups_total"
    assert after.value(lookups, result="miss") - before.value(lookups, result="miss") == 1
    assert after.value(lookups, result="hit") - before.value(lookups, result="hit") == 2


async def test_pool_gauges_follow_the_connections_lent(
    settings: Settings, client: httpx.AsyncClient
) -> None:
    size, max_ = "shopreviews_db_pool_size", "shopreviews_db_pool_max_connections"
    checked_out = "shopreviews_db_pool_checked_out_connections"
    before = await scrape(client)
    db = Database(settings.model_copy(update={"db_pool_size": 3}))
    try:
        opened = await scrape(client)
        assert opened.value(size) - before.value(size) == 3
        assert opened.value(max_) - before.value(max_) == 3 + POOL_OVERFLOW
        first, second = await db.engine.connect(), await db.engine.connect()
        await first.exec_driver_sql("SELECT 1")
        await second.exec_driver_sql("SELECT 1")
        lent = await scrape(client)
        assert lent.value(checked_out) - opened.value(checked_out) == 2
        await first.close()
        await second.close()
        returned = await scrape(client)
        assert returned.value(checked_out) == opened.value(checked_out)
    finally:
        await db.dispose()
    disposed = await scrape(client)
    assert (disposed.value(size), disposed.value(max_)) == (before.value(size), before.value(max_))


@pytest.fixture
async def guarded(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """An app whose /metrics asks for SHOPREVIEWS_METRICS_TOKEN."""
    own = settings.model_copy(update={"metrics_token": SecretStr(TOKEN)})
    ctx = AppContext.build(own, public_url="http://testserver")
    transport = httpx.ASGITransport(app=create_app(own, ctx=ctx))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http
    await ctx.db.dispose()


@pytest.mark.parametrize(
    "authorization", [None, "Bearer wrong", "Basic c2NyYXBlOg==", "Bearer ", TOKEN]
)
async def test_the_metrics_token_is_required_when_set(
    guarded: httpx.AsyncClient, authorization: str | None
) -> None:
    headers = {"Authorization": authorization} if authorization is not None else {}
    response = await guarded.get("/metrics", headers=headers)
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == 'Bearer realm="metrics"'
    assert response.headers["cache-control"] == "no-store"
    assert response.text == "metrics need the bearer token of SHOPREVIEWS_METRICS_TOKEN\n"
    assert "shopreviews_" not in response.text


async def test_the_metrics_answer_with_the_token(guarded: httpx.AsyncClient) -> None:
    scraped = await scrape(guarded, Authorization=f"Bearer {TOKEN}")
    assert scraped.has("shopreviews_db_pool_size")
    # The probes never ask for it.
    assert (await guarded.get("/healthz")).status_code == 200


async def test_metrics_are_open_without_a_token(client: httpx.AsyncClient) -> None:
    response = await client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    assert "# TYPE shopreviews_http_requests_total counter" in response.text
