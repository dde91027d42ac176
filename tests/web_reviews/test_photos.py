"""Photos of web reviews (docs/storefront.md §3.1): the storefront's image upload policy, the
upload under it (five files at most, 10 MB each, 15 minutes), and the photos of a review (an
upload of this shop through such a policy within the last hour), on the local backend and on
an S3-compatible server."""

from __future__ import annotations

import base64
import json
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import boto3
import httpx
import pytest
from botocore.config import Config
from pydantic import SecretStr

from shopreviews.kit.context import AppContext
from shopreviews.main import create_app
from shopreviews.settings import Settings
from tests.support.api import Clock, ShopApi, create_shop, error, ok
from tests.web_reviews.helpers import (
    body,
    get_policy,
    jpeg,
    page_of,
    post_review,
    set_shop,
    stored_reviews,
    upload_photo,
    upload_rows,
)

T0 = 1780844412  # 2026-06-07T15:00:12Z
TEN_MB = 10 * 1024 * 1024


async def policy_of(client: httpx.AsyncClient, shop: ShopApi) -> dict[str, Any]:
    data: dict[str, Any] = ok(await get_policy(client, shop.myshopify_domain))
    return data


def conditions(policy: dict[str, Any]) -> list[Any]:
    document: dict[str, Any] = json.loads(base64.b64decode(policy["policy"]))
    return list(document["conditions"])


# --- local backend --------------------------------------------------------------------------


async def test_policy_has_the_partner_answer_shape_with_storefront_limits(
    client: httpx.AsyncClient, shop: ShopApi, ctx: AppContext, clock: Clock
) -> None:
    clock.set(T0)
    origin = page_of(shop.myshopify_domain)
    response = await get_policy(client, shop.myshopify_domain, origin=origin)
    policy = ok(response)
    assert response.headers["access-control-allow-origin"] == origin
    assert set(policy) == {
        "access_id",
        "host",
        "expire",
        "signature",
        "policy",
        "dir",
        "callback",
        "upload_url",
        "fields",
    }
    assert (policy["access_id"], policy["host"], policy["upload_url"]) == (
        "local",
        "http://testserver/media",
        "http://testserver/media",
    )
    assert policy["expire"] == str(T0 + 15 * 60)
    assert policy["dir"].startswith(f"{shop.shop_id}/2026/6/7/")
    assert conditions(policy) == [
        ["starts-with", "$key", policy["dir"]],
        ["content-length-range", 1, TEN_MB],
    ]
    assert policy["fields"]["key"] == policy["dir"] + "${filename}"
    # Each policy has a prefix of its own.
    assert (await policy_of(client, shop))["dir"] != policy["dir"]


async def test_policy_refusals(client: httpx.AsyncClient, shop: ShopApi, ctx: AppContext) -> None:
    response = await get_policy(client, shop.myshopify_domain, content_type="video/mp4")
    assert error(response, 3, 400)["message"].startswith("invalid argument: content_type must be")
    evil = await get_policy(client, shop.myshopify_domain, origin="https://evil.example")
    error(evil, 7, 403)
    error(await get_policy(client, "nobody.myshopify.com"), 5, 404)
    await set_shop(ctx, shop.shop_id, web_reviews="disabled")
    disabled = await get_policy(client, shop.myshopify_domain)
    assert error(disabled, 7, 403)["message"] == (
        "permission denied: this shop does not take reviews on its pages"
    )


async def test_photo_upload_then_review_end_to_end(
    client: httpx.AsyncClient, shop: ShopApi, ctx: AppContext
) -> None:
    policy = await policy_of(client, shop)
    urls = []
    for i in range(2):
        uploaded = ok(await upload_photo(client, policy, f"photo {i}.jpg"))
        assert uploaded["url"] == f"http://testserver/media/{policy['dir']}photo_{i}.jpg"
        urls.append(uploaded["url"])
    answer = ok(await post_review(client, shop.myshopify_domain, body(media=urls)))
    (row,) = await stored_reviews(ctx, shop.shop_id)
    assert str(row.id) == answer["id"]
    assert row.media == [
        {"url": url, "thumbnail_url": url + ".thumb.jpg", "type": 1, "is_published": 1}
        for url in urls
    ]
    # The photo is served.
    served = await client.get(urls[0])
    assert served.status_code == 200 and served.headers["content-type"] == "image/jpeg"


