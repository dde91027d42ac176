"""Signing in and out of the back office, its cookies, CSRF and headers."""

from __future__ import annotations

import httpx
from playwright.async_api import Page, expect

from shopreviews.kit.context import AppContext
from shopreviews.main import create_app
from shopreviews.settings import Settings
from tests.backoffice.helpers import (
    Merchant,
    csrf_of,
    require_browser,
    sign_in,
    signed_in_client,
)
from tests.support.browser import LiveServer, axe_violations
from tests.support.limited_app import LimitedApp

require_browser()


async def test_signing_in_lands_on_the_page_asked_for_with_a_protected_cookie(
    page: Page, live: LiveServer, owner: Merchant
) -> None:
    await page.goto(f"{live.base_url}/backoffice/account")
    assert "/backoffice/sign-in?next=" in page.url  # sent to sign in, then back
    await page.get_by_label("Email", exact=True).fill(owner.email)
    await page.get_by_label("Password", exact=True).fill(owner.password)
    await page.get_by_role("button", name="Sign in").click()
    await expect(page.locator("#account-email")).to_have_text(owner.email)
    await expect(page.locator("#account-role")).to_have_text("owner")
    cookies = {c["name"]: c for c in await page.context.cookies()}
    session = cookies["merchant_session"]
    assert session["httpOnly"] is True
    assert session["sameSite"] == "Lax"
    assert session["secure"] is False  # http here; https public URLs set Secure
    assert await axe_violations(page) == []


async def test_a_wrong_password_is_refused_on_the_page(
    page: Page, live: LiveServer, owner: Merchant
) -> None:
    await page.goto(f"{live.base_url}/backoffice/sign-in")
    await page.get_by_label("Email", exact=True).fill(owner.email)
    await page.get_by_label("Password", exact=True).fill("not the password at all")
    await page.get_by_role("button", name="Sign in").click()
    await expect(page.locator("#error")).to_have_text("Wrong email or password.")
    await expect(page.get_by_label("Email", exact=True)).to_have_value(owner.email)
    assert "merchant_session" not in {c["name"] for c in await page.context.cookies()}
    assert await axe_violations(page) == []


async def test_signing_out_ends_the_session_for_every_client(
    page: Page, live: LiveServer, owner: Merchant
) -> None:
    await sign_in(page, live.base_url, owner, "/backoffice/account")
    token = next(
        c["value"] for c in await page.context.cookies() if c["name"] == "merchant_session"
    )
    await page.locator("#sign-out").click()
    await expect(page.locator("[role=status]")).to_have_text("You are signed out.")
    async with httpx.AsyncClient(base_url=live.base_url) as http:
        answer = await http.get(
            "/api/v1/openapi/get_open_api_information", headers={"Authorization": f"Bearer {token}"}
        )
    assert answer.json()["code"] == 16  # the old session JWT stopped working
    await page.goto(f"{live.base_url}/backoffice/account")
    assert "/backoffice/sign-in" in page.url


async def test_the_sign_in_form_is_usable_by_keyboard_alone(
    page: Page, live: LiveServer, owner: Merchant
) -> None:
    await page.goto(f"{live.base_url}/backoffice/sign-in?next=/backoffice/account")
    await page.keyboard.press("Tab")  # the skip link comes first
    await expect(page.locator(".skip")).to_be_focused()
    await page.keyboard.press("Tab")
    await expect(page.get_by_label("Email", exact=True)).to_be_focused()
    await page.keyboard.type(owner.email)
    await page.keyboard.press("Tab")
    await page.keyboard.type(owner.password)
    await page.keyboard.press("Enter")
    await expect(page.locator("#account-email")).to_have_text(owner.email)


async def test_a_form_without_its_csrf_token_changes_nothing(
    live: LiveServer, owner: Merchant
) -> None:
    async with signed_in_client(live.base_url, owner) as http:
        forged = await http.post("/backoffice/sign-out", data={"csrf_token": "0" * 64})
        assert forged.status_code == 403
        assert "did not come from this page" in forged.text
        still = await http.get("/backoffice/account")
        assert still.status_code == 200 and owner.email in still.text
        # The sign-in form refuses a post without the cookie-bound token too.
        async with httpx.AsyncClient(base_url=live.base_url) as stranger:
            refused = await stranger.post(
                "/backoffice/sign-in",
                data={"email": owner.email, "password": owner.password, "csrf_token": "x"},
            )
        assert refused.status_code == 403
        assert "merchant_session" not in refused.cookies
        real = await http.post("/backoffice/sign-out", data={"csrf_token": csrf_of(still.text)})
        assert real.status_code == 303


