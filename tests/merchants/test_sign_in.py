"""Merchant sign-in, sessions and the merchant token endpoints (spec oauth.md)."""

from __future__ import annotations

import base64
import time
from typing import Any

import httpx
import jwt
import pytest
from sqlalchemy import select

from shopreviews.kit.context import AppContext
from shopreviews.merchants import service as merchant_service
from shopreviews.merchants.models import AuditEntry, MerchantSession
from shopreviews.merchants.service import NewMerchant
from tests.support.api import Clock, ShopApi, bearer, error, ok
from tests.support.merchants import LOGIN, PASSWORD, create_user, login, new_email

LOGOUT = "/api/v1/merchant/logout"
INFO = "/api/v1/openapi/get_open_api_information"
PRIVATE = "/api/v1/openapi/get_open_api_private_token"
RESET = "/api/v1/openapi/reset_private_token"
SESSION_SECONDS = 43200


async def audit_rows(ctx: AppContext, shop_id: str) -> list[AuditEntry]:
    async with ctx.db.session(write=False) as session:
        result = await session.execute(
            select(AuditEntry).where(AuditEntry.shop_id == shop_id).order_by(AuditEntry.id)
        )
        rows = list(result.scalars())
        for row in rows:
            session.expunge(row)  # keep the loaded values past the read transaction's rollback
        return rows


class Merchant:
    """A signed-in merchant user of one shop."""

    def __init__(self, user: NewMerchant, token: str, email: str) -> None:
        self.user = user
        self.token = token
        self.email = email


@pytest.fixture
async def merchant(ctx: AppContext, client: httpx.AsyncClient, shop: ShopApi) -> Merchant:
    email = new_email()
    user = await create_user(ctx, shop.shop_id, email)
    data = ok(await login(client, email=email, password=PASSWORD))
    return Merchant(user, data["token"], email)


# --- login ----------------------------------------------------------------------------------


async def test_login_success_body_and_jwt(
    ctx: AppContext, client: httpx.AsyncClient, shop: ShopApi
) -> None:
    email = new_email()
    user = await create_user(ctx, shop.shop_id, email)
    before = int(time.time())
    response = await login(client, email=email, password=PASSWORD)
    data = ok(response)
    assert set(data) == {
        "token",
        "token_type",
        "expires_in",
        "shop_id",
        "myshopify_domain",
        "email",
    }
    assert data["token_type"] == "Bearer"
    assert data["expires_in"] == SESSION_SECONDS and type(data["expires_in"]) is int
    assert data["shop_id"] == shop.shop_id
    assert data["myshopify_domain"] == shop.myshopify_domain
    assert data["email"] == email
    assert response.headers["cache-control"] == "no-store"

    token = data["token"]
    header = jwt.get_unverified_header(token)
    assert header["alg"] == "HS256"
    claims = jwt.decode(token, options={"verify_signature": False})
    assert set(claims) == {"iss", "aud", "sub", "shop_id", "sid", "iat", "exp"}
    assert claims["aud"] == "merchant"
    assert claims["iss"] == ctx.public_url == "http://testserver"
    assert claims["sub"] == str(user.id)
    assert claims["shop_id"] == shop.shop_id
    assert isinstance(claims["sid"], str) and len(claims["sid"]) >= 16
    assert before - 5 <= claims["iat"] <= int(time.time()) + 5
    assert claims["exp"] == claims["iat"] + SESSION_SECONDS
    # Signed with the server's session key (HS256), verifiable with it.
    jwt.decode(token, ctx.session_key, algorithms=["HS256"], audience="merchant")
    async with ctx.db.session(write=False) as session:
        row = await session.get(MerchantSession, claims["sid"])
        assert row is not None and row.user_id == user.id and row.ended_at is None
        assert row.expires_at.timestamp() == claims["exp"]


async def test_each_login_is_a_new_session(
    ctx: AppContext, client: httpx.AsyncClient, merchant: Merchant
) -> None:
    again = ok(await login(client, email=merchant.email, password=PASSWORD))["token"]
    sids = {
        jwt.decode(t, options={"verify_signature": False})["sid"] for t in (again, merchant.token)
    }
    assert len(sids) == 2


async def test_email_is_case_insensitive(
    ctx: AppContext, client: httpx.AsyncClient, shop: ShopApi
) -> None:
    email = new_email()
    await create_user(ctx, shop.shop_id, email.upper())  # stored lower-cased
    for spelling in (email, email.upper(), f"  {email.title()}  "):
        data = ok(await login(client, email=spelling, password=PASSWORD))
        assert data["email"] == email and data["shop_id"] == shop.shop_id


