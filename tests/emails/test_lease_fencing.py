"""A worker whose lease ran out while it talked to the SMTP server, and whose job another worker
then took over, finishes nothing: the row keeps what the new owner holds or recorded."""

from __future__ import annotations

from email.message import EmailMessage

from shopreviews.emails.handler import LEASE, ReviewRequestHandler
from shopreviews.kit.context import AppContext
from shopreviews.kit.mailer import Mailer, SendFailed
from shopreviews.orders.models import ReviewRequest
from tests.emails.helpers import (
    DAY,
    Clock,
    Customer,
    EmailShop,
    SmtpServer,
    address,
    fulfilled_order,
    requests,
)


async def _claim(handler: ReviewRequestHandler, ctx: AppContext, job_id: int, owner: str) -> None:
    async with ctx.db.session(write=True) as session:
        claimed = await handler.queue.claim(
            session,
            owner=owner,
            now=ctx.now_datetime(),
            limit=1,
            where=ReviewRequest.id == job_id,
        )
        assert [row.id for row in claimed] == [job_id]


class _TakenOverMidSend(Mailer):
    """While worker "old" talks to the server, its lease runs out and worker "new" claims the
    job (and, with `run_new`, runs it); then the server accepts, or refuses with `refusal`."""

    def __init__(
        self, ctx: AppContext, clock: Clock, *, run_new: bool, refusal: SendFailed | None = None
    ) -> None:
        super().__init__(ctx.settings)
        self.ctx, self.clock, self.run_new, self.refusal = ctx, clock, run_new, refusal
        self.handler: ReviewRequestHandler | None = None
        self.job_id = 0

    async def send(self, message: EmailMessage) -> None:
        assert self.handler is not None
        if self.refusal is None:
            await super().send(message)
        self.clock.advance(LEASE.total_seconds() + 1)
        await _claim(self.handler, self.ctx, self.job_id, "new")
        if self.run_new:
            await self.handler.run(self.job_id, "new")
        if self.refusal is not None:
            raise self.refusal


async def _due_request(shop: EmailShop, clock: Clock, ctx: AppContext) -> tuple[str, int]:
    answer = await fulfilled_order(
        shop, Customer(address()), created=clock.now - 8 * DAY, fulfilled=clock.now - 7 * DAY
    )
    order_id: str = answer["order_id"]
    return order_id, (await requests(ctx, shop.shop_id))[order_id].id


async def _run_old(ctx: AppContext, mailer: _TakenOverMidSend, job_id: int) -> None:
    handler = ReviewRequestHandler(ctx, mailer)
    mailer.handler, mailer.job_id = handler, job_id
    await _claim(handler, ctx, job_id, "old")
    await handler.run(job_id, "old")


async def test_a_send_accepted_after_a_lost_lease_keeps_the_new_owners_outcome(
    email_ctx: AppContext, shop: EmailShop, clock: Clock, smtp: SmtpServer
) -> None:
    order_id, job_id = await _due_request(shop, clock, email_ctx)
    await _run_old(email_ctx, _TakenOverMidSend(email_ctx, clock, run_new=True), job_id)

    row = (await requests(email_ctx, shop.shop_id))[order_id]
    # "new" found the send started and recorded it as sent once; "old" did not overwrite that.
    assert (row.status, row.lease_owner, row.attempts) == ("succeeded", None, 1)
    assert row.last_error == "interrupted while sending; recorded as sent, never sent twice"
    assert row.order_status == 3


async def test_a_refusal_after_a_lost_lease_leaves_the_new_owners_lease(
    email_ctx: AppContext, shop: EmailShop, clock: Clock
) -> None:
    order_id, job_id = await _due_request(shop, clock, email_ctx)
    before = (await requests(email_ctx, shop.shop_id))[order_id]
    refusal = SendFailed("451 try again later", permanent=False)
    await _run_old(
        email_ctx, _TakenOverMidSend(email_ctx, clock, run_new=False, refusal=refusal), job_id
    )

    row = (await requests(email_ctx, shop.shop_id))[order_id]
    # "old" neither released "new"'s lease nor rescheduled the job under it.
    assert (row.status, row.lease_owner, row.run_at) == ("pending", "new", before.run_at)
    assert row.last_error == "" and row.send_started_at is not None
