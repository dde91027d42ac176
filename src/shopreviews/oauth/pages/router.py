"""The consent pages: server-rendered HTML for the merchant's browser (spec oauth.md
"Consent page"). They never answer with the JSON envelope.

CSRF: the consent form carries an HMAC of the merchant session id; the sign-in form (before any
session exists) carries an HMAC of a random nonce kept in a SameSite cookie.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from fastapi.routing import APIRoute
from jinja2 import Environment, PackageLoader, select_autoescape
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from shopreviews.auth.caller import Caller
from shopreviews.auth.dependencies import Ctx, Session, authenticate_merchant
from shopreviews.auth.scopes import SCOPE_DESCRIPTIONS
from shopreviews.kit.context import AppContext
from shopreviews.kit.crypto import same
from shopreviews.kit.envelope import ApiError, InvalidArgument, RateLimited
from shopreviews.kit.forms import Fields, parse_body
from shopreviews.kit.html_pages import PAGE_HEADERS
from shopreviews.kit.params import QueryParams
from shopreviews.merchants import service as merchant_service
from shopreviews.merchants.schemas import LoginIn
from shopreviews.oauth import authorize
from shopreviews.oauth.authorize import AuthorizeRequest
from shopreviews.oauth.errors import OAuthError
from shopreviews.shops.repository import ShopRepository

log = logging.getLogger("shopreviews.errors")
templates = Environment(
    loader=PackageLoader("shopreviews.oauth", "templates"),
    autoescape=select_autoescape(default=True),
)
STYLESHEET = Path(__file__).parent.parent / "static" / "consent.css"
SESSION_COOKIE = "merchant_session"
LOGIN_COOKIE = "oauth_login"
BAD_LOGIN = "Wrong email or password."
UNREADABLE = "This authorization link is damaged. Start again from the app."
FAILURE = "Something went wrong on our side. Start again from the app in a moment."
# Page forms are read without the API's per-field limit; the body limit still applies and each
# check applies its own rule (state ≤ 512, redirect_uri must match exactly, ...).
MAX_FIELD = 1 << 20


def _html(template: str, status: int = 200, **context: object) -> HTMLResponse:
    body = templates.get_template(template).render(**context)
    return HTMLResponse(body, status_code=status, headers=PAGE_HEADERS)


def _error_page(message: str, status: int = 400) -> HTMLResponse:
    return _html("error.html", status, message=message)


class PageRoute(APIRoute):
    """A page's failure is a page too: the app-wide handlers would answer the JSON envelope,
    which a browser shows as raw text. Nothing goes back to the redirect_uri here: a failure
    may come before it was validated (RFC 6749 §4.1.2.1)."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def route(request: Request) -> Response:
            try:
                return await handler(request)
            except ApiError as exc:
                return _error_page(exc.message.split(": ", 1)[-1], exc.http_status)
            except Exception as exc:
                log.exception("unexpected failure", exc_info=exc)
                return _error_page(FAILURE, 500)

        return route


router = APIRouter(include_in_schema=False, route_class=PageRoute)


def _redirect(url: str, status: int = 302) -> RedirectResponse:
    return RedirectResponse(url, status_code=status, headers=PAGE_HEADERS)


def _csrf(ctx: AppContext, purpose: str, value: str) -> str:
    return hmac.new(ctx.session_key, f"csrf:{purpose}:{value}".encode(), hashlib.sha256).hexdigest()


def _secure(ctx: AppContext) -> bool:
    return ctx.public_url.startswith("https://")


async def _checked(
    ctx: AppContext, session: AsyncSession, values: dict[str, str | None]
) -> AuthorizeRequest | Response:
    """The request's checks in the spec's order: a bad client or redirect_uri shows an error
    page (never a redirect); anything else goes back to the redirect_uri as an error."""
    try:
        platform = await authorize.check_client(
            session, values.get("client_id"), values.get("redirect_uri")
        )
    except ApiError as exc:
        return _error_page(exc.message.split(": ", 1)[-1])
    redirect_uri = values["redirect_uri"] or ""
    state = values.get("state")
    try:
        return authorize.check_rest(
            platform,
            redirect_uri,
            response_type=values.get("response_type"),
            scope=values.get("scope"),
            state=state,
            code_challenge=values.get("code_challenge"),
            code_challenge_method=values.get("code_challenge_method"),
        )
    except OAuthError as exc:
        description = str((exc.data or {}).get("error_description", ""))
        echoed = state if state is not None and len(state) <= authorize.MAX_STATE else None
        pairs = [("error", exc.error), ("error_description", description)]
        return _redirect(authorize.final_redirect(ctx, redirect_uri, pairs, echoed))


