"""Media uploads on the s3 storage backend (spec media.md), against a real S3 server: moto's
standalone server in a subprocess (the `moto_endpoint` fixture of tests/media/conftest.py).

The app under test is a second app on the session's database whose storage is a fresh bucket on
that server. Uploads go exactly the way a client sends them: the image form POSTed to the bucket
with the returned fields, the video PUT to the presigned URL with the returned headers. The
checks read the bucket with boto3 and the database with SQLAlchemy.

moto stores what it is sent: it neither replaces `${filename}` in a form's `key` nor enforces
the POST policy's conditions (key prefix, size range, Content-Type, expiry) or the signatures,
so the tests post the final key and check the policy's content, and refusals of expired or
tampered credentials (enforced by real S3) are not tested here.
"""

from __future__ import annotations

import base64
import io
import json
import re
import struct
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

import boto3
import httpx
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from botocore.stub import Stubber
from PIL import Image
from pydantic import SecretStr
from sqlalchemy import func, select

from shopreviews.kit.context import AppContext
from shopreviews.kit.storage import S3Storage
from shopreviews.main import create_app
from shopreviews.media.models import MediaUpload
from shopreviews.reviews.models import Review
from shopreviews.settings import Settings
from tests.media.helpers import jpeg, phone_exif, png
from tests.support.api import ShopApi, create_shop, error, ok

ACCESS_KEY_ID = "AKIASHOPREVIEWSTEST1"
SECRET_ACCESS_KEY = "s3-test-secret-access-key"
REGION = "eu-west-1"
SMALL_IMAGE_LIMIT = 2000  # bytes: the image limit of the `small` app
FILENAME = "${filename}"
OTHER_HOST_IMAGE = {"url": "https://cdn.example.net/media/shirt.jpg", "type": 1}


# ---------------------------------------------------------------------------------------------
# The app on the s3 backend


@dataclass
class S3App:
    ctx: AppContext
    client: httpx.AsyncClient  # the app
    bucket: str
    host: str  # SHOPREVIEWS_MEDIA_PUBLIC_URL: the bucket's path-style URL on the server
    endpoint: str  # the S3 server
    s3: Any  # a boto3 client of the bucket's server, for the checks

    async def shop(self) -> ShopApi:
        return await create_shop(self.ctx, self.client)

    def object(self, key: str) -> tuple[bytes, str]:
        """(bytes, Content-Type) of an object in the bucket."""
        answer = self.s3.get_object(Bucket=self.bucket, Key=key)
        return answer["Body"].read(), answer["ContentType"]

    def exists(self, key: str) -> bool:
        try:
            self.s3.head_object(Bucket=self.bucket, Key=key)
        except ClientError as exc:
            assert exc.response["Error"]["Code"] in ("404", "NoSuchKey"), exc.response
            return False
        return True

    def put(self, key: str, data: bytes, content_type: str = "image/jpeg") -> None:
        """An object put in the bucket some other way than with upload credentials."""
        self.s3.put_object(Bucket=self.bucket, Key=key, Body=data, ContentType=content_type)

    def keys(self, prefix: str) -> list[str]:
        listed = self.s3.list_objects_v2(Bucket=self.bucket, Prefix=prefix)
        return sorted(item["Key"] for item in listed.get("Contents", []))


def boto_client(endpoint: str) -> Any:
    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name=REGION,
        aws_access_key_id=ACCESS_KEY_ID,
        aws_secret_access_key=SECRET_ACCESS_KEY,
        config=Config(signature_version="s3v4"),
    )


@pytest.fixture(scope="module")
def bucket(moto_endpoint: str) -> str:
    name = f"review-media-{uuid.uuid4().hex[:12]}"
    boto_client(moto_endpoint).create_bucket(
        Bucket=name, CreateBucketConfiguration={"LocationConstraint": REGION}
    )
    return name


