"""What the links of a review-request email do (docs/intake.md §3.2-3.3), and the web review
confirmation email: queued with the review, its link marking the review verified
(docs/storefront.md "Web reviews")."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage

from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from shopreviews.customer_events import service as customer_events
from shopreviews.customer_events.service import NewEvent, os_type_from_user_agent
from shopreviews.customers import service as customers
from shopreviews.emails import links, message
from shopreviews.emails import repository as email_repository
from shopreviews.emails.models import ReviewConfirmation
from shopreviews.kit.context import AppContext
from shopreviews.kit.email_address import Unsendable, recipient
from shopreviews.kit.envelope import ApiError
from shopreviews.kit.unit_of_work import jobs_queued
from shopreviews.orders import service as orders
from shopreviews.orders.service import Order, OrderStatus, ReviewRequest
from shopreviews.reviews import service as review_service
from shopreviews.reviews.service import STORE_PRODUCT_ID, ReviewCreate
from shopreviews.shops import service as shops
from shopreviews.shops.service import Shop

SOURCE = "Email request"
# The unsubscribe choices offered by the preference page.
UNSUBSCRIBE_TYPES = ("review_request", "all")


class FormProblem(Exception):
    """A review form the customer must correct; the message is shown on the form."""


@dataclass(frozen=True)
class Link:
    request: ReviewRequest
    order: Order
    shop: Shop


async def follow(session: AsyncSession, request_id: int, *, lock: bool = False) -> Link | None:
    found = await orders.request_with_order(session, request_id, for_update=lock)
    if found is None:
        return None
    shop = await shops.find(session, found[0].shop_id)
    if shop is None or not shop.is_active:
        return None
    return Link(found[0], found[1], shop)


def _event(link: Link, event_type: str, user_agent: str, **ids: str) -> NewEvent:
    return NewEvent(
        event_type=event_type,
        event_source=customer_events.EMAIL,
        os_type=os_type_from_user_agent(user_agent),
        customer_id=link.order.customer_id,
        customer_email=link.order.customer_email,
        **ids,
    )


async def opened(session: AsyncSession, link: Link, *, user_agent: str, now: datetime) -> None:
    """The pixel: the first load marks the order Opened and records OPEN_EMAIL."""
    await _first_look(session, link, "opened_at", customer_events.OPEN_EMAIL, user_agent, now)


async def clicked(session: AsyncSession, link: Link, *, user_agent: str, now: datetime) -> None:
    """The review link: the first visit records CLICK_EMAIL. A click proves the email was
    opened even when its images were blocked, so a Sent order becomes Opened too."""
    await _first_look(session, link, "clicked_at", customer_events.CLICK_EMAIL, user_agent, now)


async def _first_look(
    session: AsyncSession,
    link: Link,
    seen_at: str,
    event_type: str,
    user_agent: str,
    now: datetime,
) -> None:
    """Once per email and kind (mail clients and scanners load images and links repeatedly)."""
    if getattr(link.request, seen_at) is not None:
        return
    setattr(link.request, seen_at, now)
    if link.order.status == OrderStatus.SENT:
        link.order.status = OrderStatus.OPENED
        link.order.updated_at = now
    await customer_events.record(
        session, link.shop.shop_id, _event(link, event_type, user_agent), now=now
    )


async def reviewable(session: AsyncSession, link: Link) -> list[dict[str, object]]:
    """The products the form offers, each marked when it already has this order's review."""
    done = await review_service.products_reviewed_for_order(
        session, link.shop.shop_id, link.order.order_id, SOURCE
    )
    products = link.order.products or [
        {"product_id": STORE_PRODUCT_ID, "title": link.shop.name or "the shop"}
    ]
    return [{**p, "reviewed": p["product_id"] in done} for p in products]


@dataclass(frozen=True)
class ReviewForm:
    """The review form of an email link as posted: each field as sent, "" when left out."""

    product_id: str = ""
    rating: str = ""
    author: str = ""
    title: str = ""
    content: str = ""


async def submit_review(
    ctx: AppContext,
    session: AsyncSession,
    link: Link,
    form: ReviewForm,
    *,
    user_agent: str,
) -> str:
    """Create the review of one product of the order; returns the review id."""
    offered = {str(p["product_id"]): p for p in await reviewable(session, link)}
    product_id = form.product_id.strip() or next(iter(offered))
    product = offered.get(product_id)
    if product is None:
        raise FormProblem("Choose a product of this order.")
    if product["reviewed"]:
        raise FormProblem("You have already reviewed this product. Thank you!")
    try:
        body = ReviewCreate.model_validate(
            {
                "product_id": product_id,
                "product_title": product.get("title") or None,
                "product_handle": product.get("handle") or None,
                "order_id": link.order.order_id,
                "rating": form.rating,
                "author": form.author.strip() or link.order.customer_name or "Customer",
                "author_email": link.order.customer_email or None,
                "title": form.title.strip() or None,
                "content": form.content.strip() or None,
                "source": SOURCE,
                "is_verified": 1,
            }
        )
    except ValidationError as exc:
        field = str(exc.errors()[0]["loc"][0]) if exc.errors()[0]["loc"] else "review"
        raise FormProblem(_FORM_MESSAGES.get(field, f"Check the {field} field.")) from None
    except ApiError as exc:
        raise FormProblem(exc.message) from None
    # The shop's own review service: the same validation, aggregates and review/created event.
    review = await review_service.create(
        ctx, session, link.shop.shop_id, body, collected_via="email_request"
    )
    now = ctx.now_datetime()
    # Evaluated from Scheduled, Sent or Opened (docs/intake.md §2.3). A Cancelled order stays
    # Cancelled: its email can be out when the cancellation came while it was being sent.
    if link.order.status in (OrderStatus.SCHEDULED, OrderStatus.SENT, OrderStatus.OPENED):
        link.order.status = OrderStatus.EVALUATED
        link.order.evaluated_at = now
        link.order.updated_at = now
    await customer_events.record(
        session,
        link.shop.shop_id,
        _event(
            link,
            customer_events.SUBMIT_REVIEW,
            user_agent,
            product_id=product_id if product_id != STORE_PRODUCT_ID else "",
            review_id=review.id,
        ),
        now=now,
    )
    return review.id


