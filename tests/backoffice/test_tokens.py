"""The API tokens page in Chromium: the private token only after the owner's password (a
wrong one is counted like a failed sign-in), its reading audited, and a new token that ends the
old one at once, as signed API calls show."""

from __future__ import annotations

from dataclasses import replace

from playwright.async_api import Page, expect
from sqlalchemy import select

from shopreviews.kit.context import AppContext
from shopreviews.merchants.models import AuditEntry
from shopreviews.settings import Settings
from tests.backoffice.helpers import (
    Merchant,
    form_fields,
    require_browser,
    sign_in,
    sign_in_by_form,
)
from tests.support.api import ShopApi, ok
from tests.support.browser import LiveServer, axe_violations
from tests.support.limited_app import LimitedApp

require_browser()
TOKENS = "/backoffice/tokens"


async def _audit(ctx: AppContext, shop_id: str) -> list[str]:
    async with ctx.db.session(write=False) as session:
        rows = await session.scalars(
            select(AuditEntry.action).where(AuditEntry.shop_id == shop_id).order_by(AuditEntry.id)
        )
        return list(rows.all())


async def test_the_private_token_is_shown_after_the_password_and_the_reading_audited(
    page: Page, ctx: AppContext, live: LiveServer, store: ShopApi, owner: Merchant
) -> None:
    await sign_in(page, live.base_url, owner, TOKENS)
    await expect(page.locator("#public-token")).to_have_text(store.public_token)
    assert store.private_token not in await page.content()
    assert await axe_violations(page) == []

    reveal = page.locator("#private")
    await reveal.get_by_label("Your password").fill("not my password at all")
    async with page.expect_response(f"{live.base_url}{TOKENS}/reveal") as answered:
        await reveal.get_by_role("button", name="Show the private token").click()
    assert (await answered.value).status == 401
    await expect(page.locator("#reveal-password-error")).to_have_text(
        "That is not your password. Nothing was shown or changed."
    )
    await expect(page.locator("#reveal-password")).to_have_attribute(
        "aria-describedby", "reveal-password-error"
    )
    assert store.private_token not in await page.content()
    assert await axe_violations(page) == []  # with the message shown
    assert await _audit(ctx, store.shop_id) == []

    await page.locator("#reveal-password").fill(owner.password)
    await page.get_by_role("button", name="Show the private token").click()
    await expect(page.locator("#private-token")).to_have_text(store.private_token)
    assert await _audit(ctx, store.shop_id) == ["read_private_token"]
    assert await axe_violations(page) == []
    # Shown once: the page opened again shows it no more.
    await page.goto(f"{live.base_url}{TOKENS}")
    assert store.private_token not in await page.content()


async def test_a_new_private_token_ends_the_old_one_at_once(
    page: Page, ctx: AppContext, live: LiveServer, store: ShopApi, owner: Merchant
) -> None:
    assert ok(await store.get("get_reviews"))["list"] == []
    await sign_in(page, live.base_url, owner, TOKENS)
    rotate = page.locator("#rotate")
    await rotate.get_by_label("Your password").fill(owner.password)
    async with page.expect_response(f"{live.base_url}{TOKENS}/rotate") as unconfirmed:
        # The checkbox is required: without it the browser would not send the form.
        await page.evaluate("document.getElementById('confirm').required = false")
        await rotate.get_by_role("button", name="Issue a new private token").click()
    assert (await unconfirmed.value).status == 400
    await expect(page.locator("#confirm-error")).to_contain_text("Tick the box")
    assert ok(await store.get("get_reviews"))["list"] == []  # nothing changed yet

    await rotate.get_by_label("I understand that the current private token stops working").check()
    await rotate.get_by_label("Your password").fill(owner.password)
    await rotate.get_by_role("button", name="Issue a new private token").click()
    await expect(page.get_by_role("status")).to_contain_text("A new private token is issued")
    new_token = (await page.locator("#private-token").text_content() or "").strip()
    assert new_token and new_token != store.private_token
    assert await axe_violations(page) == []

    refused = (await store.get("get_reviews")).json()
    assert (refused["code"], refused["message"]) == (
        16,
        "unauthenticated: signature does not match",
    )
    renewed = replace(store, private_token=new_token)
    assert ok(await renewed.get("get_reviews"))["list"] == []
    assert await _audit(ctx, store.shop_id) == ["reset_private_token"]


async def test_wrong_passwords_meet_the_sign_in_limit(
    settings: Settings, ctx: AppContext, store: ShopApi, owner: Merchant
) -> None:
    """The shared test app has rate limits off: this runs on one with them on."""
    limited = LimitedApp(settings)
    try:
        http = limited.at("192.0.2.40")
        await sign_in_by_form(http, owner)
        page = await http.get(TOKENS)
        fields = form_fields(page.text, f"{TOKENS}/rotate")
        limit = limited.settings.signin_failures_per_15min
        statuses = []
        for _ in range(limit + 1):
            answer = await http.post(
                f"{TOKENS}/rotate", data={**fields, "confirm": "yes", "password": "wrong password"}
            )
            statuses.append(answer.status_code)
        assert statuses == [401] * limit + [429]
        assert "Too many wrong passwords. Try again in" in answer.text
        # Over the limit even the right password waits: the limit protects the password.
        right = await http.post(f"{TOKENS}/reveal", data={**fields, "password": owner.password})
        assert right.status_code == 429 and store.private_token not in right.text
        # Another address is not held up by this one's mistakes.
        other = limited.at("192.0.2.41")
        await sign_in_by_form(other, owner)
        theirs = form_fields((await other.get(TOKENS)).text, f"{TOKENS}/reveal")
        shown = await other.post(f"{TOKENS}/reveal", data={**theirs, "password": owner.password})
        assert shown.status_code == 200 and store.private_token in shown.text
    finally:
        await limited.close()
    assert ok(await store.get("get_reviews"))["list"] == []  # the token never changed
    assert await _audit(ctx, store.shop_id) == ["read_private_token"]