async def test_five_files_per_policy(
    client: httpx.AsyncClient, shop: ShopApi, ctx: AppContext
) -> None:
    policy = await policy_of(client, shop)
    for i in range(5):
        ok(await upload_photo(client, policy, f"p{i}.jpg"))
    sixth = await upload_photo(client, policy, "p5.jpg")
    assert error(sixth, 8, 403)["message"] == (
        "rejected: this upload policy allows at most 5 files"
    )
    assert sixth.headers["access-control-allow-origin"] == "*"
    assert len(await upload_rows(ctx, policy["dir"])) == 5
    # A new policy has five of its own.
    ok(await upload_photo(client, await policy_of(client, shop), "p5.jpg"))


async def test_policy_expires_after_15_minutes(
    client: httpx.AsyncClient, shop: ShopApi, ctx: AppContext, clock: Clock
) -> None:
    clock.set(T0)
    policy = await policy_of(client, shop)
    clock.set(T0 + 15 * 60)
    late = await upload_photo(client, policy)
    assert error(late, 16, 401)["message"] == "unauthenticated: the upload policy has expired"


async def test_photo_older_than_an_hour_is_refused(
    client: httpx.AsyncClient, shop: ShopApi, ctx: AppContext, clock: Clock
) -> None:
    clock.set(T0)
    policy = await policy_of(client, shop)
    clock.set(T0 + 10 * 60)
    url = ok(await upload_photo(client, policy))["url"]
    clock.set(T0 + 70 * 60)  # one hour after the upload, 70 minutes after the policy
    ok(await post_review(client, shop.myshopify_domain, body(product_id="a", media=[url])))
    clock.set(T0 + 70 * 60 + 1)
    response = await post_review(client, shop.myshopify_domain, body(product_id="b", media=[url]))
    assert error(response, 3, 400)["message"] == (
        "invalid argument: media[0] was uploaded more than an hour ago"
    )
    assert [r.product_id for r in await stored_reviews(ctx, shop.shop_id)] == ["a"]


async def test_other_uploads_are_refused_naming_the_item(
    client: httpx.AsyncClient, shop: ShopApi, other_shop: ShopApi, ctx: AppContext
) -> None:
    mine = ok(await upload_photo(client, await policy_of(client, shop)))["url"]
    # Another shop's storefront upload.
    theirs = ok(await upload_photo(client, await policy_of(client, other_shop)))["url"]
    # An upload through the partner API's policy, of this very shop.
    partner = ok(await shop.get("get_image_upload_policy_token"))
    via_api = ok(await upload_photo(client, partner))["url"]
    # A file on another host, and a policy's prefix with no file.
    elsewhere = "https://cdn.example.net/media/shirt.jpg"
    missing = f"http://testserver/media/{(await policy_of(client, shop))['dir']}none.jpg"
    expected = "must be a photo uploaded through this shop's image_upload_policy"
    for url, words in (
        (theirs, expected),
        (via_api, expected),
        (elsewhere, expected),
        (missing, "media[1].url names no uploaded file"),
    ):
        response = await post_review(client, shop.myshopify_domain, body(media=[mine, url]))
        message = error(response, 3, 400)["message"]
        assert "media[1]" in message and words in message, message
    assert await stored_reviews(ctx, shop.shop_id) == []
    assert await stored_reviews(ctx, other_shop.shop_id) == []
    ok(await post_review(client, shop.myshopify_domain, body(media=[mine])))


# --- s3 backend -----------------------------------------------------------------------------

