"""What the back-office tests share: Chromium or a skip, merchant users of a shop, signing in
through the page, and reading the pages the way a browser gets them."""

from __future__ import annotations

import os
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import httpx
import pytest
from playwright.async_api import Page, expect

from shopreviews.kit.context import AppContext
from shopreviews.merchants import service as merchant_service
from tests.support.browser import chromium_path
from tests.support.merchants import PASSWORD, new_email


def require_browser() -> None:
    """Skip the module without Chromium; under CI (which installs it) fail instead."""
    if chromium_path() is None:
        reason = (
            "no chromium executable: install Debian's chromium package (apt-get install chromium)"
        )
        if os.environ.get("SHOPREVIEWS_TEST_REQUIRE_BROWSER") == "true":
            pytest.fail(reason, pytrace=False)
        pytest.skip(reason, allow_module_level=True)


@dataclass(frozen=True)
class Merchant:
    shop_id: str
    email: str
    role: str
    password: str = PASSWORD


async def add_merchant(ctx: AppContext, shop_id: str, role: str = "owner") -> Merchant:
    email = new_email()
    async with ctx.db.session(write=True) as session:
        await merchant_service.create_user(
            session, shop_id=shop_id, email=email, password=PASSWORD, role=role
        )
    return Merchant(shop_id, email, role)


async def sign_in(page: Page, base_url: str, merchant: Merchant, next_path: str = "") -> None:
    """Sign in through the sign-in page as a person would, by keyboard, and wait to land."""
    query = f"?next={next_path}" if next_path else ""
    await page.goto(f"{base_url}/backoffice/sign-in{query}")
    await page.get_by_label("Email", exact=True).fill(merchant.email)
    await page.get_by_label("Password", exact=True).fill(merchant.password)
    await page.get_by_label("Password", exact=True).press("Enter")
    await expect(page.locator("#sign-out")).to_be_visible()


CSRF_FIELD = re.compile(r'name="csrf_token" value="([0-9a-f]+)"')


@asynccontextmanager
async def signed_in_client(base_url: str, merchant: Merchant) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client holding the merchant's session cookie, signed in through the form (its
    CSRF cookie and token included), for checks a browser cannot make (forged posts)."""
    async with httpx.AsyncClient(base_url=base_url) as client:
        await _sign_in_form(client, merchant)
        yield client


async def _sign_in_form(client: httpx.AsyncClient, merchant: Merchant) -> None:
    page = await client.get("/backoffice/sign-in")
    token = CSRF_FIELD.search(page.text)
    assert token is not None, page.text
    answer = await client.post(
        "/backoffice/sign-in",
        data={"csrf_token": token.group(1), "email": merchant.email, "password": merchant.password},
    )
    assert answer.status_code == 303, answer.text
    assert "merchant_session" in client.cookies


def csrf_of(html: str) -> str:
    """The CSRF token of the first form of a page."""
    found = CSRF_FIELD.search(html)
    assert found is not None, "the page has no form with a CSRF token"
    return found.group(1)
