"""The back office's entry: sign-in and sign-out, the account page, its static files, and each
page area's routes (docs/back-office.md). Every path is written out in full where it is served."""

from __future__ import annotations

import secrets
from typing import Annotated
from urllib.parse import urlsplit

from fastapi import APIRouter, Form, Request
from fastapi.responses import FileResponse, Response

from shopreviews.backoffice import service as backoffice_service
from shopreviews.backoffice.access import CheckedForm, SignedIn
from shopreviews.backoffice.insights.router import router as insights_router
from shopreviews.backoffice.integrations.router import router as integrations_router
from shopreviews.backoffice.reviews.router import router as reviews_router
from shopreviews.backoffice.settings.router import router as settings_router
from shopreviews.backoffice.tokens.router import router as tokens_router
from shopreviews.backoffice.web import (
    PREFIX,
    SIGN_IN,
    STATIC,
    PageRefused,
    PageRoute,
    redirect,
    render,
)
from shopreviews.kit.crypto import same
from shopreviews.kit.dependencies import Ctx, WriteSession
from shopreviews.kit.envelope import ApiError, InvalidArgument, RateLimited
from shopreviews.kit.html_pages import SESSION_COOKIE, csrf_token, is_secure, set_session_cookie

router = APIRouter(include_in_schema=False, route_class=PageRoute)
SIGN_IN_COOKIE = "backoffice_sign_in"
HOME = f"{PREFIX}/reviews"
BAD_LOGIN = "Wrong email or password."
STATIC_TYPES = {".css": "text/css", ".js": "text/javascript", ".svg": "image/svg+xml"}


def _next(value: str | None) -> str:
    """Where to go after signing in: a back-office page of this site only (never another
    host: an open redirect)."""
    if not value or not value.startswith(PREFIX + "/") or "\\" in value:
        return HOME
    parts = urlsplit(value)
    if parts.scheme or parts.netloc or value.startswith("//"):
        return HOME
    return value


def _sign_in_page(
    request: Request,
    ctx: Ctx,
    *,
    next_url: str,
    message: str = "",
    notice: str = "",
    email: str = "",
    shop_domain: str = "",
    status: int = 200,
) -> Response:
    # The form's CSRF token is bound to a random value in a cookie only this site can set.
    nonce = request.cookies.get(SIGN_IN_COOKIE) or secrets.token_urlsafe(24)
    response = render(
        request,
        "sign_in.html",
        status,
        csrf=csrf_token(ctx, "backoffice-sign-in", nonce),
        next_url=next_url,
        message=message,
        notice=notice,
        email=email,
        shop_domain=shop_domain,
    )
    response.set_cookie(
        SIGN_IN_COOKIE,
        nonce,
        max_age=3600,
        path=PREFIX,
        httponly=True,
        secure=is_secure(ctx),
        samesite="lax",
    )
    return response


@router.get("/backoffice")
async def home(request: Request, _visitor: SignedIn) -> Response:
    """The reviews, once signed in (the sign-in page first otherwise)."""
    return redirect(request, HOME, 302)


@router.get("/backoffice/sign-in")
async def sign_in_page(
    request: Request, ctx: Ctx, next: str | None = None, signed_out: str | None = None
) -> Response:
    notice = "You are signed out." if signed_out else ""
    return _sign_in_page(request, ctx, next_url=_next(next), notice=notice)


@router.post("/backoffice/sign-in")
async def sign_in(
    request: Request,
    ctx: Ctx,
    session: WriteSession,
    email: Annotated[str, Form(max_length=254)] = "",
    password: Annotated[str, Form(max_length=1024)] = "",
    shop_domain: Annotated[str, Form(max_length=255)] = "",
    csrf_token_field: Annotated[str, Form(alias="csrf_token", max_length=128)] = "",
    next_url: Annotated[str, Form(alias="next", max_length=2048)] = "",
) -> Response:
    nonce = request.cookies.get(SIGN_IN_COOKIE, "")
    if not nonce or not same(csrf_token_field, csrf_token(ctx, "backoffice-sign-in", nonce)):
        raise PageRefused("This form has expired or did not come from this page. Reload it.")
    target = _next(next_url)
    retry = {"next_url": target, "email": email.strip(), "shop_domain": shop_domain.strip()}
    try:
        login = await backoffice_service.sign_in(
            ctx,
            session,
            email=email,
            password=password,
            shop_domain=shop_domain.strip(),
            ip=request.client.host if request.client else "",
        )
    except RateLimited as exc:
        wait = exc.headers.get("Retry-After", "60")
        message = f"Too many failed sign-ins. Try again in {wait} seconds."
        return _sign_in_page(request, ctx, message=message, status=429, **retry)
    except InvalidArgument:
        message = "This email belongs to several shops: enter the shop domain too."
        return _sign_in_page(request, ctx, message=message, status=400, **retry)
    except ApiError:
        return _sign_in_page(request, ctx, message=BAD_LOGIN, status=401, **retry)
    response = redirect(request, target)
    set_session_cookie(response, ctx, login.token)
    response.delete_cookie(SIGN_IN_COOKIE, path=PREFIX)
    return response


@router.post("/backoffice/sign-out")
async def sign_out(
    request: Request, ctx: Ctx, session: WriteSession, visitor: SignedIn, _form: CheckedForm
) -> Response:
    await backoffice_service.sign_out(ctx, session, visitor.caller)
    response = redirect(request, f"{SIGN_IN}?signed_out=1")
    response.delete_cookie(SESSION_COOKIE, path="/", secure=is_secure(ctx), httponly=True)
    return response


@router.get("/backoffice/account")
async def account(request: Request, visitor: SignedIn) -> Response:
    return render(request, "account.html", visitor=visitor)


@router.get("/backoffice/static/{name}")
async def static_file(name: str) -> Response:
    path = STATIC / name
    kind = STATIC_TYPES.get(path.suffix)
    if kind is None or "/" in name or not path.is_file():
        raise PageRefused("No such file.", 404)
    return FileResponse(path, media_type=kind, headers={"Cache-Control": "max-age=3600"})


router.include_router(reviews_router)
router.include_router(insights_router)
router.include_router(settings_router)
router.include_router(integrations_router)
router.include_router(tokens_router)