@asynccontextmanager
async def s3_app(
    settings: Settings, endpoint: str, bucket: str, **overrides: Any
) -> AsyncIterator[S3App]:
    host = f"{endpoint}/{bucket}"
    s3_settings = settings.model_copy(
        update={
            "storage_backend": "s3",
            "s3_bucket": bucket,
            "s3_endpoint_url": endpoint,
            "s3_region": REGION,
            "s3_access_key_id": ACCESS_KEY_ID,
            "s3_secret_access_key": SecretStr(SECRET_ACCESS_KEY),
            "media_public_url": host,
            **overrides,
        }
    )
    ctx = AppContext.build(s3_settings, public_url="http://testserver")
    app: Any = create_app(s3_settings, ctx=ctx)
    transport = httpx.ASGITransport(app=app)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            yield S3App(ctx, http, bucket, host, endpoint, boto_client(endpoint))
    finally:
        await ctx.db.dispose()


@pytest.fixture(scope="module")
async def s3(
    settings: Settings,
    moto_endpoint: str,
    bucket: str,
) -> AsyncIterator[S3App]:
    async with s3_app(settings, moto_endpoint, bucket) as app:
        yield app


@pytest.fixture(scope="module")
async def small(
    settings: Settings,
    moto_endpoint: str,
    bucket: str,
) -> AsyncIterator[S3App]:
    """The same bucket, with an image limit of SMALL_IMAGE_LIMIT bytes."""
    async with s3_app(settings, moto_endpoint, bucket, image_max_bytes=SMALL_IMAGE_LIMIT) as app:
        yield app


@pytest.fixture
async def web() -> AsyncIterator[httpx.AsyncClient]:
    """A client of the S3 server, as a browser talks to it (no proxies from the environment)."""
    async with httpx.AsyncClient(trust_env=False, timeout=30) as http:
        yield http


# ---------------------------------------------------------------------------------------------
# Files


def phone_jpeg(size: tuple[int, int] = (640, 480), orientation: int = 6) -> bytes:
    """A JPEG as a phone writes it: EXIF with camera, orientation and a GPS position."""
    return jpeg(size, exif=phone_exif(orientation), quality=90)


def plain_jpeg(size: tuple[int, int] = (32, 24)) -> bytes:
    return jpeg(size, quality=90)


def mp4_bytes(size: int = 4096) -> bytes:
    """An MP4 file's start: an `ftyp` box (brand isom), then filler in an `mdat` box."""
    ftyp = struct.pack(">I", 24) + b"ftypisom" + struct.pack(">I", 512) + b"isomavc1"
    mdat = struct.pack(">I", size - len(ftyp)) + b"mdat"
    return (ftyp + mdat).ljust(size, b"\x00")


def colour_at(image: Image.Image, x: float, y: float) -> tuple[int, ...]:
    """The colour at a fraction of the width and height."""
    pixel = image.convert("RGB").getpixel((int(image.width * x), int(image.height * y)))
    assert isinstance(pixel, tuple)
    return pixel


def close(colour: tuple[int, ...], expected: tuple[int, int, int]) -> bool:
    return all(abs(a - b) <= 40 for a, b in zip(colour, expected, strict=True))


# ---------------------------------------------------------------------------------------------
# Client steps


async def image_token(shop: ShopApi, **params: str) -> dict[str, Any]:
    data: dict[str, Any] = ok(await shop.get("get_image_upload_policy_token", params))
    return data


async def post_form(
    web: httpx.AsyncClient, token: dict[str, Any], name: str, data: bytes, mime: str = "image/jpeg"
) -> str:
    """Upload a file as a browser form does: every entry of `fields`, then `file` last. moto
    does not replace ${filename}, so the final key is posted. Returns the final URL."""
    key = token["fields"]["key"].replace(FILENAME, name)
    fields = {**token["fields"], "key": key}
    response = await web.post(token["upload_url"], data=fields, files={"file": (name, data, mime)})
    assert response.status_code == 201, response.text
    return f"{token['host']}/{key}"


async def upload_image(web: httpx.AsyncClient, shop: ShopApi, name: str, data: bytes) -> str:
    return await post_form(web, await image_token(shop), name, data)


