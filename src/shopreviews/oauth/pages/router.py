"""The consent and sign-in pages: server-rendered HTML for the merchant's browser (docs/oauth.md,
"Connect a shop"). They never answer with the JSON envelope; how they look is
oauth/pages/rendering.py."""

from __future__ import annotations

from urllib.parse import urlsplit

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse, Response
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from shopreviews.auth.caller import Caller
from shopreviews.auth.dependencies import authenticate_merchant
from shopreviews.kit.context import AppContext
from shopreviews.kit.crypto import same
from shopreviews.kit.dependencies import Ctx, ReadSession, WriteSession
from shopreviews.kit.envelope import ApiError, InvalidArgument, RateLimited
from shopreviews.kit.forms import Fields, parse_body
from shopreviews.kit.html_pages import SESSION_COOKIE, csrf_token, set_session_cookie
from shopreviews.kit.params import QueryParams
from shopreviews.oauth import authorize, reading
from shopreviews.oauth import service as oauth_service
from shopreviews.oauth.authorize import AuthorizeParams, AuthorizeRequest
from shopreviews.oauth.errors import OAuthError
from shopreviews.oauth.pages.rendering import (
    BAD_LOGIN,
    LOGIN_COOKIE,
    STYLESHEET,
    UNREADABLE,
    PageRoute,
    consent_form,
    error_page,
    login_form,
    redirect,
)

router = APIRouter(include_in_schema=False, route_class=PageRoute)
STAFF_CANNOT_CONNECT = (
    "Only the shop's owner can connect an app: you are signed in as staff. Ask the owner to "
    "open this link."
)


async def _checked(
    ctx: AppContext, session: AsyncSession, params: AuthorizeParams
) -> AuthorizeRequest | Response:
    """The request's checks in the contract's order: a bad client or redirect_uri shows an error
    page (never a redirect); anything else goes back to the redirect_uri as an error."""
    try:
        platform = await authorize.check_client(session, params.client_id, params.redirect_uri)
    except ApiError as exc:
        return error_page(exc.description)
    try:
        return authorize.check_rest(platform, params)
    except OAuthError as exc:
        description = str((exc.data or {}).get("error_description", ""))
        state = params.state
        echoed = state if state is not None and len(state) <= authorize.MAX_STATE else None
        pairs = [("error", exc.error), ("error_description", description)]
        return redirect(authorize.final_redirect(ctx, params.redirect_uri or "", pairs, echoed))


async def _merchant(ctx: AppContext, session: AsyncSession, request: Request) -> Caller | None:
    token = request.cookies.get(SESSION_COOKIE, "")
    if not token:
        return None
    try:
        return await authenticate_merchant(request, session, token)
    except ApiError:
        return None


def _query_params(request: Request) -> AuthorizeParams | None:
    """The authorize parameters of the query; None when it cannot be read (not UTF-8, U+0000)."""
    try:
        query = QueryParams.from_raw(request.scope.get("query_string", b"").decode("latin-1"))
        return reading.authorize_params(query)
    except InvalidArgument:
        return None


def _form_params(form: Fields) -> AuthorizeParams | None:
    """The authorize parameters of a posted form; None when one is not a string. The checks
    apply their own length limits (a state over 512 characters goes back to the client as
    invalid_request), so the fields are read without the generic form limit."""
    try:
        return reading.authorize_form(form)
    except InvalidArgument:
        return None


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
        return form.text(name, max_length=reading.MAX_FORM_FIELD)
    except InvalidArgument:
        return None


@router.get("/oauth/authorize")
async def consent_page(request: Request, ctx: Ctx, session: ReadSession) -> Response:
    params = _query_params(request)
    if params is None:
        return error_page(UNREADABLE)
    checked = await _checked(ctx, session, params)
    if isinstance(checked, Response):
        return checked
    merchant = await _merchant(ctx, session, request)
    if merchant is None:
        return login_form(
            ctx,
            request,
            platform_name=checked.platform.name,
            return_to=f"/oauth/authorize?{authorize.encode(checked.params())}",
        )
    if not merchant.is_owner:
        return error_page(STAFF_CANNOT_CONNECT, 403)
    return consent_form(ctx, merchant, await authorize.merchant_shop(session, merchant), checked)


@router.post("/oauth/authorize")
async def consent_decision(request: Request, ctx: Ctx, session: WriteSession) -> Response:
    form = await _form(request)
    params = _form_params(form) if form is not None else None
    if params is None:
        return error_page("The form could not be read. Go back and try again.")
    checked = await _checked(ctx, session, params)
    if isinstance(checked, Response):
        return checked
    merchant = await _merchant(ctx, session, request)
    if merchant is None or merchant.session_id is None:
        return error_page("Your sign-in has expired. Start again from the app.", 401)
    if not same(_text(form, "csrf_token") or "", csrf_token(ctx, "consent", merchant.session_id)):
        return error_page("This form has expired or did not come from this page.", 403)
    decision = _text(form, "decision")
    if decision == "deny":
        return redirect(
            authorize.final_redirect(
                ctx, checked.redirect_uri, [("error", "access_denied")], checked.state
            )
        )
    if decision != "approve":
        return error_page("Choose Approve or Deny.")
    code = await authorize.approve(ctx, session, checked, merchant)
    return redirect(
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
    response = error_page("This sign-in link is not valid. Start again from the app.", 405)
    response.headers["Allow"] = "POST"
    return response


@router.post("/oauth/login")
async def sign_in(request: Request, ctx: Ctx, session: WriteSession) -> Response:
    form = await _form(request)
    return_to = _safe_return_to(_text(form, "return_to"))
    if form is None or return_to is None:
        return error_page("This sign-in link is not valid. Start again from the app.")
    nonce = request.cookies.get(LOGIN_COOKIE, "")
    if not nonce or not same(_text(form, "csrf_token") or "", csrf_token(ctx, "login", nonce)):
        return error_page("This form has expired or did not come from this page.", 403)
    try:
        query = QueryParams.from_raw(urlsplit(return_to).query)
        platform = await authorize.check_client(
            session, query.scalar("client_id"), query.scalar("redirect_uri")
        )
    except ApiError as exc:
        return error_page(exc.description)
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
        body = oauth_service.LoginIn(
            email=email, password=password, myshopify_domain=domain or None
        )
    except ValidationError:
        return login_form(ctx, request, message=BAD_LOGIN, status=401, **retry)
    try:
        login = await oauth_service.sign_in(
            ctx, session, body, ip=request.client.host if request.client else ""
        )
    except RateLimited as exc:
        wait = exc.headers.get("Retry-After", "60")
        message = f"Too many failed sign-ins. Try again in {wait} seconds."
        return login_form(ctx, request, message=message, status=429, **retry)
    except InvalidArgument:
        message = "This email belongs to several shops: enter the shop domain too."
        return login_form(ctx, request, message=message, status=400, **retry)
    except ApiError:
        return login_form(ctx, request, message=BAD_LOGIN, status=401, **retry)
    response = redirect(return_to, status=303)
    set_session_cookie(response, ctx, login.token)
    response.delete_cookie(LOGIN_COOKIE, path="/oauth")
    return response


@router.get("/oauth/static/consent.css")
async def stylesheet() -> FileResponse:
    return FileResponse(
        STYLESHEET, media_type="text/css", headers={"Cache-Control": "max-age=3600"}
    )
