"""The OAuth flow driven by a real browser (spec oauth.md "Consent page", "oauth/token",
"oauth_revoke_token", "oauth/disconnect").

Headless Debian Chromium, driven by Playwright, opens the authorize_url of the app running in
uvicorn, signs in through the form, approves or denies, and lands on a local redirect receiver;
the platform side then uses the code over plain HTTP against the same server.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from playwright.async_api import Browser, BrowserContext, Page, Response, async_playwright, expect
from sqlalchemy import func, select

from shopreviews.auth.scopes import SCOPE_DESCRIPTIONS
from shopreviews.kit.context import AppContext
from shopreviews.merchants import service as merchant_service
from shopreviews.oauth.models import AuthorizationCode, Grant
from shopreviews.settings import Settings
from tests.oauth.helpers import pkce_pair
from tests.support.api import ShopApi, bearer, create_shop, error, ok
from tests.support.browser import (
    ConsentScreen,
    LiveServer,
    Receiver,
    chromium_path,
    decide,
    live_server,
    read_consent_screen,
    sign_in_with_form,
)
from tests.support.oauth import PASSWORD, PlatformCreds, create_platform
from tests.support.oauth import exchange as exchange_code
from tests.support.oauth import refresh as refresh_token

CHROMIUM = chromium_path()
if CHROMIUM is None:
    reason = "no chromium executable: install Debian's chromium package (apt-get install chromium)"
    # CI installs the browser: there a missing one is a failure, never a silent skip.
    if os.environ.get("SHOPREVIEWS_TEST_REQUIRE_BROWSER") == "true":
        pytest.fail(reason, pytrace=False)
    pytest.skip(reason, allow_module_level=True)

API = "/api/v1/openapi"
SCOPE = "read_reviews,write_reviews"
BAD_LOGIN = "Wrong email or password."
PAGE_HEADERS = {
    "cache-control": "no-store",
    "x-frame-options": "DENY",
    "content-security-policy": "default-src 'self'; frame-ancestors 'none'",
    "referrer-policy": "no-referrer",
}


# --- fixtures --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def live(settings: Settings) -> Iterator[LiveServer]:
    with live_server(settings) as server:
        yield server


@pytest.fixture(scope="module")
def redirect_receiver() -> Iterator[Receiver]:
    with Receiver() as running:
        yield running


@pytest.fixture(scope="module")
async def api(live: LiveServer) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=live.base_url) as http:
        yield http


@pytest.fixture(scope="module")
async def browser() -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        chromium = await playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=["--no-sandbox"]
        )
        try:
            yield chromium
        finally:
            await chromium.close()


@pytest.fixture
async def context(browser: Browser) -> AsyncIterator[BrowserContext]:
    """A fresh browser profile per test: no cookies from other tests."""
    fresh = await browser.new_context()
    try:
        yield fresh
    finally:
        await fresh.close()


@pytest.fixture
async def page(context: BrowserContext) -> Page:
    return await context.new_page()


@dataclass
class Scenario:
    """A shop with a merchant user, and a platform whose redirect URI is the receiver; the
    methods are the platform's side of the flow, over HTTP against the live server."""

    live: LiveServer
    api: httpx.AsyncClient
    receiver: Receiver
    shop: ShopApi
    email: str
    platform: PlatformCreds

    @property
    def platform_name(self) -> str:
        return f"Platform {self.platform.client_id}"

    async def authorize_url(self, state: str, challenge: str, scope: str = SCOPE) -> str:
        params = {
            "client_id": self.platform.client_id,
            "redirect_uri": self.platform.redirect_uris[0],
            "state": state,
            "scope": scope,
            "code_challenge": challenge,
            "code_challenge_method": "S256",
        }
        data = ok(await self.api.get(f"{API}/get_oauth_authorize_url", params=params))
        url = str(data["authorize_url"])
        assert url.startswith(f"{self.live.base_url}/oauth/authorize?response_type=code&"), url
        return url

    async def exchange(self, code: str, verifier: str) -> dict[str, Any]:
        tokens = ok(await exchange_code(self.api, self.platform, code, verifier=verifier))
        assert tokens["access_token"].startswith("at_") and tokens["token_type"] == "Bearer"
        assert tokens["refresh_token"].startswith("rt_")
        assert tokens["shop_id"] == self.shop.shop_id
        return dict(tokens)

    async def refresh(self, token: str) -> httpx.Response:
        return await refresh_token(self.api, self.platform, token)

    async def revoke(self, token: str) -> httpx.Response:
        body = self.platform.client(token=token, token_type_hint="access_token")
        return await self.api.post(f"{API}/oauth_revoke_token", data=body)

    async def disconnect(self, access_token: str) -> httpx.Response:
        return await self.api.post(f"{API}/oauth/disconnect", headers=bearer(access_token))

    async def get_reviews(self, access_token: str) -> httpx.Response:
        return await self.api.get(f"{API}/get_reviews", headers=bearer(access_token))

    async def review_authors(self, access_token: str) -> list[str]:
        return [r["author"] for r in ok(await self.get_reviews(access_token))["list"]]

    async def authorization_info(self) -> dict[str, Any]:
        params = self.platform.client(shop_id=self.shop.shop_id)
        return dict(ok(await self.api.get(f"{API}/get_shop_authorization_info", params=params)))

    def expected_consent(self, scope: str = SCOPE) -> ConsentScreen:
        return ConsentScreen(
            platform_name=self.platform_name,
            shop_domain=self.shop.myshopify_domain,
            scopes={s: SCOPE_DESCRIPTIONS[s] for s in scope.split(",")},
        )


