"""The emails the service sends, in the shop's name: the review request (text and HTML parts,
unsubscribe headers; docs/intake.md §3.1) and the web review confirmation
(docs/storefront.md "Web reviews")."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from email.errors import MessageError
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid, parseaddr
from typing import Any
from urllib.parse import urlsplit

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup, escape

from shopreviews.kit.email_address import Unsendable, one_line, recipient
from shopreviews.orders.service import Order
from shopreviews.reviews.service import ReviewOut
from shopreviews.settings import Settings
from shopreviews.shops import service as shop_service
from shopreviews.shops.service import Shop

templates = Environment(
    loader=PackageLoader("shopreviews.emails", "templates"),
    autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False),
)


def _shop_name(shop: Shop) -> str:
    return one_line(shop.name or shop.myshopify_domain)


def _addressed(
    settings: Settings,
    shop: Shop,
    *,
    subject: str,
    to_email: str,
    to_name: str,
    kind: str,
    public_url: str,
    now: datetime,
) -> EmailMessage:
    """A message from the shop (by name, at the operator's address) to one recipient;
    Unsendable when the address cannot be written as it is."""
    message = EmailMessage()
    message["Subject"] = one_line(subject)
    _, from_address = parseaddr(settings.smtp_from)
    message["From"] = Address(display_name=_shop_name(shop), addr_spec=from_address)
    to = recipient(to_email, to_name)
    try:
        message["To"] = to
        written = message["To"].addresses
    except (ValueError, MessageError) as exc:
        raise Unsendable(f"{to_email!r} cannot be written in a header: {exc}") from None
    if [a.addr_spec for a in written] != [to.addr_spec]:
        raise Unsendable(f"{to_email!r} would be written as {written!r}")
    message["Date"] = format_datetime(now)
    message["Message-ID"] = make_msgid(kind, domain=urlsplit(public_url).hostname)
    return message


def _bodies(message: EmailMessage, template: str, context: dict[str, Any]) -> EmailMessage:
    """The text and HTML parts from `<template>.txt` and `<template>.html`; Unsendable when
    the message cannot be written."""
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(templates.get_template(f"{template}.txt").render(context))
    message.add_alternative(
        templates.get_template(f"{template}.html").render(context), subtype="html"
    )
    try:
        message.as_bytes()  # what the SMTP client will do: fail here, before anything is sent
    except (ValueError, UnicodeError, MessageError) as exc:
        raise Unsendable(f"the message cannot be written: {exc}") from None
    return message


@dataclass(frozen=True)
class Wording:
    """The merchant's subject and text of the review request; "" keeps the built-in one."""

    subject: str = ""
    text: str = ""


def shop_wording(shop: Shop) -> Wording:
    return Wording(shop.review_request_subject, shop.review_request_text)


def paragraphs(text: str) -> list[Markup]:
    """Plain text as HTML paragraphs: blank lines part them, a single line end is a <br>;
    everything escaped (the text and the order values in it are never markup)."""
    blocks = [block.strip() for block in re.split(r"\n[ \t]*\n", text) if block.strip()]
    return [Markup("<br>\n").join(escape(line) for line in block.split("\n")) for block in blocks]


def review_request(
    settings: Settings,
    shop: Shop,
    order: Order,
    links: dict[str, str],
    *,
    public_url: str,
    now: datetime,
    wording: Wording | None = None,
) -> EmailMessage:
    """The review request in the shop's wording (`wording`, by default the shop's saved one)
    or the built-in one; the review button and the unsubscribe footer are always there."""
    wording = shop_wording(shop) if wording is None else wording
    values = {
        "customer_name": order.customer_name,
        "order_name": order.order_name,
        "shop_name": _shop_name(shop),
    }
    name = f" {order.order_name}" if order.order_name else ""
    subject = f"How was your order{name} from {_shop_name(shop)}?"
    if wording.subject:
        subject = shop_service.fill_placeholders(wording.subject, values)
    text = shop_service.fill_placeholders(wording.text, values) if wording.text else ""
    message = _addressed(
        settings,
        shop,
        subject=subject,
        to_email=order.customer_email,
        to_name=order.customer_name,
        kind="review-request",
        public_url=public_url,
        now=now,
    )
    message["List-Unsubscribe"] = f"<{links['unsubscribe']}>"
    message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    context = {
        "shop": shop,
        "order": order,
        "links": links,
        "products": order.products,
        "text": text,
        "paragraphs": paragraphs(text),
    }
    return _bodies(message, "review_request", context)


def review_confirmation(
    settings: Settings,
    shop: Shop,
    review: ReviewOut,
    email: str,
    confirm_url: str,
    *,
    public_url: str,
    now: datetime,
) -> EmailMessage:
    """Asks the author of a web review to confirm it with the link: one email, answering the
    author's own submission (no unsubscribe header: there is nothing to stop)."""
    message = _addressed(
        settings,
        shop,
        subject=f"Confirm your review for {_shop_name(shop)}",
        to_email=email,
        to_name=review.author,
        kind="review-confirmation",
        public_url=public_url,
        now=now,
    )
    context = {"shop": shop, "review": review, "confirm_url": confirm_url}
    return _bodies(message, "review_confirmation", context)
