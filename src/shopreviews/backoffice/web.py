"""How back-office pages are answered: templates, the protective headers, CSRF tokens, and the
route class that turns a failure into a page (never the JSON envelope a browser shows raw)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.routing import APIRoute
from jinja2 import Environment, PackageLoader, select_autoescape

from shopreviews.kit.context import AppContext
from shopreviews.kit.envelope import ApiError

log = logging.getLogger("shopreviews.errors")
templates = Environment(
    loader=PackageLoader("shopreviews.backoffice", "templates"),
    autoescape=select_autoescape(default=True),
    trim_blocks=True,
    lstrip_blocks=True,
)
STATIC = Path(__file__).parent / "static"
PREFIX = "/backoffice"
SIGN_IN = f"{PREFIX}/sign-in"
FAILURE = "Something went wrong on our side. Try again in a moment."


def page_headers(ctx: AppContext) -> dict[str, str]:
    """Every page answer's headers: nothing cached, never framed, and a policy that runs only
    our own script and style files (no inline script or style attribute anywhere). Images may
    also come from the media store and from any https host: a review's photos are often on
    the shop's own CDN (the partner API takes media URLs as given), and the merchant must see
    what shoppers see before publishing it (decision 187)."""
    media = urlsplit(ctx.media_url)
    media_origin = f" {media.scheme}://{media.netloc}" if media.netloc else ""
    policy = (
        "default-src 'none'; script-src 'self'; style-src 'self'; "
        f"img-src 'self' data: https:{media_origin}; connect-src 'self'; form-action 'self'; "
        "frame-ancestors 'none'; base-uri 'none'"
    )
    return {
        "Cache-Control": "no-store",
        "X-Frame-Options": "DENY",
        "Content-Security-Policy": policy,
        "Referrer-Policy": "same-origin",
        "X-Content-Type-Options": "nosniff",
    }


def _ctx(request: Request) -> AppContext:
    ctx: AppContext = request.app.state.ctx
    return ctx


def render(request: Request, template: str, status: int = 200, **context: Any) -> HTMLResponse:
    """A page from `template`; `visitor` (the signed-in merchant, when there is one) gives the
    navigation and the CSRF token every form carries."""
    context.setdefault("visitor", None)
    context.setdefault("path", request.url.path)
    body = templates.get_template(template).render(**context)
    return HTMLResponse(body, status_code=status, headers=page_headers(_ctx(request)))


def redirect(request: Request, url: str, status: int = 303) -> RedirectResponse:
    """After a form: 303, so the browser follows with a GET and a reload never posts twice."""
    return RedirectResponse(url, status_code=status, headers=page_headers(_ctx(request)))


def error_page(request: Request, message: str, status: int = 400) -> HTMLResponse:
    return render(request, "error.html", status, message=message, status_code=status)


class SignInRequired(Exception):
    """No live merchant session: the page asks to sign in, then comes back."""


class PageRefused(Exception):
    """A page the visitor may not see or a form that may not be posted (403 page)."""

    def __init__(self, message: str, status: int = 403) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


def sign_in_url(request: Request) -> str:
    here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return f"{SIGN_IN}?next={quote(here, safe='')}"


class PageRoute(APIRoute):
    """A page's failure is a page too: the app-wide handlers would answer the JSON envelope."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def route(request: Request) -> Response:
            try:
                return await handler(request)
            except SignInRequired:
                if request.method == "GET":
                    return redirect(request, sign_in_url(request), 303)
                return error_page(
                    request, "Your sign-in has expired. Sign in again and repeat the change.", 401
                )
            except PageRefused as exc:
                return error_page(request, exc.message, exc.status)
            except ApiError as exc:
                return error_page(request, exc.description, exc.http_status)
            except Exception as exc:
                log.exception("unexpected failure", exc_info=exc)
                return error_page(request, FAILURE, 500)

        return route