REGION = "eu-west-1"
ACCESS_KEY_ID = "AKIASHOPREVIEWSTEST1"
SECRET = "s3-test-secret-access-key"


@dataclass
class S3App:
    ctx: AppContext
    client: httpx.AsyncClient
    host: str
    s3: Any


@pytest.fixture(scope="module")
async def s3(settings: Settings, moto_endpoint: str) -> AsyncIterator[S3App]:
    boto = boto3.client(
        "s3",
        endpoint_url=moto_endpoint,
        region_name=REGION,
        aws_access_key_id=ACCESS_KEY_ID,
        aws_secret_access_key=SECRET,
        config=Config(signature_version="s3v4"),
    )
    bucket = f"web-review-media-{uuid.uuid4().hex[:12]}"
    boto.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION})
    host = f"{moto_endpoint}/{bucket}"
    s3_settings = settings.model_copy(
        update={
            "storage_backend": "s3",
            "s3_bucket": bucket,
            "s3_endpoint_url": moto_endpoint,
            "s3_region": REGION,
            "s3_access_key_id": ACCESS_KEY_ID,
            "s3_secret_access_key": SecretStr(SECRET),
            "media_public_url": host,
        }
    )
    s3_ctx = AppContext.build(s3_settings, public_url="http://testserver")
    transport = httpx.ASGITransport(app=create_app(s3_settings, ctx=s3_ctx))
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            yield S3App(s3_ctx, http, host, boto)
    finally:
        await s3_ctx.db.dispose()


async def post_to_bucket(policy: dict[str, Any], name: str) -> str:
    """The browser's form POST to the bucket; moto does not replace ${filename}, so the final
    key is posted. Returns the photo's URL."""
    key = policy["fields"]["key"].replace("${filename}", name)
    async with httpx.AsyncClient(trust_env=False, timeout=30) as web:
        response = await web.post(
            policy["upload_url"],
            data={**policy["fields"], "key": key},
            files={"file": (name, jpeg(), "image/jpeg")},
        )
    assert response.status_code == 201, response.text
    return f"{policy['host']}/{key}"


async def test_s3_policy_and_review_with_its_photo(s3: S3App) -> None:
    shop = await create_shop(s3.ctx, s3.client)
    other = await create_shop(s3.ctx, s3.client)
    policy: dict[str, Any] = ok(await get_policy(s3.client, shop.myshopify_domain))
    assert policy["dir"].startswith(f"{shop.shop_id}/")
    assert policy["callback"] == "" and policy["host"] == s3.host
    assert ["content-length-range", 1, TEN_MB] in conditions(policy)
    assert ["starts-with", "$key", policy["dir"]] in conditions(policy)
    assert {"Content-Type": "image/jpeg"} in conditions(policy)
    expire = int(policy["expire"])
    assert abs(expire - (s3.ctx.now() + 15 * 60)) <= 5

    url = await post_to_bucket(policy, "shirt.jpg")
    # Another shop cannot use it.
    refused = await post_review(s3.client, other.myshopify_domain, body(media=[url]))
    assert "media[0] must be a photo uploaded through" in error(refused, 3, 400)["message"]
    answer = ok(await post_review(s3.client, shop.myshopify_domain, body(media=[url])))
    (row,) = await stored_reviews(s3.ctx, shop.shop_id)
    assert str(row.id) == answer["id"]
    assert row.media == [
        {"url": url, "thumbnail_url": url + ".thumb.jpg", "type": 1, "is_published": 1}
    ]
    # An hour after its policy was issued, a photo in the bucket is too old.
    late_url = await post_to_bucket(policy, "late.jpg")
    Clock(s3.ctx).set(s3.ctx.now() + 3601)
    try:
        late = await post_review(
            s3.client, shop.myshopify_domain, body(product_id="late", media=[late_url])
        )
    finally:
        s3.ctx.clock = time.time
    assert error(late, 3, 400)["message"] == (
        "invalid argument: media[0] was uploaded more than an hour ago"
    )