async def _merchant(ctx: AppContext, session: AsyncSession, request: Request) -> Caller | None:
    token = request.cookies.get(SESSION_COOKIE, "")
    if not token:
        return None
    try:
        return await authenticate_merchant(ctx, session, token)
    except ApiError:
        return None


def _login_form(
    ctx: AppContext,
    request: Request,
    *,
    platform_name: str,
    return_to: str,
    message: str = "",
    email: str = "",
    myshopify_domain: str = "",
    status: int = 200,
) -> HTMLResponse:
    nonce = request.cookies.get(LOGIN_COOKIE) or secrets.token_urlsafe(24)
    response = _html(
        "login.html",
        status,
        platform_name=platform_name,
        return_to=return_to,
        csrf_token=_csrf(ctx, "login", nonce),
        message=message,
        email=email,
        myshopify_domain=myshopify_domain,
    )
    response.set_cookie(
        LOGIN_COOKIE,
        nonce,
        max_age=3600,
        path="/oauth",
        httponly=True,
        secure=_secure(ctx),
        samesite="lax",
    )
    return response


async def _consent(
    ctx: AppContext, session: AsyncSession, merchant: Caller, request: AuthorizeRequest
) -> HTMLResponse:
    shop = await ShopRepository(session).get(merchant.shop_id)
    assert shop is not None
    assert merchant.session_id is not None
    return _html(
        "consent.html",
        platform_name=request.platform.name,
        shop_domain=shop.myshopify_domain,
        scopes=[(s, SCOPE_DESCRIPTIONS[s]) for s in request.scopes],
        params=request.params(),
        csrf_token=_csrf(ctx, "consent", merchant.session_id),
    )


def _query_values(request: Request) -> dict[str, str | None] | None:
    """The authorize parameters of the query; None when it cannot be read (not UTF-8, U+0000)."""
    try:
        query = QueryParams.from_raw(request.scope.get("query_string", b"").decode("latin-1"))
        return authorize.query_values(query)
    except InvalidArgument:
        return None


def _form_values(form: Fields) -> dict[str, str | None] | None:
    """The authorize parameters of a posted form; None when one is not a string. The checks
    apply their own length limits (a state over 512 characters goes back to the client as
    invalid_request), so the fields are read without the generic form limit."""
    try:
        values = {n: form.text(n, max_length=MAX_FIELD) for n in authorize.PARAMS}
        values["state"] = form.verbatim("state")
        return values
    except InvalidArgument:
        return None


@router.get("/oauth/authorize")
async def consent_page(request: Request, ctx: Ctx, session: Session) -> Response:
    values = _query_values(request)
    if values is None:
        return _error_page(UNREADABLE)
    checked = await _checked(ctx, session, values)
    if isinstance(checked, Response):
        return checked
    merchant = await _merchant(ctx, session, request)
    if merchant is None:
        return _login_form(
            ctx,
            request,
            platform_name=checked.platform.name,
            return_to=f"/oauth/authorize?{authorize.encode(checked.params())}",
        )
    return await _consent(ctx, session, merchant, checked)


async def _form(request: Request) -> Fields | None:
    try:
        return parse_body(await request.body(), request.headers.get("content-type", ""))
    except InvalidArgument:
        return None


def _text(form: Fields | None, name: str) -> str | None:
    """A form field as text; None when absent, empty or not a string."""
    if form is None:
        return None
    try:
        return form.text(name, max_length=MAX_FIELD)
    except InvalidArgument:
        return None


