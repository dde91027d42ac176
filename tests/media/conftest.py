"""Fixtures of the media tests: `local_media`, the client side of the local backend's upload
flow against the session's app (tests/media/helpers.py LocalMedia), `media_limits` to run a
test under smaller limits, and `moto_endpoint`, the S3-compatible server of the s3 backend's
tests. Nothing here is autouse, so other media tests are unaffected."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from shopreviews.kit.context import AppContext
from shopreviews.kit.storage import LocalStorage
from tests.media.helpers import LocalMedia, wait_for_moto
from tests.support.programs import free_port


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
    """The base URL (http://127.0.0.1:<port>) of a real S3-compatible server for the tests of
    the s3 storage backend: moto's standalone server (`python -m moto.server`) in a subprocess,
    started once per session by the first test that needs it. It answers plain HTTP, keeps
    every object in memory (nothing is left behind) and is killed at teardown."""
    # Its request log goes to a file: a pipe nobody reads would fill up and stall the server.
    log = tmp_path_factory.mktemp("moto") / "server.log"
    port = free_port()
    endpoint = f"http://127.0.0.1:{port}"
    # moto accepts any credentials; keep real ones of the environment away from it anyway.
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    with log.open("wb") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=subprocess.STDOUT,
            env=env,
        )
        try:
            wait_for_moto(process, endpoint, log)
            yield endpoint
        finally:
            process.kill()
            process.wait(timeout=10)