@pytest.fixture
async def scenario(
    ctx: AppContext, live: LiveServer, api: httpx.AsyncClient, redirect_receiver: Receiver
) -> Scenario:
    shop = await create_shop(ctx, api)  # signed requests go to the live server
    email = f"owner-{uuid.uuid4().hex[:8]}@example.test"
    async with ctx.db.session(write=True) as session:
        await merchant_service.create_user(
            session, shop_id=shop.shop_id, email=email, password=PASSWORD
        )
    platform = await create_platform(ctx, redirect_uris=[redirect_receiver.callback])
    return Scenario(live, api, redirect_receiver, shop, email, platform)


def new_state() -> str:
    """Characters that need percent-encoding on every hop, to prove the exact echo."""
    return f"st-{uuid.uuid4().hex} a+b&c=d/é?%"


async def approve_in_browser(page: Page, scenario: Scenario, *, sign_in: bool) -> dict[str, Any]:
    """One full authorization in the browser (signing in first, or with the session cookie
    already set), then the code exchange; returns the token answer."""
    verifier, challenge = pkce_pair()
    state = new_state()
    await page.goto(await scenario.authorize_url(state, challenge))
    if sign_in:
        await sign_in_with_form(page, scenario.email, PASSWORD)
    else:  # the session cookie is still there: the consent screen comes directly
        assert await page.locator("#sign-in").count() == 0
    assert await read_consent_screen(page) == scenario.expected_consent()
    answer = await decide(page, scenario.receiver, "#approve")
    assert set(answer) == {"code", "state", "iss"}, answer
    assert answer["state"] == state and answer["iss"] == scenario.live.base_url
    assert answer["code"].startswith("ac_") and len(answer["code"]) == 46
    return await scenario.exchange(answer["code"], verifier)


async def grants_and_codes(
    ctx: AppContext, shop_id: str
) -> tuple[list[tuple[str, str, datetime]], int]:
    """What is stored for the shop: its grants (status, scopes, authorized_at), code count."""
    async with ctx.db.session(write=False) as session:
        grants = await session.execute(
            select(Grant.status, Grant.scopes, Grant.authorized_at)
            .where(Grant.shop_id == shop_id)
            .order_by(Grant.id)
        )
        codes = await session.scalar(
            select(func.count())
            .select_from(AuthorizationCode)
            .where(AuthorizationCode.shop_id == shop_id)
        )
    return [(status, scopes, at) for status, scopes, at in grants], int(codes or 0)


