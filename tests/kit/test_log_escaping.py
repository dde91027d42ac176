"""Log injection: control characters sent by a client never reach a log line raw, so one request
is exactly one access-log line in both log formats (kit/logging.py)."""

from __future__ import annotations

import io
import json
import logging
import re
from collections.abc import Iterator

import httpx
import pytest

from shopreviews.kit.logging import build_formatter
from shopreviews.settings import Settings

# Every character a line-oriented reader, a terminal or a log shipper could take for structure.
RAW_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")
# A newline then a forged line, a carriage return, NUL, an ANSI colour escape, DEL, NEL (C1)
# and the Unicode line separator, in the path and in the query.
PATH = "/no-such-page/%0a2026-01-01T00:00:00Z%20[info%20]%20forged%0d%00%1b[31m%7f%c2%85%e2%80%a8x"
QUERY = "q=%0aforged%0d%00%09end"


@pytest.fixture
def access_output(request: pytest.FixtureRequest) -> Iterator[io.StringIO]:
    """The access log as written with the formatter of Settings(log_json=<param>)."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(build_formatter(Settings(log_json=request.param)))
    logger = logging.getLogger("shopreviews.access")
    level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        yield stream
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)


def _lines(output: str) -> list[str]:
    # Split on "\n" only: str.splitlines() also splits on the separators under test.
    return [line for line in output.split("\n") if line]


@pytest.mark.parametrize("access_output", [False], indirect=True)
async def test_text_log_escapes_control_characters_in_path_and_query(
    client: httpx.AsyncClient, access_output: io.StringIO
) -> None:
    response = await client.get(f"{PATH}?{QUERY}")
    assert response.status_code == 404

    lines = _lines(access_output.getvalue())
    assert len(lines) == 1, lines
    line = lines[0]
    assert RAW_CONTROL.search(line) is None, repr(line)
    # The path keeps its characters, escaped; the query is re-encoded.
    assert "GET /no-such-page/\\n2026-01-01T00:00:00Z [info ] forged\\r\\x00\\x1b[31m" in line
    assert "\\x7f\\x85\\u2028x" in line
    assert "?q=%0Aforged%0D%00%09end 404" in line


@pytest.mark.parametrize("access_output", [True], indirect=True)
async def test_json_log_keeps_one_line_per_request_with_the_exact_path(
    client: httpx.AsyncClient, access_output: io.StringIO
) -> None:
    await client.get(f"{PATH}?{QUERY}")

    lines = _lines(access_output.getvalue())
    assert len(lines) == 1, lines
    assert RAW_CONTROL.search(lines[0]) is None, repr(lines[0])
    record = json.loads(lines[0])
    assert record["logger"] == "shopreviews.access"
    # JSON escapes by itself: the decoded value is what the client sent.
    assert (
        "/no-such-page/\n2026-01-01T00:00:00Z [info ] forged\r\x00\x1b[31m\x7f\x85\u2028x"
        in (record["event"])
    )


@pytest.mark.parametrize("access_output", [False], indirect=True)
async def test_text_log_escapes_control_characters_in_extra_values(
    access_output: io.StringIO,
) -> None:
    # Any logged value, not only the access log's message: extra fields with a forged line, and
    # with controls but nothing that makes the renderer quote the value.
    logging.getLogger("shopreviews.access").info(
        "probe",
        extra={"client": "203.0.113.9\n2026-01-01 [error] forged", "agent": "a\x00b\x1b[2Jc"},
    )

    lines = _lines(access_output.getvalue())
    assert len(lines) == 1, lines
    assert RAW_CONTROL.search(lines[0]) is None, repr(lines[0])
    assert "client='203.0.113.9\\n2026-01-01 [error] forged'" in lines[0]
    assert "agent=a\\x00b\\x1b[2Jc" in lines[0]
