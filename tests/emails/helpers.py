"""Helpers of the email tests: the email app's settings and clock, the job queue emptied
between tests, the SMTP server process and its maildir, shops that receive signed Shopify order
webhooks, reading emails and their links, the review-request rows, and web reviews with their
confirmation emails.

Signatures (Shopify's X-Shopify-Hmac-Sha256) are computed here from docs/intake.md, not with
the code under test."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from html.parser import HTMLParser
from pathlib import Path
from typing import Any, cast
from urllib.parse import urlsplit

import httpx
from sqlalchemy import select, update

from shopreviews.emails.models import ReviewConfirmation
from shopreviews.kit.context import AppContext
from shopreviews.kit.jobs import JobStatus
from shopreviews.orders.models import Order, ReviewRequest
from shopreviews.settings import Settings
from shopreviews.webhooks.models import WebhookDelivery
from shopreviews.worker import running_worker
from tests.support.api import ShopApi, create_shop, ok
from tests.support.programs import free_port
from tests.support.webhooks import ClockedShop

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
SHOPIFY_SECRET = "shpss_" + "e" * 32
SHOP_NAME = "Linen & Co"
DAY = 86400
LEASE_SECONDS = 5 * 60
# A User-Agent per os_type the server must read (docs/intake.md §3.3).
IPHONE = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 Mobile"
ANDROID = "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 Chrome/124 Mobile"
WINDOWS = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/124"
MACOS = "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4) AppleWebKit/605.1.15 Safari/605"
PAGE_HEADERS = {
    "cache-control": "no-store",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
}


# --- the email app's settings and clock ----------------------------------------------------


def smtp_settings(settings: Settings, port: int) -> Settings:
    return settings.model_copy(
        update={
            "smtp_host": "127.0.0.1",
            "smtp_port": port,
            "smtp_security": "none",
            "smtp_from": "ShopReviews <reviews@shopreviews.test>",
            "smtp_timeout_seconds": 30.0,
        }
    )


class Clock:
    """Pins the email app's clock (and any context attached) to one moment."""

    def __init__(self, *contexts: AppContext) -> None:
        self.now = float(int(time.time()))
        self.contexts: list[AppContext] = []
        for context in contexts:
            self.attach(context)

    def attach(self, context: AppContext) -> None:
        context.clock = lambda: self.now
        self.contexts.append(context)

    def set(self, ts: float) -> None:
        self.now = float(ts)

    def advance(self, seconds: float) -> None:
        self.now += seconds

    def restore(self) -> None:
        for context in self.contexts:
            context.clock = time.time


async def cancel_pending_jobs(ctx: AppContext, why: str) -> None:
    """Cancel every pending email job (review requests, web review confirmations) and webhook
    delivery (`why` is their last_error)."""
    async with ctx.db.session(write=True) as session:
        for model in (ReviewRequest, ReviewConfirmation, WebhookDelivery):
            await session.execute(
                update(model)
                .where(model.status == JobStatus.PENDING)
                .values(
                    status=JobStatus.CANCELLED, lease_owner=None, lease_until=None, last_error=why
                )
                .execution_options(synchronize_session=False)
            )


# --- the SMTP server process ------------------------------------------------------------------


class SmtpServer:
    """A running tests/emails/smtp_server.py and the maildir it writes."""

    def __init__(
        self,
        maildir: Path,
        *,
        port: int | None = None,
        delay: float = 0.0,
        refuse: Iterable[str] = (),
    ) -> None:
        self.maildir = maildir
        self.port = port or free_port()
        maildir.mkdir(parents=True, exist_ok=True)
        command = [
            sys.executable,
            str(HERE / "smtp_server.py"),
            "--port",
            str(self.port),
            "--maildir",
            str(maildir),
        ]
        if delay:
            command += ["--delay", str(delay)]
        for rule in refuse:
            command += ["--refuse-rcpt", rule]
        self.log = (maildir.parent / f"{maildir.name}-smtp.log").open("ab")
        self.proc = subprocess.Popen(command, cwd=REPO, stdout=self.log, stderr=self.log)
        self._wait_until_listening()

    def _wait_until_listening(self) -> None:
        deadline = time.monotonic() + 30
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"the SMTP server exited with {self.proc.returncode}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return
            except OSError:
                if time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError("the SMTP server never accepted connections") from None
                time.sleep(0.05)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.log.close()

    def files(self) -> list[Path]:
        return sorted(self.maildir.glob("*.eml"))

    def messages(self, to: str | Iterable[str] | None = None) -> list[EmailMessage]:
        """Every stored message, or only those to these envelope recipients."""
        wanted = {to} if isinstance(to, str) else None if to is None else set(to)
        found = []
        for path in self.files():
            message = message_from_bytes(path.read_bytes(), policy=policy.default)
            recipients = {a.strip("<>") for a in message.get_all("X-Envelope-To", [])}
            if wanted is None or recipients & wanted:
                found.append(message)
        return found


