"""Image uploads on the local backend (spec media.md "get_image_upload_policy_token" and
"Image upload (local backend)"): the policy's fields, the form POST a browser sends, its
checks in the contract's order, and what an accepted upload leaves on disk and in the
database. Every refusal is checked to leave nothing behind: no file, no temporary file, no row.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import io
import json
import re
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from PIL import Image, ImageOps

from shopreviews.kit.context import AppContext
from shopreviews.media import policy as media_policy
from tests.media.helpers import (
    DATE,
    GPS_IFD,
    NOW,
    ORIENTATION,
    FilePart,
    LocalMedia,
    asgi_request,
    assert_cors,
    form_parts,
    jpeg,
    mp4,
    multipart,
    phone_exif,
    png,
    refused,
)
from tests.support.api import ShopApi, bearer, error, ok
from tests.support.oauth import connect, create_platform

EXPIRATION = "2026-01-02T23:40:05Z"  # NOW + 600
IMAGE_MAX = 10485760
CALLBACK_JSON = (
    '{"callbackUrl":"","callbackBody":"filename=${object}&size=${size}&mimeType=${mimeType}",'
    '"callbackBodyType":"application/x-www-form-urlencoded"}'
)
FIELD_NAMES = ["key", "policy", "OSSAccessKeyId", "Signature", "callback", "success_action_status"]

# The contract's example (signed with the key `example-upload-signing-key`).
EXAMPLE_KEY = b"example-upload-signing-key"
EXAMPLE_DIR = "61234567890/2026/6/5/9b1c2f0e7a4d4e1b/"
EXAMPLE_EXPIRE = 1780644716
EXAMPLE_POLICY = (
    "eyJleHBpcmF0aW9uIjoiMjAyNi0wNi0wNVQwNzozMTo1NloiLCJjb25kaXRpb25zIjpbWyJzdGFydHMtd2l0aCIsIiRr"
    "ZXkiLCI2MTIzNDU2Nzg5MC8yMDI2LzYvNS85YjFjMmYwZTdhNGQ0ZTFiLyJdLFsiY29udGVudC1sZW5ndGgtcmFuZ2Ui"
    "LDEsMTA0ODU3NjBdXX0="
)
EXAMPLE_SIGNATURE = "QrdoOstvmQhPP1NZp9H1xjrS03SHx/Tb814lyl/jMeU="
EXAMPLE_CALLBACK = (
    "eyJjYWxsYmFja1VybCI6IiIsImNhbGxiYWNrQm9keSI6ImZpbGVuYW1lPSR7b2JqZWN0fSZzaXplPSR7c2l6ZX0mbWlt"
    "ZVR5cGU9JHttaW1lVHlwZX0iLCJjYWxsYmFja0JvZHlUeXBlIjoiYXBwbGljYXRpb24veC13d3ctZm9ybS11cmxlbmNv"
    "ZGVkIn0="
)


def hmac_b64(key: bytes, text: str) -> str:
    return base64.b64encode(hmac.new(key, text.encode(), hashlib.sha256).digest()).decode()


def flip(text: str, index: int) -> str:
    """`text` with one character changed (to another character of the same alphabet)."""
    return text[:index] + ("A" if text[index] != "A" else "B") + text[index + 1 :]


@pytest.fixture
async def policy(local_media: LocalMedia, shop: ShopApi, clock: Any) -> dict[str, Any]:
    """An image policy of `shop`, issued at NOW (the clock stays pinned there)."""
    clock.set(NOW)
    return await local_media.image_policy(shop)


# --- get_image_upload_policy_token -----------------------------------------------------------


async def test_local_policy_has_every_field_as_documented(
    ctx: AppContext, local_media: LocalMedia, shop: ShopApi, clock: Any
) -> None:
    clock.set(NOW)
    data = await local_media.image_policy(shop)
    assert list(data) == [
        "access_id",
        "host",
        "expire",
        "signature",
        "policy",
        "dir",
        "callback",
        "upload_url",
        "fields",
    ]
    prefix = data["dir"]
    assert re.fullmatch(rf"{shop.shop_id}/{DATE}/[0-9a-f]{{16}}/", prefix), prefix
    assert data["access_id"] == "local"
    assert data["host"] == ctx.media_url == "http://testserver/media"
    assert data["expire"] == str(NOW + 600)
    assert data["upload_url"] == "http://testserver/media"

    text = base64.b64decode(data["policy"], validate=True).decode()
    assert text == (
        f'{{"expiration":"{EXPIRATION}","conditions":[["starts-with","$key","{prefix}"],'
        f'["content-length-range",1,{IMAGE_MAX}]]}}'
    )
    assert json.loads(text) == {
        "expiration": EXPIRATION,
        "conditions": [["starts-with", "$key", prefix], ["content-length-range", 1, IMAGE_MAX]],
    }
    assert data["signature"] == hmac_b64(ctx.upload_key, data["policy"])
    assert base64.b64decode(data["callback"], validate=True).decode() == CALLBACK_JSON

    assert list(data["fields"]) == FIELD_NAMES
    assert data["fields"] == {
        "key": prefix + "${filename}",
        "policy": data["policy"],
        "OSSAccessKeyId": "local",
        "Signature": data["signature"],
        "callback": data["callback"],
        "success_action_status": "200",
    }

    # Each call gets a directory of its own.
    again = await local_media.image_policy(shop)
    assert again["dir"] != prefix
    assert again["dir"].startswith(f"{shop.shop_id}/{DATE}/")


def test_the_contract_example_policy_reproduces() -> None:
    signed, signature = media_policy.image_policy(
        EXAMPLE_KEY, prefix=EXAMPLE_DIR, max_bytes=IMAGE_MAX, expires=EXAMPLE_EXPIRE
    )
    assert signed == EXAMPLE_POLICY
    assert signature == EXAMPLE_SIGNATURE
    assert media_policy.callback() == EXAMPLE_CALLBACK
    terms = media_policy.read_image_policy(EXAMPLE_KEY, EXAMPLE_POLICY, EXAMPLE_SIGNATURE)
    assert terms == media_policy.ImagePolicy(
        prefix=EXAMPLE_DIR, min_bytes=1, max_bytes=IMAGE_MAX, expires=EXAMPLE_EXPIRE
    )
    assert media_policy.read_image_policy(b"another key", EXAMPLE_POLICY, EXAMPLE_SIGNATURE) is None


@pytest.mark.parametrize("content_type", ["image/jpeg", "image/png", "image/gif", "image/webp", ""])
async def test_policy_content_type_any_image_type(
    local_media: LocalMedia, shop: ShopApi, content_type: str
) -> None:
    # The local backend detects the type from the content: the fields are the same for all.
    params = {"content_type": content_type}
    data = ok(await local_media.api_get(shop, "get_image_upload_policy_token", params))
    assert list(data["fields"]) == FIELD_NAMES
    assert data["access_id"] == "local"


@pytest.mark.parametrize(
    "content_type", ["image/svg+xml", "image/jpg", "video/mp4", "text/plain", "image/*"]
)
async def test_policy_content_type_not_an_image_type(
    local_media: LocalMedia, shop: ShopApi, content_type: str
) -> None:
    params = {"content_type": content_type}
    body = error(await local_media.api_get(shop, "get_image_upload_policy_token", params), 3, 400)
    assert "content_type" in body["message"]


async def test_policy_needs_write_reviews_and_names_the_callers_shop(
    ctx: AppContext,
    client: httpx.AsyncClient,
    local_media: LocalMedia,
    shop: ShopApi,
    other_shop: ShopApi,
) -> None:
    path = "/api/v1/openapi/get_image_upload_policy_token"
    platform = await create_platform(ctx)
    read_only = await connect(ctx, client, shop, platform, scope="read_reviews")
    response = await client.get(path, headers=bearer(read_only["access_token"]))
    assert error(response, 7, 403)["data"] is None

    writer = await connect(ctx, client, other_shop, platform, scope="write_reviews")
    data = ok(await client.get(path, headers=bearer(writer["access_token"])))
    assert data["dir"].startswith(other_shop.shop_id + "/")
    mine = await local_media.image_policy(shop)
    assert mine["dir"].startswith(shop.shop_id + "/")

    # Unsigned: code 16.
    assert error(await client.get(path), 16, 401)["data"] is None


# --- the upload a browser form sends ---------------------------------------------------------


async def test_browser_form_upload_of_a_phone_photo(
    ctx: AppContext, local_media: LocalMedia, shop: ShopApi, policy: dict[str, Any]
) -> None:
    original = jpeg((800, 600), exif=phone_exif(orientation=6))
    # Every entry of `fields` in the order given, then the file, as a <form> posts them.
    parts = form_parts(policy["fields"], ("my photo (1).jpg", original, "image/jpeg"))
    response = await local_media.post_form(parts, url=policy["upload_url"])

    key = policy["dir"] + "my_photo__1_.jpg"
    stored = local_media.path(key).read_bytes()
    assert ok(response) == {
        "url": f"http://testserver/media/{key}",
        "thumbnail_url": f"http://testserver/media/{key}.thumb.jpg",
        "key": key,
        "size": len(stored),
        "content_type": "image/jpeg",
    }
    assert response.headers["content-type"] == "application/json; charset=utf-8"
    assert_cors(response)

    # GPS and camera data are gone; only the orientation is kept, the image data is not
    # re-encoded (the compressed data ends the same).
    assert len(stored) < len(original)
    assert b"SecretPhone" not in stored
    image = Image.open(io.BytesIO(stored))
    assert image.format == "JPEG" and image.size == (800, 600)
    exif = image.getexif()
    assert dict(exif) == {ORIENTATION: 6}
    assert exif.get_ifd(GPS_IFD) == {}
    assert stored[-2048:] == original[-2048:]

    # The thumbnail: a JPEG within 400 x 400, upright without any EXIF.
    thumbnail = Image.open(local_media.path(key + ".thumb.jpg"))
    assert thumbnail.format == "JPEG"
    assert thumbnail.size == (300, 400)
    assert dict(thumbnail.getexif()) == {}
    upright = ImageOps.exif_transpose(Image.open(io.BytesIO(original))).convert("RGB")
    assert upright.size == (600, 800)
    thumb_rgb = thumbnail.convert("RGB")
    for fx, fy in ((0.25, 0.25), (0.75, 0.25), (0.25, 0.75), (0.75, 0.75)):
        expected = upright.getpixel((int(fx * 600), int(fy * 800)))
        found = thumb_rgb.getpixel((int(fx * 300), int(fy * 400)))
        assert isinstance(expected, tuple) and isinstance(found, tuple)
        assert all(abs(a - b) < 40 for a, b in zip(expected, found, strict=True))

    assert local_media.shop_files(shop.shop_id) == [key, key + ".thumb.jpg"]
    assert local_media.temporary_files() == []
    [row] = await local_media.rows(shop.shop_id)
    assert (row.shop_id, row.key, row.kind, row.content_type, row.size) == (
        shop.shop_id,
        key,
        "image",
        "image/jpeg",
        len(stored),
    )
    assert (row.width, row.height) == (600, 800)  # as displayed (decision 70)
    assert row.thumbnail_key == key + ".thumb.jpg"
    assert row.created_at == datetime.fromtimestamp(NOW, UTC)


async def test_success_action_status_201(
    local_media: LocalMedia, shop: ShopApi, policy: dict[str, Any]
) -> None:
    response = await local_media.upload(
        policy, jpeg((64, 48)), "a.jpg", success_action_status="201"
    )
    assert response.status_code == 201
    body = response.json()
    assert body["code"] == 0 and body["message"] == "success"
    key = policy["dir"] + "a.jpg"
    assert body["data"]["key"] == key
    assert body["data"]["url"] == f"http://testserver/media/{key}"
    assert_cors(response)
    assert local_media.path(key).is_file()


async def test_success_action_status_204(
    local_media: LocalMedia, shop: ShopApi, policy: dict[str, Any]
) -> None:
    data = jpeg((64, 48))
    response = await local_media.upload(policy, data, "b.jpg", success_action_status="204")
    assert response.status_code == 204
    assert response.content == b""
    assert_cors(response)
    key = policy["dir"] + "b.jpg"
    assert local_media.path(key).read_bytes() == data  # no metadata: stored byte for byte
    assert [row.key for row in await local_media.rows(shop.shop_id)] == [key]


async def test_success_action_status_defaults_to_200(
    local_media: LocalMedia, shop: ShopApi, policy: dict[str, Any]
) -> None:
    fields = {k: v for k, v in policy["fields"].items() if k not in ("success_action_status",)}
    response = await local_media.post_form(
        form_parts(fields, ("c.jpg", jpeg((8, 8)), "image/jpeg"))
    )
    assert ok(response)["key"] == policy["dir"] + "c.jpg"


def _gif() -> bytes:
    out = io.BytesIO()
    Image.new("P", (20, 10), 3).save(out, "GIF")
    return out.getvalue()


def _webp() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (20, 10), (10, 200, 30)).save(out, "WEBP", lossless=True)
    return out.getvalue()


@pytest.mark.parametrize(
    ("file_name", "make", "content_type"),
    [
        ("shot.png", png, "image/png"),
        ("anim.gif", _gif, "image/gif"),
        ("pic.webp", _webp, "image/webp"),
        ("png-named.jpg", png, "image/png"),  # the content decides
        ("UPPER.JPEG", jpeg, "image/jpeg"),
    ],
)
async def test_every_image_type_detected_by_content(
    local_media: LocalMedia,
    shop: ShopApi,
    policy: dict[str, Any],
    file_name: str,
    make: Callable[[], bytes],
    content_type: str,
) -> None:
    data = make()
    out = ok(await local_media.upload(policy, data, file_name, "application/octet-stream"))
    key = policy["dir"] + file_name
    assert out["content_type"] == content_type
    assert out["size"] == len(data)
    assert local_media.path(key).read_bytes() == data
    assert Image.open(local_media.path(key + ".thumb.jpg")).format == "JPEG"
    [row] = await local_media.rows(shop.shop_id)
    assert (row.key, row.content_type) == (key, content_type)


async def test_key_may_be_given_without_the_placeholder(
    local_media: LocalMedia, shop: ShopApi, policy: dict[str, Any]
) -> None:
    # Any key under the prefix is allowed; 512 characters is the longest. (A file name, with
    # the thumbnail's ".thumb.jpg", has to fit in the file system's 255.)
    name = "n" * 241 + ".jpg"
    key = policy["dir"] + "d" * (512 - len(policy["dir"]) - len(name) - 1) + "/" + name
    assert len(key) == 512
    out = ok(await local_media.upload(policy, jpeg((8, 8)), "ignored.png", key=key))
    assert out["key"] == key
    assert local_media.path(key).is_file()


async def test_file_names_are_sanitised(
    local_media: LocalMedia, shop: ShopApi, policy: dict[str, Any]
) -> None:
    cases = {
        "Über cool.JPG": "_ber_cool.JPG",
        "a&b=c;d'e.jpeg": "a_b_c_d_e.jpeg",
        "x" * 120 + ".png": "x" * 96 + ".png",  # at most 100 characters, extension kept
    }
    for sent, stored in cases.items():
        data = png() if sent.endswith(".png") else jpeg((8, 8))
        out = ok(await local_media.upload(policy, data, sent))
        assert out["key"] == policy["dir"] + stored, sent
        assert len(stored) <= 100


async def test_policy_is_reusable_until_it_expires_each_file_with_its_own_key(
    local_media: LocalMedia, shop: ShopApi, policy: dict[str, Any], clock: Any
) -> None:
    first = jpeg((32, 32))
    ok(await local_media.upload(policy, first, "one.jpg"))
    clock.set(NOW + 599)  # the last second the policy is valid
    ok(await local_media.upload(policy, jpeg((16, 16)), "two.jpg"))
    # The same key again: code 6; the first file and its thumbnail stay as they were.
    thumbnail = local_media.path(policy["dir"] + "one.jpg.thumb.jpg").read_bytes()
    refused(await local_media.upload(policy, jpeg((48, 48)), "one.jpg"), 6)
    assert local_media.path(policy["dir"] + "one.jpg").read_bytes() == first
    assert local_media.path(policy["dir"] + "one.jpg.thumb.jpg").read_bytes() == thumbnail
    assert sorted(row.key for row in await local_media.rows(shop.shop_id)) == [
        policy["dir"] + "one.jpg",
        policy["dir"] + "two.jpg",
    ]
    assert local_media.temporary_files() == []


# --- refusals --------------------------------------------------------------------------------

Change = Callable[[dict[str, Any], ShopApi], list[tuple[str, str | FilePart]]]
PHOTO: FilePart = ("photo.jpg", jpeg((40, 30)), "image/jpeg")


def _fields(issued: dict[str, Any], **changed: str | None) -> dict[str, str]:
    fields = {**issued["fields"], **changed}
    return {k: v for k, v in fields.items() if v is not None}


def _with(file: FilePart = PHOTO, **changed: str | None) -> Change:
    return lambda policy, shop: form_parts(_fields(policy, **changed), file)


def _key(suffix: str, file: FilePart = PHOTO) -> Change:
    return lambda policy, shop: form_parts(_fields(policy, key=policy["dir"] + suffix), file)


def _tampered_policy(policy: dict[str, Any], shop: ShopApi) -> list[tuple[str, str | FilePart]]:
    return form_parts(_fields(policy, policy=flip(policy["policy"], 30)), PHOTO)


def _wider_prefix(policy: dict[str, Any], shop: ShopApi) -> list[tuple[str, str | FilePart]]:
    # A policy re-written to allow any key of the shop, sent with the original signature.
    text = base64.b64decode(policy["policy"]).decode().replace(policy["dir"], shop.shop_id + "/")
    wider = base64.b64encode(text.encode()).decode()
    return form_parts(_fields(policy, policy=wider, key=shop.shop_id + "/x.jpg"), PHOTO)


def _signature_of_another_key(
    policy: dict[str, Any], shop: ShopApi
) -> list[tuple[str, str | FilePart]]:
    return form_parts(_fields(policy, Signature=hmac_b64(b"not the key", policy["policy"])), PHOTO)


def _other_shops_dir(policy: dict[str, Any], shop: ShopApi) -> list[tuple[str, str | FilePart]]:
    key = "someone-else" + policy["dir"][len(shop.shop_id) :] + "${filename}"
    return form_parts(_fields(policy, key=key), PHOTO)


def _other_dir(policy: dict[str, Any], shop: ShopApi) -> list[tuple[str, str | FilePart]]:
    key = f"{shop.shop_id}/{DATE}/{'0' * 16}/" + "${filename}"
    return form_parts(_fields(policy, key=key), PHOTO)


def _parts_order(order: str) -> Change:
    def change(policy: dict[str, Any], shop: ShopApi) -> list[tuple[str, str | FilePart]]:
        fields: list[tuple[str, str | FilePart]] = list(policy["fields"].items())
        if order == "file-first":
            return [("file", PHOTO), *fields]
        if order == "file-in-the-middle":
            return [*fields[:2], ("file", PHOTO), *fields[2:]]
        if order == "two-files":
            return [*fields, ("file", PHOTO), ("file", ("b.jpg", PHOTO[1], "image/jpeg"))]
        if order == "two-file-parts":
            return [*fields, ("other", PHOTO), ("file", PHOTO)]
        if order == "no-file":
            return fields
        if order == "file-under-another-name":
            return [*fields, ("upload", PHOTO)]
        if order == "file-as-text":
            return [*fields, ("file", "not a file part")]
        raise AssertionError(order)

    return change


TRUNCATED = jpeg((200, 150))[:900]

REFUSALS: dict[str, tuple[Change, int]] = {
    # Signature and OSSAccessKeyId: code 16.
    "policy one character changed": (_tampered_policy, 16),
    "policy widened": (_wider_prefix, 16),
    "Signature one character changed": (
        lambda p, s: form_parts(_fields(p, Signature=flip(p["signature"], 5)), PHOTO),
        16,
    ),
    "Signature of another key": (_signature_of_another_key, 16),
    "Signature missing": (_with(Signature=None), 16),
    "policy missing": (_with(policy=None), 16),
    "OSSAccessKeyId not local": (_with(OSSAccessKeyId="AKIAEXAMPLEKEYID"), 16),
    "OSSAccessKeyId missing": (_with(OSSAccessKeyId=None), 16),
    # Key rules: code 3.
    "key missing": (_with(key=None), 3),
    "key in another dir": (_other_dir, 3),
    "key in another shop's dir": (_other_shops_dir, 3),
    "key with ..": (_key("../${filename}"), 3),
    "key with .": (_key("./${filename}"), 3),
    "key with an empty segment": (_key("a//${filename}"), 3),
    "key with a space": (_key("my photo.jpg"), 3),
    "key with a backslash": (_key("a\\b.jpg"), 3),
    "key with a non-ASCII letter": (_key("ph\u00f6to.jpg"), 3),
    "key with a percent": (_key("a%2F..%2Fb.jpg"), 3),
    "key with a NUL": (_key("a\x00.jpg"), 3),
    "key over 512 characters": (_key("k" * 600 + ".jpg"), 3),
    "key with a file name too long for a file system": (_key("n" * 242 + ".jpg"), 3),
    "key with a directory name too long for a file system": (_key("d" * 256 + "/a.jpg"), 3),
    "key without an image extension": (
        _key("${filename}", ("photo.txt", PHOTO[1], "text/plain")),
        3,
    ),
    "key with a video extension": (_key("clip.mp4"), 3),
    "key without an extension": (_key("${filename}", ("photo", PHOTO[1], "image/jpeg")), 3),
    "key ending .thumb.jpg": (_key("${filename}", ("x.jpg.thumb.jpg", PHOTO[1], "image/jpeg")), 3),
    "key ending .THUMB.JPG": (_key("x.jpg.THUMB.JPG"), 3),
    # Size and content: code 3.
    "empty file": (_with(("empty.jpg", b"", "image/jpeg")), 3),
    "a text file named .jpg": (_with(("notes.jpg", b"just some text\n" * 20, "image/jpeg")), 3),
    "an MP4 named .jpg": (_with(("clip.jpg", mp4(2048), "image/jpeg")), 3),
    "a truncated JPEG": (_with(("cut.jpg", TRUNCATED, "image/jpeg")), 3),
    "JPEG signature then garbage": (
        _with(("bad.jpg", b"\xff\xd8\xff" + b"\x00" * 500, "image/jpeg")),
        3,
    ),
    "an SVG named .png": (
        _with(("logo.png", b'<svg xmlns="http://www.w3.org/2000/svg"/>', "image/png")),
        3,
    ),
    "success_action_status 302": (_with(success_action_status="302"), 3),
    # The form's shape: code 3.
    "file first": (_parts_order("file-first"), 3),
    "file in the middle": (_parts_order("file-in-the-middle"), 3),
    "two files": (_parts_order("two-files"), 3),
    "two file parts": (_parts_order("two-file-parts"), 3),
    "no file": (_parts_order("no-file"), 3),
    "file under another name": (_parts_order("file-under-another-name"), 3),
    "file as a text field": (_parts_order("file-as-text"), 3),
}


@pytest.mark.parametrize("case", list(REFUSALS))
async def test_refused_uploads_leave_nothing(
    local_media: LocalMedia, shop: ShopApi, policy: dict[str, Any], case: str
) -> None:
    change, code = REFUSALS[case]
    response = await local_media.post_form(change(policy, shop))
    refused(response, code)
    await local_media.assert_nothing_stored(shop.shop_id)
    # The same policy still works for a proper upload.
    ok(await local_media.upload(policy, PHOTO[1], "fine.jpg"))


async def test_expired_policy(
    local_media: LocalMedia, shop: ShopApi, policy: dict[str, Any], clock: Any
) -> None:
    clock.set(NOW + 600)
    body = refused(await local_media.upload(policy, PHOTO[1]), 16)
    assert "expired" in body["message"]
    clock.set(NOW + 86400)
    refused(await local_media.upload(policy, PHOTO[1]), 16)
    await local_media.assert_nothing_stored(shop.shop_id)


async def test_checks_run_in_the_contracts_order(
    local_media: LocalMedia, shop: ShopApi, policy: dict[str, Any], clock: Any
) -> None:
    text: FilePart = ("t.jpg", b"text", "image/jpeg")
    # Signature before everything else.
    bad_signature = {"Signature": flip(policy["signature"], 5)}
    refused(await local_media.upload(policy, b"text", "t.txt", **bad_signature), 16)
    # Key rules before content.
    parts = form_parts(_fields(policy, key=policy["dir"] + "../t.jpg"), text)
    refused(await local_media.post_form(parts), 3)
    # Content before the key's uniqueness: a taken key with bad content is code 3, not 6.
    ok(await local_media.upload(policy, PHOTO[1], "taken.jpg"))
    body = refused(await local_media.upload(policy, b"text", "taken.jpg"), 3)
    assert "taken.jpg" not in body["message"]
    # Expiry before key rules.
    clock.set(NOW + 601)
    refused(await local_media.upload(policy, b"text", "t.txt"), 16)
    assert [row.key for row in await local_media.rows(shop.shop_id)] == [
        policy["dir"] + "taken.jpg"
    ]


async def test_content_length_range_of_the_policy(
    local_media: LocalMedia,
    shop: ShopApi,
    clock: Any,
    media_limits: Callable[..., None],
) -> None:
    data = jpeg((64, 48))
    clock.set(NOW)
    media_limits(image_max_bytes=len(data))
    exact = await local_media.image_policy(shop)
    assert f'["content-length-range",1,{len(data)}]' in base64.b64decode(exact["policy"]).decode()
    media_limits(image_max_bytes=len(data) - 1)
    short = await local_media.image_policy(shop)

    body = refused(await local_media.upload(short, data, "big.jpg"), 3)
    assert str(len(data) - 1) in body["message"]
    await local_media.assert_nothing_stored(shop.shop_id)
    assert ok(await local_media.upload(exact, data, "fits.jpg"))["size"] == len(data)


async def test_reading_stops_past_the_maximum(
    local_media: LocalMedia,
    shop: ShopApi,
    policy: dict[str, Any],
    media_limits: Callable[..., None],
) -> None:
    """A body far over the limit is not read to its end (decision 69: the form is cut off at
    the image limit + 64 KiB)."""
    limit = 4096
    media_limits(image_max_bytes=limit)
    small = await local_media.image_policy(shop)
    total = 8 * 1024 * 1024
    chunk = 16 * 1024
    head, content_type = multipart(form_parts(small["fields"], ("huge.jpg", b"", "image/jpeg")))
    opening, closing = head.rsplit(b"\r\n--", 1)
    sent = 0

    async def body() -> AsyncIterator[bytes]:
        nonlocal sent
        for piece in (opening, b"\xff\xd8\xff\xe0" + b"\x00" * (chunk - 4)):
            sent += len(piece)
            yield piece
        while sent < total:
            sent += chunk
            yield b"\x00" * chunk
        yield b"\r\n--" + closing

    response = await local_media.client.post(
        "/media", content=body(), headers={"Content-Type": content_type}
    )
    message = refused(response, 3)["message"]
    assert str(limit) in message
    assert sent <= limit + 64 * 1024 + 2 * chunk + len(opening)
    await local_media.assert_nothing_stored(shop.shop_id)


async def test_no_database_connection_is_held_while_the_body_arrives(
    local_media: LocalMedia, shop: ShopApi, policy: dict[str, Any]
) -> None:
    """A client sends its form as slowly as it likes: meanwhile the upload must hold no
    transaction (on SQLite that would stop every writer, on PostgreSQL hold a connection)."""
    body, content_type = multipart(
        form_parts(policy["fields"], ("slow.jpg", PHOTO[1], "image/jpeg"))
    )
    seen: list[tuple[int, bool]] = []

    async def slowly() -> AsyncIterator[bytes]:
        for start in range(0, len(body), 1024):
            yield body[start : start + 1024]
            seen.append(local_media.database_in_use())

    response = await local_media.client.post(
        "/media", content=slowly(), headers={"Content-Type": content_type}
    )
    assert ok(response)["key"] == policy["dir"] + "slow.jpg"
    assert len(seen) > 2
    assert set(seen) == {(0, False)}
    assert local_media.database_in_use() == (0, False)


async def test_a_body_that_is_not_a_form(local_media: LocalMedia, shop: ShopApi) -> None:
    for content, content_type in (
        (b'{"key": "x"}', "application/json"),
        (b"key=x&policy=y", "application/x-www-form-urlencoded"),
        (b"--b\r\nbroken", "multipart/form-data; boundary=b"),
    ):
        response = await local_media.client.post(
            "/media", content=content, headers={"Content-Type": content_type}
        )
        refused(response, 3)
    await local_media.assert_nothing_stored(shop.shop_id)


# --- CORS ------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/media", "/media/upload/any-token"])
async def test_cors_preflight(local_media: LocalMedia, path: str) -> None:
    response = await local_media.client.options(
        path,
        headers={
            "Origin": "https://shop.example.com",
            "Access-Control-Request-Method": "PUT" if "upload" in path else "POST",
            "Access-Control-Request-Headers": "content-type",
        },
    )
    assert response.status_code == 204
    assert response.content == b""
    assert_cors(response)


async def test_a_client_that_goes_away_mid_form(
    app: Any,
    local_media: LocalMedia,
    shop: ShopApi,
    policy: dict[str, Any],
    caplog: pytest.LogCaptureFixture,
) -> None:
    body, content_type = multipart(
        form_parts(policy["fields"], ("gone.jpg", PHOTO[1], "image/jpeg"))
    )
    answer = await asgi_request(
        app,
        "POST",
        "/media",
        headers={"Content-Type": content_type},
        chunks=[body[:1000], body[1000:-200]],
        disconnect=True,
    )
    assert answer.status == 499
    assert not [r for r in caplog.records if r.levelname == "ERROR"]
    await local_media.assert_nothing_stored(shop.shop_id)


async def test_two_uploads_racing_for_one_key(
    local_media: LocalMedia, shop: ShopApi, policy: dict[str, Any]
) -> None:
    first, second = jpeg((40, 30)), jpeg((30, 40))
    responses = await asyncio.gather(
        local_media.upload(policy, first, "race.jpg"),
        local_media.upload(policy, second, "race.jpg"),
    )
    assert sorted(r.status_code for r in responses) == [200, 409]
    winner = next(r for r in responses if r.status_code == 200)
    refused(next(r for r in responses if r.status_code == 409), 6)
    key = policy["dir"] + "race.jpg"
    [row] = await local_media.rows(shop.shop_id)
    assert (row.key, row.size) == (key, ok(winner)["size"])
    stored = local_media.path(key).read_bytes()
    assert stored in (first, second) and len(stored) == row.size
    assert local_media.shop_files(shop.shop_id) == [key, key + ".thumb.jpg"]
    assert local_media.temporary_files() == []
