"""The web review confirmation email (docs/storefront.md "Web reviews"): a web review whose
address has an order of the shop with the product gets one email through the real SMTP server;
its link marks the review verified (read back through get_review) and a review/updated webhook
reaches a real receiver. No email without a matching order or for the honeypot; never two on a
crash between the start of the send and its result; a link of one shop verifies nothing of
another."""

from __future__ import annotations

from email.headerregistry import Address
from email.message import EmailMessage
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from shopreviews.emails.handler import LEASE, ReviewConfirmationHandler
from shopreviews.emails.models import ReviewConfirmation
from shopreviews.kit.context import AppContext
from shopreviews.kit.mailer import Mailer
from tests.emails.helpers import (
    DAY,
    SHOP_NAME,
    Clock,
    Customer,
    EmailShop,
    SmtpServer,
    address,
    assert_page_headers,
    confirm_link_of,
    confirmations,
    disable_shop,
    fulfilled_order,
    message_id,
    new_shop,
    path_of,
    run_worker,
    web_review,
)
from tests.support.api import ok
from tests.support.webhooks import Receiver, subscribe

PRODUCT_ID = "9200305176832"
DEAD_LINK = "This link is not valid. Use the link in your most recent email."


async def _buyer(shop: EmailShop, clock: Clock, **order: Any) -> Customer:
    """A customer with a fulfilled order of PRODUCT_ID (its review request is not due yet)."""
    customer = Customer(address())
    answer = await fulfilled_order(
        shop, customer, created=clock.now - 2 * DAY, fulfilled=clock.now - 3600, **order
    )
    assert answer["status"] == 2
    return customer


async def _review(shop: EmailShop, review_id: str) -> dict[str, Any]:
    data: dict[str, Any] = ok(await shop.get("get_review", {"id": review_id}))
    return data


async def test_a_buyers_web_review_gets_one_email_whose_link_verifies_it(
    email_ctx: AppContext,
    email_client: httpx.AsyncClient,
    shop: EmailShop,
    clock: Clock,
    smtp: SmtpServer,
    receiver: Receiver,
) -> None:
    hook = await subscribe(shop, receiver, "review/updated")
    customer = await _buyer(shop, clock)
    answer = await web_review(email_client, shop, customer.email)
    assert answer == {"id": answer["id"], "status": "published", "confirmation_sent": True}
    review_id = answer["id"]
    assert (await _review(shop, review_id))["is_verified"] == 0

    # Queued with the review; the worker sends it once (a second pass sends nothing more).
    [row] = (await confirmations(email_ctx, shop.shop_id)).values()
    assert (row.review_id, row.email, row.status) == (int(review_id), customer.email, "pending")
    await run_worker(email_ctx)
    await run_worker(email_ctx)
    [message] = smtp.messages(customer.email)
    [row] = (await confirmations(email_ctx, shop.shop_id)).values()
    assert (row.status, row.attempts, row.last_error, row.confirmed_at) == (
        "succeeded",
        1,
        "",
        None,
    )
    assert message_id(message) == row.message_id

    # In the shop's name, to the author, text and HTML, one "confirm" link in both.
    [sender] = message["From"].addresses
    assert sender == Address(SHOP_NAME, addr_spec="reviews@shopreviews.test")
    [to] = message["To"].addresses
    assert (to.addr_spec, to.display_name) == (customer.email, "Jane Doe")
    assert message["Subject"] == f"Confirm your review for {SHOP_NAME}"
    assert message["List-Unsubscribe"] is None  # one email answering the author's own post
    assert [p.get_content_type() for p in message.iter_parts()] == ["text/plain", "text/html"]
    link = confirm_link_of(message)
    assert link.startswith("http://testserver/email/confirm/")
    text = _text(message)
    assert f'on {SHOP_NAME}: "Great shirt" (5 out of 5 stars)' in text

    # Following the link: the page, the review verified, one review/updated webhook.
    page = await email_client.get(path_of(link))
    assert page.status_code == 200, page.text
    assert_page_headers(page)
    assert "Thank you, your review is confirmed" in page.text
    assert SHOP_NAME.replace("&", "&amp;") in page.text
    verified = await _review(shop, review_id)
    assert verified["is_verified"] == 1
    assert (await confirmations(email_ctx, shop.shop_id))[int(review_id)].confirmed_at is not None
    await run_worker(email_ctx)
    [delivery] = await receiver.log(hook["path"])
    assert delivery.payload["topic"] == "review/updated"
    [item] = delivery.payload["list"]
    assert (item["id"], item["is_verified"], item["author_email"]) == (
        review_id,
        1,
        customer.email,
    )

    # A second visit shows the same page and changes nothing: no event, no new updated_at.
    clock.advance(60)
    again = await email_client.get(path_of(link))
    assert again.status_code == 200 and "your review is confirmed" in again.text
    assert await _review(shop, review_id) == verified
    await run_worker(email_ctx)
    assert len(await receiver.log(hook["path"])) == 1
    assert len(smtp.messages(customer.email)) == 1