# --- shops and orders -------------------------------------------------------------------------


@dataclass
class EmailShop(ClockedShop):
    """A shop with a name and a Shopify app secret; API calls signed at the app clock."""

    name: str = SHOP_NAME

    async def order_webhook(self, topic: str, order: dict[str, Any]) -> httpx.Response:
        body = json.dumps(order).encode()
        signature = base64.b64encode(
            hmac.new(SHOPIFY_SECRET.encode(), body, hashlib.sha256).digest()
        ).decode()
        return await self.client.post(
            "/api/v1/integrations/shopify/orders",
            content=body,
            headers={
                "Content-Type": "application/json",
                "X-Shopify-Shop-Domain": self.myshopify_domain,
                "X-Shopify-Topic": topic,
                "X-Shopify-Hmac-Sha256": signature,
                "X-Shopify-Webhook-Id": uuid.uuid4().hex,
            },
        )

    async def orders(self) -> dict[str, dict[str, Any]]:
        """Every order of the shop by order_id (get_orders)."""
        data = ok(await self.get("get_orders", {"page_size": 100}))
        return {o["order_id"]: o for o in data["list"]}

    async def order(self, order_id: str) -> dict[str, Any]:
        return (await self.orders())[order_id]

    async def events(self, event_type: str | None = None) -> list[dict[str, Any]]:
        params = {"page_size": 100, "sort_by": "created-ascending"}
        if event_type:
            params["event_type"] = event_type
        events: list[dict[str, Any]] = ok(await self.get("get_customer_events", params))["list"]
        return events

    async def reviews(self) -> list[dict[str, Any]]:
        data = ok(await self.get("get_reviews", {"is_published": "all", "page_size": 100}))
        reviews: list[dict[str, Any]] = data["list"]
        return reviews


async def new_shop(ctx: AppContext, client: httpx.AsyncClient, name: str = SHOP_NAME) -> EmailShop:
    base: ShopApi = await create_shop(ctx, client)
    async with ctx.db.session(write=True) as session:
        from shopreviews.shops.models import Shop

        shop = await session.get(Shop, base.shop_id)
        assert shop is not None
        shop.name = name
        shop.shopify_app_secret_encrypted = ctx.box.seal(SHOPIFY_SECRET)
    values = {f.name: getattr(base, f.name) for f in fields(ShopApi)}
    return EmailShop(**values, ctx=ctx, name=name)


def iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def address(tag: str = "jane") -> str:
    """A customer address no other test uses (the maildir is shared)."""
    return f"{tag}.{uuid.uuid4().hex[:10]}@example.com"


@dataclass
class Customer:
    email: str
    customer_id: str = field(default_factory=lambda: str(7_700_000 + int(uuid.uuid4().int % 10**8)))
    first_name: str = "Jane"
    last_name: str = "Doe"


def shopify_order(
    order_id: str,
    customer: Customer | None,
    *,
    created: float,
    fulfilled: float | None = None,
    products: list[tuple[int, str]] | None = None,
    name: str | None = None,
) -> dict[str, Any]:
    """A Shopify order object with the fields docs/intake.md §2.1 reads (and a few others)."""
    order: dict[str, Any] = {
        "id": int(order_id),
        "name": name if name is not None else f"#{order_id[-4:]}",
        "created_at": iso(created),
        "updated_at": iso(fulfilled or created),
        "currency": "EUR",
        "total_price": "59.00",
        "line_items": [
            {"id": 1000 + n, "product_id": pid, "title": title, "quantity": 1}
            for n, (pid, title) in enumerate(
                [(9200305176832, "Linen shirt")] if products is None else products
            )
        ],
    }
    if customer is not None:
        order["email"] = customer.email
        order["customer"] = {
            "id": int(customer.customer_id),
            "email": customer.email,
            "first_name": customer.first_name,
            "last_name": customer.last_name,
            "phone": None,
        }
    if fulfilled is not None:
        order["fulfillments"] = [{"id": 1, "created_at": iso(fulfilled), "status": "success"}]
    return order


