"""Property tests of request signing (spec README §3.8, §4.3-4.4).

The heavy properties run on the pure verifier (kit.params.parse_query + kit.signing): the test
writes each request on the wire itself, with every legal variation of percent-encoding, and
signs it with the independent tests/support/signer.py. A smaller property runs through the app.
"""

from __future__ import annotations

import json
import random
import string
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from shopreviews.kit import signing
from shopreviews.kit.context import AppContext
from shopreviews.kit.params import parse_query
from tests.support import signer
from tests.support.api import ShopApi, create_shop, error, ok

# --- strategies -------------------------------------------------------------------------------

UNRESERVED = frozenset(string.ascii_letters + string.digits + "-._~")
# Legal unencoded in a query and without meaning to the parser (unlike & = + % #).
HARMLESS = frozenset("!$'()*,;:@/?[]")

texts = st.text(max_size=10)  # any code point except surrogates, which UTF-8 cannot carry
names = st.one_of(
    st.text(max_size=8),
    st.text(string.ascii_lowercase + "_", min_size=1, max_size=8),
)
keys = st.one_of(
    names,
    names.map(lambda n: n + "[]"),
    st.tuples(names, st.integers(0, 12)).map(lambda t: f"{t[0]}[{t[1]}]"),
).filter(lambda k: k != "timestamp")
values = st.one_of(st.just(""), texts, st.sampled_from(["undefined", "null", " ", "a b", "+"]))


@st.composite
def query_pairs(draw: st.DrawFn, min_size: int = 0) -> list[tuple[str, str]]:
    """Pairs in the order sent; keys come from a small pool so they repeat."""
    pool = draw(st.lists(keys, min_size=1, max_size=4, unique=True))
    return draw(st.lists(st.tuples(st.sampled_from(pool), values), min_size=min_size, max_size=8))


def wire_text(plain: str, rnd: random.Random) -> str:
    """One key or value as a client may legally write it: %xx in either case, '+' or %20."""
    out = []
    for char in plain:
        if char == " " and rnd.random() < 0.5:
            out.append("+")
        elif (char in UNRESERVED or char in HARMLESS) and rnd.random() < 0.5:
            out.append(char)
        else:
            out.extend(
                f"%{byte:02X}" if rnd.random() < 0.5 else f"%{byte:02x}"
                for byte in char.encode("utf-8")
            )
    return "".join(out)


@st.composite
def wire_query(draw: st.DrawFn, pairs: list[tuple[str, str]]) -> str:
    """The raw query string: bare keys for empty values, stray empty segments."""
    rnd = draw(st.randoms(use_true_random=False))
    segments = []
    for key, value in pairs:
        segment = wire_text(key, rnd)
        if value or not key or rnd.random() < 0.5:
            segment += "=" + wire_text(value, rnd)
        segments.append(segment)
        if rnd.random() < 0.1:
            segments.append("")
    return "&".join(segments)


json_scalars = st.one_of(
    st.none(), st.booleans(), st.integers(-(2**63), 2**63), st.text(max_size=8)
)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=6), inner, max_size=4)
    ),
    max_leaves=12,
)
json_objects = st.dictionaries(st.text(max_size=8), json_values, max_size=5)


@st.composite
def json_body(draw: st.DrawFn, value: Any) -> bytes:
    """The body as some client library writes it: any key order, spacing and escaping."""
    if isinstance(value, dict) and draw(st.booleans()):
        items = list(value.items())
        value = dict(draw(st.permutations(items))) if items else value
    return json.dumps(
        value,
        ensure_ascii=draw(st.booleans()),
        sort_keys=draw(st.booleans()),
        indent=draw(st.sampled_from([None, 0, 2])),
        separators=draw(st.sampled_from([None, (",", ":"), (", ", ": "), (",", ": ")])),
    ).encode("utf-8")


