"""The numbers of the insights page, each asked of the domain that owns them (reviews, orders,
customers, customer_events), which counts them in SQL for the shop and period alone."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from shopreviews.backoffice.insights.period import Period
from shopreviews.customer_events import service as event_service
from shopreviews.customers import service as customer_service
from shopreviews.orders import service as order_service
from shopreviews.reviews import service as review_service

EMAIL_REQUEST = "email_request"
NO_STARS = (0, 0, 0, 0, 0)


@dataclass(frozen=True)
class Rating:
    """Star counts [1..5] and what they add up to; the average rounded as the API rounds it."""

    stars: tuple[int, int, int, int, int]

    @property
    def count(self) -> int:
        return sum(self.stars)

    @property
    def average(self) -> str:
        """One decimal ("4.3"), or "" without a review (no average to speak of)."""
        return review_service.rating_value(list(self.stars)).rating_value if self.count else ""


@dataclass(frozen=True)
class Bucket:
    first_day: date
    rating: Rating


@dataclass(frozen=True)
class Funnel:
    sent: int
    opened: int
    clicked: int
    reviewed: int  # orders of the sent requests with a review
    unsubscribed: int
    email_reviews: int  # reviews written from request emails in the period


@dataclass(frozen=True)
class Insights:
    period: Period
    buckets: list[Bucket]
    in_period: Rating
    current: Rating
    funnel: Funnel
    events: list[tuple[str, int]]  # (event type, count), most frequent first


def _stars(values: list[int]) -> tuple[int, int, int, int, int]:
    one, two, three, four, five = values
    return one, two, three, four, five


async def insights(session: AsyncSession, shop_id: str, period: Period) -> Insights:
    start, end = period.start, period.end
    found = await review_service.stars_by_bucket(session, shop_id, start, end, period.granularity)
    buckets = [
        Bucket(day, Rating(_stars(found[day]) if day in found else NO_STARS))
        for day in period.buckets()
    ]
    totals = [sum(b.rating.stars[i] for b in buckets) for i in range(5)]
    current = await review_service.shop_rating(session, shop_id)
    sent = await order_service.request_funnel(session, shop_id, start, end)
    funnel = Funnel(
        sent=sent.sent,
        opened=sent.opened,
        clicked=sent.clicked,
        reviewed=sent.reviewed,
        unsubscribed=await customer_service.customer_unsubscribes_between(
            session, shop_id, start, end
        ),
        email_reviews=await review_service.collected_between(
            session, shop_id, EMAIL_REQUEST, start, end
        ),
    )
    counts = await event_service.storefront_counts(session, shop_id, start, end)
    return Insights(
        period=period,
        buckets=buckets,
        in_period=Rating(_stars(totals)),
        current=Rating(
            (
                current.star1_count,
                current.star2_count,
                current.star3_count,
                current.star4_count,
                current.star5_count,
            )
        ),
        funnel=funnel,
        events=sorted(counts.items(), key=lambda item: (-item[1], item[0])),
    )
