"""The page's signer (static/signing.js) in Chromium against the server's: every request vector
of the contract, and a few hundred generated queries of repeated keys, percent-encoding, empty
values, "+", broken escapes and characters on both sides of U+FFFF, each signed by both."""

from __future__ import annotations

import json
import os
import random
from typing import Any
from urllib.parse import quote, quote_plus

import pytest
from playwright.async_api import Page

from shopreviews.api_reference import assets
from shopreviews.kit import signing
from shopreviews.kit.envelope import InvalidArgument
from shopreviews.kit.params import parse_query
from tests.support import vectors
from tests.support.browser import LiveServer, chromium_path

if chromium_path() is None:
    reason = "no chromium executable: install Debian's chromium package (apt-get install chromium)"
    if os.environ.get("SHOPREVIEWS_TEST_REQUIRE_BROWSER") == "true":
        pytest.fail(reason, pytrace=False)
    pytest.skip(reason, allow_module_level=True)

REQUEST_KINDS = ("request", "request_alternative_body", "request_negative")
# What the signer module answers for a list of cases: the Sign (null for a query that is not
# UTF-8) and the pairs it read from the query.
SIGN_ALL = """
async ([url, cases]) => {
  const signer = await import(url);
  return Promise.all(cases.map(async (c) => ({
    sign: await signer.requestSign(c.private_token, c.timestamp, c.query_string, c.body),
    pairs: signer.parseQuery(c.query_string),
  })));
}
"""


async def open_signer(page: Page, live: LiveServer) -> str:
    """A document of the server's origin (the module's own URL: quicker to open than /docs,
    where Swagger UI renders every operation first); the module's URL."""
    url = live.base_url + assets.assets().url("signing.js")
    await page.goto(url)
    return url


async def signed_in_page(page: Page, live: LiveServer, cases: list[dict[str, str]]) -> Any:
    return await page.evaluate(SIGN_ALL, [await open_signer(page, live), cases])


def _expected_signs(case: dict[str, Any]) -> list[tuple[str, str]]:
    """(body, Sign) pairs a vector states for its inputs."""
    body = case["inputs"]["body"]
    if case["kind"] == "request_alternative_body":
        return [(body, case["sign_raw"]), (case["canonical_body"], case["sign_canonical"])]
    if case["kind"] == "request_negative":
        return [(body, case["valid_sign_for_comparison"])]
    return [(body, case["sign"])]


async def test_every_request_vector(page: Page, live: LiveServer) -> None:
    cases, expected = [], []
    for case in vectors.cases():
        if case["kind"] not in REQUEST_KINDS:
            continue
        inputs = case["inputs"]
        for body, sign in _expected_signs(case):
            cases.append({**{k: inputs[k] for k in ("private_token", "timestamp")}, "body": body})
            cases[-1]["query_string"] = inputs["query_string"]
            expected.append((case["name"], sign, inputs["query"]))
    assert len(cases) >= 14
    results = await signed_in_page(page, live, cases)
    for (name, sign, pairs), result in zip(expected, results, strict=True):
        assert result["sign"] == sign, name
        assert result["pairs"] == pairs, name


# --- generated queries ---------------------------------------------------------------------

# Keys and values mix ASCII, the characters form encoding treats specially, and characters on
# both sides of U+FFFF: JavaScript's own string order (UTF-16 code units) puts U+1F44D before
# U+FF61 and U+E000, the server's (code points) after them.
ALPHABET = ["a", "b", "Z", "0", "_", "[", "]", " ", "+", "=", "%", "&", "é", "ß", "\ufeff"]
ALPHABET += ["\ue000", "\uff61", "\U0001f44d", "\U00010000", "日"]
KEYS = ["page", "a", "a[]", "timestamp", "\uff61", "\U0001f44d", "é", "A", "product_ids[1]"]


def _text(rng: random.Random, most: int) -> str:
    return "".join(rng.choice(ALPHABET) for _ in range(rng.randint(0, most)))


