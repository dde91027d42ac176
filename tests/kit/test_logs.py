"""The log an operator reads (kit/logging.py, the access line of kit/middleware.py): JSON lines
with SHOPREVIEWS_LOG_FORMAT=json (or the older SHOPREVIEWS_LOG_JSON=true), one access line per
request that names a refusal's code and message, and nothing of the request's body."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from shopreviews.kit.logging import build_formatter
from shopreviews.settings import Settings
from tests.support.api import ShopApi, ok
from tests.support.cli import Cli

REQUIRED = {"timestamp", "level", "logger", "event"}
SECRET = "hunter2-do-not-log"


@pytest.fixture
def output(request: pytest.FixtureRequest) -> Iterator[io.StringIO]:
    """Everything the application logs, formatted as Settings(**<param>) says."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(build_formatter(Settings(**request.param)))
    logger = logging.getLogger("shopreviews")
    level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        yield stream
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)


def _lines(stream: io.StringIO) -> list[str]:
    return [line for line in stream.getvalue().split("\n") if line]


async def _traffic(shop: ShopApi) -> tuple[httpx.Response, httpx.Response]:
    """A success, then a refusal whose body carries a value no log may show."""
    created = await shop.post("create_review", {"rating": 5, "author": "Ann", "product_id": "p"})
    ok(created)
    refused = await shop.post(
        "create_review", {"rating": 9, "author": "Ann", "product_id": "p", "content": SECRET}
    )
    assert refused.status_code == 400
    return created, refused


@pytest.mark.parametrize(
    "output", [{"log_format": "json"}, {"log_json": True}], indirect=True, ids=["format", "older"]
)
async def test_json_lines_name_time_level_logger_event_and_request(
    shop: ShopApi, output: io.StringIO
) -> None:
    created, refused = await _traffic(shop)

    records: list[dict[str, Any]] = [json.loads(line) for line in _lines(output)]
    assert records, "nothing was logged"
    for record in records:
        assert set(record) >= REQUIRED, record
        assert SECRET not in json.dumps(record)
    access = [r for r in records if r["logger"] == "shopreviews.access"]
    assert len(access) == 2  # one line per request, nothing else logs them again
    success, refusal = access
    assert success["request_id"] == created.headers["x-request-id"]
    assert (success["status"], success["level"]) == (200, "info")
    assert "code" not in success and "reason" not in success
    assert isinstance(success["duration_ms"], float)
    assert success["event"].startswith("127.0.0.1 POST /api/v1/openapi/create_review 200 ")

    assert refusal["request_id"] == refused.headers["x-request-id"]
    assert (refusal["status"], refusal["code"]) == (400, 3)
    assert refusal["reason"] == refused.json()["message"]
    assert refusal["reason"].startswith("invalid argument: rating")


@pytest.mark.parametrize("output", [{}], indirect=True)
async def test_text_lines_give_a_refusals_code_and_reason_beside_the_request(
    shop: ShopApi, output: io.StringIO
) -> None:
    _, refused = await _traffic(shop)
    lines = _lines(output)
    assert len(lines) == 2, lines
    success, refusal = lines
    assert " 200 " in success and "code=" not in success and "reason=" not in success
    message = refused.json()["message"]
    assert "POST /api/v1/openapi/create_review 400 " in refusal
    assert "code=3 " in refusal and f"reason={message!r}" in refusal
    assert SECRET not in output.getvalue()


@pytest.mark.parametrize("output", [{}], indirect=True)
async def test_a_refusal_before_routing_is_named_too(
    client: httpx.AsyncClient, output: io.StringIO
) -> None:
    response = await client.request("GET", "/api/v1/openapi/get_reviews", content=b"{}")
    assert response.status_code == 400
    (line,) = _lines(output)
    assert "code=3 " in line and "reason='invalid argument: GET requests take no body'" in line


def test_the_log_format_setting_and_its_older_spelling() -> None:
    assert Settings().logs_json is False
    assert Settings(log_format="json").logs_json is True
    assert Settings(log_json=True).logs_json is True
    # The newer setting wins when both are given.
    assert Settings(log_format="text", log_json=True).logs_json is False


def test_an_unknown_log_format_is_a_clear_error(cli: Cli) -> None:
    failed = cli.fails("migrate", SHOPREVIEWS_LOG_FORMAT="yaml")
    assert failed.stderr.startswith("error: invalid settings: SHOPREVIEWS_LOG_FORMAT")
    assert "'text' or 'json'" in failed.stderr
