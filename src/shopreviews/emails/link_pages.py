"""What the pages behind email links look like (docs/intake.md §3.2): their templates, the
review form, the email preferences and the web review confirmation, and the pixel.

Pages are server-rendered HTML with the same protective headers as the consent pages, and never
answer with the JSON envelope.
"""

from __future__ import annotations

import base64
import hashlib
import hmac

from fastapi.responses import HTMLResponse
from jinja2 import Environment, PackageLoader, select_autoescape
from sqlalchemy.ext.asyncio import AsyncSession

from shopreviews.emails import service as email_service
from shopreviews.emails.service import Confirmed, Link
from shopreviews.kit.context import AppContext
from shopreviews.kit.html_pages import PAGE_HEADERS

templates = Environment(
    loader=PackageLoader("shopreviews.emails", "templates"),
    autoescape=select_autoescape(default=True),
)
# A 1x1 transparent GIF (42 bytes).
PIXEL = base64.b64decode("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7")
DEAD_LINK = "This link is not valid. Use the link in your most recent email."


def html(template: str, status: int = 200, **context: object) -> HTMLResponse:
    body = templates.get_template(template).render(**context)
    return HTMLResponse(body, status_code=status, headers=PAGE_HEADERS)


def dead_link() -> HTMLResponse:
    return html("error.html", 404, message=DEAD_LINK)


def confirmed_page(confirmed: Confirmed) -> HTMLResponse:
    """A web review's confirmation link was followed: the review shows as verified."""
    return html("confirmed.html", shop=confirmed.shop, product_title=confirmed.product_title)


def review_form_csrf(ctx: AppContext, token: str) -> str:
    """The review form's CSRF field: an HMAC of the link's token."""
    return hmac.new(ctx.link_key, f"review-form\n{token}".encode(), hashlib.sha256).hexdigest()


async def review_page(
    ctx: AppContext,
    session: AsyncSession,
    link: Link,
    token: str,
    *,
    problem: str = "",
    status: int = 200,
    values: dict[str, str] | None = None,
) -> HTMLResponse:
    """The review form, filled with `values` and naming the `problem` of a refused post; the
    thanks page once every product of the order is reviewed."""
    products = await email_service.reviewable(session, link)
    if all(p["reviewed"] for p in products):
        # A resubmission (a second click, the back button) is told why nothing was stored.
        return html("thanks.html", status, shop=link.shop, problem=problem)
    return html(
        "review_form.html",
        status,
        shop=link.shop,
        order=link.order,
        products=products,
        csrf=review_form_csrf(ctx, token),
        problem=problem,
        values=values or {},
    )


async def preferences_page(
    session: AsyncSession, link: Link, token: str, *, notice: str = ""
) -> HTMLResponse:
    """The email preferences of the order's address, with the `notice` of a change."""
    state = await email_service.unsubscribed_types(session, link)
    return html(
        "unsubscribe.html",
        shop=link.shop,
        email=link.order.customer_email,
        state=state,
        token=token,
        notice=notice,
    )
