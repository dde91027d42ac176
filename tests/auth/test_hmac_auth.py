"""HMAC request authentication through the app (spec README §4.2-4.4, §8 rules 4-5)."""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import json
from typing import Any

import httpx
import pytest
from sqlalchemy import text, update

from shopreviews.auth import hmac_auth
from shopreviews.kit.context import AppContext
from shopreviews.kit.envelope import Unauthenticated
from shopreviews.merchants import service as merchant_service
from shopreviews.shops.models import Shop
from tests.support import signer
from tests.support.api import Clock, ShopApi, error, ok

NOW = 1780644116
PAIRS = [("page", "1"), ("page_size", "5"), ("sort_by", "created-descending")]
HEADERS = ("Public-Token", "Timestamp", "Sign")


def unauthenticated(response: httpx.Response) -> dict[str, Any]:
    """Code 16, HTTP 401, a complete error envelope."""
    body = error(response, 16, 401)
    assert body["data"] is None
    assert isinstance(body["message"], str) and body["message"]
    assert isinstance(body["time"], int)
    assert response.headers["content-type"] == "application/json; charset=utf-8"
    return body


async def get(
    client: httpx.AsyncClient,
    headers: dict[str, Any],
    pairs: list[tuple[str, str]] = PAIRS,
    name: str = "get_reviews",
    prefix: str = "/api/v1/openapi/",
) -> httpx.Response:
    query = signer.encode_query(pairs)
    return await client.get(f"{prefix}{name}" + (f"?{query}" if query else ""), headers=headers)


def signed(
    shop: ShopApi, pairs: list[tuple[str, str]] = PAIRS, ts: int | str = NOW
) -> dict[str, str]:
    return shop.headers(pairs, ts=str(ts))


@pytest.fixture(autouse=True)
def _pinned(clock: Clock) -> None:
    clock.set(NOW)


async def test_valid_signature_passes(client: httpx.AsyncClient, shop: ShopApi) -> None:
    data = ok(await get(client, signed(shop)))
    assert data["page"]["page_size"] == 5


# --- missing and empty headers ----------------------------------------------------------------


async def test_no_headers(client: httpx.AsyncClient) -> None:
    unauthenticated(await get(client, {}))


@pytest.mark.parametrize("missing", HEADERS)
async def test_missing_header(client: httpx.AsyncClient, shop: ShopApi, missing: str) -> None:
    headers = {k: v for k, v in signed(shop).items() if k != missing}
    assert len(headers) == 2
    unauthenticated(await get(client, headers))


@pytest.mark.parametrize("blank", HEADERS)
@pytest.mark.parametrize("value", ["", "   "])
async def test_empty_header(
    client: httpx.AsyncClient, shop: ShopApi, blank: str, value: str
) -> None:
    headers = {**signed(shop), blank: value}
    unauthenticated(await get(client, headers))


async def test_only_public_token(client: httpx.AsyncClient, shop: ShopApi) -> None:
    unauthenticated(await get(client, {"Public-Token": shop.public_token}))


# --- Timestamp --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "ts",
    [
        "abc",
        "17806441l6",
        "1780644116.0",
        "+1780644116",
        "-1780644116",
        "1780644116s",
        "1.78e9",
        "0x6a1aa694",
        "1780 644116",
        "١٧٨٠٦٤٤١١٦".encode(),  # Arabic-Indic digits: int() reads them, the contract does not
    ],
)
async def test_timestamp_not_digits(
    client: httpx.AsyncClient, shop: ShopApi, ts: str | bytes
) -> None:
    as_text = ts.decode("latin-1") if isinstance(ts, bytes) else ts
    headers: dict[str, Any] = {**signed(shop, ts=as_text), "Timestamp": ts}
    unauthenticated(await get(client, headers))


@pytest.mark.parametrize(
    "ts", [str(NOW), f"{NOW}\n", "١٧٨٠٦٤٤١١٦", "１７８０６４４１１６", f" {NOW}"]
)
async def test_authenticate_needs_exactly_ascii_digits(
    ctx: AppContext, shop: ShopApi, ts: str
) -> None:
    """Below the HTTP layer (which strips and latin-1-decodes headers): int() would read all
    of these as NOW, but only 1-10 ASCII digits and nothing else are a Timestamp."""
    attempt = hmac_auth.authenticate(
        ctx,
        public_token=shop.public_token,
        timestamp=ts,
        sign=signer.sign(shop.private_token, ts, []),
        raw_query="",
        body=b"",
    )
    if ts == str(NOW):
        assert (await attempt).shop_id == shop.shop_id
    else:
        with pytest.raises(Unauthenticated):
            await attempt


