"""Who gets no review request (docs/intake.md §2.3, spec suppression rules): excluded and
unsubscribed customers, at fulfilment and when a scheduled request falls due; and the
preference page behind the email's unsubscribe link (§3.2)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from shopreviews.customers.models import CustomerExclusion, EmailUnsubscribe
from shopreviews.kit.context import AppContext
from tests.emails.helpers import (
    DAY,
    IPHONE,
    MACOS,
    Clock,
    Customer,
    EmailShop,
    SmtpServer,
    address,
    assert_page_headers,
    forms,
    fulfilled_order,
    order_row,
    path_of,
    requests,
    run_worker,
    sent_request,
)
from tests.support.api import ok

Suppress = Callable[[EmailShop, AppContext, Customer], Awaitable[Any]]


async def _exclude_by_email(shop: EmailShop, ctx: AppContext, customer: Customer) -> None:
    ok(await shop.post("create_customer_exclude", {"email": customer.email.upper()}))


async def _exclude_by_id(shop: EmailShop, ctx: AppContext, customer: Customer) -> None:
    ok(await shop.post("create_customer_exclude", {"customer_id": customer.customer_id}))


async def _exclusion_row(shop: EmailShop, ctx: AppContext, customer: Customer) -> None:
    """An exclusion made by email for a customer the shop does not know by id."""
    async with ctx.db.session(write=True) as session:
        session.add(
            CustomerExclusion(
                shop_id=shop.shop_id,
                email=customer.email.lower(),
                created_at=ctx.now_datetime(),
                updated_at=ctx.now_datetime(),
            )
        )


def _unsubscribe(email_type: str) -> Suppress:
    async def suppress(shop: EmailShop, ctx: AppContext, customer: Customer) -> None:
        body = {"email": customer.email, "email_type": email_type}
        ok(await shop.post("email_unsubscribe", body))

    return suppress


SUPPRESSIONS = {
    "excluded by email": (_exclude_by_email, "excluded"),
    "excluded by customer id": (_exclude_by_id, "excluded"),
    "exclusion row": (_exclusion_row, "excluded"),
    "unsubscribed from review requests": (_unsubscribe("review_request"), "unsubscribed"),
    "unsubscribed from all": (_unsubscribe("all"), "unsubscribed"),
}


@pytest.mark.parametrize("name", list(SUPPRESSIONS))
async def test_a_suppressed_customer_is_cancelled_at_fulfilment(
    email_ctx: AppContext, shop: EmailShop, clock: Clock, smtp: SmtpServer, name: str
) -> None:
    suppress, reason = SUPPRESSIONS[name]
    customer = Customer(address())
    await suppress(shop, email_ctx, customer)
    answer = await fulfilled_order(
        shop, customer, created=clock.now - 2 * DAY, fulfilled=clock.now - DAY
    )
    assert answer["status"] == 6
    order = await shop.order(answer["order_id"])
    assert (order["status"], order["scheduled_at"], order["sent_at"]) == (6, "", "")
    assert await requests(email_ctx, shop.shop_id) == {}  # no request was ever planned
    assert (await order_row(email_ctx, shop.shop_id, answer["order_id"])).cancel_reason == reason
    clock.advance(30 * DAY)
    await run_worker(email_ctx)
    assert smtp.messages(customer.email.lower()) == []
    assert (await shop.order(answer["order_id"]))["status"] == 6


async def test_other_unsubscribes_do_not_stop_review_requests(
    email_ctx: AppContext, shop: EmailShop, clock: Clock, smtp: SmtpServer
) -> None:
    customer = Customer(address())
    await _unsubscribe("market_email")(shop, email_ctx, customer)
    other = Customer(address())
    await _exclude_by_email(shop, email_ctx, other)  # someone else's exclusion
    answer = await fulfilled_order(
        shop, customer, created=clock.now - 2 * DAY, fulfilled=clock.now - 7 * DAY
    )
    assert answer["status"] == 2
    await run_worker(email_ctx)
    assert len(smtp.messages(customer.email.lower())) == 1


@pytest.mark.parametrize("name", list(SUPPRESSIONS))
async def test_a_scheduled_request_is_cancelled_when_due(
    email_ctx: AppContext, shop: EmailShop, clock: Clock, smtp: SmtpServer, name: str
) -> None:
    suppress, reason = SUPPRESSIONS[name]
    customer, bystander = Customer(address()), Customer(address())
    suppressed = await fulfilled_order(
        shop, customer, created=clock.now - 2 * DAY, fulfilled=clock.now - DAY
    )
    kept = await fulfilled_order(
        shop, bystander, created=clock.now - 2 * DAY, fulfilled=clock.now - DAY
    )
    assert suppressed["status"] == kept["status"] == 2
    await suppress(shop, email_ctx, customer)  # after planning, before the request is due

    clock.advance(6 * DAY + 60)
    await run_worker(email_ctx)
    assert smtp.messages(customer.email.lower()) == []
    assert len(smtp.messages(bystander.email.lower())) == 1
    rows = await requests(email_ctx, shop.shop_id)
    row = rows[suppressed["order_id"]]
    assert (row.status, row.order_status, row.cancel_reason) == ("cancelled", 6, reason)
    assert row.send_started_at is None and row.attempts == 0
    assert row.last_error == f"cancelled: {reason}"
    order = await shop.order(suppressed["order_id"])
    assert (order["status"], order["sent_at"]) == (6, "")
    assert (await shop.order(kept["order_id"]))["status"] == 3


async def _unsubscribes(ctx: AppContext, shop_id: str) -> dict[str, str]:
    """email_type -> origin of the shop's unsubscribe records."""
    async with ctx.db.session(write=False) as session:
        rows = await session.execute(
            select(EmailUnsubscribe.email_type, EmailUnsubscribe.origin).where(
                EmailUnsubscribe.shop_id == shop_id
            )
        )
        return dict(rows.all())