def canonical(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


tokens = st.one_of(st.text(min_size=1, max_size=30), st.just("JAVLUtpYRUiTWyGvHL6Ctw=="))
timestamps = st.integers(0, 9_999_999_999).map(str)
hex64 = st.text("0123456789abcdef", min_size=64, max_size=64)


@st.composite
def requests(draw: st.DrawFn, body: bool | None = None) -> dict[str, Any]:
    """A request as sent; `body`: True always has a JSON body, False never, None either."""
    pairs = draw(query_pairs())
    if body is None:
        body = draw(st.booleans())
    value = draw(json_objects) if body else None
    return {
        "pairs": pairs,
        "wire": draw(wire_query(pairs)),
        "value": value,
        "body": b"" if value is None else draw(json_body(value)),
        "token": draw(tokens),
        "ts": draw(timestamps),
    }


def server_accepts(req: dict[str, Any], sign: str, **changes: Any) -> bool:
    """What the pure verifier says about `sign` for this request (optionally altered)."""
    req = {**req, **changes}
    messages = signing.candidate_messages(parse_query(req["wire"]), req["ts"], req["body"])
    return signing.verify(req["token"], sign, messages)


def client_sign(req: dict[str, Any]) -> str:
    return signer.sign(req["token"], req["ts"], req["pairs"], req["body"])


def client_flip(sign: str) -> str:
    """A well-formed Sign that differs in its first digit."""
    return ("1" if sign[0] == "0" else "0") + sign[1:]


# --- the pure verifier ------------------------------------------------------------------------


@given(st.data())
def test_wire_decodes_to_the_pairs_sent(data: st.DataObject) -> None:
    pairs = data.draw(query_pairs())
    wire = data.draw(wire_query(pairs))
    assert parse_query(wire) == pairs
    assert signer.decode_query(wire) == pairs


@given(requests())
def test_signed_request_verifies(req: dict[str, Any]) -> None:
    sign = client_sign(req)
    assert server_accepts(req, sign)
    assert server_accepts(req, sign.upper())
    assert server_accepts(req, f" {sign}\t")


@given(requests(body=True))
def test_canonical_body_signature_verifies(req: dict[str, Any]) -> None:
    sign = signer.sign_canonical(req["token"], req["ts"], req["pairs"], req["value"])
    assert server_accepts(req, sign)


@given(requests(), hex64)
def test_other_sign_rejected(req: dict[str, Any], other: str) -> None:
    sign = client_sign(req)
    assume(other != sign)
    assert not server_accepts(req, other)
    assert not server_accepts(req, other.upper())


@given(requests(), st.data())
def test_one_flipped_sign_digit_rejected(req: dict[str, Any], data: st.DataObject) -> None:
    sign = client_sign(req)
    index = data.draw(st.integers(0, 63))
    digit = data.draw(st.sampled_from("0123456789abcdef").filter(lambda d: d != sign[index]))
    assert not server_accepts(req, sign[:index] + digit + sign[index + 1 :])


@given(requests(), st.data())
def test_other_private_token_rejected(req: dict[str, Any], data: st.DataObject) -> None:
    sign = client_sign(req)
    other = data.draw(tokens.filter(lambda t: t != req["token"]))
    assert not server_accepts(req, sign, token=other)


@given(requests(), timestamps)
def test_changed_timestamp_rejected(req: dict[str, Any], other_ts: str) -> None:
    assume(other_ts != req["ts"])
    assert not server_accepts(req, client_sign(req), ts=other_ts)


def _tampered_pairs(data: st.DataObject, pairs: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """The pairs with one signed thing changed, so the base string must differ.

    Appending changes the base string's length; replacing a character keeps every position
    and the order (which depends on keys only); swapping differing values of one key changes
    the signed order of values.
    """
    extra = data.draw(st.characters(codec="utf-8"))
    if not pairs:
        return [(data.draw(keys), data.draw(values))]
    i = data.draw(st.integers(0, len(pairs) - 1))
    key, value = pairs[i]
    swappable = [
        j for j in range(len(pairs)) if pairs[j][0] == key and pairs[j][1] != value and j != i
    ]
    choices = ["key", "value", "drop", "insert"]
    if value:
        choices.append("replace")
    if swappable:
        choices.append("swap")
    how = data.draw(st.sampled_from(choices))
    out = list(pairs)
    if how == "key":
        new_key = key + extra if key + extra != "timestamp" else key + extra + extra
        out[i] = (new_key, value)
    elif how == "value":
        out[i] = (key, value + extra)
    elif how == "replace":
        pos = data.draw(st.integers(0, len(value) - 1))
        other = data.draw(st.characters(codec="utf-8").filter(lambda c: c != value[pos]))
        out[i] = (key, value[:pos] + other + value[pos + 1 :])
    elif how == "drop":
        del out[i]
    elif how == "insert":
        out.insert(data.draw(st.integers(0, len(out))), (data.draw(keys), data.draw(values)))
    else:
        j = data.draw(st.sampled_from(swappable))
        out[i], out[j] = out[j], out[i]
    return out


@given(requests(), st.data())
def test_changed_query_rejected(req: dict[str, Any], data: st.DataObject) -> None:
    # A canonical body makes both candidate messages end in the same text, so they equal the
    # signed message exactly when the base strings are equal, which the tampering rules out.
    if req["value"] is not None:
        req = {**req, "body": canonical(req["value"])}
    sign = client_sign(req)
    tampered = _tampered_pairs(data, req["pairs"])
    # The base string is not injective ('&' and '=' are not encoded in it): skip the rare
    # change that the contract itself cannot see, judged by the independent signer.
    assume(signer.sign(req["token"], req["ts"], tampered, req["body"]) != sign)
    wire = data.draw(wire_query(tampered))
    assert parse_query(wire) == tampered
    assert not server_accepts(req, sign, wire=wire)


@given(requests(body=True), st.data())
def test_changed_body_byte_rejected(req: dict[str, Any], data: st.DataObject) -> None:
    body: bytes = req["body"]
    sign = client_sign(req)
    index = data.draw(st.integers(0, len(body) - 1))
    mask = data.draw(st.integers(1, 255))
    changed = body[:index] + bytes([body[index] ^ mask]) + body[index + 1 :]
    # The one way a changed body may still pass: it is the same JSON value, and the raw body
    # that was signed is that value's canonical form (the canonical alternative, §4.3).
    try:
        same_value = canonical(json.loads(changed.decode("utf-8"))) == body
    except ValueError:
        same_value = False
    assert server_accepts(req, sign, body=changed) == same_value


@given(
    requests(),
    st.text(st.characters(categories=["Cs"]) | st.characters(codec="utf-8"), min_size=1),
)
def test_surrogate_escapes_in_body(req: dict[str, Any], text: str) -> None:
    """Lone surrogate escapes are valid JSON without a UTF-8 (so canonical) form: the raw body
    still verifies, and nothing raises (regression: UnicodeEncodeError in the verifier)."""
    body = json.dumps({"k": text, text: [text]}).encode("ascii")  # \udXXX escapes
    req = {**req, "body": body}
    sign = client_sign(req)
    assert server_accepts(req, sign)
    assert not server_accepts(req, client_flip(sign))
    try:
        canonical_body = canonical(json.loads(body))
    except UnicodeEncodeError:
        return
    sign = signer.sign(req["token"], req["ts"], req["pairs"], canonical_body)
    assert server_accepts(req, sign)


@given(requests(body=True))
def test_dropped_body_rejected(req: dict[str, Any]) -> None:
    assert not server_accepts(req, client_sign(req), body=b"")


@given(requests())
def test_timestamp_pair_counted_once(req: dict[str, Any]) -> None:
    """A query `timestamp` equal to the header signs the same message as none at all."""
    wire = req["wire"] + "&timestamp=" + req["ts"]
    assert parse_query(wire) == [*req["pairs"], ("timestamp", req["ts"])]
    assert server_accepts(req, client_sign(req), wire=wire)


@given(requests(), st.sampled_from(["Timestamp", "TIMESTAMP", "timestamp[]", " timestamp"]))
def test_timestamp_key_is_exact(req: dict[str, Any], key: str) -> None:
    """Any other spelling is just another key: signed as such, the header pair still added."""
    wire = req["wire"] + "&" + key.replace(" ", "+") + "=" + req["ts"]
    pairs = [*req["pairs"], (key, req["ts"])]
    assert server_accepts(req, signer.sign(req["token"], req["ts"], pairs, req["body"]), wire=wire)
    assert not server_accepts(req, client_sign(req), wire=wire)


# --- through the app --------------------------------------------------------------------------

extra_params = st.lists(st.tuples(keys.map(lambda k: "x_" + k), values), min_size=1, max_size=6)


@pytest.fixture(scope="module")
async def prop_shop(ctx: AppContext, client: httpx.AsyncClient) -> ShopApi:
    return await create_shop(ctx, client)


def _url(wire: str) -> str:
    return "/api/v1/openapi/get_reviews" + (f"?{wire}" if wire else "")


# pytest-asyncio runs an async @given test's examples on the session loop,
# the loop the app's database engine lives on; only session/module fixtures are used.
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
async def test_app_signed_get_reviews(
    prop_shop: ShopApi, ctx: AppContext, data: st.DataObject
) -> None:
    """A signed get_reviews with random extra parameters passes; any tampering gives 16."""
    shop = prop_shop
    pairs = [("page_size", "5"), *data.draw(extra_params)]
    pairs = data.draw(st.permutations(pairs))
    wire = data.draw(wire_query(pairs))
    ts = str(ctx.now())
    headers = {
        "Public-Token": shop.public_token,
        "Timestamp": ts,
        "Sign": signer.sign(shop.private_token, ts, pairs),
    }
    response = await shop.client.get(_url(wire), headers=headers)
    assert response.request.url.query == wire.encode("ascii")
    assert ok(response)["page"]["page_size"] == 5

    how = data.draw(st.sampled_from(["add", "drop", "value", "timestamp", "sign"]))
    tampered_pairs = list(pairs)
    if how == "add":
        tampered_pairs.append(("x_added", "1"))
    elif how == "drop":
        del tampered_pairs[data.draw(st.integers(0, len(pairs) - 1))]
    elif how == "value":
        i = data.draw(st.integers(0, len(pairs) - 1))
        tampered_pairs[i] = (pairs[i][0], pairs[i][1] + "1")
    elif how == "timestamp":
        headers = {**headers, "Timestamp": str(int(ts) - 1)}
    else:
        headers = {**headers, "Sign": client_flip(headers["Sign"])}
    tampered_wire = data.draw(wire_query(tampered_pairs))
    error(await shop.client.get(_url(tampered_wire), headers=headers), 16, 401)