async def put_video(
    web: httpx.AsyncClient, shop: ShopApi, data: bytes, **params: str
) -> dict[str, Any]:
    grant: dict[str, Any] = ok(await shop.get("get_video_upload_url", params))
    response = await web.put(grant["upload_url"], content=data, headers=grant["headers"])
    assert response.status_code == 200, response.text
    return grant


def review_body(*media: dict[str, Any]) -> dict[str, Any]:
    return {"product_id": "9200305176832", "rating": 5, "author": "Jane D.", "media": list(media)}


def key_of(s3: S3App, url: str) -> str:
    assert url.startswith(s3.host + "/")
    return url[len(s3.host) + 1 :]


async def upload_row(s3: S3App, key: str) -> MediaUpload | None:
    async with s3.ctx.db.session(write=False) as session:
        query = select(MediaUpload).where(MediaUpload.key == key)
        return (await session.execute(query)).scalar_one_or_none()


async def review_count(s3: S3App, shop: ShopApi) -> int:
    async with s3.ctx.db.session(write=False) as session:
        query = select(func.count()).select_from(Review).where(Review.shop_id == shop.shop_id)
        return int((await session.execute(query)).scalar_one())


async def refused(s3: S3App, shop: ShopApi, item: dict[str, Any], words: str) -> None:
    """create_review with the item as media[1] answers code 3 naming media[1] (and `words`);
    no review and no upload record exist afterwards."""
    before = await review_count(s3, shop)
    response = await shop.post("create_review", review_body(OTHER_HOST_IMAGE, item))
    message = error(response, 3, 400)["message"]
    assert "media[1]" in message and words in message, message
    assert await review_count(s3, shop) == before
    if item["url"].startswith(s3.host + "/"):
        assert await upload_row(s3, key_of(s3, item["url"])) is None


def decoded_policy(token: dict[str, Any]) -> dict[str, Any]:
    policy: dict[str, Any] = json.loads(base64.b64decode(token["policy"]))
    return policy


def unix(stamp: str, fmt: str) -> int:
    return int(datetime.strptime(stamp, fmt).replace(tzinfo=UTC).timestamp())


# ---------------------------------------------------------------------------------------------
# get_image_upload_policy_token