# --- tests -----------------------------------------------------------------------------------


async def test_approve_exchange_read_refresh_and_reuse_revokes_every_token(
    page: Page, scenario: Scenario
) -> None:
    ok(await scenario.shop.post("create_review", {"rating": 5, "author": "Ann", "content": "Ok"}))
    verifier, challenge = pkce_pair()
    state = new_state()
    await page.goto(await scenario.authorize_url(state, challenge))
    await sign_in_with_form(page, scenario.email, PASSWORD)

    screen = await read_consent_screen(page)
    assert screen.platform_name == scenario.platform_name
    assert screen.shop_domain == scenario.shop.myshopify_domain
    assert screen.scopes == {
        "read_reviews": "Read your reviews and ratings",
        "write_reviews": "Create, change and delete reviews, and upload review photos and videos",
    }

    answer = await decide(page, scenario.receiver, "#approve")
    assert set(answer) == {"code", "state", "iss"}, answer
    assert answer["state"] == state
    assert answer["iss"] == scenario.live.base_url

    tokens = await scenario.exchange(answer["code"], verifier)
    assert tokens["scope"] == SCOPE and tokens["myshopify_domain"] == scenario.shop.myshopify_domain
    assert tokens["expires_in"] == 7200 and tokens["refresh_token_expires_in"] == 7776000
    assert await scenario.review_authors(tokens["access_token"]) == ["Ann"]

    # Refresh rotates: a new refresh token and a new access token that works.
    rotated = ok(await scenario.refresh(tokens["refresh_token"]))
    assert rotated["refresh_token"] not in ("", tokens["refresh_token"])
    assert rotated["access_token"] != tokens["access_token"] and rotated["scope"] == SCOPE
    assert await scenario.review_authors(rotated["access_token"]) == ["Ann"]

    # Reusing the retired refresh token revokes every token of the grant.
    reused = error(await scenario.refresh(tokens["refresh_token"]), 3, 400)
    assert reused["data"]["error"] == "invalid_grant"
    for access_token in (tokens["access_token"], rotated["access_token"]):
        revoked = error(await scenario.get_reviews(access_token), 16, 401)
        assert revoked["data"] is None
    current = error(await scenario.refresh(rotated["refresh_token"]), 3, 400)
    assert current["data"]["error"] == "invalid_grant"
    # The grant itself stays: a new authorization code is what the platform needs.
    info = await scenario.authorization_info()
    assert info["is_authorized"] is True and info["granted_scopes"] == SCOPE


async def test_reapproval_uses_the_session_then_revoke_and_disconnect_end_access(
    page: Page, scenario: Scenario
) -> None:
    ok(await scenario.shop.post("create_review", {"rating": 4, "author": "Bo", "content": "Ok"}))
    first = await approve_in_browser(page, scenario, sign_in=True)

    # Second approval: no sign-in form. Revoking its access token ends that token only.
    second = await approve_in_browser(page, scenario, sign_in=False)
    assert await scenario.review_authors(second["access_token"]) == ["Bo"]
    assert ok(await scenario.revoke(second["access_token"])) == {}
    error(await scenario.get_reviews(second["access_token"]), 16, 401)
    assert await scenario.review_authors(first["access_token"]) == ["Bo"]
    renewed = ok(await scenario.refresh(second["refresh_token"]))
    assert await scenario.review_authors(renewed["access_token"]) == ["Bo"]

    # Third approval, then the platform disconnects with its bearer token: the grant ends.
    third = await approve_in_browser(page, scenario, sign_in=False)
    assert ok(await scenario.disconnect(third["access_token"])) == {}
    for access_token in (third["access_token"], first["access_token"], renewed["access_token"]):
        error(await scenario.get_reviews(access_token), 16, 401)
    ended = error(await scenario.refresh(third["refresh_token"]), 3, 400)
    assert ended["data"]["error"] == "invalid_grant"
    assert await scenario.authorization_info() == {
        "is_authorized": False,
        "authorized_at": "",
        "granted_scopes": "",
        "shop_id": scenario.shop.shop_id,
        "myshopify_domain": "",
    }