def _text(message: EmailMessage) -> str:
    part = message.get_body(("plain",))
    assert isinstance(part, EmailMessage)
    return str(part.get_content())


async def test_no_email_without_a_matching_order_or_for_the_honeypot(
    email_ctx: AppContext,
    email_client: httpx.AsyncClient,
    shop: EmailShop,
    clock: Clock,
    smtp: SmtpServer,
) -> None:
    stranger = address("stranger")
    other_product = await _buyer(shop, clock, products=[(1111, "Wool hat")])
    robot = await _buyer(shop, clock)

    answers = [
        await web_review(email_client, shop, stranger),
        await web_review(email_client, shop, other_product.email),
        await web_review(email_client, shop, robot.email, website="https://spam.example"),
    ]
    assert [a["confirmation_sent"] for a in answers] == [False, False, False]
    assert [a["status"] for a in answers] == ["published"] * 3
    assert await confirmations(email_ctx, shop.shop_id) == {}
    await run_worker(email_ctx)
    assert smtp.messages([stranger, other_product.email, robot.email]) == []
    # The two people's reviews are stored, not verified; the robot's is not stored at all.
    reviews = ok(await shop.get("get_reviews", {"is_published": "all", "page_size": 10}))["list"]
    assert sorted((r["author_email"], r["is_verified"]) for r in reviews) == sorted(
        [(stranger, 0), (other_product.email, 0)]
    )


class _CrashAfterSending(Mailer):
    """Hands the message to the SMTP server, then the worker dies before recording it (or,
    with `before`, dies before the server got it)."""

    def __init__(self, ctx: AppContext, *, before: bool = False) -> None:
        super().__init__(ctx.settings)
        self.before = before

    async def send(self, message: EmailMessage) -> None:
        if not self.before:
            await super().send(message)
        raise _Crash("the worker died mid-send")


class _Crash(Exception):
    pass


