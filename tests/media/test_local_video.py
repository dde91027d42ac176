"""Video uploads on the local backend (spec media.md "get_video_upload_url" and "Video
upload"): the upload URL and its token, the PUT of the raw bytes with the returned headers,
and every refusal (nothing stored: no file, no temporary file, no row)."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import re
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from shopreviews.kit.context import AppContext
from shopreviews.kit.envelope import InvalidArgument
from shopreviews.media import policy as media_policy
from shopreviews.media import uploads
from tests.media.helpers import DATE, NOW, LocalMedia, asgi_request, assert_cors, jpeg, mp4, refused
from tests.support.api import ShopApi, bearer, error, ok
from tests.support.oauth import connect, create_platform

VIDEO_MAX = 209715200
WEBM = b"\x1a\x45\xdf\xa3" + b"\x9f\x42\x86\x81\x01" + bytes(range(200)) * 10
QUICKTIME = mp4(3000, brand=b"qt  ")
EXAMPLE_TOKEN = (
    "eyJrIjoiNjEyMzQ1Njc4OTAvMjAyNi82LzUvMGM3ZDllMmE0YjZmOGExYy91bmJveGluZy5tcDQiLCJ0IjoidmlkZW8v"
    "bXA0IiwibSI6MjA5NzE1MjAwLCJzIjowLCJlIjoxNzgwNjQ0NzE2LCJ2IjoxfQ.ptnlIFBi5djVSzVUuCPygkJjwqQi6sXR"
    "h1Na0ZU0XoQ"
)


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def token_of(upload_url: str) -> str:
    prefix = "http://testserver/media/upload/"
    assert upload_url.startswith(prefix), upload_url
    return upload_url[len(prefix) :]


@pytest.fixture
def at_now(clock: Any) -> Any:
    clock.set(NOW)
    return clock


# --- get_video_upload_url --------------------------------------------------------------------


async def test_video_upload_url_and_its_token(
    ctx: AppContext, local_media: LocalMedia, shop: ShopApi, at_now: Any
) -> None:
    data = await local_media.video_grant(shop, file_name="unboxing.mp4", content_type="video/mp4")
    assert list(data) == ["upload_url", "url", "expire", "headers"]
    assert data["expire"] == str(NOW + 600)
    assert data["headers"] == {"Content-Type": "video/mp4"}
    match = re.fullmatch(
        rf"http://testserver/media/({shop.shop_id}/{DATE}/[0-9a-f]{{16}}/unboxing\.mp4)",
        data["url"],
    )
    assert match, data["url"]
    key = match.group(1)

    payload, signature = token_of(data["upload_url"]).split(".")
    assert "=" not in payload + signature
    assert unb64url(payload).decode() == (
        f'{{"k":"{key}","t":"video/mp4","m":{VIDEO_MAX},"s":0,"e":{NOW + 600},"v":1}}'
    )
    expected = hmac.new(ctx.upload_key, payload.encode(), hashlib.sha256).digest()
    assert unb64url(signature) == expected
    assert base64.urlsafe_b64encode(expected).decode().rstrip("=") == signature


def test_the_contract_example_token_reproduces() -> None:
    grant = media_policy.VideoGrant(
        key="61234567890/2026/6/5/0c7d9e2a4b6f8a1c/unboxing.mp4",
        content_type="video/mp4",
        max_bytes=VIDEO_MAX,
        exact_size=0,
        expires=1780644716,
    )
    assert media_policy.video_token(b"example-upload-signing-key", grant) == EXAMPLE_TOKEN
    assert media_policy.read_video_token(b"example-upload-signing-key", EXAMPLE_TOKEN) == grant
    assert media_policy.read_video_token(b"another key", EXAMPLE_TOKEN) is None


@pytest.mark.parametrize(
    ("params", "name", "content_type"),
    [
        ({"content_type": "video/mp4"}, "video.mp4", "video/mp4"),
        ({"content_type": "video/quicktime"}, "video.mov", "video/quicktime"),
        ({"content_type": "video/webm"}, "video.webm", "video/webm"),
        ({"file_name": "clip.MOV"}, "clip.MOV", "video/quicktime"),
        ({"file_name": "clip.webm", "content_type": "video/webm"}, "clip.webm", "video/webm"),
        ({"file_name": "clip", "content_type": "video/webm"}, "clip.webm", "video/webm"),
        ({"file_name": "my clip (2).mp4"}, "my_clip__2_.mp4", "video/mp4"),
        ({"file_name": "", "content_type": "video/mp4"}, "video.mp4", "video/mp4"),
        ({"file_name": "v" * 150 + ".mp4"}, "v" * 96 + ".mp4", "video/mp4"),
        ({"file_name": "w" * 150, "content_type": "video/webm"}, "w" * 95 + ".webm", "video/webm"),
    ],
)
async def test_file_name_and_content_type_rules(
    local_media: LocalMedia,
    shop: ShopApi,
    params: dict[str, str],
    name: str,
    content_type: str,
) -> None:
    data = await local_media.video_grant(shop, **params)
    assert data["url"].endswith("/" + name)
    assert data["headers"] == {"Content-Type": content_type}
    payload = json.loads(unb64url(token_of(data["upload_url"]).split(".")[0]))
    assert payload["t"] == content_type
    assert payload["k"] == data["url"].removeprefix("http://testserver/media/")


async def test_file_size_fixes_the_length(local_media: LocalMedia, shop: ShopApi) -> None:
    data = await local_media.video_grant(shop, file_name="a.mp4", file_size="1234")
    assert data["headers"] == {"Content-Type": "video/mp4", "Content-Length": "1234"}
    payload = json.loads(unb64url(token_of(data["upload_url"]).split(".")[0]))
    assert (payload["s"], payload["m"]) == (1234, VIDEO_MAX)
    largest = await local_media.video_grant(shop, file_name="a.mp4", file_size=str(VIDEO_MAX))
    assert largest["headers"]["Content-Length"] == str(VIDEO_MAX)


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"file_name": "clip"},
        {"file_name": "clip.jpg"},
        {"file_name": "clip.mp4.txt"},
        {"file_name": "clip."},
        {"file_name": "clip.mp4", "content_type": "video/webm"},
        {"file_name": "clip.mov", "content_type": "video/mp4"},
        {"content_type": "image/jpeg"},
        {"content_type": "video/avi"},
        {"content_type": "video/*"},
        {"file_name": "a.mp4", "file_size": "0"},
        {"file_name": "a.mp4", "file_size": "-1"},
        {"file_name": "a.mp4", "file_size": "1.5"},
        {"file_name": "a.mp4", "file_size": "abc"},
        {"file_name": "a.mp4", "file_size": str(VIDEO_MAX + 1)},
    ],
)
async def test_bad_combinations(
    local_media: LocalMedia, shop: ShopApi, params: dict[str, str]
) -> None:
    error(await local_media.api_get(shop, "get_video_upload_url", params), 3, 400)


async def test_video_upload_url_needs_write_reviews(
    ctx: AppContext, client: httpx.AsyncClient, local_media: LocalMedia, shop: ShopApi
) -> None:
    platform = await create_platform(ctx)
    tokens = await connect(ctx, client, shop, platform, scope="read_reviews")
    response = await client.get(
        "/api/v1/openapi/get_video_upload_url",
        params={"file_name": "a.mp4"},
        headers=bearer(tokens["access_token"]),
    )
    assert error(response, 7, 403)["data"] is None


# --- the PUT ---------------------------------------------------------------------------------


async def test_put_a_video_with_the_returned_headers(
    local_media: LocalMedia, shop: ShopApi, at_now: Any
) -> None:
    grant = await local_media.video_grant(shop, file_name="unboxing.mp4")
    video = mp4(50_000)
    response = await local_media.put(grant["upload_url"], video, grant["headers"])
    key = grant["url"].removeprefix("http://testserver/media/")
    assert ok(response) == {
        "url": grant["url"],
        "key": key,
        "size": len(video),
        "content_type": "video/mp4",
    }
    assert_cors(response)
    assert local_media.path(key).read_bytes() == video
    assert local_media.shop_files(shop.shop_id) == [key]
    assert local_media.temporary_files() == []
    [row] = await local_media.rows(shop.shop_id)
    assert (row.shop_id, row.key, row.kind, row.content_type, row.size) == (
        shop.shop_id,
        key,
        "video",
        "video/mp4",
        len(video),
    )
    assert (row.width, row.height, row.thumbnail_key) == (None, None, None)
    assert row.created_at == datetime.fromtimestamp(NOW, UTC)


@pytest.mark.parametrize(
    ("params", "content_type", "data"),
    [
        ({"file_name": "a.mp4"}, "video/mp4; codecs=avc1", mp4(1000)),
        ({"file_name": "a.mp4"}, "Video/MP4", mp4(1000)),
        ({"file_name": "a.mov"}, "video/quicktime", QUICKTIME),
        ({"file_name": "a.webm"}, "video/webm", WEBM),
        # MP4 and QuickTime are one container family (decision 64): the declared type is kept.
        ({"file_name": "a.mp4"}, "video/mp4", QUICKTIME),
        ({"file_name": "a.mov"}, "video/quicktime", mp4(1000)),
        ({"file_name": "a.mp4", "file_size": "777"}, "video/mp4", mp4(777)),
        ({"file_name": "tiny.mp4"}, "video/mp4", mp4(24)),
    ],
)
async def test_put_accepts(
    local_media: LocalMedia,
    shop: ShopApi,
    params: dict[str, str],
    content_type: str,
    data: bytes,
) -> None:
    grant = await local_media.video_grant(shop, **params)
    response = await local_media.put(grant["upload_url"], data, {"Content-Type": content_type})
    out = ok(response)
    assert out["size"] == len(data)
    assert out["content_type"] == grant["headers"]["Content-Type"]
    assert local_media.path(out["key"]).read_bytes() == data
    [row] = await local_media.rows(shop.shop_id)
    assert row.content_type == grant["headers"]["Content-Type"]


async def test_reuse_after_success_is_code_6(
    local_media: LocalMedia, shop: ShopApi, at_now: Any
) -> None:
    grant = await local_media.video_grant(shop, file_name="a.mp4")
    first = mp4(2000)
    ok(await local_media.put(grant["upload_url"], first, grant["headers"]))
    response = await local_media.put(grant["upload_url"], mp4(3000), grant["headers"])
    refused(response, 6)
    # The key's uniqueness is the last check: content that is no video is code 3 first.
    refused(await local_media.put(grant["upload_url"], jpeg((8, 8)), grant["headers"]), 3)
    key = grant["url"].removeprefix("http://testserver/media/")
    assert local_media.path(key).read_bytes() == first
    assert [row.size for row in await local_media.rows(shop.shop_id)] == [len(first)]
    assert local_media.temporary_files() == []


async def test_a_refused_put_does_not_use_up_the_token(
    local_media: LocalMedia, shop: ShopApi
) -> None:
    grant = await local_media.video_grant(shop, file_name="a.mp4")
    refused(await local_media.put(grant["upload_url"], jpeg((8, 8)), grant["headers"]), 3)
    ok(await local_media.put(grant["upload_url"], mp4(1000), grant["headers"]))


# --- refusals --------------------------------------------------------------------------------

Put = Callable[[LocalMedia, dict[str, Any]], Any]


def _put(data: bytes, **headers: str) -> Put:
    def send(media: LocalMedia, grant: dict[str, Any]) -> Any:
        return media.put(grant["upload_url"], data, {**grant["headers"], **headers})

    return send


def _put_to(change: Callable[[str], str]) -> Put:
    def send(media: LocalMedia, grant: dict[str, Any]) -> Any:
        url = grant["upload_url"]
        token = token_of(url)
        return media.put(url.replace(token, change(token)), mp4(1000), grant["headers"])

    return send


def _flip(text: str, index: int) -> str:
    return text[:index] + ("A" if text[index] != "A" else "B") + text[index + 1 :]


def _resigned(token: str) -> str:
    """The payload changed (a larger maximum), signed with a key that is not the server's."""
    payload = json.loads(unb64url(token.split(".")[0]))
    grant = media_policy.VideoGrant(
        payload["k"], payload["t"], payload["m"] * 2, payload["s"], payload["e"]
    )
    return media_policy.video_token(b"not the server's key", grant)


