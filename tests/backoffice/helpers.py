"""What the back-office tests share: Chromium or a skip, merchant users of a shop, signing in
through the page, and reading the pages the way a browser gets them."""

from __future__ import annotations

import html
import os
import re
import uuid
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from playwright.async_api import Page, expect
from sqlalchemy import select, update

from shopreviews.customer_events.models import CustomerEvent
from shopreviews.customers.models import EmailUnsubscribe
from shopreviews.kit.context import AppContext
from shopreviews.kit.jobs import JobStatus
from shopreviews.kit.models import Base
from shopreviews.kit.outbox import DomainEvent
from shopreviews.merchants import service as merchant_service
from shopreviews.orders.models import Order, OrderStatus, ReviewRequest
from shopreviews.reviews.models import RatingAggregate, Review
from shopreviews.shops import service as shop_service
from shopreviews.shops.models import Shop
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


# --- insights: rows with known timestamps, written straight into the tables -----------------


def utc(text: str) -> datetime:
    """'2026-03-01 12:00:00' as an aware UTC datetime."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def review_row(
    shop_id: str,
    when: str,
    rating: int,
    *,
    published: bool = True,
    deleted: bool = False,
    via: str = "api",
) -> Review:
    return Review(
        shop_id=shop_id,
        product_id="p1",
        rating=rating,
        author="Ann",
        commented_at=utc(when),
        is_published=published,
        deleted_at=utc(when) if deleted else None,
        collected_via=via,
    )


def event_row(
    shop_id: str, when: str, event_type: str, source: str = "STOREFRONT"
) -> CustomerEvent:
    return CustomerEvent(
        shop_id=shop_id,
        event_type=event_type,
        event_source=source,
        os_type="PC",
        created_at=utc(when),
    )


def unsubscribe_row(shop_id: str, when: str, origin: str = "customer") -> EmailUnsubscribe:
    return EmailUnsubscribe(
        shop_id=shop_id,
        email=f"{uuid.uuid4().hex[:8]}@example.com",
        email_type="review_request",
        origin=origin,
        created_at=utc(when),
    )


@dataclass(frozen=True)
class SentRequest:
    """An order whose review request went out at `sent` (None: never sent) and what followed."""

    sent: str | None
    opened: str | None = None
    clicked: str | None = None
    evaluated: str | None = None


async def add_rows(
    ctx: AppContext, rows: list[Base], requests: Sequence[tuple[str, SentRequest]] = ()
) -> None:
    """Write the rows, then each (shop_id, request) as an order with its review request."""
    async with ctx.db.session(write=True) as session:
        session.add_all(rows)
        for shop_id, request in requests:
            order = Order(
                shop_id=shop_id,
                order_id=uuid.uuid4().hex[:12],
                status=OrderStatus.EVALUATED if request.evaluated else OrderStatus.SENT,
                created_at=utc("2026-01-01 00:00:00"),
                sent_at=utc(request.sent) if request.sent else None,
                evaluated_at=utc(request.evaluated) if request.evaluated else None,
            )
            session.add(order)
            await session.flush()
            session.add(
                ReviewRequest(
                    shop_id=shop_id,
                    order_pk=order.id,
                    status=JobStatus.SUCCEEDED,
                    run_at=order.created_at,
                    opened_at=utc(request.opened) if request.opened else None,
                    clicked_at=utc(request.clicked) if request.clicked else None,
                )
            )


async def set_shop_stars(ctx: AppContext, shop_id: str, stars: list[int]) -> None:
    """The shop's 'all' rating aggregate, as review writes keep it."""
    async with ctx.db.session(write=True) as session:
        session.add(
            RatingAggregate(
                shop_id=shop_id,
                scope="all",
                product_id="",
                **{f"star{i + 1}_count": n for i, n in enumerate(stars)},
            )
        )


# The period of the insights tests and what happens around it: March 1 to 10, 2026 (UTC).
INSIGHTS_FROM, INSIGHTS_TO = "2026-03-01", "2026-03-10"


