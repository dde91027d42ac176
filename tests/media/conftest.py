"""Fixtures of the media tests: `local_media`, the client side of the local backend's upload
flow against the session's app (tests/media/helpers.py LocalMedia), `media_limits` to run a
test under smaller limits, and `moto_endpoint`, the S3-compatible server of the s3 backend's
tests. Nothing here is autouse, so other media tests are unaffected."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from shopreviews.kit.context import AppContext
from shopreviews.kit.storage import LocalStorage
from tests.media.helpers import LocalMedia
from tests.support.moto import running_moto


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


@pytest.fixture(scope="session")
def moto_endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The base URL of a real S3-compatible server for the tests of the s3 storage backend:
    moto's standalone server (tests/support/moto.py), started once per session by the first
    test that needs it."""
    with running_moto(tmp_path_factory.mktemp("moto") / "server.log") as endpoint:
        yield endpoint