async def test_wrong_password_and_unknown_email_are_the_same_16(
    ctx: AppContext, client: httpx.AsyncClient, merchant: Merchant
) -> None:
    wrong = error(await login(client, email=merchant.email, password=PASSWORD + "!"), 16, 401)
    unknown = error(await login(client, email=new_email(), password=PASSWORD), 16, 401)
    assert wrong["message"] == unknown["message"]
    assert wrong["data"] is None and unknown["data"] is None
    # The password is compared exactly (no trimming, case-sensitive).
    error(await login(client, email=merchant.email, password=PASSWORD.upper()), 16, 401)
    error(await login(client, email=merchant.email, password=f" {PASSWORD}"), 16, 401)


@pytest.mark.parametrize(
    "body",
    [
        {"password": PASSWORD},
        {"email": "a@example.com"},
        {"email": 5, "password": PASSWORD},
        {"email": "a@example.com", "password": ["x"]},
    ],
)
async def test_login_validation_is_code_3(client: httpx.AsyncClient, body: dict[str, Any]) -> None:
    error(await client.post(LOGIN, json=body), 3, 400)


async def test_email_in_two_shops(
    ctx: AppContext, client: httpx.AsyncClient, shop: ShopApi, other_shop: ShopApi
) -> None:
    email = new_email()
    await create_user(ctx, shop.shop_id, email)
    await create_user(ctx, other_shop.shop_id, email, password="another password 2")

    body = error(await login(client, email=email, password=PASSWORD), 3, 400)
    assert "shop required" in body["message"]

    data = ok(await login(client, email=email, password=PASSWORD, shop_id=shop.shop_id))
    assert data["shop_id"] == shop.shop_id
    assert jwt.decode(data["token"], options={"verify_signature": False})["shop_id"] == (
        shop.shop_id
    )
    data = ok(
        await login(
            client,
            email=email,
            password="another password 2",
            myshopify_domain=other_shop.myshopify_domain.upper(),
        )
    )
    assert data["shop_id"] == other_shop.shop_id
    assert data["myshopify_domain"] == other_shop.myshopify_domain

    # Each shop's user has its own password.
    error(await login(client, email=email, password=PASSWORD, shop_id=other_shop.shop_id), 16, 401)
    # A shop the email does not belong to, or an unknown shop: the same code 16.
    error(await login(client, email=email, password=PASSWORD, shop_id="no-such-shop"), 16, 401)


async def test_shop_id_for_a_single_shop_user(
    ctx: AppContext, client: httpx.AsyncClient, merchant: Merchant, other_shop: ShopApi
) -> None:
    wrong_shop = await login(
        client, email=merchant.email, password=PASSWORD, shop_id=other_shop.shop_id
    )
    error(wrong_shop, 16, 401)


# --- token endpoints ------------------------------------------------------------------------


async def test_get_open_api_information(
    client: httpx.AsyncClient, shop: ShopApi, merchant: Merchant
) -> None:
    data = ok(await client.get(INFO, headers=bearer(merchant.token)))
    assert data == {
        "public_token": shop.public_token,
        "shop_id": shop.shop_id,
        "myshopify_domain": shop.myshopify_domain,
    }
    # The legacy prefix serves it too.
    legacy = await client.get(
        "/api/v1/open_api/get_open_api_information", headers=bearer(merchant.token)
    )
    assert ok(legacy) == data


async def test_get_open_api_private_token_is_audit_logged(
    ctx: AppContext, client: httpx.AsyncClient, shop: ShopApi, merchant: Merchant
) -> None:
    assert await audit_rows(ctx, shop.shop_id) == []
    data = ok(await client.get(PRIVATE, headers=bearer(merchant.token)))
    assert data == {"private_token": shop.private_token}
    ok(await client.get(PRIVATE, headers=bearer(merchant.token)))
    rows = await audit_rows(ctx, shop.shop_id)
    assert len(rows) == 2
    for row in rows:
        assert row.action == "read_private_token"
        assert row.actor == f"merchant:{merchant.user.id}"
        assert row.ip == "127.0.0.1"
        assert abs(row.at.timestamp() - time.time()) < 300