async def test_timestamp_eleven_digits(client: httpx.AsyncClient, shop: ShopApi) -> None:
    """A leading zero keeps the value inside the window, but 11 digits is not 1-10 digits."""
    ts = "0" + str(NOW)
    assert int(ts) == NOW and len(ts) == 11
    unauthenticated(await get(client, signed(shop, ts=ts)))


async def test_timestamp_ten_digits_with_leading_zero_is_a_number(
    client: httpx.AsyncClient, shop: ShopApi, clock: Clock
) -> None:
    clock.set(1000)
    ok(await get(client, signed(shop, ts="0000001000")))


@pytest.mark.parametrize("offset", [0, -1, 1, -900, 900])
async def test_timestamp_inside_window(
    client: httpx.AsyncClient, shop: ShopApi, offset: int
) -> None:
    ok(await get(client, signed(shop, ts=NOW + offset)))


@pytest.mark.parametrize("offset", [-901, 901, -86400, 86400])
async def test_timestamp_outside_window(
    client: httpx.AsyncClient, shop: ShopApi, offset: int
) -> None:
    unauthenticated(await get(client, signed(shop, ts=NOW + offset)))


async def test_window_follows_the_server_clock(
    client: httpx.AsyncClient, shop: ShopApi, clock: Clock
) -> None:
    """The same signed request passes or fails only by where the server clock stands."""
    headers = signed(shop, ts=NOW)
    clock.set(NOW + 900.9)  # whole seconds: still 900 s
    ok(await get(client, headers))
    clock.set(NOW + 901)
    unauthenticated(await get(client, headers))
    clock.set(NOW - 901)
    unauthenticated(await get(client, headers))


# --- shop lookup ------------------------------------------------------------------------------


async def test_unknown_public_token(client: httpx.AsyncClient, shop: ShopApi) -> None:
    stranger = dataclasses.replace(shop, public_token="unknown-" + shop.public_token)
    unauthenticated(await get(client, signed(stranger)))


async def test_public_token_compared_exactly(client: httpx.AsyncClient, shop: ShopApi) -> None:
    for variant in (shop.public_token.lower(), shop.public_token.upper(), shop.public_token[:-1]):
        if variant != shop.public_token:
            unauthenticated(
                await get(client, signed(dataclasses.replace(shop, public_token=variant)))
            )


async def test_overlong_public_token(client: httpx.AsyncClient, shop: ShopApi) -> None:
    """Longer than the column: still a plain 16, never a database error."""
    stranger = dataclasses.replace(shop, public_token="p" * 300)
    unauthenticated(await get(client, signed(stranger)))


async def test_another_shops_private_token(
    client: httpx.AsyncClient, shop: ShopApi, other_shop: ShopApi
) -> None:
    crossed = dataclasses.replace(shop, private_token=other_shop.private_token)
    unauthenticated(await get(client, signed(crossed)))


async def test_disabled_shop(client: httpx.AsyncClient, shop: ShopApi, ctx: AppContext) -> None:
    ok(await get(client, signed(shop)))
    async with ctx.db.session(write=True) as session:
        await session.execute(
            update(Shop).where(Shop.shop_id == shop.shop_id).values(status="disabled")
        )
    unauthenticated(await get(client, signed(shop)))


# --- header names and values ------------------------------------------------------------------


@pytest.mark.parametrize(
    "names",
    [
        ("public-token", "timestamp", "sign"),
        ("PUBLIC-TOKEN", "TIMESTAMP", "SIGN"),
        ("Public-token", "TimeStamp", "sIgN"),
        ("public-Token", "Timestamp", "SIGN"),
    ],
)
async def test_header_names_any_case(
    client: httpx.AsyncClient, shop: ShopApi, names: tuple[str, str, str]
) -> None:
    values = signed(shop)
    headers = {name: values[canonical] for name, canonical in zip(names, HEADERS, strict=True)}
    ok(await get(client, headers))