async def test_deny_lands_with_access_denied_and_stores_nothing(
    ctx: AppContext, page: Page, scenario: Scenario
) -> None:
    _, challenge = pkce_pair()
    state = new_state()
    await page.goto(await scenario.authorize_url(state, challenge))
    await sign_in_with_form(page, scenario.email, PASSWORD)
    assert await read_consent_screen(page) == scenario.expected_consent()
    answer = await decide(page, scenario.receiver, "#deny")
    assert answer == {"error": "access_denied", "state": state, "iss": scenario.live.base_url}
    assert await grants_and_codes(ctx, scenario.shop.shop_id) == ([], 0)
    assert (await scenario.authorization_info())["is_authorized"] is False

    # With an active grant, denying a wider request leaves the grant as it was.
    await page.goto(await scenario.authorize_url(new_state(), challenge, scope="read_reviews"))
    assert await read_consent_screen(page) == scenario.expected_consent("read_reviews")
    assert set(await decide(page, scenario.receiver, "#approve")) == {"code", "state", "iss"}
    stored = await grants_and_codes(ctx, scenario.shop.shop_id)
    assert [(status, scopes) for status, scopes, _ in stored[0]] == [("active", "read_reviews")]
    assert stored[1] == 1
    state = new_state()
    await page.goto(await scenario.authorize_url(state, challenge))
    assert await read_consent_screen(page) == scenario.expected_consent()
    answer = await decide(page, scenario.receiver, "#deny")
    assert answer == {"error": "access_denied", "state": state, "iss": scenario.live.base_url}
    assert await grants_and_codes(ctx, scenario.shop.shop_id) == stored
    info = await scenario.authorization_info()
    assert info["is_authorized"] is True and info["granted_scopes"] == "read_reviews"


async def test_consent_pages_send_security_headers_and_a_strict_session_cookie(
    context: BrowserContext, page: Page, scenario: Scenario
) -> None:
    pages: list[Response] = []
    page.on("response", lambda r: pages.append(r) if is_oauth_page(r.url) else None)
    console: list[str] = []  # a CSP violation or a missing stylesheet would show here
    page.on("console", lambda message: console.append(f"{message.type}: {message.text}"))
    _, challenge = pkce_pair()
    await page.goto(await scenario.authorize_url(new_state(), challenge))
    login_cookie = {c["name"]: c for c in await context.cookies()}["oauth_login"]
    assert login_cookie["httpOnly"] is True and login_cookie["sameSite"] == "Lax"
    await sign_in_with_form(page, scenario.email, PASSWORD)
    await read_consent_screen(page)
    await decide(page, scenario.receiver, "#approve")

    seen = [(r.request.method, urlsplit(r.url).path, r.status) for r in pages]
    assert seen == [
        ("GET", "/oauth/authorize", 200),  # the sign-in form
        ("POST", "/oauth/login", 303),
        ("GET", "/oauth/authorize", 200),  # the consent screen
        ("POST", "/oauth/authorize", 302),  # to the redirect URI
    ]
    for response in pages:
        await assert_page_headers(response)
    assert "text/html" in (await pages[2].all_headers())["content-type"]
    location = (await pages[3].all_headers())["location"]
    assert location.startswith(scenario.receiver.callback + "?code=")
    assert console == []

    set_cookie = [h["value"] for h in await pages[1].headers_array() if h["name"] == "set-cookie"]
    session_cookie = next(v for v in set_cookie if v.startswith("merchant_session="))
    attributes = {a.strip().lower() for a in session_cookie.split(";")[1:]}
    assert {"max-age=43200", "path=/", "httponly", "samesite=lax"} <= attributes
    assert "secure" not in attributes  # the public URL is http
    cookies = {c["name"]: c for c in await context.cookies()}
    assert "oauth_login" not in cookies  # the sign-in nonce is gone once signed in
    session = cookies["merchant_session"]
    assert session["httpOnly"] is True and session["sameSite"] == "Lax"
    assert session["secure"] is False and session["path"] == "/"