_FORM_MESSAGES = {
    "rating": "Choose a rating from 1 to 5 stars.",
    "author": "Enter the name to show with your review (up to 120 characters).",
    "title": "The title can have up to 300 characters.",
    "content": "The review can have up to 10,000 characters.",
}


async def unsubscribed_types(session: AsyncSession, link: Link) -> dict[str, str]:
    """email_type -> origin of every unsubscribe of the order's address."""
    return await customers.unsubscribed_types(session, link.shop.shop_id, link.order.customer_email)


async def unsubscribe(
    session: AsyncSession, link: Link, email_type: str, *, user_agent: str, now: datetime
) -> None:
    """The customer's own unsubscribe (origin customer); a repeat keeps the first record."""
    email = link.order.customer_email
    if not email or email_type not in UNSUBSCRIBE_TYPES:
        return
    if not await customers.unsubscribe_by_customer(
        session, link.shop.shop_id, email, email_type, now=now
    ):
        return  # already unsubscribed, or a concurrent request was first
    await customer_events.record(
        session,
        link.shop.shop_id,
        _event(link, customer_events.UNSUBSCRIBE_EMAIL, user_agent),
        now=now,
    )


async def resubscribe(session: AsyncSession, link: Link) -> None:
    """Remove the customer's own unsubscribes; a merchant's or platform's stay."""
    await customers.resubscribe_customer(session, link.shop.shop_id, link.order.customer_email)


# --- web review confirmations -----------------------------------------------------------------


async def queue_confirmation(
    ctx: AppContext,
    session: AsyncSession,
    shop_id: str,
    *,
    review_id: int,
    email: str,
    author: str,
    now: datetime,
) -> bool:
    """Queue the confirmation email of a web review, in the review's transaction; the worker
    sends it at most once (emails/handler.py). False, queuing nothing, when no email can go:
    the server sends no email (no SMTP server configured), the address unsubscribed from all
    of the shop's emails, or it cannot be written as a recipient."""
    if not ctx.settings.smtp_host or not email:
        return False
    if await customers.is_unsubscribed(session, shop_id, email, "all"):
        return False
    try:
        recipient(email, author)
    except Unsendable:
        return False
    await email_repository.ConfirmationRepository(session, shop_id).add(
        ReviewConfirmation(
            shop_id=shop_id, review_id=review_id, email=email, run_at=now, created_at=now
        )
    )
    jobs_queued(session)
    return True


@dataclass(frozen=True)
class Confirmed:
    """A followed confirmation link: the shop, and the title of the product reviewed."""

    shop: Shop
    product_title: str


async def confirm(ctx: AppContext, session: AsyncSession, token: str) -> Confirmed | None:
    """GET /email/confirm/{token}: the review of the confirmation becomes verified (the first
    visit only: a second one changes nothing and records no event). None for a token that is
    not genuine, or whose shop or review is gone."""
    confirmation_id = links.read_token(ctx, "confirm", token)
    if confirmation_id is None:
        return None
    row = await email_repository.confirmation(session, confirmation_id, for_update=True)
    if row is None:
        return None
    shop = await shops.find(session, row.shop_id)
    if shop is None or not shop.is_active:
        return None
    # The row's own shop scopes the review: a token names one confirmation, of one shop.
    review = await review_service.find(session, row.shop_id, row.review_id)
    if review is None:
        return None
    if row.confirmed_at is None:
        now = ctx.now_datetime()
        row.confirmed_at = now
        await review_service.verify(session, row.shop_id, row.review_id, now=now)
    return Confirmed(shop=shop, product_title=review.product_title)


# --- the merchant's preview of the review request (docs/back-office.md "Settings") -----------

# A transparent 1x1 GIF: the preview's tracking pixel loads nothing and counts no opening.
SAMPLE_PIXEL = "data:image/gif;base64,R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7"


@dataclass(frozen=True)
class RequestPreview:
    """A review request as the customer gets it: subject, text part and HTML part."""

    subject: str
    text: str
    html: str


def preview_review_request(
    ctx: AppContext, shop: Shop, *, subject: str, text: str
) -> RequestPreview:
    """The review request of `shop` in this wording (checked by the caller), for a sample order
    that is never stored; its links lead nowhere and its pixel counts nothing."""
    order = Order(
        order_name="#1001",
        customer_name="Jane Doe",
        customer_email="jane.doe@example.com",
        products=[{"product_id": "1", "title": "Linen shirt"}],
    )
    base = ctx.public_url.rstrip("/")
    sample_links = {
        "pixel": SAMPLE_PIXEL,
        "review": f"{base}/email/review/sample",
        "unsubscribe": f"{base}/email/unsubscribe/sample",
    }
    email = message.review_request(
        ctx.settings,
        shop,
        order,
        sample_links,
        public_url=ctx.public_url,
        now=ctx.now_datetime(),
        wording=message.Wording(subject, text),
    )
    text_part = email.get_body(("plain",))
    html_part = email.get_body(("html",))
    assert isinstance(text_part, EmailMessage) and isinstance(html_part, EmailMessage)
    return RequestPreview(
        subject=str(email["Subject"]),
        text=str(text_part.get_content()),
        html=str(html_part.get_content()),
    )