async def test_reset_private_token(
    ctx: AppContext, client: httpx.AsyncClient, shop: ShopApi, merchant: Merchant
) -> None:
    old = shop.private_token
    ok(await shop.get("get_rating", {"product_id": "1"}))  # the old token works before

    data = ok(await client.post(RESET, headers=bearer(merchant.token)))
    assert set(data) == {"private_token"}
    new = data["private_token"]
    assert new != old
    assert len(new) == 24 and len(base64.b64decode(new, validate=True)) == 16

    # The old signature stops working at once, the new one works.
    error(await shop.get("get_rating", {"product_id": "1"}), 16, 401)
    error(await shop.post("create_review", {"rating": 5, "author": "a"}), 16, 401)
    shop.private_token = new
    ok(await shop.get("get_rating", {"product_id": "1"}))
    ok(await shop.post("create_review", {"rating": 5, "author": "a"}))

    # The merchant now reads the new token; the public token is unchanged.
    assert ok(await client.get(PRIVATE, headers=bearer(merchant.token))) == {"private_token": new}
    info = ok(await client.get(INFO, headers=bearer(merchant.token)))
    assert info["public_token"] == shop.public_token

    # A body of {} is accepted as well as none.
    newer = ok(await client.post(RESET, json={}, headers=bearer(merchant.token)))
    assert newer["private_token"] not in (old, new)
    actions = [row.action for row in await audit_rows(ctx, shop.shop_id)]
    assert actions == ["reset_private_token", "read_private_token", "reset_private_token"]


async def test_merchant_of_shop_a_only_sees_shop_a(
    ctx: AppContext, client: httpx.AsyncClient, shop: ShopApi, other_shop: ShopApi
) -> None:
    email_a, email_b = new_email(), new_email()
    await create_user(ctx, shop.shop_id, email_a)
    await create_user(ctx, other_shop.shop_id, email_b)
    token_a = ok(await login(client, email=email_a, password=PASSWORD))["token"]
    token_b = ok(await login(client, email=email_b, password=PASSWORD))["token"]

    info_a = ok(await client.get(INFO, headers=bearer(token_a)))
    assert info_a["shop_id"] == shop.shop_id and info_a["public_token"] == shop.public_token
    private_a = ok(await client.get(PRIVATE, headers=bearer(token_a)))["private_token"]
    assert private_a == shop.private_token != other_shop.private_token
    info_b = ok(await client.get(INFO, headers=bearer(token_b)))
    assert info_b["shop_id"] == other_shop.shop_id

    # A query naming the other shop changes nothing.
    spoofed = await client.get(f"{PRIVATE}?shop_id={other_shop.shop_id}", headers=bearer(token_a))
    assert ok(spoofed)["private_token"] == shop.private_token

    # A's reset leaves B's token working; B's audit log has nothing of A's.
    ok(await client.post(RESET, headers=bearer(token_a)))
    ok(await other_shop.get("get_rating", {"product_id": "1"}))
    assert await audit_rows(ctx, other_shop.shop_id) == []
    assert {row.shop_id for row in await audit_rows(ctx, shop.shop_id)} == {shop.shop_id}


async def test_logout_ends_the_session(
    ctx: AppContext, client: httpx.AsyncClient, merchant: Merchant
) -> None:
    other = ok(await login(client, email=merchant.email, password=PASSWORD))["token"]
    assert ok(await client.post(LOGOUT, headers=bearer(merchant.token))) == {}
    for method, path in (("GET", INFO), ("GET", PRIVATE), ("POST", RESET), ("POST", LOGOUT)):
        error(await client.request(method, path, headers=bearer(merchant.token)), 16, 401)
    # Only that session ended.
    ok(await client.get(INFO, headers=bearer(other)))
    sid = jwt.decode(merchant.token, options={"verify_signature": False})["sid"]
    async with ctx.db.session(write=False) as session:
        row = await session.get(MerchantSession, sid)
        assert row is not None and row.ended_at is not None


# --- session JWT verification ---------------------------------------------------------------


def claims_of(token: str) -> dict[str, Any]:
    claims: dict[str, Any] = jwt.decode(token, options={"verify_signature": False})
    return claims


async def test_resigned_unchanged_claims_are_accepted(
    ctx: AppContext, client: httpx.AsyncClient, merchant: Merchant
) -> None:
    # The control for the forgery tests below: re-signing works when nothing is changed.
    token = jwt.encode(claims_of(merchant.token), ctx.session_key, algorithm="HS256")
    ok(await client.get(INFO, headers=bearer(token)))


@pytest.mark.parametrize(
    "change",
    [
        {"aud": "platform"},
        {"iss": "http://evil.example"},
        {"sub": "999999999"},
        {"shop_id": "another-shop"},
        {"sid": "0" * 32},
    ],
)
async def test_tampered_claims_are_rejected(
    ctx: AppContext, client: httpx.AsyncClient, merchant: Merchant, change: dict[str, str]
) -> None:
    token = jwt.encode({**claims_of(merchant.token), **change}, ctx.session_key, algorithm="HS256")
    error(await client.get(INFO, headers=bearer(token)), 16, 401)