def _other_payload(token: str) -> str:
    """Another key's payload with the original signature."""
    payload = json.loads(unb64url(token.split(".")[0]))
    payload["k"] = payload["k"].rsplit("/", 1)[0] + "/other.mp4"
    raw = json.dumps(payload, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=") + "." + token.split(".")[1]


def _without_length(media: LocalMedia, grant: dict[str, Any]) -> Any:
    async def chunks() -> AsyncIterator[bytes]:
        yield mp4(1000)

    return media.client.put(grant["upload_url"], content=chunks(), headers=grant["headers"])


REFUSALS: dict[str, tuple[dict[str, str], Put, int]] = {
    "payload one character changed": ({}, _put_to(lambda t: _flip(t, 12)), 16),
    "signature one character changed": ({}, _put_to(lambda t: _flip(t, len(t) - 5)), 16),
    "signature missing": ({}, _put_to(lambda t: t.split(".")[0]), 16),
    "signed with another key": ({}, _put_to(_resigned), 16),
    "another payload with the signature": ({}, _put_to(_other_payload), 16),
    "not a token": ({}, _put_to(lambda t: "not-a-token"), 16),
    "Content-Type of another video type": (
        {},
        _put(mp4(1000), **{"Content-Type": "video/webm"}),
        3,
    ),
    "Content-Type octet-stream": (
        {},
        _put(mp4(1000), **{"Content-Type": "application/octet-stream"}),
        3,
    ),
    "Content-Type missing": ({}, _put(mp4(1000), **{"Content-Type": ""}), 3),
    "Content-Length missing": ({}, _without_length, 3),
    "Content-Length not the file_size": (
        {"file_size": "1000"},
        _put(mp4(999), **{"Content-Length": "999"}),
        3,
    ),
    "body longer than Content-Length": ({}, _put(mp4(4000), **{"Content-Length": "1000"}), 3),
    "body shorter than Content-Length": ({}, _put(mp4(1000), **{"Content-Length": "4000"}), 3),
    "body longer than file_size": (
        {"file_size": "1000"},
        _put(mp4(1500), **{"Content-Length": "1000"}),
        3,
    ),
    "empty body": ({}, _put(b""), 3),
    "JPEG bytes": ({}, _put(jpeg((16, 16))), 3),
    "WebM bytes declared as MP4": ({}, _put(WEBM), 3),
    "text": ({}, _put(b"hello world, not a video at all" * 10), 3),
    "an MP4 declared as WebM": ({"file_name": "a.webm"}, _put(mp4(1000)), 3),
}


@pytest.mark.parametrize("case", list(REFUSALS))
async def test_refused_puts_leave_nothing(
    local_media: LocalMedia, shop: ShopApi, case: str
) -> None:
    params, send, code = REFUSALS[case]
    grant = await local_media.video_grant(shop, **({"file_name": "a.mp4"} | params))
    refused(await send(local_media, grant), code)
    await local_media.assert_nothing_stored(shop.shop_id)


async def test_expired_token(local_media: LocalMedia, shop: ShopApi, at_now: Any) -> None:
    grant = await local_media.video_grant(shop, file_name="a.mp4")
    at_now.set(NOW + 600)
    body = refused(await local_media.put(grant["upload_url"], mp4(1000), grant["headers"]), 16)
    assert "expired" in body["message"]
    await local_media.assert_nothing_stored(shop.shop_id)
    at_now.set(NOW + 599)
    ok(await local_media.put(grant["upload_url"], mp4(1000), grant["headers"]))


async def test_the_video_limit(
    local_media: LocalMedia, shop: ShopApi, media_limits: Callable[..., None]
) -> None:
    media_limits(video_max_bytes=1000)
    grant = await local_media.video_grant(shop, file_name="a.mp4")
    payload = json.loads(unb64url(token_of(grant["upload_url"]).split(".")[0]))
    assert payload["m"] == 1000
    error(
        await local_media.api_get(
            shop, "get_video_upload_url", {"file_name": "a.mp4", "file_size": "1001"}
        ),
        3,
        400,
    )
    refused(await local_media.put(grant["upload_url"], mp4(1001), grant["headers"]), 3)
    # Declared within the limit, but the body runs on: reading stops past the maximum.
    response = await local_media.put(
        grant["upload_url"], mp4(5000), {**grant["headers"], "Content-Length": "1000"}
    )
    refused(response, 3)
    await local_media.assert_nothing_stored(shop.shop_id)
    assert (
        ok(await local_media.put(grant["upload_url"], mp4(1000), grant["headers"]))["size"] == 1000
    )


async def test_no_database_connection_is_held_while_the_body_arrives(
    local_media: LocalMedia, shop: ShopApi
) -> None:
    grant = await local_media.video_grant(shop, file_name="slow.mp4")
    video = mp4(20_000)
    seen: list[tuple[int, bool]] = []

    async def slowly() -> AsyncIterator[bytes]:
        for start in range(0, len(video), 2000):
            yield video[start : start + 2000]
            seen.append(local_media.database_in_use())

    headers = {**grant["headers"], "Content-Length": str(len(video))}
    response = await local_media.client.put(grant["upload_url"], content=slowly(), headers=headers)
    assert ok(response)["size"] == len(video)
    assert len(seen) == 10
    assert set(seen) == {(0, False)}


@pytest.mark.parametrize("length", [None, "", "12a", "-5", "+5", "1e3", "\u00b2", "\u0663"])
def test_content_length_must_be_ascii_digits(length: str | None) -> None:
    grant = media_policy.VideoGrant("s/2026/1/2/0123456789abcdef/a.mp4", "video/mp4", 100, 0, 1)
    with pytest.raises(InvalidArgument):
        uploads.check_video_headers(grant, "video/mp4", length)
    assert uploads.check_video_headers(grant, "video/mp4", "100") == 100


async def test_a_client_that_goes_away_mid_upload(
    app: Any, local_media: LocalMedia, shop: ShopApi, caplog: pytest.LogCaptureFixture
) -> None:
    grant = await local_media.video_grant(shop, file_name="gone.mp4")
    video = mp4(10_000)
    answer = await asgi_request(
        app,
        "PUT",
        token_of(grant["upload_url"]).join(("/media/upload/", "")),
        headers={**grant["headers"], "Content-Length": str(len(video))},
        chunks=[video[:3000], video[3000:6000]],
        disconnect=True,
    )
    assert answer.status == 499
    assert not [r for r in caplog.records if r.levelname == "ERROR"]
    await local_media.assert_nothing_stored(shop.shop_id)
    # The token still works for a complete upload.
    ok(await local_media.put(grant["upload_url"], video, grant["headers"]))


async def test_two_puts_racing_for_one_token(local_media: LocalMedia, shop: ShopApi) -> None:
    grant = await local_media.video_grant(shop, file_name="race.mp4")
    responses = await asyncio.gather(
        local_media.put(grant["upload_url"], mp4(3000), grant["headers"]),
        local_media.put(grant["upload_url"], mp4(4000), grant["headers"]),
    )
    assert sorted(r.status_code for r in responses) == [200, 409]
    size = ok(next(r for r in responses if r.status_code == 200))["size"]
    [row] = await local_media.rows(shop.shop_id)
    assert row.size == size == local_media.path(row.key).stat().st_size
    assert local_media.temporary_files() == []
