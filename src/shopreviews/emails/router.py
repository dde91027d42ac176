"""The pages and pixel behind the links of review-request emails (docs/intake.md §3.2) and
the confirmation link of web reviews (docs/storefront.md "Web reviews"); how the pages look is
emails/link_pages.py.

The signed token in the path is the credential.
"""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from urllib.parse import parse_qsl

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.ext.asyncio import AsyncSession

from shopreviews.emails import links
from shopreviews.emails import service as email_service
from shopreviews.emails.link_pages import (
    PIXEL,
    confirmed_page,
    dead_link,
    html,
    preferences_page,
    review_form_csrf,
    review_page,
)
from shopreviews.emails.service import FormProblem, Link, ReviewForm
from shopreviews.kit.context import AppContext
from shopreviews.kit.dependencies import Ctx, WriteSession
from shopreviews.kit.html_pages import PAGE_HEADERS

router = APIRouter(include_in_schema=False)
MAX_FORM_BYTES = 64 * 1024


def _ua(request: Request) -> str:
    return request.headers.get("user-agent", "")[:512]


async def _form(request: Request) -> dict[str, str]:
    """A form body, url-encoded or multipart/form-data (RFC 8058 recommends multipart for the
    one-click unsubscribe POST of mail clients); repeated fields keep their last value."""
    body = await request.body()
    if len(body) > MAX_FORM_BYTES:
        return {}
    content_type = request.headers.get("content-type", "")
    if content_type.split(";")[0].strip().lower() == "multipart/form-data":
        return _multipart(content_type, body)
    return dict(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))


def _multipart(content_type: str, body: bytes) -> dict[str, str]:
    """The text fields of a multipart/form-data body (file parts are ignored)."""
    try:
        head = f"Content-Type: {content_type}\r\n\r\n".encode("ascii")
    except UnicodeEncodeError:
        return {}
    parsed = BytesParser(policy=policy.HTTP).parsebytes(head + body)
    if not isinstance(parsed, EmailMessage) or not parsed.is_multipart():
        return {}
    fields: dict[str, str] = {}
    for part in parsed.iter_parts():
        disposition = part.get("content-disposition")
        name = getattr(disposition, "params", {}).get("name")
        if part.get_content_disposition() != "form-data" or not name or part.get_filename():
            continue
        payload = part.get_payload(decode=True)
        if isinstance(payload, bytes):
            fields[str(name)] = payload.decode(part.get_content_charset() or "utf-8", "replace")
    return fields


async def _with_link(
    ctx: AppContext,
    purpose: str,
    token: str,
    work: Callable[[AsyncSession, Link], Awaitable[Response]],
    *,
    write: bool,
) -> Response | None:
    request_id = links.read_token(ctx, purpose, token)
    if request_id is None:
        return None
    async with ctx.db.session(write=write) as session:
        link = await email_service.follow(session, request_id, lock=write)
        if link is None:
            return None
        return await work(session, link)


@router.get("/email/open/{token}.gif")
async def pixel(token: str, request: Request, ctx: Ctx) -> Response:
    async def work(session: AsyncSession, link: Link) -> Response:
        await email_service.opened(session, link, user_agent=_ua(request), now=ctx.now_datetime())
        return Response(PIXEL, media_type="image/gif", headers={"Cache-Control": "no-store"})

    return await _with_link(ctx, "open", token, work, write=True) or Response(status_code=404)


@router.get("/email/review/{token}")
async def review_form(token: str, request: Request, ctx: Ctx) -> Response:
    async def work(session: AsyncSession, link: Link) -> Response:
        await email_service.clicked(session, link, user_agent=_ua(request), now=ctx.now_datetime())
        return await review_page(ctx, session, link, token)

    page = await _with_link(ctx, "review", token, work, write=True)
    return page or dead_link()


@router.post("/email/review/{token}")
async def submit_review(token: str, request: Request, ctx: Ctx) -> Response:
    form = await _form(request)
    if not hmac.compare_digest(form.get("csrf", ""), review_form_csrf(ctx, token)):
        if links.read_token(ctx, "review", token) is None:
            return dead_link()
        return html("error.html", 403, message="This form did not come from the review page.")
    review = ReviewForm(
        product_id=form.get("product_id", ""),
        rating=form.get("rating", ""),
        author=form.get("author", ""),
        title=form.get("title", ""),
        content=form.get("content", ""),
    )

    async def work(session: AsyncSession, link: Link) -> Response:
        try:
            await email_service.submit_review(ctx, session, link, review, user_agent=_ua(request))
        except FormProblem as exc:
            return await review_page(
                ctx, session, link, token, problem=str(exc), status=400, values=form
            )
        # Post/redirect/get: a reload does not resubmit the form.
        return RedirectResponse(f"/email/review/{token}", status_code=303, headers=PAGE_HEADERS)

    page = await _with_link(ctx, "review", token, work, write=True)
    return page or dead_link()


@router.get("/email/unsubscribe/{token}")
async def preferences(token: str, ctx: Ctx) -> Response:
    # GET never changes anything: mail scanners follow links. Unsubscribing is a POST.
    async def work(session: AsyncSession, link: Link) -> Response:
        return await preferences_page(session, link, token)

    page = await _with_link(ctx, "unsubscribe", token, work, write=False)
    return page or dead_link()


@router.post("/email/unsubscribe/{token}")
async def change_preferences(token: str, request: Request, ctx: Ctx) -> Response:
    form = await _form(request)
    now = ctx.now_datetime()

    async def work(session: AsyncSession, link: Link) -> Response:
        if form.get("List-Unsubscribe") == "One-Click":  # RFC 8058, from the mail client
            await email_service.unsubscribe(
                session, link, "review_request", user_agent=_ua(request), now=now
            )
            return Response(status_code=200, headers=PAGE_HEADERS)
        action = form.get("action", "")
        if action == "resubscribe":
            await email_service.resubscribe(session, link)
            notice = "You will get review requests again."
        elif action == "unsubscribe" and form.get("email_type") in email_service.UNSUBSCRIBE_TYPES:
            email_type = form["email_type"]
            await email_service.unsubscribe(
                session, link, email_type, user_agent=_ua(request), now=now
            )
            notice = (
                "You will not get any more emails from this shop."
                if email_type == "all"
                else "You will not get any more review requests from this shop."
            )
        else:
            return html("error.html", 400, message="Choose one of the options on the page.")
        return await preferences_page(session, link, token, notice=notice)

    page = await _with_link(ctx, "unsubscribe", token, work, write=True)
    return page or dead_link()


@router.get("/email/confirm/{token}")
async def confirm_review(token: str, ctx: Ctx, session: WriteSession) -> Response:
    """A web review's confirmation link: the review becomes verified (once; a second visit
    shows the same page and changes nothing)."""
    confirmed = await email_service.confirm(ctx, session, token)
    return dead_link() if confirmed is None else confirmed_page(confirmed)
