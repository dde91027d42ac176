"""The email jobs, each sent at most once by emails/sender.py (`send_started_at` committed
before the SMTP conversation; a row found with it set and no result was interrupted mid-send
and is recorded as sent, never sent twice):

* the review request: the order re-checked when due, then the email;
* the web review confirmation: the shop, the review and the address re-checked, then the
  email with its "confirm" link.
"""

from __future__ import annotations

from datetime import datetime
from email.message import EmailMessage

from sqlalchemy.ext.asyncio import AsyncSession

from shopreviews.customers import service as customers
from shopreviews.emails import links, message
from shopreviews.emails import repository as email_repository
from shopreviews.emails.models import ReviewConfirmation
from shopreviews.emails.sender import LEASE as LEASE
from shopreviews.emails.sender import RETRY_AFTER as RETRY_AFTER
from shopreviews.emails.sender import EmailJob, SendOnce
from shopreviews.kit.context import AppContext
from shopreviews.kit.jobs import Cancelled, JobQueue
from shopreviews.kit.mailer import Mailer
from shopreviews.orders import service as order_service
from shopreviews.orders.service import Order, OrderStatus, ReviewRequest
from shopreviews.reviews import service as reviews
from shopreviews.shops import service as shops
from shopreviews.shops.service import Shop

Found = tuple[ReviewRequest, Order, Shop]


class ReviewRequestHandler(SendOnce[Found]):
    name = "review_requests"
    kind = "review request"

    def __init__(self, ctx: AppContext, mailer: Mailer) -> None:
        self.queue: JobQueue[ReviewRequest] = JobQueue(ReviewRequest, lease=LEASE)
        super().__init__(ctx, mailer, self.queue)

    async def load(self, session: AsyncSession, job_id: int) -> Found | None:
        found = await order_service.request_with_order(session, job_id, for_update=True)
        shop = None if found is None else await shops.find(session, found[0].shop_id)
        return None if found is None or shop is None else (found[0], found[1], shop)

    def job(self, found: Found) -> EmailJob:
        return found[0]

    async def compose(
        self, session: AsyncSession, found: Found, *, owner: str, now: datetime
    ) -> EmailMessage | None:
        request, order, shop = found
        reason = None if shop.is_active else "shop_disabled"
        if order.status != OrderStatus.SCHEDULED:
            reason = reason or f"order status {order.status}"
        reason = reason or await order_service.stop_reason(session, shop.shop_id, order)
        if reason is not None:
            await order_service.cancel_request(session, shop.shop_id, order, reason, now=now)
            await self.queue.finish(
                session, request.id, owner=owner, outcome=Cancelled(f"cancelled: {reason}")
            )
            return None
        return message.review_request(
            self.ctx.settings,
            shop,
            order,
            links.links(self.ctx, request.id),
            public_url=self.ctx.public_url,
            now=now,
        )

    def sent(self, found: Found, at: datetime) -> None:
        """The email went out: a Scheduled order becomes Sent, and every order keeps when."""
        order = found[1]
        if order.sent_at is None:
            order.sent_at = at
            order.updated_at = at
        if order.status == OrderStatus.SCHEDULED:
            order.status = OrderStatus.SENT

    def ended(self, found: Found, now: datetime) -> None:
        """Failed for good: an order still waiting for its email is Cancelled."""
        order = found[1]
        if order.status == OrderStatus.SCHEDULED:
            order.status = OrderStatus.CANCELLED
            order.cancel_reason = "send_failed"
            order.updated_at = now


Confirming = tuple[ReviewConfirmation, Shop]


class ReviewConfirmationHandler(SendOnce[Confirming]):
    name = "review_confirmations"
    kind = "review confirmation"

    def __init__(self, ctx: AppContext, mailer: Mailer) -> None:
        self.queue: JobQueue[ReviewConfirmation] = JobQueue(ReviewConfirmation, lease=LEASE)
        super().__init__(ctx, mailer, self.queue)

    async def load(self, session: AsyncSession, job_id: int) -> Confirming | None:
        row = await email_repository.confirmation(session, job_id, for_update=True)
        shop = None if row is None else await shops.find(session, row.shop_id)
        return None if row is None or shop is None else (row, shop)

    def job(self, found: Confirming) -> EmailJob:
        return found[0]

    async def compose(
        self, session: AsyncSession, found: Confirming, *, owner: str, now: datetime
    ) -> EmailMessage | None:
        row, shop = found
        review = await reviews.find(session, shop.shop_id, row.review_id)
        reason = None if shop.is_active else "shop_disabled"
        if review is None:
            reason = reason or "review_deleted"
        if await customers.is_unsubscribed(session, shop.shop_id, row.email, "all"):
            reason = reason or "unsubscribed"
        if reason is not None or review is None:
            await self.queue.finish(
                session, row.id, owner=owner, outcome=Cancelled(f"cancelled: {reason}")
            )
            return None
        return message.review_confirmation(
            self.ctx.settings,
            shop,
            review,
            row.email,
            links.confirm_link(self.ctx, row.id),
            public_url=self.ctx.public_url,
            now=now,
        )