async def fulfilled_order(
    shop: EmailShop,
    customer: Customer | None,
    *,
    created: float,
    fulfilled: float,
    order_id: str | None = None,
    products: list[tuple[int, str]] | None = None,
    name: str | None = None,
) -> dict[str, Any]:
    """orders/create then orders/fulfilled; returns the fulfilled answer's data."""
    order_id = order_id or str(5_500_000_000 + uuid.uuid4().int % 10**9)
    order = shopify_order(
        order_id, customer, created=created, fulfilled=fulfilled, products=products, name=name
    )
    created_answer = ok(await shop.order_webhook("orders/create", order))
    assert created_answer == {"order_id": order_id, "status": 1}
    data: dict[str, Any] = ok(await shop.order_webhook("orders/fulfilled", order))
    return data


# --- the worker ---------------------------------------------------------------------------


async def run_worker(ctx: AppContext) -> int:
    """Worker passes (the real handlers: review requests and webhook deliveries) until nothing
    is due at the app clock; returns how many jobs ran."""
    total = 0
    async with running_worker(ctx) as worker:
        for _ in range(100):
            ran = await worker.run_once()
            if not ran:
                return total
            total += ran
    raise AssertionError("the worker never went idle")


@dataclass
class RequestRow:
    id: int
    order_id: str
    status: str
    run_at: datetime
    attempts: int
    send_started_at: datetime | None
    message_id: str
    lease_owner: str | None
    last_error: str
    order_status: int
    cancel_reason: str


async def requests(ctx: AppContext, shop_id: str) -> dict[str, RequestRow]:
    """The shop's review-request rows by order_id, read directly."""
    async with ctx.db.session(write=False) as session:
        rows = await session.execute(
            select(ReviewRequest, Order)
            .join(Order, Order.id == ReviewRequest.order_pk)
            .where(ReviewRequest.shop_id == shop_id)
        )
        return {
            o.order_id: RequestRow(
                id=r.id,
                order_id=o.order_id,
                status=r.status,
                run_at=r.run_at,
                attempts=r.attempts,
                send_started_at=r.send_started_at,
                message_id=r.message_id,
                lease_owner=r.lease_owner,
                last_error=r.last_error,
                order_status=o.status,
                cancel_reason=o.cancel_reason,
            )
            for r, o in rows.all()
        }


async def order_row(ctx: AppContext, shop_id: str, order_id: str) -> Order:
    async with ctx.db.session(write=False) as session:
        found = (
            await session.execute(
                select(Order).where(Order.shop_id == shop_id, Order.order_id == order_id)
            )
        ).scalar_one()
        return found


# --- reading emails and pages -------------------------------------------------------------


@dataclass
class Links:
    pixel: str
    review: str
    unsubscribe: str


def message_id(message: EmailMessage) -> str:
    """The Message-ID as sent (a long one is folded onto a continuation line)."""
    return str(message["Message-ID"]).strip()


