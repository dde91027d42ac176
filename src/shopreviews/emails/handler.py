"""The review-request job: re-check the order when due, then send the email at most once.

Before the SMTP conversation the handler commits `send_started_at`; after the server accepts
the message it commits the result. A request found with `send_started_at` set and no result
belongs to a worker that died mid-send: it is recorded as sent and never sent again, so a
crash or restart can lose at most that one email but never sends one twice.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage

from sqlalchemy.ext.asyncio import AsyncSession

from shopreviews.emails import links, message
from shopreviews.kit.context import AppContext
from shopreviews.kit.email_address import Unsendable
from shopreviews.kit.jobs import Cancelled, Dead, JobQueue, JobStatus, RetryAt, Succeeded
from shopreviews.kit.mailer import Mailer, SendFailed
from shopreviews.orders import service as order_service
from shopreviews.orders.service import Order, OrderStatus, ReviewRequest
from shopreviews.shops import service as shops
from shopreviews.shops.service import Shop

log = logging.getLogger("shopreviews.emails")
# Above the SMTP timeout, so a live worker never loses its lease mid-send.
LEASE = timedelta(minutes=5)
# Waits after the 1st..5th temporary failure; the 6th failure ends the request.
RETRY_AFTER = (
    timedelta(minutes=1),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=6),
)


@dataclass(frozen=True)
class Outgoing:
    request_id: int
    owner: str
    started_at: datetime
    email: EmailMessage


class ReviewRequestHandler:
    name = "review_requests"

    def __init__(self, ctx: AppContext, mailer: Mailer) -> None:
        self.ctx = ctx
        self.mailer = mailer
        self.queue: JobQueue[ReviewRequest] = JobQueue(ReviewRequest, lease=LEASE)

    async def run(self, job_id: int, owner: str) -> None:
        outgoing = await self._prepare(job_id, owner)
        if outgoing is None:
            return
        try:
            await self.mailer.send(outgoing.email)
        except SendFailed as exc:
            await self._failed(outgoing, exc)
        else:
            await self._sent(outgoing)

    async def _locked(
        self, session: AsyncSession, job_id: int
    ) -> tuple[ReviewRequest, Order, Shop] | None:
        found = await order_service.request_with_order(session, job_id, for_update=True)
        shop = None if found is None else await shops.find(session, found[0].shop_id)
        return None if found is None or shop is None else (found[0], found[1], shop)

    async def _prepare(self, job_id: int, owner: str) -> Outgoing | None:
        """Decide under the row lock; commit send_started_at before anything is sent."""
        now = self.ctx.now_datetime()
        async with self.ctx.db.session(write=True) as session:
            found = await self._locked(session, job_id)
            if found is None:
                return None
            request, order, shop = found
            if request.status != JobStatus.PENDING or request.lease_owner != owner:
                return None  # done or cancelled meanwhile, or taken over after a lost lease
            if request.send_started_at is not None:
                await self._interrupted(session, request, order, owner)
                return None
            reason = None if shop.is_active else "shop_disabled"
            if order.status != OrderStatus.SCHEDULED:
                reason = reason or f"order status {order.status}"
            reason = reason or await order_service.stop_reason(session, shop.shop_id, order)
            if reason is not None:
                await order_service.cancel_request(session, shop.shop_id, order, reason, now=now)
                await self.queue.finish(
                    session, job_id, owner=owner, outcome=Cancelled(f"cancelled: {reason}")
                )
                return None
            try:
                email = message.review_request(
                    self.ctx.settings,
                    shop,
                    order,
                    links.links(self.ctx, request.id),
                    public_url=self.ctx.public_url,
                    now=now,
                )
            except Unsendable as exc:
                # Refused for good before any SMTP server saw it (as a 5xx would be); raising
                # instead would leave the job to come back every lease, forever.
                await self._end(session, request, order, owner, f"unsendable: {exc}", now=now)
                log.warning("review request %s cannot be sent: %s", request.id, exc)
                return None
            request.send_started_at = now
            request.message_id = str(email["Message-ID"])
            request.attempts += 1
        return Outgoing(request_id=job_id, owner=owner, started_at=now, email=email)

    async def _interrupted(
        self, session: AsyncSession, request: ReviewRequest, order: Order, owner: str
    ) -> None:
        """A previous attempt died between starting to send and recording the result."""
        started = request.send_started_at
        log.warning(
            "review request %s was interrupted while sending at %s; not sending it again",
            request.id,
            started,
        )
        note = "interrupted while sending; recorded as sent, never sent twice"
        if await self.queue.finish(session, request.id, owner=owner, outcome=Succeeded(note)):
            _record_sent(order, started or order.updated_at)

    async def _end(
        self,
        session: AsyncSession,
        request: ReviewRequest,
        order: Order,
        owner: str,
        error: str,
        *,
        now: datetime,
        also: Mapping[str, object] | None = None,
    ) -> bool:
        """The request failed for good: dead, and the order Cancelled if it was waiting."""
        ended = await self.queue.finish(
            session, request.id, owner=owner, outcome=Dead(error[:2000]), also=also
        )
        if ended and order.status == OrderStatus.SCHEDULED:
            order.status = OrderStatus.CANCELLED
            order.cancel_reason = "send_failed"
            order.updated_at = now
        return ended

    async def _sent(self, outgoing: Outgoing) -> None:
        now = self.ctx.now_datetime()
        async with self.ctx.db.session(write=True) as session:
            found = await self._locked(session, outgoing.request_id)
            if found is None:
                return
            _, order, _ = found
            # Sent, even if an orders/cancelled webhook during the SMTP conversation cancelled
            # the request that was already on its way; not if another worker took the job over
            # after this one's lease ran out (that worker records the outcome).
            sent = await self.queue.finish(
                session,
                outgoing.request_id,
                owner=outgoing.owner,
                outcome=Succeeded(),
                over_cancelled=True,
            )
            if not sent:
                return
            _record_sent(order, now)
        log.info("review request %s sent", outgoing.request_id)

    async def _failed(self, outgoing: Outgoing, exc: SendFailed) -> None:
        now = self.ctx.now_datetime()
        async with self.ctx.db.session(write=True) as session:
            found = await self._locked(session, outgoing.request_id)
            if found is None:
                return
            request, order, _ = found
            # The server refused it: nothing was sent.
            unsent = {"send_started_at": None}
            if exc.permanent or request.attempts > len(RETRY_AFTER):
                if await self._end(
                    session, request, order, outgoing.owner, str(exc), now=now, also=unsent
                ):
                    log.warning("review request %s failed for good: %s", request.id, exc)
                    return
            else:
                at = now + RETRY_AFTER[request.attempts - 1]
                outcome = RetryAt(at, str(exc)[:2000])
                if await self.queue.finish(
                    session, request.id, owner=outgoing.owner, outcome=outcome, also=unsent
                ):
                    log.info("review request %s will be retried at %s: %s", request.id, at, exc)
                    return
            # Not finished: cancelled meanwhile (the order was cancelled), and that outcome
            # stands; or taken over by a worker after this one's lease ran out, which records
            # the outcome itself.
            if request.status == JobStatus.CANCELLED:
                request.send_started_at = None


def _record_sent(order: Order, at: datetime) -> None:
    """The email went out: a Scheduled order becomes Sent, and every order keeps when."""
    if order.sent_at is None:
        order.sent_at = at
        order.updated_at = at
    if order.status == OrderStatus.SCHEDULED:
        order.status = OrderStatus.SENT