async def test_header_value_whitespace_ignored(client: httpx.AsyncClient, shop: ShopApi) -> None:
    headers = {k: f" \t{v}  " for k, v in signed(shop).items()}
    ok(await get(client, headers))


async def test_upper_case_sign(client: httpx.AsyncClient, shop: ShopApi) -> None:
    headers = signed(shop)
    headers["Sign"] = headers["Sign"].upper()
    ok(await get(client, headers))


async def test_wrong_sign(client: httpx.AsyncClient, shop: ShopApi) -> None:
    headers = signed(shop)
    good = headers["Sign"]
    for bad in ("0" * 64, good[:-1], good + "0", good[1:] + good[0], "not-hex"):
        unauthenticated(await get(client, {**headers, "Sign": bad}))


async def test_x_token_ignored(client: httpx.AsyncClient, shop: ShopApi) -> None:
    ok(await get(client, {**signed(shop), "X-Token": "something-else"}))
    # X-Token is no substitute for Public-Token either.
    headers = {**signed(shop), "X-Token": shop.public_token}
    del headers["Public-Token"]
    unauthenticated(await get(client, headers))


async def test_path_is_not_signed(client: httpx.AsyncClient, shop: ShopApi) -> None:
    """The same headers work on the legacy prefix and the legacy name (§8 rules 1-2)."""
    headers = signed(shop)
    ok(await get(client, headers, prefix="/api/v1/open_api/"))
    ok(await get(client, headers, name="get_review_list"))


# --- Authorization: the selection rule ---------------------------------------------------------


@pytest.mark.parametrize(
    "authorization",
    ["Bearer some-access-token", "bearer x", "Basic dXNlcjpwYXNz", "some-token", "Bearer", "  x  "],
)
async def test_authorization_header_means_bearer(
    client: httpx.AsyncClient, shop: ShopApi, authorization: str
) -> None:
    """No fallback to HMAC, even with valid HMAC headers (§4.2 rule 1)."""
    response = await get(client, {**signed(shop), "Authorization": authorization})
    unauthenticated(response)
    assert response.headers["www-authenticate"] == 'Bearer error="invalid_token"'


@pytest.mark.parametrize("authorization", ["", " ", "   ", "\t", " \t "])
async def test_blank_authorization_falls_back_to_hmac(
    client: httpx.AsyncClient, shop: ShopApi, authorization: str
) -> None:
    response = await get(client, {**signed(shop), "Authorization": authorization})
    ok(response)
    assert "www-authenticate" not in response.headers


async def test_blank_authorization_still_needs_hmac(
    client: httpx.AsyncClient, shop: ShopApi
) -> None:
    headers = {**signed(shop), "Authorization": "  ", "Sign": "0" * 64}
    unauthenticated(await get(client, headers))


# --- timestamp in the query -------------------------------------------------------------------


async def test_timestamp_query_equal_to_header(client: httpx.AsyncClient, shop: ShopApi) -> None:
    pairs = [*PAIRS, ("timestamp", str(NOW))]
    headers = signed(shop, pairs)
    # Counted once: the signature equals the one without the query parameter.
    assert headers["Sign"] == signed(shop)["Sign"]
    ok(await get(client, headers, pairs))


async def test_timestamp_query_first(client: httpx.AsyncClient, shop: ShopApi) -> None:
    pairs = [("timestamp", str(NOW)), *PAIRS]
    ok(await get(client, signed(shop, pairs), pairs))


@pytest.mark.parametrize(
    "query_ts",
    [[str(NOW - 1)], [str(NOW + 1)], [""], ["0" + str(NOW)], [str(NOW), str(NOW - 1)]],
)
async def test_timestamp_query_different_from_header(
    client: httpx.AsyncClient, shop: ShopApi, query_ts: list[str]
) -> None:
    """Rejected even though the client signed exactly what it sent."""
    pairs = [*PAIRS, *(("timestamp", ts) for ts in query_ts)]
    unauthenticated(await get(client, signed(shop, pairs), pairs))