async def test_pages_carry_a_strict_policy_and_no_inline_script(
    live: LiveServer, owner: Merchant
) -> None:
    async with signed_in_client(live.base_url, owner) as http:
        for path in ("/backoffice/sign-in", "/backoffice/account"):
            answer = await http.get(path)
            policy = answer.headers["content-security-policy"]
            assert "script-src 'self'" in policy and "'unsafe-inline'" not in policy
            assert "frame-ancestors 'none'" in policy
            assert answer.headers["x-frame-options"] == "DENY"
            assert answer.headers["cache-control"] == "no-store"
            assert "<script>" not in answer.text and " style=" not in answer.text


async def test_after_signing_in_only_this_sites_pages_are_followed(
    live: LiveServer, owner: Merchant
) -> None:
    async with httpx.AsyncClient(base_url=live.base_url) as http:
        page = await http.get("/backoffice/sign-in", params={"next": "https://evil.example/x"})
        answer = await http.post(
            "/backoffice/sign-in",
            data={
                "csrf_token": csrf_of(page.text),
                "email": owner.email,
                "password": owner.password,
                "next": "//evil.example/x",
            },
        )
    assert answer.status_code == 303
    assert answer.headers["location"] == "/backoffice/reviews"


async def test_the_page_counts_failed_sign_ins_with_the_api_limits(
    settings: Settings, live: LiveServer, owner: Merchant
) -> None:
    # The shared app has rate limits off: a second app on the same database has them on.
    limited = LimitedApp(settings)
    limit = limited.settings.signin_failures_per_15min
    try:
        http = limited.at("203.0.113.9")
        form = await http.get("/backoffice/sign-in")
        wrong = {"csrf_token": csrf_of(form.text), "email": owner.email, "password": "wrong" * 3}
        for _ in range(limit):
            answer = await http.post("/backoffice/sign-in", data=wrong)
            assert answer.status_code == 401 and "Wrong email or password." in answer.text
        right = {**wrong, "password": owner.password}
        refused = await http.post("/backoffice/sign-in", data=right)
        assert refused.status_code == 429
        assert "Too many failed sign-ins. Try again in" in refused.text
        # The JSON sign-in shares the count: it refuses the right password too.
        api = await http.post(
            "/api/v1/merchant/login", json={"email": owner.email, "password": owner.password}
        )
        assert api.json()["code"] == 8
        # Another address is not held back by this one's failures.
        elsewhere = limited.at("198.51.100.7")
        form = await elsewhere.get("/backoffice/sign-in")
        answer = await elsewhere.post(
            "/backoffice/sign-in", data={**right, "csrf_token": csrf_of(form.text)}
        )
        assert answer.status_code == 303
    finally:
        await limited.close()


async def test_under_an_https_public_url_the_session_cookie_is_secure(
    settings: Settings, owner: Merchant
) -> None:
    ctx = AppContext.build(settings, public_url="https://reviews.example-shop.com")
    app = create_app(settings, ctx=ctx)
    transport = httpx.ASGITransport(app=app)
    try:
        async with httpx.AsyncClient(
            transport=transport, base_url="https://reviews.example-shop.com"
        ) as http:
            form = await http.get("/backoffice/sign-in")
            assert "secure" in form.headers["set-cookie"].lower()
            answer = await http.post(
                "/backoffice/sign-in",
                data={
                    "csrf_token": csrf_of(form.text),
                    "email": owner.email,
                    "password": owner.password,
                },
            )
        assert answer.status_code == 303
        cookies = answer.headers.get_list("set-cookie")
        cookie = next(c for c in cookies if c.startswith("merchant_session="))
        flags = {part.strip().lower() for part in cookie.split(";")[1:]}
        assert {"httponly", "secure", "samesite=lax", "path=/"} <= flags
    finally:
        await ctx.db.dispose()
