"""The benchmark ceiling route (bench/routes.py): absent from the application, served by the
benchmark's factory (bench/app.py) with a body of the size of a real 20-review page of
get_reviews; and the installed package imports no benchmark code."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from bench.app import create_bench_app
from bench.routes import CEILING_PATH, PAGE_SIZE, SyntheticReviews, catalogue

from shopreviews.kit.context import AppContext
from shopreviews.settings import Settings
from tests.support.api import ShopApi, create_shop, error, ok


@pytest.fixture(scope="module")
async def bench_client(settings: Settings, ctx: AppContext) -> AsyncIterator[httpx.AsyncClient]:
    app = create_bench_app(settings, ctx=ctx)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http


async def test_ceiling_is_absent_by_default(client: httpx.AsyncClient) -> None:
    error(await client.get(CEILING_PATH), 5, 404)


def test_the_package_imports_no_benchmark_code() -> None:
    """Every process of the service (the API, the CLI, the worker) loads none of it, and no
    setting adds the benchmark routes."""
    probe = (
        "import sys, shopreviews.main, shopreviews.cli, shopreviews.worker\n"
        "from shopreviews.settings import Settings\n"
        "print(sorted(m for m in sys.modules if 'bench' in m))\n"
        "print(sorted(f for f in Settings.model_fields if 'bench' in f))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=120, check=True
    )
    assert done.stdout.splitlines() == ["[]", "[]"], done.stdout


async def test_ceiling_needs_no_auth_and_is_a_success_envelope(
    bench_client: httpx.AsyncClient,
) -> None:
    response = await bench_client.get(CEILING_PATH)
    assert response.headers["content-type"] == "application/json; charset=utf-8"
    data = ok(response)
    assert len(data["list"]) == PAGE_SIZE
    assert data["page"]["page"] == 1 and data["page"]["page_size"] == PAGE_SIZE
    # The same bytes every time: serialised once, at startup.
    assert (await bench_client.get(CEILING_PATH)).content == response.content


def _create_body(review: Any, product: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "product_id": product.product_id,
        "product_handle": product.handle,
        "product_title": product.title,
        "rating": review.rating,
        "author": review.author,
        "author_email": review.author_email,
        "author_country": review.author_country,
        "title": review.title,
        "content": review.content,
        "item_type": review.item_type,
        "source": review.source,
        "is_verified": review.is_verified,
        "media": review.media,
    }
    if review.reply_content:
        body["reply"] = {"content": review.reply_content}
    return body


async def test_ceiling_body_is_the_size_of_a_real_page(
    ctx: AppContext, bench_client: httpx.AsyncClient
) -> None:
    shop: ShopApi = await create_shop(ctx, bench_client)
    source, products = SyntheticReviews(seed=7), catalogue(5, seed=7)
    for i in range(PAGE_SIZE + 5):
        body = _create_body(source.review(), products[i % len(products)])
        ok(await shop.post("create_review", body))
    real = await shop.get("get_reviews", {"page": 1, "page_size": PAGE_SIZE})
    assert len(ok(real)["list"]) == PAGE_SIZE
    ceiling = (await bench_client.get(CEILING_PATH)).content
    assert abs(len(ceiling) - len(real.content)) <= 0.1 * len(real.content), (
        len(ceiling),
        len(real.content),
    )
