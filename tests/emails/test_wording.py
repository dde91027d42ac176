"""The shop's own wording of the review request (docs/intake.md §3.1), as the SMTP server
receives it: subject and text with the order's values, the text as paragraphs in the HTML part
with everything escaped, and the review button and unsubscribe footer always there."""

from __future__ import annotations

from email.message import EmailMessage
from typing import cast

from shopreviews.kit.context import AppContext
from shopreviews.shops import service as shop_service
from tests.emails.helpers import (
    DAY,
    Clock,
    Customer,
    EmailShop,
    SmtpServer,
    address,
    fulfilled_order,
    links_of,
    run_worker,
)


async def _word(ctx: AppContext, shop_id: str, subject: str, text: str) -> None:
    async with ctx.db.session(write=True) as session:
        await shop_service.update_intake_settings(
            ctx,
            session,
            shop_id,
            wording=shop_service.RequestWording(subject=subject, text=text),
            now=ctx.now_datetime(),
        )


def _parts(message: EmailMessage) -> tuple[str, str]:
    text = cast(EmailMessage, message.get_body(("plain",))).get_content()
    html = cast(EmailMessage, message.get_body(("html",))).get_content()
    # As received over SMTP the lines end in CRLF.
    return text.replace("\r\n", "\n"), html.replace("\r\n", "\n")


async def test_the_shops_wording_is_what_the_customer_receives(
    email_ctx: AppContext, shop: EmailShop, clock: Clock, smtp: SmtpServer
) -> None:
    await _word(
        email_ctx,
        shop.shop_id,
        "{customer_name}, a word on {order_name} from {shop_name}?",
        "Hi {customer_name}!\n\nYour order {order_name} from {shop_name} is <b>home</b>.\n"
        "Tell us & others.",
    )
    customer = Customer(address(), first_name="Jo <i>", last_name="Ann")
    await fulfilled_order(
        shop,
        customer,
        created=clock.now - 8 * DAY,
        fulfilled=clock.now - 7 * DAY,
        products=[(11, "Linen shirt")],
        name="#2002",
    )
    await run_worker(email_ctx)
    [message] = smtp.messages(customer.email)
    assert message["Subject"] == "Jo <i> Ann, a word on #2002 from Linen & Co?"
    text, html = _parts(message)
    links = links_of(message)  # the review button and the unsubscribe link stay
    assert text == (
        "Hi Jo <i> Ann!\n\nYour order #2002 from Linen & Co is <b>home</b>.\nTell us & others.\n"
        "\n- Linen shirt\n\n"
        f"Write your review: {links.review}\n\n"
        "You get this email because you ordered from Linen & Co.\n"
        f"Unsubscribe from review requests: {links.unsubscribe}\n"
    )
    assert "<p>Hi Jo &lt;i&gt; Ann!</p>" in html
    assert (
        "<p>Your order #2002 from Linen &amp; Co is &lt;b&gt;home&lt;/b&gt;.<br>\n"
        "Tell us &amp; others.</p>"
    ) in html
    assert "<b>" not in html and "<i>" not in html
    assert ">Write a review</a>" in html and ">Unsubscribe from review requests</a>" in html
    assert "Thank you for your order" not in html + text  # the built-in text is replaced


async def test_an_empty_wording_keeps_the_built_in_one_and_a_missing_value_is_empty(
    email_ctx: AppContext, shop: EmailShop, clock: Clock, smtp: SmtpServer
) -> None:
    await _word(email_ctx, shop.shop_id, "", "Hello {customer_name}, thanks for {order_name}.")
    customer = Customer(address(), first_name="", last_name="")
    await fulfilled_order(
        shop, customer, created=clock.now - 8 * DAY, fulfilled=clock.now - 7 * DAY, name=""
    )
    await run_worker(email_ctx)
    [message] = smtp.messages(customer.email)
    assert message["Subject"].startswith("How was your order")
    assert message["Subject"].endswith("from Linen & Co?")
    text, html = _parts(message)
    assert text.startswith("Hello , thanks for")
    assert "<p>Hello , thanks for" in html
