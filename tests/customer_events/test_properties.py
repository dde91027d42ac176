"""Property test of the storefront body: any JSON, plausible or hostile, is either accepted
whole (code 0, every event stored) or refused whole (code 3, nothing stored); never a 500; a
body built from accepted values only is always accepted.

tests/test_fuzz.py cannot reach past the shop lookup of this public endpoint (it does not know
a shop domain to put in the path), so the body rules are fuzzed here against a real shop."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shopreviews.kit.context import AppContext
from tests.customer_events.helpers import STOREFRONT_TYPES, stored
from tests.support.api import ShopApi, create_shop
from tests.support.customer_events import events_path

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner),
    max_leaves=8,
)
# Field -> (values the endpoint accepts, values it refuses).
FIELD_VALUES: dict[str, tuple[list[Any], list[Any]]] = {
    "event_type": ([*STOREFRONT_TYPES, " PAGINATION "], ["OPEN_EMAIL", "click_media"]),
    "os_type": (["IOS", "ANDROID", "WINDOWS", "MACOS", "LINUX", "OTHER", None, ""], ["ios"]),
    "product_id": (["9200305176832", 9200305176832, "0", "p-1", ""], ["a b", "1,2"]),
    "customer_id": (["7712345678901", 77, "", "x" * 64, None], ["x" * 65, "é"]),
    "review_id": (["1024", 1024, " 7 ", 2**63 - 1], ["0", "1e3", 2**63]),
    "customer_email": (["jane@example.com", "JANE@EXAMPLE.COM", " j@x.y "], ["jane", "a@b@c"]),
    "page_url": (["https://example-shop.myshopify.com/products/x", "http://a.b/"], ["ftp://a.b/"]),
    "event_source": (["EMAIL", "ADMIN", "STOREFRONT", 5, None], []),
}


@st.composite
def events(draw: st.DrawFn) -> tuple[Any, bool]:
    """An event, and whether it was built from accepted values only."""
    roll = draw(st.integers(0, 19))
    if roll == 0:
        return draw(json_values), False  # not even an object
    valid_only = roll < 12
    event: dict[str, Any] = {}
    for name in draw(st.lists(st.sampled_from(sorted(FIELD_VALUES)), unique=True)):
        good, bad = FIELD_VALUES[name]
        kind = 0 if valid_only else draw(st.integers(0, 3))
        if kind == 0 or (kind == 1 and not bad):
            event[name] = draw(st.sampled_from(good))
        elif kind == 1:
            event[name] = draw(st.sampled_from(bad))
        else:
            event[name] = draw(json_values)
    if valid_only or draw(st.booleans()):
        event.setdefault("event_type", draw(st.sampled_from(STOREFRONT_TYPES)))
    return event, valid_only


@st.composite
def bodies(draw: st.DrawFn) -> tuple[bytes, bool]:
    """A body, and whether it must be accepted (False: either answer may be right)."""
    roll = draw(st.integers(0, 9))
    if roll == 0:
        return json.dumps(draw(json_values)).encode(), False
    if roll == 1:
        return draw(st.binary(max_size=40)), False
    count = draw(st.integers(0, 22) if roll == 2 else st.integers(1, 3))
    drawn = draw(st.lists(events(), min_size=count, max_size=count))
    body: dict[str, Any] = {"events": [event for event, _ in drawn]}
    if draw(st.booleans()):  # unknown top-level fields
        extra = st.text(max_size=6).filter(lambda k: k != "events")
        body.update(draw(st.dictionaries(extra, json_values, max_size=2)))
    must_accept = 1 <= count <= 20 and all(valid for _, valid in drawn)
    return json.dumps(body, ensure_ascii=draw(st.booleans())).encode(), must_accept


@pytest.fixture(scope="module")
async def prop_shop(ctx: AppContext, client: httpx.AsyncClient) -> ShopApi:
    return await create_shop(ctx, client)


# pytest-asyncio runs an async @given test's examples on the session loop, the loop of the
# app's engine; only session and module fixtures are used.
@settings(max_examples=150, deadline=None, derandomize=True, database=None,
          suppress_health_check=list(HealthCheck))  # fmt: skip
@given(case=bodies())
async def test_storefront_body_is_all_or_nothing(
    prop_shop: ShopApi, ctx: AppContext, client: httpx.AsyncClient, case: tuple[bytes, bool]
) -> None:
    raw, must_accept = case
    before = len(await stored(ctx, prop_shop.shop_id))
    response = await client.post(
        events_path(prop_shop.myshopify_domain),
        content=raw,
        headers={"Content-Type": "text/plain"},
    )
    body = response.json()
    assert set(body) == {"code", "message", "time", "request_id", "data"}
    after = len(await stored(ctx, prop_shop.shop_id))
    if body["code"] == 0:
        assert response.status_code == 200
        accepted = body["data"]["accepted"]
        assert accepted == len(json.loads(raw)["events"]) == after - before
        assert 1 <= accepted <= 20
    else:
        assert not must_accept, body
        assert (response.status_code, body["code"], body["data"]) == (400, 3, None), body
        assert body["message"].startswith("invalid argument: ")
        assert after == before
