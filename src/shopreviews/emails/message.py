"""The review-request email: text and HTML parts, unsubscribe headers (docs/intake.md §3.1)."""

from __future__ import annotations

from datetime import datetime
from email.errors import MessageError
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid, parseaddr
from urllib.parse import urlsplit

from jinja2 import Environment, PackageLoader, select_autoescape

from shopreviews.kit.email_address import Unsendable, one_line, recipient
from shopreviews.orders.service import Order
from shopreviews.settings import Settings
from shopreviews.shops.service import Shop

templates = Environment(
    loader=PackageLoader("shopreviews.emails", "templates"),
    autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False),
)


def review_request(
    settings: Settings,
    shop: Shop,
    order: Order,
    links: dict[str, str],
    *,
    public_url: str,
    now: datetime,
) -> EmailMessage:
    context = {"shop": shop, "order": order, "links": links, "products": order.products}
    message = EmailMessage()
    shop_name = one_line(shop.name or shop.myshopify_domain)
    name = f" {order.order_name}" if order.order_name else ""
    message["Subject"] = one_line(f"How was your order{name} from {shop_name}?")
    _, from_address = parseaddr(settings.smtp_from)
    message["From"] = Address(display_name=shop_name, addr_spec=from_address)
    to = recipient(order.customer_email, order.customer_name)
    try:
        message["To"] = to
        written = message["To"].addresses
    except (ValueError, MessageError) as exc:
        raise Unsendable(f"{order.customer_email!r} cannot be written in a header: {exc}") from None
    if [a.addr_spec for a in written] != [to.addr_spec]:
        raise Unsendable(f"{order.customer_email!r} would be written as {written!r}")
    message["Date"] = format_datetime(now)
    message["Message-ID"] = make_msgid("review-request", domain=urlsplit(public_url).hostname)
    message["List-Unsubscribe"] = f"<{links['unsubscribe']}>"
    message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(templates.get_template("review_request.txt").render(context))
    message.add_alternative(
        templates.get_template("review_request.html").render(context), subtype="html"
    )
    try:
        message.as_bytes()  # what the SMTP client will do: fail here, before anything is sent
    except (ValueError, UnicodeError, MessageError) as exc:
        raise Unsendable(f"the message cannot be written: {exc}") from None
    return message
