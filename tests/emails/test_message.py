"""What the order tells about the customer ends up in headers: it must not break the message or
the job. Names with line breaks, and addresses the intake accepts (one @, no spaces) that an
email cannot carry as they are."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest

from shopreviews.kit.context import AppContext
from shopreviews.orders.repository import OrderRepository
from tests.emails.helpers import (
    DAY,
    Clock,
    Customer,
    EmailShop,
    SmtpServer,
    fulfilled_order,
    order_row,
    requests,
    run_worker,
)


async def test_line_breaks_in_names_stay_out_of_the_headers(
    email_ctx: AppContext, shop: EmailShop, clock: Clock, smtp: SmtpServer
) -> None:
    customer = Customer(
        f"jane.{uuid.uuid4().hex[:10]}@example.com",
        first_name="Jane\r\nBcc: victim@example.net",
        last_name="Doe\u2028X-Injected: 1",
    )
    answer = await fulfilled_order(
        shop,
        customer,
        created=clock.now - 8 * DAY,
        fulfilled=clock.now - 7 * DAY,
        name="#1001\nBcc: victim@example.net",
    )
    await run_worker(email_ctx)
    [message] = smtp.messages(customer.email)
    assert message.get_all("X-Envelope-To") == [f"<{customer.email}>"]
    assert message["Bcc"] is None and message["X-Injected"] is None
    assert message["Subject"] == "How was your order #1001 Bcc: victim@example.net from Linen & Co?"
    [to] = message["To"].addresses
    assert to.addr_spec == customer.email
    assert to.display_name == "Jane Bcc: victim@example.net Doe X-Injected: 1"
    assert message["Date"].datetime == datetime.fromtimestamp(clock.now, UTC)
    row = (await requests(email_ctx, shop.shop_id))[answer["order_id"]]
    assert (row.status, row.order_status) == ("succeeded", 3)


async def test_an_internationalized_domain_is_written_in_ascii(
    email_ctx: AppContext, shop: EmailShop, clock: Clock, smtp: SmtpServer
) -> None:
    local = f"jane.{uuid.uuid4().hex[:10]}"
    customer = Customer(f"{local}@bücher.example")
    await fulfilled_order(
        shop, customer, created=clock.now - 8 * DAY, fulfilled=clock.now - 7 * DAY
    )
    await run_worker(email_ctx)
    [message] = smtp.messages(f"{local}@xn--bcher-kva.example")
    assert message["To"].addresses[0].addr_spec == f"{local}@xn--bcher-kva.example"


@pytest.mark.parametrize(
    "template",
    [
        "a,{tag}@example.com",  # two addresses to a mail parser
        "{tag}(comment)@example.com",  # the email package would drop "(comment)"
        "j\u00e9{tag}@example.com",  # a non-ASCII local part needs SMTPUTF8
        "{tag}..x@example.com",
        "{tag}@example.com>",
    ],
)
async def test_an_address_an_email_cannot_carry_is_never_planned(
    email_ctx: AppContext, shop: EmailShop, clock: Clock, smtp: SmtpServer, template: str
) -> None:
    tag = uuid.uuid4().hex[:12]
    customer = Customer(template.format(tag=tag))
    answer = await fulfilled_order(
        shop, customer, created=clock.now - 8 * DAY, fulfilled=clock.now - 7 * DAY
    )
    # Status 6 at fulfilment, with no request to send.
    assert answer["status"] == 6
    assert answer["order_id"] not in await requests(email_ctx, shop.shop_id)
    assert (await order_row(email_ctx, shop.shop_id, answer["order_id"])).cancel_reason == (
        "bad_email"
    )
    await run_worker(email_ctx)
    # Nothing went anywhere (not to a shortened address either).
    assert [m for m in smtp.messages() if tag in str(m.get_all("X-Envelope-To"))] == []


async def test_an_address_changed_to_an_unsendable_one_cancels_the_request(
    email_ctx: AppContext, shop: EmailShop, clock: Clock, smtp: SmtpServer
) -> None:
    tag = uuid.uuid4().hex[:12]
    answer = await fulfilled_order(
        shop,
        Customer(f"jane.{tag}@example.com"),
        created=clock.now - 8 * DAY,
        fulfilled=clock.now - 7 * DAY,
    )
    assert answer["status"] == 2
    # A later report of the order carries an address no email can be written to.
    async with email_ctx.db.session(write=True) as session:
        order = await OrderRepository(session, shop.shop_id).get(answer["order_id"])
        assert order is not None
        order.customer_email = f"{tag}(comment)@example.com"
    await run_worker(email_ctx)
    row = (await requests(email_ctx, shop.shop_id))[answer["order_id"]]
    # Checked again when due: cancelled before anything is sent.
    assert (row.status, row.order_status, row.cancel_reason) == ("cancelled", 6, "bad_email")
    assert (row.attempts, row.send_started_at, row.lease_owner) == (0, None, None)
    assert [m for m in smtp.messages() if tag in str(m.get_all("X-Envelope-To"))] == []
    clock.advance(DAY)
    assert await run_worker(email_ctx) == 0