def _component(rng: random.Random, text: str) -> str:
    """One key or value on the wire, as a client might write it."""
    style = rng.randrange(4)
    if style == 0:
        return quote(text, safe="")  # %20 for a space
    if style == 1:
        return quote_plus(text)  # "+" for a space
    if style == 2:
        return quote(text, safe="[]:@!$'()*,;")  # brackets left raw
    # A broken escape or a raw byte sequence that is not UTF-8 (the server refuses it: code 3).
    return quote(text, safe="") + rng.choice(["%", "%z", "%4", "%zz", "%C3", "%FF", "%ED%A0%80"])


def _query(rng: random.Random) -> str:
    segments = []
    for _ in range(rng.randint(0, 7)):
        key = rng.choice(KEYS) if rng.random() < 0.6 else _text(rng, 4)
        value = _text(rng, 6) if rng.random() < 0.8 else ""
        if key == "timestamp":
            value = "1780644116"
        segment = _component(rng, key)
        if rng.random() < 0.9:  # else a key without "="
            segment += "=" + _component(rng, value)
        segments.append(segment)
        if rng.random() < 0.1:
            segments.append("")  # "&&"
    return "&".join(segments)


def _body(rng: random.Random) -> str:
    if rng.random() < 0.5:
        return ""
    value = {"content": _text(rng, 12), "rating": rng.randint(1, 5)}
    return json.dumps(value, ensure_ascii=rng.random() < 0.5)


def _server(case: dict[str, str]) -> tuple[str | None, list[list[str]] | None]:
    """The server's Sign and pairs, or (None, None) where it refuses the query."""
    try:
        pairs = parse_query(case["query_string"])
    except InvalidArgument:
        return None, None
    sign = signing.sign_request(
        case["private_token"], case["timestamp"], case["query_string"], case["body"].encode()
    )
    return sign, [list(pair) for pair in pairs]


async def test_generated_queries_sign_as_the_server_signs(page: Page, live: LiveServer) -> None:
    rng = random.Random(20261207)
    cases = [
        {
            "private_token": rng.choice(["JAVLUtpYRUiTWyGvHL6Ctw==", "clé-privée 👍", "k"]),
            "timestamp": str(rng.randint(1_700_000_000, 1_800_000_000)),
            "query_string": _query(rng),
            "body": _body(rng),
        }
        for _ in range(400)
    ]
    results = await signed_in_page(page, live, cases)
    refused = 0
    for case, result in zip(cases, results, strict=True):
        sign, pairs = _server(case)
        assert result == {"sign": sign, "pairs": pairs}, case
        refused += sign is None
    # Both kinds were exercised: queries the server signs and queries it refuses.
    assert 20 < refused < 200, refused


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        # Code point order: U+FF61 (one UTF-16 unit) before U+1F44D (two, starting 0xD83D).
        ("%F0%9F%91%8D=2&%EF%BD%A1=1", "timestamp=1700000000&\uff61=1&\U0001f44d=2"),
        ("b=2&a=1&a=0&b=", "a=1&a=0&b=2&b=&timestamp=1700000000"),  # stable for repeated keys
        ("%EF%BB%BFk=v", "timestamp=1700000000&\ufeffk=v"),  # a leading BOM is kept
        ("q=a+b%2Bc&r=%zz&s=%", "q=a b+c&r=%zz&s=%&timestamp=1700000000"),
        ("timestamp=1700000001&a=", "a=&timestamp=1700000001"),  # the query's own timestamp
    ],
)
async def test_the_base_string(page: Page, live: LiveServer, query: str, expected: str) -> None:
    url = await open_signer(page, live)
    shown = await page.evaluate(
        """async ([url, query]) => {
          const signer = await import(url);
          const pairs = signer.parseQuery(query);
          const timestamp = signer.timestampFor(pairs, 1700000000);
          return [signer.baseString(pairs, timestamp), timestamp];
        }""",
        [url, query],
    )
    timestamp = "1700000001" if "timestamp=" in query else "1700000000"
    assert shown == [expected, timestamp]
    assert signing.base_string(parse_query(query), timestamp) == expected