@pytest.mark.parametrize("missing", ["exp", "sid", "sub", "shop_id", "iat", "aud", "iss"])
async def test_missing_claims_are_rejected(
    ctx: AppContext, client: httpx.AsyncClient, merchant: Merchant, missing: str
) -> None:
    claims = claims_of(merchant.token)
    del claims[missing]
    token = jwt.encode(claims, ctx.session_key, algorithm="HS256")
    error(await client.get(INFO, headers=bearer(token)), 16, 401)


@pytest.mark.filterwarnings("ignore::jwt.warnings.InsecureKeyLengthWarning")
async def test_alg_none_and_wrong_signature_are_rejected(
    ctx: AppContext, client: httpx.AsyncClient, merchant: Merchant
) -> None:
    claims = claims_of(merchant.token)
    unsigned = jwt.encode(claims, "", algorithm="none")
    assert jwt.get_unverified_header(unsigned)["alg"] == "none"
    error(await client.get(INFO, headers=bearer(unsigned)), 16, 401)
    header, payload, _ = merchant.token.split(".")
    error(await client.get(INFO, headers=bearer(f"{header}.{payload}.")), 16, 401)
    other_key = jwt.encode(claims, b"another-key-of-thirty-two-bytes!!", algorithm="HS256")
    error(await client.get(INFO, headers=bearer(other_key)), 16, 401)
    hs512 = jwt.encode(claims, ctx.session_key, algorithm="HS512")
    error(await client.get(INFO, headers=bearer(hs512)), 16, 401)
    flipped = merchant.token[:-2] + ("A" if merchant.token[-2] != "A" else "B") + merchant.token[-1]
    error(await client.get(INFO, headers=bearer(flipped)), 16, 401)


async def test_expired_session(
    ctx: AppContext, client: httpx.AsyncClient, shop: ShopApi, clock: Clock
) -> None:
    start = int(time.time())
    clock.set(start)
    email = new_email()
    await create_user(ctx, shop.shop_id, email)
    token = ok(await login(client, email=email, password=PASSWORD))["token"]
    assert claims_of(token)["iat"] == start  # issued on the application clock
    clock.set(start + SESSION_SECONDS - 1)
    ok(await client.get(INFO, headers=bearer(token)))
    clock.set(start + SESSION_SECONDS + 1)
    error(await client.get(INFO, headers=bearer(token)), 16, 401)
    error(await client.get(PRIVATE, headers=bearer(token)), 16, 401)
    clock.set(start + 10 * SESSION_SECONDS)
    error(await client.post(LOGOUT, headers=bearer(token)), 16, 401)


@pytest.mark.parametrize("form", ["Bearer {t}", "bearer {t}", "BEARER {t}", "{t}", " Bearer  {t} "])
async def test_authorization_forms_accepted(
    client: httpx.AsyncClient, merchant: Merchant, form: str
) -> None:
    headers = {"Authorization": form.format(t=merchant.token)}
    assert ok(await client.get(INFO, headers=headers))["public_token"]


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": ""},
        {"Authorization": "Bearer"},
        {"Authorization": "Bearer "},
        {"Authorization": "Bearer garbage"},
        {"Authorization": "garbage"},
        {"Authorization": "Basic dXNlcjpwYXNz"},
        {"Authorization": "Bearer a.b.c"},
        {"Authorization": "Bearer eyJhbGciOiJIUzI1NiJ9.e30."},
        {"Cookie": "merchant_session=whatever"},
    ],
)
@pytest.mark.parametrize(
    ("method", "path"), [("GET", INFO), ("GET", PRIVATE), ("POST", RESET), ("POST", LOGOUT)]
)
async def test_merchant_endpoints_without_a_session(
    client: httpx.AsyncClient, method: str, path: str, headers: dict[str, str]
) -> None:
    body = error(await client.request(method, path, headers=headers), 16, 401)
    assert body["data"] is None


async def test_hmac_credentials_are_not_a_merchant_session(shop: ShopApi) -> None:
    error(await shop.get("get_open_api_private_token"), 16, 401)
    error(await shop.get("get_open_api_information"), 16, 401)
    error(await shop.post("reset_private_token", {}), 16, 401)


async def test_session_of_a_deleted_user_is_rejected(
    ctx: AppContext, client: httpx.AsyncClient, shop: ShopApi
) -> None:
    email = new_email()
    user = await create_user(ctx, shop.shop_id, email)
    token = ok(await login(client, email=email, password=PASSWORD))["token"]
    claims = claims_of(token)
    # A session row pointing at another user than the JWT's subject is refused.
    async with ctx.db.session(write=True) as session:
        row = await session.get(MerchantSession, claims["sid"])
        assert row is not None and row.user_id == user.id
        other = await merchant_service.create_user(
            session, shop_id=shop.shop_id, email=new_email(), password=PASSWORD
        )
        row.user_id = other.id
    error(await client.get(INFO, headers=bearer(token)), 16, 401)