def _buttons(page: httpx.Response) -> set[tuple[str, str]]:
    return {
        (form["fields"].get("action") or name, value)
        for form in forms(page.text)
        for name, value in form["buttons"]
    }


async def test_the_preference_page_unsubscribes_and_resubscribes(
    email_ctx: AppContext,
    email_client: httpx.AsyncClient,
    shop: EmailShop,
    clock: Clock,
    smtp: SmtpServer,
) -> None:
    sent = await sent_request(email_ctx, shop, clock, smtp)
    email = sent.customer.email.lower()
    path = path_of(sent.links.unsubscribe)

    # GET shows the state and the choices, and changes nothing (mail scanners follow links).
    page = await email_client.get(path, headers={"User-Agent": IPHONE})
    assert page.status_code == 200
    assert_page_headers(page)
    assert email in page.text and "You get review requests" in page.text
    assert _buttons(page) == {("unsubscribe", "review_request"), ("unsubscribe", "all")}
    assert await _unsubscribes(email_ctx, shop.shop_id) == {}
    assert await shop.events("UNSUBSCRIBE_EMAIL") == []

    # Stop review requests.
    clock.advance(60)
    done = await email_client.post(
        path,
        data={"action": "unsubscribe", "email_type": "review_request"},
        headers={"User-Agent": MACOS},
    )
    assert done.status_code == 200
    assert_page_headers(done)
    assert "You will not get any more review requests" in done.text
    assert await _unsubscribes(email_ctx, shop.shop_id) == {"review_request": "customer"}
    [event] = await shop.events("UNSUBSCRIBE_EMAIL")
    assert {k: event[k] for k in ("event_source", "os_type", "customer_email", "customer_id")} == {
        "event_source": "EMAIL",
        "os_type": "MACOS",
        "customer_email": email,
        "customer_id": sent.customer.customer_id,
    }
    assert (event["product_id"], event["review_id"], event["page_url"]) == ("", "", "")
    assert _buttons(done) == {("unsubscribe", "all"), ("action", "resubscribe")}
    # A repeat keeps the first record and records no second event.
    await email_client.post(path, data={"action": "unsubscribe", "email_type": "review_request"})
    assert len(await shop.events("UNSUBSCRIBE_EMAIL")) == 1

    # Stop everything.
    everything = await email_client.post(path, data={"action": "unsubscribe", "email_type": "all"})
    assert everything.status_code == 200 and "You get no emails from this shop" in everything.text
    assert await _unsubscribes(email_ctx, shop.shop_id) == {
        "review_request": "customer",
        "all": "customer",
    }
    assert len(await shop.events("UNSUBSCRIBE_EMAIL")) == 2

    # The next order of this customer gets no request.
    again = await fulfilled_order(
        shop, sent.customer, created=clock.now - DAY, fulfilled=clock.now - 7 * DAY
    )
    assert again["status"] == 6

    # Unknown choices change nothing.
    for data in ({"action": "unsubscribe", "email_type": "market_email"}, {"action": "x"}, {}):
        refused = await email_client.post(path, data=data)
        assert refused.status_code == 400, data
    assert len(await _unsubscribes(email_ctx, shop.shop_id)) == 2

    # Resubscribe: the customer's own records go.
    back = await email_client.post(path, data={"action": "resubscribe"})
    assert back.status_code == 200 and "You will get review requests again" in back.text
    assert await _unsubscribes(email_ctx, shop.shop_id) == {}
    later = await fulfilled_order(
        shop, sent.customer, created=clock.now - DAY, fulfilled=clock.now - 7 * DAY
    )
    assert later["status"] == 2


