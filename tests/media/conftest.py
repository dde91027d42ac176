"""Fixtures of the local storage backend's tests: `local_media`, the client side of the
upload flow against the session's app (credentials signed at the app's clock, the form POST,
the video PUT) plus what a test needs to see on disk, and `media_limits` to run a test under
smaller limits. Nothing here is autouse, so other media tests are unaffected."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from shopreviews.kit.context import AppContext
from shopreviews.kit.storage import LocalStorage
from shopreviews.media.models import MediaUpload
from tests import signer
from tests.conftest import ShopApi, ok
from tests.media.helpers import FilePart, files_under, form_parts, multipart, upload_rows

API = "/api/v1/openapi"


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
        lock = self.ctx.db._write_lock
        return self.ctx.db.engine.sync_engine.pool.checkedout(), bool(lock and lock.locked())

    async def assert_nothing_stored(self, shop_id: str) -> None:
        assert self.shop_files(shop_id) == []
        assert self.temporary_files() == []
        assert await self.rows(shop_id) == []


@pytest.fixture
def local_media(ctx: AppContext, client: httpx.AsyncClient) -> LocalMedia:
    storage = ctx.media_storage()
    assert isinstance(storage, LocalStorage), "the session's app runs the local backend"
    assert storage.root == ctx.settings.media_dir
    return LocalMedia(ctx, client, storage)


@pytest.fixture
def media_limits(ctx: AppContext) -> Iterator[Callable[..., None]]:
    """media_limits(image_max_bytes=..., ...): settings of the running app, for this test."""
    original = ctx.settings

    def change(**values: Any) -> None:
        ctx.settings = original.model_copy(update=values)

    yield change
    ctx.settings = original