def path_of(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def links_of(message: EmailMessage) -> Links:
    """The three links of a review-request email, read from its HTML part; the text part
    must carry the same review and unsubscribe links."""
    html_part = message.get_body(("html",))
    text_part = message.get_body(("plain",))
    assert html_part is not None and text_part is not None
    html = cast(EmailMessage, html_part).get_content()
    text = cast(EmailMessage, text_part).get_content()
    pixel = re.findall(r'<img src="([^"]+/email/open/[^"]+\.gif)"', html)
    review = re.findall(r'href="([^"]+/email/review/[^"]+)"', html)
    unsubscribe = re.findall(r'href="([^"]+/email/unsubscribe/[^"]+)"', html)
    assert len(pixel) == 1 and len(set(review)) == 1 and len(set(unsubscribe)) == 1, html
    assert review[0] in text and unsubscribe[0] in text, text
    return Links(pixel[0], review[0], unsubscribe[0])


class _Forms(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.forms: list[dict[str, Any]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.forms.append({"method": values.get("method", "get"), "fields": {}, "buttons": []})
        elif self.forms and tag == "input" and values.get("type") == "hidden":
            self.forms[-1]["fields"][values["name"]] = values.get("value", "")
        elif self.forms and tag == "button":
            self.forms[-1]["buttons"].append((values.get("name", ""), values.get("value", "")))


def forms(html: str) -> list[dict[str, Any]]:
    """Each <form>: its method, hidden fields and (name, value) of its buttons."""
    parser = _Forms()
    parser.feed(html)
    return parser.forms


def assert_page_headers(response: httpx.Response) -> None:
    for name, value in PAGE_HEADERS.items():
        assert response.headers.get(name) == value, (name, response.headers)
    csp = response.headers.get("content-security-policy", "")
    assert "default-src 'none'" in csp or "default-src 'self'" in csp, csp
    assert response.headers["content-type"].startswith("text/html")


@dataclass
class Sent:
    order_id: str
    customer: Customer
    message: EmailMessage
    links: Links


async def sent_request(
    ctx: AppContext,
    shop: EmailShop,
    clock: Any,
    smtp: SmtpServer,
    *,
    customer: Customer | None = None,
    products: list[tuple[int, str]] | None = None,
) -> Sent:
    """An order fulfilled 7 days ago whose email the worker has just sent."""
    customer = customer or Customer(address())
    answer = await fulfilled_order(
        shop,
        customer,
        created=clock.now - 8 * DAY,
        fulfilled=clock.now - 7 * DAY,
        products=products,
    )
    assert answer["status"] == 2
    await run_worker(ctx)
    [message] = smtp.messages(customer.email)
    return Sent(answer["order_id"], customer, message, links_of(message))


# --- web reviews and their confirmation emails ------------------------------------------------

CONFIRM_LINK = re.compile(r'href="([^"]+/email/confirm/[^"]+)"')


async def web_review(
    client: httpx.AsyncClient, shop: EmailShop, email: str, **changes: Any
) -> dict[str, Any]:
    """POST a web review of the default order product as the shop's own page does; its data."""
    review: dict[str, Any] = {
        "product_id": "9200305176832",
        "rating": 5,
        "title": "Great shirt",
        "content": "Soft linen, true to size.",
        "author": "Jane Doe",
        "author_email": email,
        **changes,
    }
    response = await client.post(
        f"/api/v1/storefront/shops/{shop.myshopify_domain}/reviews",
        json=review,
        headers={"Origin": f"https://{shop.myshopify_domain}"},
    )
    data: dict[str, Any] = ok(response)
    return data


def confirm_link_of(message: EmailMessage) -> str:
    """The one "confirm" link of a confirmation email, the same in its text and HTML parts."""
    html_part = message.get_body(("html",))
    text_part = message.get_body(("plain",))
    assert html_part is not None and text_part is not None
    html = cast(EmailMessage, html_part).get_content()
    text = cast(EmailMessage, text_part).get_content()
    found: set[str] = set(CONFIRM_LINK.findall(html))
    assert len(found) == 1, html
    [link] = found
    assert link in text, text
    return link


@dataclass
class ConfirmationRow:
    id: int
    review_id: int
    email: str
    status: str
    attempts: int
    send_started_at: datetime | None
    message_id: str
    lease_owner: str | None
    last_error: str
    confirmed_at: datetime | None


async def confirmations(ctx: AppContext, shop_id: str) -> dict[int, ConfirmationRow]:
    """The shop's confirmation rows by review id, read directly."""
    async with ctx.db.session(write=False) as session:
        rows = await session.execute(
            select(ReviewConfirmation).where(ReviewConfirmation.shop_id == shop_id)
        )
        return {
            r.review_id: ConfirmationRow(
                id=r.id,
                review_id=r.review_id,
                email=r.email,
                status=r.status,
                attempts=r.attempts,
                send_started_at=r.send_started_at,
                message_id=r.message_id,
                lease_owner=r.lease_owner,
                last_error=r.last_error,
                confirmed_at=r.confirmed_at,
            )
            for r in rows.scalars()
        }


async def disable_shop(ctx: AppContext, shop_id: str) -> None:
    from shopreviews.shops.models import Shop

    async with ctx.db.session(write=True) as session:
        await session.execute(update(Shop).where(Shop.shop_id == shop_id).values(status="disabled"))