async def test_wrong_password_rerenders_the_form_without_a_session(
    ctx: AppContext, context: BrowserContext, page: Page, scenario: Scenario
) -> None:
    _, challenge = pkce_pair()
    await page.goto(await scenario.authorize_url(new_state(), challenge))
    rerendered = await sign_in_with_form(page, scenario.email, "not the password 123")
    assert rerendered.status == 401 and urlsplit(rerendered.url).path == "/oauth/login"
    await expect(page.locator("#error")).to_have_text(BAD_LOGIN)
    await expect(page.locator("#email")).to_have_value(scenario.email)
    await expect(page.locator("#password")).to_have_value("")
    assert await page.locator("#approve").count() == 0

    # An unknown email, or a password longer than any account's, gets the very same message.
    for email, password in [
        ("nobody-" + scenario.email, PASSWORD),
        (scenario.email, "x" * 2000),
    ]:
        assert (await sign_in_with_form(page, email, password)).status == 401
        await expect(page.locator("#error")).to_have_text(BAD_LOGIN)
    assert "merchant_session" not in {c["name"] for c in await context.cookies()}

    # The re-rendered form still works, and the password is checked as typed (never trimmed).
    spaced = "  spaced password 123  "
    email = f"spaced-{uuid.uuid4().hex[:8]}@example.test"
    async with ctx.db.session(write=True) as session:
        await merchant_service.create_user(
            session, shop_id=scenario.shop.shop_id, email=email, password=spaced
        )
    assert (await sign_in_with_form(page, email, spaced.strip())).status == 401
    assert (await sign_in_with_form(page, email, spaced)).status == 200
    assert await read_consent_screen(page) == scenario.expected_consent()
    assert "merchant_session" in {c["name"] for c in await context.cookies()}


async def test_damaged_requests_get_an_html_page_never_the_json_envelope(
    ctx: AppContext, page: Page, scenario: Scenario
) -> None:
    _, challenge = pkce_pair()
    url = await scenario.authorize_url(new_state(), challenge)
    callbacks = len(scenario.receiver.callbacks())
    for damaged in (url + "&state=%FF", url + "&state=a%00b"):  # not UTF-8; U+0000
        response = await page.goto(damaged)
        assert response is not None and response.status == 400
        await assert_page_headers(response)
        await expect(page.locator("#error")).to_have_text(
            "This authorization link is damaged. Start again from the app."
        )
    assert len(scenario.receiver.callbacks()) == callbacks  # never a redirect to the client

    # The address bar shows /oauth/login after a failed sign-in: opening it is a page too.
    response = await page.goto(f"{scenario.live.base_url}/oauth/login")
    assert response is not None and response.status == 405
    await assert_page_headers(response)
    await expect(page.locator("#error")).to_have_text(
        "This sign-in link is not valid. Start again from the app."
    )

    # A state over 512 characters in the consent form goes back as invalid_request, whatever
    # its length (it is not echoed), and nothing is stored.
    await page.goto(url)
    await sign_in_with_form(page, scenario.email, PASSWORD)
    await read_consent_screen(page)
    for length in (513, 5000):
        await page.locator("input[name=state]").evaluate(
            "(el, n) => el.value = 's'.repeat(n)", length
        )
        answer = await decide(page, scenario.receiver, "#approve")
        assert answer == {
            "error": "invalid_request",
            "error_description": "state is longer than 512 characters",
            "iss": scenario.live.base_url,
        }
        await page.go_back()
        await read_consent_screen(page)
    assert await grants_and_codes(ctx, scenario.shop.shop_id) == ([], 0)


def is_oauth_page(url: str) -> bool:
    path = urlsplit(url).path
    return path.startswith("/oauth/") and not path.startswith("/oauth/static/")


async def assert_page_headers(response: Response) -> None:
    headers = await response.all_headers()
    assert {name: headers.get(name) for name in PAGE_HEADERS} == PAGE_HEADERS, response.url