async def seed_insights(ctx: AppContext, shop_id: str, other_shop_id: str) -> None:
    """The known data of the insights tests (tests/backoffice/test_insights_queries.py says
    what each row is for); the other shop's rows fall in the period and must never count."""
    s, o = shop_id, other_shop_id
    rows: list[Base] = [
        review_row(s, "2026-02-28 23:59:59", 1),  # a second before the period
        review_row(s, "2026-03-01 00:00:00", 5),  # its first instant
        review_row(s, "2026-03-01 12:00:00", 4),
        review_row(s, "2026-03-03 09:00:00", 3),
        review_row(s, "2026-03-03 10:00:00", 1, published=False),
        review_row(s, "2026-03-03 11:00:00", 2, deleted=True),
        review_row(s, "2026-03-05 08:00:00", 1, published=False, via="email_request"),
        review_row(s, "2026-03-10 23:59:59", 5, via="email_request"),  # its last second
        review_row(s, "2026-03-11 00:00:00", 2),  # the first instant after it
        review_row(o, "2026-03-02 10:00:00", 1, via="email_request"),
        unsubscribe_row(s, "2026-03-01 00:00:00"),
        unsubscribe_row(s, "2026-03-10 23:59:59"),
        unsubscribe_row(s, "2026-03-05 00:00:00", origin="merchant"),
        unsubscribe_row(s, "2026-03-11 00:00:00"),
        unsubscribe_row(o, "2026-03-05 00:00:00"),
        event_row(s, "2026-03-01 00:00:00", "CLICK_MEDIA"),
        event_row(s, "2026-03-04 10:00:00", "CLICK_MEDIA"),
        event_row(s, "2026-03-09 10:00:00", "CLICK_MEDIA"),
        event_row(s, "2026-03-10 23:59:59", "<script>alert(1)</script>"),
        event_row(s, "2026-03-11 00:00:00", "CLICK_MEDIA"),
        event_row(s, "2026-03-04 10:00:00", "OPEN_EMAIL", source="EMAIL"),
        event_row(o, "2026-03-04 10:00:00", "CLICK_MEDIA"),
    ]
    requests = [
        (
            s,
            SentRequest(
                "2026-03-01 00:00:00",
                "2026-03-01 08:00:00",
                "2026-03-01 08:01:00",
                "2026-03-02 09:00:00",
            ),
        ),
        (s, SentRequest("2026-03-05 09:00:00", opened="2026-03-05 10:00:00")),
        (s, SentRequest("2026-03-06 09:00:00", clicked="2026-03-07 10:00:00")),
        (s, SentRequest("2026-03-10 23:59:59", evaluated="2026-03-15 09:00:00")),
        (s, SentRequest("2026-02-28 23:59:59", opened="2026-03-02 10:00:00")),
        (s, SentRequest(None)),
        (s, SentRequest("2026-03-11 00:00:00", opened="2026-03-11 01:00:00")),
        (o, SentRequest("2026-03-05 09:00:00", opened="2026-03-05 10:00:00")),
    ]
    await add_rows(ctx, rows, requests)
    await set_shop_stars(ctx, s, [1, 0, 2, 3, 4])
    await set_shop_stars(ctx, o, [9, 0, 0, 0, 0])


# --- the reviews pages -----------------------------------------------------------------------


async def set_shop_columns(ctx: AppContext, shop_id: str, **values: object) -> None:
    """Change a shop's columns directly (auto_publish_min_rating, say)."""
    async with ctx.db.session(write=True) as session:
        await session.execute(update(Shop).where(Shop.shop_id == shop_id).values(**values))


async def recorded_events(ctx: AppContext, shop_id: str) -> list[tuple[str, dict[str, object]]]:
    """(topic, delivery body) of every event recorded for the shop, oldest first."""
    async with ctx.db.session(write=False) as session:
        rows = await session.execute(
            select(DomainEvent).where(DomainEvent.shop_id == shop_id).order_by(DomainEvent.id)
        )
        return [(event.topic, event.payload) for event in rows.scalars()]


async def review_columns(ctx: AppContext, shop_id: str, review_id: str) -> dict[str, object]:
    """The stored row of a review (moderated_at, has_media, media...), read directly."""
    async with ctx.db.session(write=False) as session:
        row = await session.execute(
            select(Review).where(Review.shop_id == shop_id, Review.id == int(review_id))
        )
        review = row.scalar_one()
        return {c.name: getattr(review, c.name) for c in Review.__table__.columns}


async def shop_settings(ctx: AppContext, shop_id: str) -> dict[str, Any]:
    """The shop's settings as GET /api/v1/merchant/settings answers them (read by the service)."""
    async with ctx.db.session(write=False) as session:
        found = await shop_service.get_intake_settings(session, shop_id)
    return found.model_dump()


def form_fields(page_html: str, action: str) -> dict[str, str]:
    """The hidden fields (the CSRF token among them) of the page's form posting to `action`."""
    start = page_html.index(f'action="{action}"')
    form = page_html[start : page_html.index("</form>", start)]
    found = re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', form)
    return {name: html.unescape(value) for name, value in found}


async def sign_in_by_form(client: httpx.AsyncClient, merchant: Merchant) -> None:
    """Sign `client` (of any transport, e.g. an app with rate limits on) in through the form."""
    await _sign_in_form(client, merchant)
