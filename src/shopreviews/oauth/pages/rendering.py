"""What the consent and sign-in pages look like: their templates, forms and cookies, the error
page, and the route class that turns any failure into that page.

CSRF: the consent form carries an HMAC of the merchant session id; the sign-in form (before any
session exists) carries an HMAC of a random nonce kept in a SameSite cookie.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.routing import APIRoute
from jinja2 import Environment, PackageLoader, select_autoescape

from shopreviews.auth.caller import Caller
from shopreviews.auth.scopes import SCOPE_DESCRIPTIONS
from shopreviews.kit.context import AppContext
from shopreviews.kit.envelope import ApiError
from shopreviews.kit.html_pages import PAGE_HEADERS, csrf_token, is_secure
from shopreviews.oauth.authorize import AuthorizeRequest
from shopreviews.shops.service import Shop

log = logging.getLogger("shopreviews.errors")
templates = Environment(
    loader=PackageLoader("shopreviews.oauth", "templates"),
    autoescape=select_autoescape(default=True),
)
STYLESHEET = Path(__file__).parent.parent / "static" / "consent.css"
LOGIN_COOKIE = "oauth_login"
BAD_LOGIN = "Wrong email or password."
UNREADABLE = "This authorization link is damaged. Start again from the app."
FAILURE = "Something went wrong on our side. Start again from the app in a moment."


def html(template: str, status: int = 200, **context: object) -> HTMLResponse:
    body = templates.get_template(template).render(**context)
    return HTMLResponse(body, status_code=status, headers=PAGE_HEADERS)


def error_page(message: str, status: int = 400) -> HTMLResponse:
    return html("error.html", status, message=message)


def redirect(url: str, status: int = 302) -> RedirectResponse:
    return RedirectResponse(url, status_code=status, headers=PAGE_HEADERS)


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
                return error_page(exc.description, exc.http_status)
            except Exception as exc:
                log.exception("unexpected failure", exc_info=exc)
                return error_page(FAILURE, 500)

        return route


def login_form(
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
    response = html(
        "login.html",
        status,
        platform_name=platform_name,
        return_to=return_to,
        csrf_token=csrf_token(ctx, "login", nonce),
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
        secure=is_secure(ctx),
        samesite="lax",
    )
    return response


def consent_form(
    ctx: AppContext, merchant: Caller, shop: Shop, request: AuthorizeRequest
) -> HTMLResponse:
    assert merchant.session_id is not None
    return html(
        "consent.html",
        platform_name=request.platform.name,
        shop_domain=shop.myshopify_domain,
        scopes=[(s, SCOPE_DESCRIPTIONS[s]) for s in request.scopes],
        params=request.params(),
        csrf_token=csrf_token(ctx, "consent", merchant.session_id),
    )
