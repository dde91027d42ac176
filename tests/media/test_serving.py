"""Serving local media (spec media.md "Serving media"): the headers, Range requests, the
thumbnails, unknown keys (HTTP 404, envelope code 5) and paths that try to leave the media
directory, sent to the app exactly as written (no client-side normalisation of `..`)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import httpx
import pytest

from shopreviews.kit.storage import LocalStorage
from tests.media.helpers import LocalMedia, asgi_request, jpeg, mp4, phone_exif, png
from tests.support.api import ShopApi, error, ok

MEDIA_HEADERS = {
    "x-content-type-options": "nosniff",
    "content-disposition": "inline",
    "cache-control": "public, max-age=31536000, immutable",
}
SECRET = b"TOP SECRET: outside the media directory"


async def uploaded_image(
    media: LocalMedia, shop: ShopApi, data: bytes, name: str = "photo.jpg"
) -> dict[str, Any]:
    policy = await media.image_policy(shop)
    return dict(ok(await media.upload(policy, data, name)))


async def uploaded_video(media: LocalMedia, shop: ShopApi, data: bytes) -> dict[str, Any]:
    grant = await media.video_grant(shop, file_name="clip.mp4")
    return dict(ok(await media.put(grant["upload_url"], data, grant["headers"])))


def local_path(url: str) -> str:
    return url.removeprefix("http://testserver")


def assert_media_headers(response: httpx.Response, content_type: str) -> None:
    assert response.headers["content-type"] == content_type
    for name, value in MEDIA_HEADERS.items():
        assert response.headers[name] == value, name
    assert response.headers["accept-ranges"] == "bytes"


async def test_an_image_and_its_thumbnail(local_media: LocalMedia, shop: ShopApi) -> None:
    out = await uploaded_image(local_media, shop, jpeg((640, 480), exif=phone_exif(6)))
    response = await local_media.client.get(local_path(out["url"]))
    assert response.status_code == 200
    assert_media_headers(response, "image/jpeg")
    stored = local_media.path(out["key"]).read_bytes()
    assert response.content == stored
    assert response.headers["content-length"] == str(len(stored)) == str(out["size"])

    thumbnail = await local_media.client.get(local_path(out["thumbnail_url"]))
    assert thumbnail.status_code == 200
    assert_media_headers(thumbnail, "image/jpeg")
    assert thumbnail.content == local_media.path(out["key"] + ".thumb.jpg").read_bytes()


async def test_head_answers_the_headers_of_get(local_media: LocalMedia, shop: ShopApi) -> None:
    out = await uploaded_image(local_media, shop, jpeg((640, 480)))
    for url in (out["url"], out["thumbnail_url"]):
        got = await local_media.client.get(local_path(url))
        head = await local_media.client.head(local_path(url))
        assert head.status_code == 200
        assert_media_headers(head, "image/jpeg")
        assert head.headers["content-length"] == got.headers["content-length"]
        assert head.headers["etag"] == got.headers["etag"]
        assert head.content == b""
    missing = await local_media.client.head(f"/media/{shop.shop_id}/2026/1/2/{'0' * 16}/a.jpg")
    assert missing.status_code == 404


async def test_the_type_is_the_detected_one(local_media: LocalMedia, shop: ShopApi) -> None:
    out = await uploaded_image(local_media, shop, png(), "really-a-png.jpg")
    response = await local_media.client.get(local_path(out["url"]))
    assert_media_headers(response, "image/png")
    thumbnail = await local_media.client.get(local_path(out["thumbnail_url"]))
    assert_media_headers(thumbnail, "image/jpeg")


async def test_range_requests(local_media: LocalMedia, shop: ShopApi) -> None:
    video = mp4(10_000)
    out = await uploaded_video(local_media, shop, video)
    path = local_path(out["url"])
    whole = await local_media.client.get(path)
    assert whole.status_code == 200
    assert_media_headers(whole, "video/mp4")
    assert whole.content == video

    for header, start, end in (
        ("bytes=0-9", 0, 9),
        ("bytes=100-1099", 100, 1099),
        ("bytes=9990-", 9990, 9999),
        ("bytes=-16", 9984, 9999),
        ("bytes=9995-20000", 9995, 9999),
    ):
        response = await local_media.client.get(path, headers={"Range": header})
        assert response.status_code == 206, header
        assert response.content == video[start : end + 1], header
        assert response.headers["content-range"] == f"bytes {start}-{end}/{len(video)}"
        assert response.headers["content-length"] == str(end + 1 - start)
        assert_media_headers(response, "video/mp4")

    response = await local_media.client.get(path, headers={"Range": "bytes=10000-"})
    assert response.status_code == 416
    assert response.headers["content-range"] == f"bytes */{len(video)}"


async def test_range_of_an_image(local_media: LocalMedia, shop: ShopApi) -> None:
    out = await uploaded_image(local_media, shop, jpeg((64, 48)))
    response = await local_media.client.get(local_path(out["url"]), headers={"Range": "bytes=0-2"})
    assert response.status_code == 206
    assert response.content == b"\xff\xd8\xff"


def assert_not_found(response: httpx.Response) -> None:
    body = error(response, 5, 404)
    assert body["data"] is None
    assert body["message"].startswith("not found")
    assert response.headers["content-type"] == "application/json; charset=utf-8"


async def test_unknown_keys(local_media: LocalMedia, shop: ShopApi) -> None:
    image = await uploaded_image(local_media, shop, jpeg((32, 32)))
    video = await uploaded_video(local_media, shop, mp4(1000))
    directory = image["key"].rsplit("/", 1)[0]
    for key in (
        f"{shop.shop_id}/2026/1/2/{'0' * 16}/photo.jpg",
        f"{directory}/other.jpg",
        f"{directory}/",
        directory,
        shop.shop_id,
        image["key"] + ".thumb.jpg.thumb.jpg",
        image["key"].upper(),
        video["key"] + ".thumb.jpg",  # videos have no thumbnail
    ):
        assert_not_found(await local_media.client.get(f"/media/{key}"))


async def test_files_without_a_recorded_upload_are_not_served(
    local_media: LocalMedia, shop: ShopApi
) -> None:
    # A file put into the directory some other way, a temporary file, a missing file.
    stray = f"{shop.shop_id}/2026/1/2/{'a' * 16}/stray.jpg"
    local_media.path(stray).parent.mkdir(parents=True)
    local_media.path(stray).write_bytes(jpeg((8, 8)))
    assert_not_found(await local_media.client.get(f"/media/{stray}"))

    temporary = local_media.root / ".upload-test"
    temporary.write_bytes(b"half an upload")
    try:
        assert_not_found(await local_media.client.get("/media/.upload-test"))
    finally:
        temporary.unlink()

    out = await uploaded_image(local_media, shop, jpeg((8, 8)))
    local_media.path(out["key"]).unlink()
    assert_not_found(await local_media.client.get(local_path(out["url"])))


# --- paths that try to leave the media directory --------------------------------------------


async def raw_get(app: Any, raw_path: bytes) -> tuple[int, dict[str, str], bytes]:
    answer = await asgi_request(app, "GET", raw_path.decode("ascii"))
    return answer.status, answer.headers, answer.body


@pytest.fixture
def outside_file(local_media: LocalMedia) -> Path:
    """A file beside the media directory, which no request may read."""
    path = local_media.root.parent / "outside-secret.txt"
    path.write_bytes(SECRET)
    return path


async def test_path_traversal(
    app: Any, local_media: LocalMedia, shop: ShopApi, outside_file: Path
) -> None:
    out = await uploaded_image(local_media, shop, jpeg((8, 8)))
    key = out["key"]
    depth = key.count("/") + 1
    up = "../" * depth
    root_name = local_media.root.name
    attempts = [
        "/media/../outside-secret.txt",
        "/media/../settings.py",
        "/media/../../etc/passwd",
        "/media/%2e%2e/outside-secret.txt",
        "/media/%2E%2E%2Foutside-secret.txt",
        "/media/..%2foutside-secret.txt",
        "/media/..%5coutside-secret.txt",
        f"/media/{key}/../../../../../../outside-secret.txt",
        f"/media/{key}/{up}../outside-secret.txt",
        f"/media/{key}%2f..%2f..%2f..%2f..%2f..%2f..%2f..%2foutside-secret.txt",
        f"/media/{up}{root_name}/{key}",
        f"/media/./{key}",
        f"/media//{key}",
        f"/media/{outside_file}",
        f"/media/{str(outside_file).lstrip('/')}",
        "/media/%00",
        f"/media/{key}%00.jpg",
        "/media/~/outside-secret.txt",
    ]
    for attempt in attempts:
        status, headers, body = await raw_get(app, attempt.encode())
        assert status == 404, (attempt, status, body)
        assert SECRET not in body
        envelope = json.loads(body)
        assert envelope["code"] == 5 and envelope["data"] is None, (attempt, envelope)
        assert headers["content-type"] == "application/json; charset=utf-8"

    # The file itself is served when asked for properly.
    status, headers, body = await raw_get(app, f"/media/{key}".encode())
    assert status == 200
    assert body == local_media.path(key).read_bytes()


def test_storage_paths_never_leave_the_directory(tmp_path: Path) -> None:
    root = tmp_path / "media"
    root.mkdir()
    (tmp_path / "outside.jpg").write_bytes(SECRET)
    storage = LocalStorage(root)
    assert storage.path("shop/a.jpg") == root.resolve() / "shop" / "a.jpg"
    for key in ("../outside.jpg", "shop/../../outside.jpg", str(tmp_path / "outside.jpg"), "", "."):
        with pytest.raises(ValueError):
            storage.path(key)
    # A link inside the directory that points out of it is refused too.
    (root / "link").symlink_to(tmp_path)
    with pytest.raises(ValueError):
        storage.path("link/outside.jpg")


async def test_storage_reads_and_heads_stay_inside(tmp_path: Path) -> None:
    root = tmp_path / "media"
    root.mkdir()
    (tmp_path / "outside.jpg").write_bytes(SECRET)
    storage = LocalStorage(root)
    assert await storage.head("../outside.jpg") is None
    with pytest.raises(ValueError):
        await storage.read("../outside.jpg", 1000)
    with pytest.raises(ValueError):
        await storage.put("../outside2.jpg", b"x", "image/jpeg")
    assert not (tmp_path / "outside2.jpg").exists()
    assert sorted(os.listdir(tmp_path)) == ["media", "outside.jpg"]