async def test_query_timestamp_does_not_replace_the_header(
    client: httpx.AsyncClient, shop: ShopApi
) -> None:
    pairs = [*PAIRS, ("timestamp", str(NOW))]
    headers = signed(shop, pairs)
    del headers["Timestamp"]
    unauthenticated(await get(client, headers, pairs))


# --- query decoding ---------------------------------------------------------------------------


async def test_query_pairs_are_signed(client: httpx.AsyncClient, shop: ShopApi) -> None:
    headers = signed(shop)
    for pairs in (
        [*PAIRS, ("extra", "1")],
        PAIRS[:-1],
        [("page", "2"), *PAIRS[1:]],
        [*PAIRS, ("page", "1")],
    ):
        unauthenticated(await get(client, headers, pairs))


async def test_repeated_key_order_is_signed(client: httpx.AsyncClient, shop: ShopApi) -> None:
    pairs = [("ratings", "5"), ("ratings", "4")]
    headers = signed(shop, pairs)
    ok(await get(client, headers, pairs))
    unauthenticated(await get(client, headers, pairs[::-1]))


async def test_invalid_utf8_in_query(client: httpx.AsyncClient, shop: ShopApi) -> None:
    """Undecodable percent-encoding is code 3 (§4.4 step 4), not a signature failure."""
    headers = signed(shop, [("keyword", "x")])
    response = await client.get("/api/v1/openapi/get_reviews?keyword=%FF", headers=headers)
    error(response, 3, 400)


# --- bodies -----------------------------------------------------------------------------------

REVIEW = {
    "rating": 4,
    "product_id": "9200305176832",
    "author": "Zoë",
    "content": "Très bien 👍",
    "media": [{"url": "https://cdn.example.net/a.jpg", "type": 1}],
}


async def post(
    client: httpx.AsyncClient,
    shop: ShopApi,
    raw: bytes,
    sign_body: bytes,
    name: str = "create_review",
) -> httpx.Response:
    headers = {**shop.headers([], sign_body, ts=str(NOW)), "Content-Type": "application/json"}
    return await client.post(f"/api/v1/openapi/{name}", content=raw, headers=headers)