async def test_a_crash_between_the_start_of_the_send_and_its_result_never_sends_twice(
    email_ctx: AppContext,
    email_client: httpx.AsyncClient,
    shop: EmailShop,
    clock: Clock,
    smtp: SmtpServer,
) -> None:
    delivered, lost = await _buyer(shop, clock), await _buyer(shop, clock)
    for customer in (delivered, lost):
        assert (await web_review(email_client, shop, customer.email))["confirmation_sent"]
    rows = await confirmations(email_ctx, shop.shop_id)
    by_email = {row.email: row.review_id for row in rows.values()}

    # One worker pass per customer: the first dies after the server took the message, the
    # second before. Both rows keep send_started_at and the dead worker's lease.
    for customer, before in ((delivered, False), (lost, True)):
        handler = ReviewConfirmationHandler(email_ctx, _CrashAfterSending(email_ctx, before=before))
        only = ReviewConfirmation.review_id == by_email[customer.email]
        async with email_ctx.db.session(write=True) as session:
            [claimed] = await handler.queue.claim(
                session, owner="doomed", now=email_ctx.now_datetime(), limit=1, where=only
            )
        with pytest.raises(_Crash):  # the process would be gone here
            await handler.run(claimed.id, "doomed")
    at_crash = await confirmations(email_ctx, shop.shop_id)
    for row in at_crash.values():
        assert (row.status, row.attempts, row.lease_owner) == ("pending", 1, "doomed")
        assert row.send_started_at is not None
    assert len(smtp.messages(delivered.email)) == 1 and smtp.messages(lost.email) == []

    # A fresh worker once the lease ran out: recorded as sent, neither sent again.
    clock.advance(LEASE.total_seconds() + 1)
    await run_worker(email_ctx)
    clock.advance(DAY)
    assert await run_worker(email_ctx) == 0
    after = await confirmations(email_ctx, shop.shop_id)
    for review_id, row in after.items():
        assert (row.status, row.attempts, row.lease_owner) == ("succeeded", 1, None)
        assert row.last_error == "interrupted while sending; recorded as sent, never sent twice"
        assert row.send_started_at == at_crash[review_id].send_started_at
    [message] = smtp.messages(delivered.email)
    assert message_id(message) == after[by_email[delivered.email]].message_id
    assert smtp.messages(lost.email) == []  # at most once: this one is lost, never doubled


async def test_a_link_of_one_shop_verifies_nothing_of_another(
    email_ctx: AppContext,
    email_client: httpx.AsyncClient,
    shop: EmailShop,
    clock: Clock,
    smtp: SmtpServer,
) -> None:
    other = await new_shop(email_ctx, email_client, name="Other shop")
    mine_buyer, their_buyer = await _buyer(shop, clock), await _buyer(other, clock)
    mine = await web_review(email_client, shop, mine_buyer.email)
    theirs = await web_review(email_client, other, their_buyer.email)
    await run_worker(email_ctx)
    mine_link = confirm_link_of(smtp.messages(mine_buyer.email)[0])
    their_link = confirm_link_of(smtp.messages(their_buyer.email)[0])
    their_id = (await confirmations(email_ctx, other.shop_id))[int(theirs["id"])].id

    # Shop A's token with shop B's confirmation id (the MAC is A's), a review-request token's
    # form, a cut MAC, nonsense: the dead-link page, and B's review stays unverified.
    token = mine_link.rsplit("/", 1)[1]
    mac = token.split(".", 1)[1]
    flipped = token[:-1] + ("B" if token.endswith("A") else "A")
    for forged in (f"{their_id}.{mac}", flipped, token[:-3], "0.x", "abc"):
        page = await email_client.get(f"/email/confirm/{forged}")
        assert page.status_code == 404 and DEAD_LINK in page.text, forged
        assert_page_headers(page)
    assert (await _review(other, theirs["id"]))["is_verified"] == 0
    # The review-request link of the same id is another purpose: not a confirmation.
    review_path = path_of(their_link).replace("/email/confirm/", "/email/review/")
    assert (await email_client.get(review_path)).status_code == 404

    # A's own link verifies A's review only.
    assert (await email_client.get(path_of(mine_link))).status_code == 200
    assert (await _review(shop, mine["id"]))["is_verified"] == 1
    assert (await _review(other, theirs["id"]))["is_verified"] == 0
    # B's shop disabled: its link is dead, and its review is not touched.
    await disable_shop(email_ctx, other.shop_id)
    assert (await email_client.get(path_of(their_link))).status_code == 404
    async with email_ctx.db.session(write=False) as session:
        count = select(func.count()).where(ReviewConfirmation.confirmed_at.is_not(None))
        confirmed = await session.scalar(
            count.where(ReviewConfirmation.shop_id.in_([shop.shop_id, other.shop_id]))
        )
    assert confirmed == 1
