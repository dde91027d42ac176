"""Helpers of the media tests: test files made in memory (Pillow for images, PNG chunks byte by
byte, a hand-built `ftyp` box for MP4), a multipart body built part by part (the order and the
exact bytes a browser form sends), what an upload left behind (files, rows), and LocalMedia, the
client side of the local backend's upload flow (credentials signed at the app's clock, the form
POST, the video PUT)."""

from __future__ import annotations

import asyncio
import io
import struct
import uuid
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import httpx
from PIL import Image
from sqlalchemy import select

from shopreviews.kit.context import AppContext
from shopreviews.kit.storage import LocalStorage
from shopreviews.media.models import MediaUpload
from tests.support import signer
from tests.support.api import ShopApi, error, ok

API = "/api/v1/openapi"
ORIENTATION = 0x0112
GPS_IFD = 0x8825


def quadrants(size: tuple[int, int]) -> Image.Image:
    """Red, green, blue and black quadrants (clockwise from the top left): shows any rotation
    or mirroring."""
    width, height = size
    image = Image.new("RGB", size, "black")
    image.paste((255, 0, 0), (0, 0, width // 2, height // 2))
    image.paste((0, 255, 0), (width // 2, 0, width, height // 2))
    image.paste((0, 0, 255), (0, height // 2, width // 2, height))
    return image


def phone_exif(orientation: int | None = 6) -> Image.Exif:
    """EXIF as a phone writes it: camera, orientation and a GPS position (`.tobytes()` for the
    block itself)."""
    exif = Image.Exif()
    if orientation is not None:
        exif[ORIENTATION] = orientation
    exif[0x010F] = "SecretPhone Inc."  # Make
    exif[0x0110] = "SecretPhone 15"  # Model
    exif[GPS_IFD] = {
        1: "N",
        2: (52.0, 31.0, 12.345),
        3: "E",
        4: (13.0, 24.0, 56.789),
        18: "SECRET-DATUM",
    }
    return exif


def jpeg(
    size: tuple[int, int] = (800, 600), *, exif: Image.Exif | None = None, quality: int = 85
) -> bytes:
    out = io.BytesIO()
    options: dict[str, Any] = {"quality": quality}
    if exif is not None:
        options["exif"] = exif.tobytes()
    quadrants(size).save(out, "JPEG", **options)
    return out.getvalue()


def png(size: tuple[int, int] = (40, 30)) -> bytes:
    out = io.BytesIO()
    quadrants(size).save(out, "PNG")
    return out.getvalue()


def mp4(size: int = 4096, brand: bytes = b"isom") -> bytes:
    """`size` bytes that start like an MP4 file: an `ftyp` box, then filler."""
    head = b"\x00\x00\x00\x18ftyp" + brand + b"\x00\x00\x02\x00" + brand + b"mp41"
    assert size >= len(head)
    return (head + bytes(range(256)) * (size // 256 + 1))[:size]


FilePart = tuple[str, bytes, str]  # file name, bytes, Content-Type


def multipart(
    parts: list[tuple[str, str | FilePart]], boundary: str | None = None
) -> tuple[bytes, str]:
    """(body, Content-Type) of a multipart/form-data body with the parts in the order given,
    as a browser encodes a form: text fields, and file parts with a filename."""
    boundary = boundary or "----FormBoundary" + uuid.uuid4().hex[:16]
    chunks: list[bytes] = []
    for name, value in parts:
        chunks.append(f"--{boundary}\r\n".encode())
        if isinstance(value, str):
            chunks.append(f'Content-Disposition: form-data; name="{name}"\r\n\r\n'.encode())
            chunks.append(value.encode() + b"\r\n")
        else:
            file_name, data, content_type = value
            chunks.append(
                f'Content-Disposition: form-data; name="{name}"; filename="{file_name}"\r\n'
                f"Content-Type: {content_type}\r\n\r\n".encode()
            )
            chunks.append(data + b"\r\n")
    chunks.append(f"--{boundary}--\r\n".encode())
    return b"".join(chunks), f"multipart/form-data; boundary={boundary}"


def form_parts(fields: dict[str, str], file: FilePart) -> list[tuple[str, str | FilePart]]:
    """Every entry of `fields` in the order given, then `file` last (the documented form)."""
    return [*fields.items(), ("file", file)]


def files_under(root: Path) -> list[str]:
    """Paths (relative to `root`, sorted) of every file below `root`; [] when it is missing."""
    if not root.exists():
        return []
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


@dataclass
class RawAnswer:
    status: int
    headers: dict[str, str]
    body: bytes


async def asgi_request(
    app: Any,
    method: str,
    raw_path: str,
    *,
    headers: dict[str, str] | None = None,
    chunks: list[bytes] | None = None,
    disconnect: bool = False,
) -> RawAnswer:
    """One request straight to the ASGI app, as a server hands it over: `path` is the
    percent-decoded `raw_path` (no client resolves `..`), the body arrives in `chunks`, and with
    `disconnect` the client goes away after the last chunk instead of finishing the body."""
    pending = list(chunks or [])
    done = asyncio.Event()
    messages: list[dict[str, Any]] = []
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": unquote(raw_path),
        "raw_path": raw_path.encode("ascii"),
        "root_path": "",
        "query_string": b"",
        "headers": [(b"host", b"testserver")]
        + [(k.lower().encode(), v.encode("latin-1")) for k, v in (headers or {}).items()],
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 80),
    }

    async def receive() -> dict[str, Any]:
        if pending:
            chunk = pending.pop(0)
            return {"type": "http.request", "body": chunk, "more_body": disconnect or bool(pending)}
        if not disconnect:
            await done.wait()  # as a server does: the client goes once it has the answer
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        messages.append(message)
        if message["type"] == "http.response.body" and not message.get("more_body", False):
            done.set()

    if not pending:
        pending.append(b"")
    await app(scope, receive, send)
    start = next(m for m in messages if m["type"] == "http.response.start")
    return RawAnswer(
        status=start["status"],
        headers={k.decode().lower(): v.decode() for k, v in start["headers"]},
        body=b"".join(m.get("body", b"") for m in messages if m["type"] == "http.response.body"),
    )


async def upload_rows(ctx: AppContext, shop_id: str) -> list[MediaUpload]:
    async with ctx.db.session(write=False) as session:
        query = select(MediaUpload).where(MediaUpload.shop_id == shop_id).order_by(MediaUpload.id)
        return list((await session.execute(query)).scalars())


# --- PNG files byte by byte ---------------------------------------------------------------


def png_chunk(kind: bytes, payload: bytes) -> bytes:
    crc = zlib.crc32(kind + payload)
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", crc)


def png_with_header(width: int, height: int, idat: bytes) -> bytes:
    """A greyscale PNG whose IHDR claims width x height, with the given IDAT payload."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", ihdr)
        + png_chunk(b"IDAT", idat)
        + png_chunk(b"IEND", b"")
    )


# --- the local backend's upload flow ------------------------------------------------------

# The local-upload tests' clock: 2026-01-02T23:30:05Z, a one-digit month and day (no leading
# zeros), late in the UTC day.
NOW = 1767396605
DATE = "2026/1/2"
CORS = {
    "access-control-allow-origin": "*",
    "access-control-allow-methods": "POST, PUT, OPTIONS",
    "access-control-allow-headers": "Content-Type",
}


def assert_cors(response: httpx.Response) -> None:
    for name, value in CORS.items():
        assert response.headers.get(name) == value, (name, dict(response.headers))


def refused(response: httpx.Response, code: int) -> dict[str, Any]:
    body = error(response, code, {3: 400, 6: 409, 16: 401}[code])
    assert body["data"] is None
    assert_cors(response)
    return body


@dataclass
class LocalMedia:
    ctx: AppContext
    client: httpx.AsyncClient
    storage: LocalStorage

    @property
    def root(self) -> Path:
        return self.storage.root

    async def api_get(
        self, shop: ShopApi, name: str, params: dict[str, Any] | None = None
    ) -> httpx.Response:
        """A signed partner API GET, its Timestamp taken from the app's (maybe pinned) clock."""
        pairs = [(k, str(v)) for k, v in (params or {}).items()]
        query = signer.encode_query(pairs)
        url = f"{API}/{name}" + (f"?{query}" if query else "")
        return await self.client.get(url, headers=shop.headers(pairs, ts=str(self.ctx.now())))

    async def image_policy(self, shop: ShopApi, **params: Any) -> dict[str, Any]:
        return dict(ok(await self.api_get(shop, "get_image_upload_policy_token", params)))

    async def video_grant(self, shop: ShopApi, **params: Any) -> dict[str, Any]:
        return dict(ok(await self.api_get(shop, "get_video_upload_url", params)))

    async def post_form(
        self, parts: list[tuple[str, str | FilePart]], url: str = "/media"
    ) -> httpx.Response:
        body, content_type = multipart(parts)
        return await self.client.post(url, content=body, headers={"Content-Type": content_type})

    async def upload(
        self,
        policy: dict[str, Any],
        data: bytes,
        file_name: str = "photo.jpg",
        content_type: str = "image/jpeg",
        **changed: str,
    ) -> httpx.Response:
        """POST `data` with the policy's `fields` (some `changed`) to its upload_url."""
        fields = {**policy["fields"], **changed}
        return await self.post_form(
            form_parts(fields, (file_name, data, content_type)), url=policy["upload_url"]
        )

    async def put(
        self, upload_url: str, data: bytes, headers: dict[str, str] | None = None
    ) -> httpx.Response:
        return await self.client.put(upload_url, content=data, headers=headers or {})

    def path(self, key: str) -> Path:
        return self.root / key

    def shop_files(self, shop_id: str) -> list[str]:
        """Every file stored for the shop (keys start with its shop_id)."""
        return [f"{shop_id}/{name}" for name in files_under(self.root / shop_id)]

    def temporary_files(self) -> list[str]:
        return sorted(p.name for p in self.root.glob(".upload-*"))

    async def rows(self, shop_id: str) -> list[MediaUpload]:
        return await upload_rows(self.ctx, shop_id)

    def database_in_use(self) -> tuple[int, bool]:
        """(connections checked out of the pool, whether SQLite's process write lock is held)."""
        writer = self.ctx.db.sqlite_writer
        return self.ctx.db.engine.sync_engine.pool.checkedout(), bool(writer and writer.held())

    async def assert_nothing_stored(self, shop_id: str) -> None:
        assert self.shop_files(shop_id) == []
        assert self.temporary_files() == []
        assert await self.rows(shop_id) == []