@router.post("/oauth/authorize")
async def consent_decision(request: Request, ctx: Ctx, session: Session) -> Response:
    form = await _form(request)
    values = _form_values(form) if form is not None else None
    if values is None:
        return _error_page("The form could not be read. Go back and try again.")
    checked = await _checked(ctx, session, values)
    if isinstance(checked, Response):
        return checked
    merchant = await _merchant(ctx, session, request)
    if merchant is None or merchant.session_id is None:
        return _error_page("Your sign-in has expired. Start again from the app.", 401)
    if not same(_text(form, "csrf_token") or "", _csrf(ctx, "consent", merchant.session_id)):
        return _error_page("This form has expired or did not come from this page.", 403)
    decision = _text(form, "decision")
    if decision == "deny":
        return _redirect(
            authorize.final_redirect(
                ctx, checked.redirect_uri, [("error", "access_denied")], checked.state
            )
        )
    if decision != "approve":
        return _error_page("Choose Approve or Deny.")
    shop = await ShopRepository(session).get(merchant.shop_id)
    assert shop is not None
    code = await authorize.approve(ctx, session, checked, shop)
    return _redirect(
        authorize.final_redirect(ctx, checked.redirect_uri, [("code", code)], checked.state)
    )


def _safe_return_to(value: str | None) -> str | None:
    """Only our own authorize page: a relative URL, never another host (open redirect)."""
    if not value or not value.startswith("/oauth/authorize?"):
        return None
    parts = urlsplit(value)
    if parts.scheme or parts.netloc or "\\" in value:
        return None
    return value


@router.get("/oauth/login")
async def sign_in_link() -> HTMLResponse:
    """The address bar shows /oauth/login after a failed sign-in; opening it again is no
    authorization request to continue."""
    response = _error_page("This sign-in link is not valid. Start again from the app.", 405)
    response.headers["Allow"] = "POST"
    return response


@router.post("/oauth/login")
async def sign_in(request: Request, ctx: Ctx, session: Session) -> Response:
    form = await _form(request)
    return_to = _safe_return_to(_text(form, "return_to"))
    if form is None or return_to is None:
        return _error_page("This sign-in link is not valid. Start again from the app.")
    nonce = request.cookies.get(LOGIN_COOKIE, "")
    if not nonce or not same(_text(form, "csrf_token") or "", _csrf(ctx, "login", nonce)):
        return _error_page("This form has expired or did not come from this page.", 403)
    try:
        query = QueryParams.from_raw(urlsplit(return_to).query)
        platform = await authorize.check_client(
            session, query.scalar("client_id"), query.scalar("redirect_uri")
        )
    except ApiError as exc:
        return _error_page(exc.message.split(": ", 1)[-1])
    # Over-long or non-text fields cannot belong to an account: a failed sign-in like any other
    # (never the JSON envelope, never the "several shops" message).
    email = _text(form, "email") or ""
    domain = _text(form, "myshopify_domain") or ""
    password = form.values.get("password")  # as typed: passwords are never trimmed
    if not isinstance(password, str):
        password = ""
    retry = {
        "platform_name": platform.name,
        "return_to": return_to,
        "email": email,
        "myshopify_domain": domain,
    }
    try:
        body = LoginIn(email=email, password=password, myshopify_domain=domain or None)
    except ValidationError:
        return _login_form(ctx, request, message=BAD_LOGIN, status=401, **retry)
    try:
        login = await merchant_service.login(
            ctx, session, body, ip=request.client.host if request.client else ""
        )
    except RateLimited as exc:
        wait = exc.headers.get("Retry-After", "60")
        message = f"Too many failed sign-ins. Try again in {wait} seconds."
        return _login_form(ctx, request, message=message, status=429, **retry)
    except InvalidArgument:
        message = "This email belongs to several shops: enter the shop domain too."
        return _login_form(ctx, request, message=message, status=400, **retry)
    except ApiError:
        return _login_form(ctx, request, message=BAD_LOGIN, status=401, **retry)
    response = _redirect(return_to, status=303)
    response.set_cookie(
        SESSION_COOKIE,
        login.token,
        max_age=ctx.settings.merchant_session_seconds,
        path="/",
        httponly=True,
        secure=_secure(ctx),
        samesite="lax",
    )
    response.delete_cookie(LOGIN_COOKIE, path="/oauth")
    return response


@router.get("/oauth/static/consent.css")
async def stylesheet() -> FileResponse:
    return FileResponse(
        STYLESHEET, media_type="text/css", headers={"Cache-Control": "max-age=3600"}
    )
