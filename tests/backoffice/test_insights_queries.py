"""The insights page's numbers, from known rows: each aggregate query of reviews, orders,
customers and customer_events, their period edges (both days included, UTC), the buckets by
day, week and month, and another shop's rows never counted."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import text

from shopreviews.backoffice.insights import service as insights_service
from shopreviews.backoffice.insights.period import Period, parse_period
from shopreviews.backoffice.insights.service import Insights
from shopreviews.kit.context import AppContext
from shopreviews.kit.time_buckets import Granularity
from tests.backoffice.helpers import (
    INSIGHTS_FROM,
    INSIGHTS_TO,
    add_rows,
    review_row,
    seed_insights,
)
from tests.support.api import ShopApi

TODAY = date(2026, 3, 20)


async def _insights(ctx: AppContext, shop_id: str, period: Period) -> Insights:
    async with ctx.db.session(write=False) as session:
        return await insights_service.insights(session, shop_id, period)


def _custom(first: str, last: str) -> Period:
    return parse_period("custom", first, last, TODAY)


@pytest.fixture
async def seeded(ctx: AppContext, shop: ShopApi, other_shop: ShopApi) -> Insights:
    await seed_insights(ctx, shop.shop_id, other_shop.shop_id)
    return await _insights(ctx, shop.shop_id, _custom(INSIGHTS_FROM, INSIGHTS_TO))


async def test_reviews_per_day_count_the_published_ones_of_the_period_edges_included(
    seeded: Insights,
) -> None:
    assert seeded.period.granularity is Granularity.DAY
    by_day = {b.first_day.isoformat(): (b.rating.count, b.rating.average) for b in seeded.buckets}
    assert list(by_day) == [f"2026-03-{d:02}" for d in range(1, 11)]  # every day, empty too
    assert by_day["2026-03-01"] == (2, "4.5")  # the first instant of the period counts
    assert by_day["2026-03-03"] == (1, "3.0")  # not the hidden one, nor the deleted one
    assert by_day["2026-03-10"] == (1, "5.0")  # nor does the last second get lost
    assert by_day["2026-03-02"] == (0, "")
    assert sum(count for count, _ in by_day.values()) == 4


async def test_the_period_histogram_and_the_current_one_from_the_aggregates(
    seeded: Insights,
) -> None:
    assert seeded.in_period.stars == (0, 0, 1, 1, 2)
    assert seeded.in_period.average == "4.3"  # 17 / 4 = 4.25, rounded half up as the API does
    assert seeded.current.stars == (1, 0, 2, 3, 4)  # the shop's aggregate row, not the other's
    assert (seeded.current.count, seeded.current.average) == (10, "3.9")


async def test_the_request_funnel_follows_the_requests_sent_in_the_period(
    seeded: Insights,
) -> None:
    funnel = seeded.funnel
    # Sent on March 1 00:00, 5, 6 and 10 23:59:59; not Feb 28, never, or March 11.
    assert funnel.sent == 4
    assert funnel.opened == 3  # the pixel twice, and a click without the pixel
    assert funnel.clicked == 2
    assert funnel.reviewed == 2  # one review came after the period: it still counts
    assert funnel.unsubscribed == 2  # the customers' own, first and last instant
    assert funnel.email_reviews == 2  # a hidden one was still written


async def test_storefront_events_by_type_leave_out_email_events_and_other_shops(
    seeded: Insights,
) -> None:
    assert seeded.events == [("CLICK_MEDIA", 3), ("<script>alert(1)</script>", 1)]


async def test_another_shop_sees_only_its_own_rows(
    ctx: AppContext, seeded: Insights, other_shop: ShopApi
) -> None:
    other = await _insights(ctx, other_shop.shop_id, _custom(INSIGHTS_FROM, INSIGHTS_TO))
    assert other.in_period.stars == (1, 0, 0, 0, 0)
    assert other.current.stars == (9, 0, 0, 0, 0)
    assert (other.funnel.sent, other.funnel.opened, other.funnel.unsubscribed) == (1, 1, 1)
    assert other.funnel.email_reviews == 1
    assert other.events == [("CLICK_MEDIA", 1)]


async def test_a_shop_without_data_has_empty_buckets_and_zeros(
    ctx: AppContext, shop: ShopApi
) -> None:
    found = await _insights(ctx, shop.shop_id, parse_period("7", None, None, TODAY))
    assert found.buckets[0].first_day == date(2026, 3, 14)
    assert len(found.buckets) == 7 and all(b.rating.count == 0 for b in found.buckets)
    assert found.in_period.average == "" and found.current.count == 0
    assert (found.funnel.sent, found.funnel.unsubscribed, found.events) == (0, 0, [])


async def test_weeks_start_on_monday_in_utc(ctx: AppContext, shop: ShopApi) -> None:
    s = shop.shop_id
    await add_rows(
        ctx,
        [
            review_row(s, "2026-01-01 10:00:00", 5),  # a Thursday: the week of Dec 29
            review_row(s, "2026-01-04 23:59:59", 3),  # the Sunday after: the same week
            review_row(s, "2026-01-05 00:00:00", 4),  # Monday: a new week
        ],
    )
    found = await _insights(ctx, s, _custom("2026-01-01", "2026-06-30"))
    assert found.period.granularity is Granularity.WEEK
    weeks = {b.first_day: b.rating for b in found.buckets}
    assert min(weeks) == date(2025, 12, 29)
    assert weeks[date(2025, 12, 29)].stars == (0, 0, 1, 0, 1)
    assert weeks[date(2026, 1, 5)].stars == (0, 0, 0, 1, 0)
    assert all(day.weekday() == 0 for day in weeks)


async def test_months_beyond_a_year(ctx: AppContext, shop: ShopApi) -> None:
    s = shop.shop_id
    await add_rows(
        ctx,
        [
            review_row(s, "2025-01-31 23:59:59", 2),
            review_row(s, "2025-02-01 00:00:00", 4),
            review_row(s, "2026-06-30 12:00:00", 5),
        ],
    )
    found = await _insights(ctx, s, _custom("2025-01-01", "2026-06-30"))
    assert found.period.granularity is Granularity.MONTH
    months = {b.first_day: b.rating.count for b in found.buckets}
    assert len(months) == 18
    assert months[date(2025, 1, 1)] == 1
    assert months[date(2025, 2, 1)] == 1
    assert months[date(2026, 6, 1)] == 1


async def test_days_are_utc_whatever_the_database_session_time_zone(
    ctx: AppContext, shop: ShopApi
) -> None:
    s = shop.shop_id
    await add_rows(ctx, [review_row(s, "2026-03-01 23:30:00", 5)])
    async with ctx.db.session(write=True) as session:
        if session.get_bind().dialect.name == "postgresql":
            # Auckland is ahead of UTC: read in local time, this review would be on March 2.
            await session.execute(text("SET LOCAL TIME ZONE 'Pacific/Auckland'"))
        found = await insights_service.insights(session, s, _custom("2026-03-01", "2026-03-02"))
    assert [(b.first_day.day, b.rating.count) for b in found.buckets] == [(1, 1), (2, 0)]
