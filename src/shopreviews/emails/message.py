"""The review-request email: text and HTML parts, unsubscribe headers (docs/intake.md §3.1)."""

from __future__ import annotations

from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import formatdate, make_msgid, parseaddr
from urllib.parse import urlsplit

from jinja2 import Environment, PackageLoader, select_autoescape

from shopreviews.orders.models import Order
from shopreviews.settings import Settings
from shopreviews.shops.models import Shop

templates = Environment(
    loader=PackageLoader("shopreviews.emails", "templates"),
    autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False),
)


def review_request(
    settings: Settings, shop: Shop, order: Order, links: dict[str, str], *, public_url: str
) -> EmailMessage:
    context = {"shop": shop, "order": order, "links": links, "products": order.products}
    message = EmailMessage()
    shop_name = shop.name or shop.myshopify_domain
    name = f" {order.order_name}" if order.order_name else ""
    message["Subject"] = f"How was your order{name} from {shop_name}?"
    _, from_address = parseaddr(settings.smtp_from)
    message["From"] = Address(display_name=shop_name, addr_spec=from_address)
    message["To"] = Address(display_name=order.customer_name, addr_spec=order.customer_email)
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid("review-request", domain=urlsplit(public_url).hostname)
    message["List-Unsubscribe"] = f"<{links['unsubscribe']}>"
    message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(templates.get_template("review_request.txt").render(context))
    message.add_alternative(
        templates.get_template("review_request.html").render(context), subtype="html"
    )
    return message
