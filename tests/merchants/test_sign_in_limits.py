"""Rate limits of merchant sign-in: counted before the password check, per account and client
address, per address and per account (docs/operations.md "Rate limits").

The shared test app has rate limits off; these tests use a second one with them on
(tests/support/limited_app.py), whose callers each carry their own client address.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import httpx
import pytest

from shopreviews.kit.context import AppContext
from shopreviews.merchants import service as merchant_service
from shopreviews.merchants.passwords import verify_password
from shopreviews.settings import Settings
from tests.support.api import ShopApi, error, ok
from tests.support.limited_app import LimitedApp

PASSWORD = "correct horse battery staple"
WRONG = "wrong horse battery staple"
LOGIN = "/api/v1/merchant/login"


def new_email() -> str:
    return f"owner-{uuid.uuid4().hex[:10]}@example-shop.com"


async def create_user(ctx: AppContext, shop_id: str, email: str) -> None:
    async with ctx.db.session(write=True) as session:
        await merchant_service.create_user(session, shop_id=shop_id, email=email, password=PASSWORD)


class SignInApp(LimitedApp):
    async def login(self, address: str, email: str, password: str) -> httpx.Response:
        return await self.at(address).post(LOGIN, json={"email": email, "password": password})


@pytest.fixture
async def limited(settings: Settings) -> AsyncIterator[SignInApp]:
    app = SignInApp(settings)
    yield app
    await app.close()


def assert_wrong_password(response: httpx.Response) -> None:
    body = error(response, 16, 401)
    assert body["message"] == "unauthenticated: wrong email or password", body


def assert_rate_limited(response: httpx.Response) -> None:
    body = error(response, 8, 429)
    assert body["message"].startswith("rate limit exceeded; retry after "), body
    assert body["data"] is None
    retry_after = int(response.headers["retry-after"])
    assert 1 <= retry_after <= 15 * 60 + 1
    assert body["message"] == f"rate limit exceeded; retry after {retry_after} s"


def signed_in(response: httpx.Response, email: str) -> None:
    data = ok(response)
    assert data["email"] == email and data["token_type"] == "Bearer" and data["token"]


async def test_concurrent_wrong_passwords_never_exceed_the_limit(
    ctx: AppContext, limited: SignInApp, shop: ShopApi, monkeypatch: pytest.MonkeyPatch
) -> None:
    """40 wrong passwords at once from one address: exactly 10 are checked, 30 are refused
    before the password check (the count is taken before the slow argon2 verification).

    On PostgreSQL the requests run side by side (on SQLite one process has one writer, so
    sign-ins are serialised anyway); counting the real verifications shows what an attacker's
    burst gets evaluated, whatever the answers say."""
    email = new_email()
    await create_user(ctx, shop.shop_id, email)
    limit = limited.settings.signin_failures_per_15min
    verified: list[str] = []

    async def counting_verify(password_hash: str | None, password: str) -> bool:
        verified.append(password)
        return await verify_password(password_hash, password)

    monkeypatch.setattr(merchant_service, "verify_password", counting_verify)
    await limited.warm_pool()
    responses = await asyncio.gather(
        *(limited.login("203.0.113.9", email, WRONG) for _ in range(40))
    )
    assert len(verified) == limit
    wrong = [r for r in responses if r.status_code == 401]
    refused = [r for r in responses if r.status_code == 429]
    assert (len(wrong), len(refused)) == (limit, 40 - limit)
    for response in wrong:
        assert_wrong_password(response)
    for response in refused:
        assert_rate_limited(response)
    # The right password is refused too from that address (unchecked), and accepted from another.
    assert_rate_limited(await limited.login("203.0.113.9", email, PASSWORD))
    assert len(verified) == limit
    signed_in(await limited.login("198.51.100.20", email, PASSWORD), email)


async def test_failures_from_one_address_do_not_lock_out_the_owner_elsewhere(
    ctx: AppContext, limited: SignInApp, shop: ShopApi
) -> None:
    email = new_email()
    await create_user(ctx, shop.shop_id, email)
    attacker, owner = "203.0.113.66", "198.51.100.7"
    # The attacker keeps going long after the limit: refused attempts count nowhere.
    for _ in range(limited.settings.signin_failures_per_15min):
        assert_wrong_password(await limited.login(attacker, email, WRONG))
    for _ in range(limited.settings.signin_attempts_per_account_per_15min):
        assert_rate_limited(await limited.login(attacker, email, WRONG))
    assert_rate_limited(await limited.login(attacker, email.upper(), PASSWORD))
    signed_in(await limited.login(owner, email, PASSWORD), email)
    signed_in(await limited.login(owner, email.upper(), PASSWORD), email)


async def test_a_success_clears_earlier_mistakes_from_that_address(
    ctx: AppContext, limited: SignInApp, shop: ShopApi
) -> None:
    """A merchant who mistypes, then signs in, starts afresh at that address."""
    email = new_email()
    await create_user(ctx, shop.shop_id, email)
    limit = limited.settings.signin_failures_per_15min
    for _ in range(limit - 1):
        assert_wrong_password(await limited.login("192.0.2.10", email, WRONG))
    signed_in(await limited.login("192.0.2.10", email, PASSWORD), email)
    for _ in range(limit):
        assert_wrong_password(await limited.login("192.0.2.10", email, WRONG))
    assert_rate_limited(await limited.login("192.0.2.10", email, PASSWORD))


async def test_attempts_per_address_across_accounts(
    settings: Settings, ctx: AppContext, shop: ShopApi
) -> None:
    """One address guessing across many accounts (one guess each) is bounded too; the accounts
    stay open from other addresses."""
    app = SignInApp(settings, signin_attempts_per_address_per_15min=12)
    try:
        email = new_email()
        await create_user(ctx, shop.shop_id, email)
        for _ in range(12):
            assert_wrong_password(await app.login("192.0.2.55", new_email(), WRONG))
        assert_rate_limited(await app.login("192.0.2.55", new_email(), WRONG))
        assert_rate_limited(await app.login("192.0.2.55", email, PASSWORD))
        signed_in(await app.login("192.0.2.56", email, PASSWORD), email)
    finally:
        await app.close()


async def test_attempts_per_account_across_addresses(
    settings: Settings, ctx: AppContext, shop: ShopApi
) -> None:
    """Guessing from many addresses at once is bounded per account: once the account's limit is
    reached, every address is refused (the owner's open sessions are untouched)."""
    app = SignInApp(settings, signin_attempts_per_account_per_15min=25)
    try:
        email = new_email()
        await create_user(ctx, shop.shop_id, email)
        owner = await app.login("198.51.100.1", email, PASSWORD)  # counts as an attempt
        signed_in(owner, email)
        attackers = [f"203.0.113.{n}" for n in range(1, 4)]
        responses = await asyncio.gather(
            *(app.login(address, email, WRONG) for address in attackers for _ in range(10))
        )
        assert sorted(r.status_code for r in responses) == [401] * 24 + [429] * 6
        assert_rate_limited(await app.login("198.51.100.2", email, PASSWORD))
        session = ok(
            await app.at("198.51.100.1").get(
                "/api/v1/openapi/get_open_api_information",
                headers={"Authorization": f"Bearer {ok(owner)['token']}"},
            )
        )
        assert session["shop_id"] == shop.shop_id
    finally:
        await app.close()


def test_the_account_limit_must_exceed_the_per_address_one(settings: Settings) -> None:
    """Otherwise one address could lock the owner out everywhere: refused at start."""
    values = settings.model_dump()
    values.update(signin_failures_per_15min=10, signin_attempts_per_account_per_15min=10)
    with pytest.raises(ValueError, match="SIGNIN_ATTEMPTS_PER_ACCOUNT_PER_15MIN"):
        Settings(**values)