@pytest.mark.parametrize(
    "dumps",
    [
        {"indent": 2},
        {"ensure_ascii": True},
        {"separators": (", ", ": ")},
        {"sort_keys": True, "ensure_ascii": True, "separators": (",", ":")},
    ],
)
async def test_canonical_json_body_accepted(
    client: httpx.AsyncClient, shop: ShopApi, dumps: dict[str, Any]
) -> None:
    raw = json.dumps(dict(reversed(REVIEW.items())), **dumps).encode()
    canonical = json.dumps(REVIEW, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert raw != canonical.encode()
    data = ok(await post(client, shop, raw, canonical.encode()))
    assert data["author"] == "Zoë" and data["rating"] == 4
    ok(await post(client, shop, raw, raw))


async def test_canonical_form_of_another_body_rejected(
    client: httpx.AsyncClient, shop: ShopApi
) -> None:
    raw = json.dumps(REVIEW, indent=2).encode()
    other = json.dumps({**REVIEW, "rating": 5}, sort_keys=True, separators=(",", ":"))
    unauthenticated(await post(client, shop, raw, other.encode()))
    # Nor a body re-serialised some other way than the canonical form.
    unauthenticated(await post(client, shop, raw, json.dumps(REVIEW).encode()))


async def test_body_is_signed(client: httpx.AsyncClient, shop: ShopApi) -> None:
    raw = json.dumps(REVIEW).encode()
    unauthenticated(await post(client, shop, raw.replace(b'"rating": 4', b'"rating": 5'), raw))
    unauthenticated(await post(client, shop, raw + b" ", raw))
    unauthenticated(await post(client, shop, raw, b""))


async def test_empty_body_signs_without_separator(client: httpx.AsyncClient, shop: ShopApi) -> None:
    """An empty POST body signs the base string alone, without a trailing '|'."""
    response = await post(client, shop, b"", b"", name="delete_review")
    error(response, 3, 400)  # authenticated; then the missing body is the client's error
    message = f"timestamp={NOW}|".encode()
    headers = {
        "Public-Token": shop.public_token,
        "Timestamp": str(NOW),
        "Sign": hmac.new(shop.private_token.encode(), message, hashlib.sha256).hexdigest(),
    }
    unauthenticated(await client.post("/api/v1/openapi/delete_review", headers=headers))


async def test_body_with_lone_surrogate_escape(client: httpx.AsyncClient, shop: ShopApi) -> None:
    """Valid JSON without a UTF-8 canonical form: verified on the raw body, no server error."""
    raw = b'{"id": "999999999", "note": "\\udc00"}'
    assert json.loads(raw)["note"] == "\udc00"
    response = await post(client, shop, raw, raw, name="delete_review")
    # Authenticated; what the endpoint then makes of the body is not this test's concern.
    assert response.status_code < 500 and response.json()["code"] not in (13, 16), response.text
    unauthenticated(await post(client, shop, raw, raw + b" ", name="delete_review"))


async def test_get_with_a_body_is_refused(client: httpx.AsyncClient, shop: ShopApi) -> None:
    """A GET takes no body, even one its signature covers: a webhook delivery's signature is
    that of a query-less request with the delivered body, which a GET would otherwise read."""
    body = b'{"note": "x"}'
    url = "/api/v1/openapi/get_reviews?page=1"
    for signed_body in (body, b""):
        headers = shop.headers([("page", "1")], signed_body, ts=str(NOW))
        refused = error(await client.request("GET", url, content=body, headers=headers), 3, 400)
        assert "GET requests take no body" in refused["message"]
    ok(await client.request("GET", url, headers=shop.headers([("page", "1")], ts=str(NOW))))


async def test_retired_salted_sha256_rejected(client: httpx.AsyncClient, shop: ShopApi) -> None:
    base = "&".join(f"{k}={v}" for k, v in sorted([*PAIRS, ("timestamp", str(NOW))]))
    salted = hashlib.sha256((base + shop.private_token).encode()).hexdigest()
    headers = {**signed(shop), "Sign": salted}
    unauthenticated(await get(client, headers))
    ok(await get(client, signed(shop)))


# --- private token lifecycle ------------------------------------------------------------------


async def merchant_jwt(ctx: AppContext, client: httpx.AsyncClient, shop: ShopApi) -> str:
    email, password = f"owner@{shop.myshopify_domain}", "correct horse battery staple"
    async with ctx.db.session(write=True) as session:
        await merchant_service.create_user(
            session, shop_id=shop.shop_id, email=email, password=password
        )
    login = ok(
        await client.post("/api/v1/merchant/login", json={"email": email, "password": password})
    )
    assert login["shop_id"] == shop.shop_id
    token: str = login["token"]
    return token


async def test_reset_private_token(
    client: httpx.AsyncClient, shop: ShopApi, ctx: AppContext
) -> None:
    jwt = await merchant_jwt(ctx, client, shop)
    old_headers = signed(shop)
    ok(await get(client, old_headers))

    reset = ok(
        await client.post(
            "/api/v1/openapi/reset_private_token", headers={"Authorization": f"Bearer {jwt}"}
        )
    )
    new_token = reset["private_token"]
    assert isinstance(new_token, str) and new_token != shop.private_token

    # The old token fails at once, even for a request signed before the reset.
    unauthenticated(await get(client, old_headers))
    unauthenticated(await get(client, signed(shop)))
    renewed = dataclasses.replace(shop, private_token=new_token)
    ok(await get(client, signed(renewed)))
    stored = await raw_shop_row(ctx, shop.shop_id)
    assert ctx.box.open(stored["private_token_encrypted"]) == new_token
    assert not any(new_token in str(value) for value in stored.values())


async def raw_shop_row(ctx: AppContext, shop_id: str) -> dict[str, Any]:
    async with ctx.db.engine.connect() as conn:
        result = await conn.execute(
            text("SELECT * FROM shops WHERE shop_id = :shop_id"), {"shop_id": shop_id}
        )
        row = result.mappings().one()
    return dict(row)


async def test_private_token_not_stored_in_clear(ctx: AppContext, shop: ShopApi) -> None:
    row = await raw_shop_row(ctx, shop.shop_id)
    assert row["public_token"] == shop.public_token
    for value in row.values():
        assert shop.private_token not in str(value)
    # It is stored sealed, recoverable only with the server key.
    assert ctx.box.open(row["private_token_encrypted"]) == shop.private_token