async def test_resubscribe_keeps_a_merchants_unsubscribe(
    email_ctx: AppContext,
    email_client: httpx.AsyncClient,
    shop: EmailShop,
    clock: Clock,
    smtp: SmtpServer,
) -> None:
    sent = await sent_request(email_ctx, shop, clock, smtp)
    path = path_of(sent.links.unsubscribe)
    ok(await shop.post("email_unsubscribe", {"email": sent.customer.email, "email_type": "all"}))
    page = await email_client.get(path)
    assert "You get no emails from this shop" in page.text
    assert ("action", "resubscribe") not in _buttons(page)  # nothing of the customer's to undo

    await email_client.post(path, data={"action": "unsubscribe", "email_type": "review_request"})
    assert await _unsubscribes(email_ctx, shop.shop_id) == {
        "all": "merchant",
        "review_request": "customer",
    }
    back = await email_client.post(path, data={"action": "resubscribe"})
    assert back.status_code == 200
    assert await _unsubscribes(email_ctx, shop.shop_id) == {"all": "merchant"}
    assert "You get no emails from this shop" in back.text
    later = await fulfilled_order(
        shop, sent.customer, created=clock.now - DAY, fulfilled=clock.now - 7 * DAY
    )
    assert later["status"] == 6


@pytest.mark.parametrize("encoding", ["urlencoded", "multipart"])
async def test_one_click_unsubscribe(
    email_ctx: AppContext,
    email_client: httpx.AsyncClient,
    shop: EmailShop,
    clock: Clock,
    smtp: SmtpServer,
    encoding: str,
) -> None:
    """RFC 8058: the mail client POSTs `List-Unsubscribe=One-Click` to the List-Unsubscribe
    URL, as application/x-www-form-urlencoded or (what the RFC recommends)
    multipart/form-data."""
    sent = await sent_request(email_ctx, shop, clock, smtp)
    url = sent.message["List-Unsubscribe"].strip().strip("<>")
    assert url == sent.links.unsubscribe
    if encoding == "urlencoded":
        answer = await email_client.post(
            path_of(url),
            content=b"List-Unsubscribe=One-Click",
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
    else:
        answer = await email_client.post(
            path_of(url), files={"List-Unsubscribe": (None, "One-Click")}
        )
    assert answer.status_code == 200
    assert await _unsubscribes(email_ctx, shop.shop_id) == {"review_request": "customer"}
    [event] = await shop.events("UNSUBSCRIBE_EMAIL")
    assert event["customer_email"] == sent.customer.email.lower()