@pytest.mark.parametrize("content_type", [None, "image/png"])
async def test_policy_token_is_an_s3_post_policy(s3: S3App, content_type: str | None) -> None:
    shop = await s3.shop()
    params = {"content_type": content_type} if content_type else {}
    token = await image_token(shop, **params)
    expected_type = content_type or "image/jpeg"

    assert set(token) == {
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
    assert token["access_id"] == ACCESS_KEY_ID
    assert token["host"] == s3.host
    assert token["callback"] == ""
    assert token["upload_url"].rstrip("/") == f"{s3.endpoint}/{s3.bucket}"
    today = s3.ctx.now_datetime()
    assert re.fullmatch(
        rf"{shop.shop_id}/{today.year}/{today.month}/{today.day}/[0-9a-f]{{16}}/", token["dir"]
    ), token["dir"]

    fields = token["fields"]
    assert set(fields) == {
        "key",
        "Content-Type",
        "success_action_status",
        "x-amz-algorithm",
        "x-amz-credential",
        "x-amz-date",
        "policy",
        "x-amz-signature",
    }
    assert fields["key"] == token["dir"] + FILENAME
    assert fields["Content-Type"] == expected_type
    assert fields["success_action_status"] == "201"
    assert fields["x-amz-algorithm"] == "AWS4-HMAC-SHA256"
    date = fields["x-amz-date"]
    assert fields["x-amz-credential"] == f"{ACCESS_KEY_ID}/{date[:8]}/{REGION}/s3/aws4_request"
    assert fields["policy"] == token["policy"]
    assert fields["x-amz-signature"] == token["signature"]
    assert re.fullmatch(r"[0-9a-f]{64}", token["signature"])

    policy = decoded_policy(token)
    conditions = policy["conditions"]
    for condition in (
        {"bucket": s3.bucket},
        ["starts-with", "$key", token["dir"]],
        ["content-length-range", 1, s3.ctx.settings.image_max_bytes],
        {"Content-Type": expected_type},
        {"success_action_status": "201"},
        {"x-amz-algorithm": "AWS4-HMAC-SHA256"},
        {"x-amz-credential": fields["x-amz-credential"]},
        {"x-amz-date": date},
    ):
        assert condition in conditions, (condition, conditions)
    # Nothing widens the grant: every key condition is the prefix, no other key is allowed.
    key_conditions = [c for c in conditions if "$key" in c or (isinstance(c, dict) and "key" in c)]
    assert all(c == ["starts-with", "$key", token["dir"]] for c in key_conditions)
    # `expire` is the policy's own expiry, the credential lifetime after it was signed.
    expiration = unix(policy["expiration"], "%Y-%m-%dT%H:%M:%SZ")
    assert int(token["expire"]) == expiration
    lifetime = s3.ctx.settings.upload_credential_seconds
    assert expiration - unix(date, "%Y%m%dT%H%M%SZ") == lifetime


async def test_expire_is_the_presigners_expiry(s3: S3App) -> None:
    """`expire` is when S3 stops accepting the credentials: the expiry the presigner signed
    (from the system clock), even when the application clock reads differently."""
    shop = await s3.shop()
    s3.ctx.clock = lambda: time.time() - 90
    try:
        token = await image_token(shop)
        grant = ok(await shop.get("get_video_upload_url", {"file_name": "a.mp4"}))
    finally:
        s3.ctx.clock = time.time
    expiration = decoded_policy(token)["expiration"]
    assert int(token["expire"]) == unix(expiration, "%Y-%m-%dT%H:%M:%SZ")
    query = parse_qs(urlsplit(grant["upload_url"]).query)
    signed_at = unix(query["X-Amz-Date"][0], "%Y%m%dT%H%M%SZ")
    assert int(grant["expire"]) == signed_at + int(query["X-Amz-Expires"][0])


async def test_each_token_has_its_own_dir(s3: S3App) -> None:
    shop = await s3.shop()
    first, second = await image_token(shop), await image_token(shop)
    assert first["dir"] != second["dir"]


async def test_policy_token_refuses_other_types(s3: S3App) -> None:
    shop = await s3.shop()
    response = await shop.get("get_image_upload_policy_token", {"content_type": "image/svg+xml"})
    assert "content_type" in error(response, 3, 400)["message"]


# ---------------------------------------------------------------------------------------------
# An image through the browser form, then its first use in a review


async def test_image_form_upload_then_first_use_processes_it(
    s3: S3App, web: httpx.AsyncClient
) -> None:
    shop = await s3.shop()
    photo = phone_jpeg((640, 480), orientation=6)
    token = await image_token(shop)
    url = await post_form(web, token, "holiday.jpg", photo)
    key = key_of(s3, url)
    assert key == token["dir"] + "holiday.jpg"
    # As uploaded: S3 cannot look at the content, the GPS position is still there.
    stored, content_type = s3.object(key)
    assert stored == photo and content_type == "image/jpeg"
    assert await upload_row(s3, key) is None

    review = ok(await shop.post("create_review", review_body({"url": url, "type": 1})))
    thumbnail_url = url + ".thumb.jpg"
    assert review["media"] == [
        {"url": url, "thumbnail_url": thumbnail_url, "type": 1, "is_published": 1}
    ]

    # The original lost its metadata but the orientation, losslessly.
    cleaned, content_type = s3.object(key)
    assert content_type == "image/jpeg"
    assert b"SECRET-DATUM" not in cleaned and b"SecretPhone" not in cleaned
    with Image.open(io.BytesIO(cleaned)) as image, Image.open(io.BytesIO(photo)) as before:
        assert dict(image.getexif()) == {274: 6}
        assert image.getexif().get_ifd(0x8825) == {}
        assert image.size == (640, 480)
        assert image.tobytes() == before.tobytes()  # the same compressed data

    # The thumbnail: a JPEG within 400 x 400, upright (orientation 6: turned clockwise).
    thumbnail, content_type = s3.object(key + ".thumb.jpg")
    assert content_type == "image/jpeg"
    with Image.open(io.BytesIO(thumbnail)) as image:
        assert image.format == "JPEG"
        assert image.size == (300, 400)
        assert dict(image.getexif()) == {}
        assert close(colour_at(image, 0.25, 0.25), (0, 0, 255))  # blue top left
        assert close(colour_at(image, 0.75, 0.25), (255, 0, 0))  # red top right
        assert close(colour_at(image, 0.75, 0.75), (0, 255, 0))  # green bottom right
        assert close(colour_at(image, 0.25, 0.75), (0, 0, 0))  # black bottom left

    row = await upload_row(s3, key)
    assert row is not None
    assert (row.shop_id, row.kind, row.content_type) == (shop.shop_id, "image", "image/jpeg")
    assert (row.size, row.width, row.height) == (len(cleaned), 480, 640)
    assert row.thumbnail_key == key + ".thumb.jpg"

    # Later uses need no storage request: with both objects gone the record still answers.
    s3.s3.delete_object(Bucket=s3.bucket, Key=key)
    s3.s3.delete_object(Bucket=s3.bucket, Key=key + ".thumb.jpg")
    again = ok(await shop.post("create_review", review_body({"url": url, "type": "image"})))
    assert again["media"] == review["media"]
    assert await review_count(s3, shop) == 2


async def test_image_without_metadata_is_kept_byte_for_byte(
    s3: S3App, web: httpx.AsyncClient
) -> None:
    shop = await s3.shop()
    photo = plain_jpeg((64, 48))
    url = await upload_image(web, shop, "plain.jpg", photo)
    own_thumbnail = "https://cdn.example.net/thumbs/plain.jpg"
    review = ok(
        await shop.post(
            "create_review",
            review_body({"url": url, "type": 1, "thumbnail_url": own_thumbnail}),
        )
    )
    # A thumbnail the client gave is kept; the server's own is written all the same.
    assert review["media"][0]["thumbnail_url"] == own_thumbnail
    key = key_of(s3, url)
    assert s3.object(key)[0] == photo
    assert s3.keys(key) == [key, key + ".thumb.jpg"]
    with Image.open(io.BytesIO(s3.object(key + ".thumb.jpg")[0])) as image:
        assert image.size == (64, 48)  # never enlarged
    row = await upload_row(s3, key)
    assert row is not None and row.size == len(photo) and (row.width, row.height) == (64, 48)


async def test_png_upload_gets_a_jpeg_thumbnail(s3: S3App, web: httpx.AsyncClient) -> None:
    shop = await s3.shop()
    token = await image_token(shop, content_type="image/png")
    url = await post_form(web, token, "banner.png", png((800, 200)), "image/png")
    ok(await shop.post("create_review", review_body({"url": url, "type": 1})))
    key = key_of(s3, url)
    thumbnail, content_type = s3.object(key + ".thumb.jpg")
    assert content_type == "image/jpeg"
    with Image.open(io.BytesIO(thumbnail)) as image:
        assert (image.format, image.size) == ("JPEG", (400, 100))
    row = await upload_row(s3, key)
    assert row is not None and (row.kind, row.content_type) == ("image", "image/png")


async def test_same_upload_twice_in_one_review(s3: S3App, web: httpx.AsyncClient) -> None:
    shop = await s3.shop()
    url = await upload_image(web, shop, "twice.jpg", plain_jpeg())
    item = {"url": url, "type": 1}
    review = ok(await shop.post("create_review", review_body(item, item)))
    assert [m["thumbnail_url"] for m in review["media"]] == [url + ".thumb.jpg"] * 2
    assert await upload_row(s3, key_of(s3, url)) is not None


# ---------------------------------------------------------------------------------------------
# Refusals when create_review checks the object


async def test_refuses_text_under_an_image_name(s3: S3App, web: httpx.AsyncClient) -> None:
    shop = await s3.shop()
    url = await upload_image(web, shop, "note.jpg", b"just some text, not an image\n")
    await refused(s3, shop, {"url": url, "type": 1}, "not an allowed image or video type")
    assert s3.keys(key_of(s3, url)) == [key_of(s3, url)]  # no thumbnail written


@pytest.mark.parametrize("item_type", [1, 2])
async def test_refuses_a_video_under_an_image_name(
    s3: S3App, web: httpx.AsyncClient, item_type: int
) -> None:
    shop = await s3.shop()
    url = await upload_image(web, shop, "clip.jpg", mp4_bytes())
    await refused(
        s3, shop, {"url": url, "type": item_type}, "file name clip.jpg does not name the video"
    )


async def test_refuses_an_image_whose_name_has_no_image_extension(
    s3: S3App, web: httpx.AsyncClient
) -> None:
    shop = await s3.shop()
    url = await upload_image(web, shop, "blob", plain_jpeg())
    await refused(s3, shop, {"url": url, "type": 1}, "file name blob does not name the image")


async def test_refuses_an_oversize_image(small: S3App, web: httpx.AsyncClient) -> None:
    shop = await small.shop()
    photo = phone_jpeg((320, 240))
    assert len(photo) > SMALL_IMAGE_LIMIT
    token = await image_token(shop)
    range_condition = ["content-length-range", 1, SMALL_IMAGE_LIMIT]
    assert range_condition in decoded_policy(token)["conditions"]
    # Real S3 refuses this upload already; moto takes it, so the first use must.
    url = await post_form(web, token, "big.jpg", photo)
    await refused(small, shop, {"url": url, "type": 1}, f"over {SMALL_IMAGE_LIMIT} bytes")
    assert small.object(key_of(small, url))[0] == photo  # not processed


async def test_refuses_a_truncated_jpeg(s3: S3App, web: httpx.AsyncClient) -> None:
    shop = await s3.shop()
    photo = phone_jpeg((320, 240))
    url = await upload_image(web, shop, "cut.jpg", photo[: len(photo) // 2])
    await refused(s3, shop, {"url": url, "type": 1}, "could not be decoded as a JPEG image")
    key = key_of(s3, url)
    assert s3.keys(key) == [key]


async def test_refuses_another_shops_upload(s3: S3App, web: httpx.AsyncClient) -> None:
    shop, other = await s3.shop(), await s3.shop()
    photo = phone_jpeg()
    url = await upload_image(web, other, "theirs.jpg", photo)
    await refused(s3, shop, {"url": url, "type": 1}, "not a file uploaded by this shop")
    key = key_of(s3, url)
    assert s3.keys(key) == [key] and s3.object(key)[0] == photo  # not even looked at
    # Its own shop may use it.
    ok(await other.post("create_review", review_body({"url": url, "type": 1})))


@pytest.mark.parametrize(
    "name",
    [
        "photo.jpg",  # the shop's top level
        "2026/photo.jpg",
        "x/2026/6/5/0123456789abcdef/photo.jpg",  # a level too deep
        "2026/6/5/0123456789ABCDEF/photo.jpg",  # not lowercase hex
        "2026/06/05/0123456789abcdef/photo.jpg",  # leading zeros
    ],
)
async def test_refuses_keys_not_of_the_issued_shape(s3: S3App, name: str) -> None:
    shop = await s3.shop()
    key = f"{shop.shop_id}/{name}"
    s3.put(key, plain_jpeg())
    url = f"{s3.host}/{key}"
    await refused(s3, shop, {"url": url, "type": 1}, "not a file uploaded by this shop")
    assert s3.keys(key) == [key]


async def test_refuses_a_thumbnail_url(s3: S3App, web: httpx.AsyncClient) -> None:
    shop = await s3.shop()
    url = await upload_image(web, shop, "photo.jpg", plain_jpeg())
    ok(await shop.post("create_review", review_body({"url": url, "type": 1})))
    await refused(s3, shop, {"url": url + ".thumb.jpg", "type": 1}, "not a file uploaded")


async def test_refuses_a_url_naming_no_object(s3: S3App) -> None:
    shop = await s3.shop()
    token = await image_token(shop)
    url = f"{s3.host}/{token['dir']}never-uploaded.jpg"
    await refused(s3, shop, {"url": url, "type": 1}, "names no uploaded file")


async def test_missing_object_refused_by_a_403(s3: S3App) -> None:
    """Without s3:ListBucket, AWS answers the HEAD of a missing key with 403 (moto has no
    such permissions, so the answer is stubbed): still code 3, not a server error."""
    shop = await s3.shop()
    token = await image_token(shop)
    url = f"{s3.host}/{token['dir']}never-uploaded.jpg"
    storage = s3.ctx.media_storage()
    assert isinstance(storage, S3Storage)
    with Stubber(storage.client) as stub:
        stub.add_client_error("head_object", "403", "Forbidden", http_status_code=403)
        await refused(s3, shop, {"url": url, "type": 1}, "names no uploaded file")
        stub.assert_no_pending_responses()


async def test_refusal_of_one_item_records_none_of_the_review(
    s3: S3App, web: httpx.AsyncClient
) -> None:
    """A review with a good and a bad upload is refused as a whole: nothing is recorded, and
    the good upload is processed again (with the same result) when it is used."""
    shop = await s3.shop()
    good = await upload_image(web, shop, "good.jpg", phone_jpeg((64, 48)))
    bad = await upload_image(web, shop, "bad.jpg", b"not an image")
    response = await shop.post(
        "create_review", review_body({"url": good, "type": 1}, {"url": bad, "type": 1})
    )
    assert "media[1]" in error(response, 3, 400)["message"]
    assert await upload_row(s3, key_of(s3, good)) is None
    assert await review_count(s3, shop) == 0
    review = ok(await shop.post("create_review", review_body({"url": good, "type": 1})))
    assert review["media"][0]["thumbnail_url"] == good + ".thumb.jpg"
    with Image.open(io.BytesIO(s3.object(key_of(s3, good))[0])) as image:
        assert dict(image.getexif()) == {274: 6}


# ---------------------------------------------------------------------------------------------
# Videos through the presigned PUT


def signed_headers(upload_url: str) -> list[str]:
    query = parse_qs(urlsplit(upload_url).query)
    return query["X-Amz-SignedHeaders"][0].split(";")


async def test_video_put_then_review(s3: S3App, web: httpx.AsyncClient) -> None:
    shop = await s3.shop()
    video = mp4_bytes(8192)
    grant = await put_video(web, shop, video, file_name="unboxing.mp4")
    assert grant["headers"] == {"Content-Type": "video/mp4"}
    key = key_of(s3, grant["url"])
    assert re.fullmatch(rf"{shop.shop_id}/\d{{4}}/\d+/\d+/[0-9a-f]{{16}}/unboxing\.mp4", key)
    parts = urlsplit(grant["upload_url"])
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == f"{s3.endpoint}/{s3.bucket}/{key}"
    query = parse_qs(parts.query)
    assert query["X-Amz-Credential"][0].startswith(ACCESS_KEY_ID + "/")
    assert signed_headers(grant["upload_url"]) == ["content-type", "host"]
    lifetime = s3.ctx.settings.upload_credential_seconds
    assert query["X-Amz-Expires"] == [str(lifetime)]
    signed_at = unix(query["X-Amz-Date"][0], "%Y%m%dT%H%M%SZ")
    assert int(grant["expire"]) == signed_at + lifetime
    assert s3.object(key) == (video, "video/mp4")

    review = ok(await shop.post("create_review", review_body({"url": grant["url"], "type": 2})))
    assert review["media"] == [
        {"url": grant["url"], "thumbnail_url": "", "type": 2, "is_published": 1}
    ]
    row = await upload_row(s3, key)
    assert row is not None
    assert (row.shop_id, row.kind, row.content_type, row.size) == (
        shop.shop_id,
        "video",
        "video/mp4",
        len(video),
    )
    assert row.thumbnail_key is None and row.width is None
    assert s3.keys(key) == [key]  # videos are not processed

    # The recorded video is no image.
    response = await shop.post("create_review", review_body({"url": grant["url"], "type": 1}))
    assert "media[0]" in error(response, 3, 400)["message"]
    # A video given without a type is taken as one by its extension.
    again = ok(await shop.post("create_review", review_body({"url": grant["url"]})))
    assert again["media"][0]["type"] == 2


async def test_video_first_used_as_an_image_is_refused(s3: S3App, web: httpx.AsyncClient) -> None:
    shop = await s3.shop()
    grant = await put_video(web, shop, mp4_bytes(), content_type="video/mp4")
    await refused(
        s3, shop, {"url": grant["url"], "type": 1}, "type says image but the file is video"
    )
    # Nothing was recorded; as a video it is fine.
    ok(await shop.post("create_review", review_body({"url": grant["url"], "type": 2})))


async def test_jpeg_put_as_a_video_is_refused(s3: S3App, web: httpx.AsyncClient) -> None:
    shop = await s3.shop()
    grant = await put_video(web, shop, phone_jpeg(), file_name="fake.mp4")
    for item_type in (2, 1):
        item = {"url": grant["url"], "type": item_type}
        await refused(s3, shop, item, "file name fake.mp4 does not name the image")
    key = key_of(s3, grant["url"])
    assert s3.keys(key) == [key]


async def test_webm_and_quicktime_videos(s3: S3App, web: httpx.AsyncClient) -> None:
    shop = await s3.shop()
    webm = b"\x1a\x45\xdf\xa3" + b"\x00" * 60
    quicktime = struct.pack(">I", 20) + b"ftypqt  " + b"\x00" * 52
    for data, params, expected in (
        (webm, {"file_name": "clip.webm"}, "video/webm"),
        (quicktime, {"content_type": "video/quicktime"}, "video/quicktime"),
    ):
        grant = await put_video(web, shop, data, **params)
        assert grant["headers"] == {"Content-Type": expected}
        ok(await shop.post("create_review", review_body({"url": grant["url"], "type": 2})))
        row = await upload_row(s3, key_of(s3, grant["url"]))
        assert row is not None and (row.kind, row.content_type) == ("video", expected)


async def test_video_with_file_size_signs_content_length(s3: S3App, web: httpx.AsyncClient) -> None:
    shop = await s3.shop()
    video = mp4_bytes(5000)
    grant = await put_video(web, shop, video, file_name="sized.mp4", file_size=str(len(video)))
    assert grant["headers"] == {"Content-Type": "video/mp4", "Content-Length": str(len(video))}
    assert signed_headers(grant["upload_url"]) == ["content-length", "content-type", "host"]
    assert s3.object(key_of(s3, grant["url"]))[0] == video
    ok(await shop.post("create_review", review_body({"url": grant["url"], "type": 2})))


@pytest.mark.parametrize("file_size", ["0", "-1", "abc", str(200 * 1024 * 1024 + 1)])
async def test_video_file_size_out_of_range(s3: S3App, file_size: str) -> None:
    shop = await s3.shop()
    response = await shop.get("get_video_upload_url", {"file_size": file_size})
    assert "file_size" in error(response, 3, 400)["message"]


async def test_oversize_video_is_refused_on_first_use(
    settings: Settings,
    moto_endpoint: str,
    bucket: str,
    web: httpx.AsyncClient,
) -> None:
    async with s3_app(settings, moto_endpoint, bucket, video_max_bytes=1000) as tiny:
        shop = await tiny.shop()
        grant = await put_video(web, shop, mp4_bytes(1001), file_name="long.mp4")
        await refused(tiny, shop, {"url": grant["url"], "type": 2}, "over 1000 bytes")
